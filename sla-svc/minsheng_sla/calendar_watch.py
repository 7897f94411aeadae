"""Keeping every replica's working calendar current, and raising the alert while next
year's schedule is missing.

At start, before any consumer counts a clock, the package's years are seeded and the
stored versions taken. Then every replica polls the store's calendar stamp: a year
loaded elsewhere takes effect here within `FOLLOW_INTERVAL`, and a look later the
open clocks touching it are recounted once more, to catch any counted on the old
calendar meanwhile. Every replica also checks the calendar's years each
`YEAR_CHECK_INTERVAL`, reading "now" from the runtime's clock (a demo clock moved
to November raises the alert at once).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from minsheng_common.db import is_connection_error
from minsheng_common.runtime import Background, ServiceRuntime
from minsheng_sla import calendar_admin
from minsheng_sla.calendar_live import LiveCalendar

log = logging.getLogger(__name__)

FOLLOW_INTERVAL = 2.0
"""Seconds between two looks at the store's calendar stamp."""

YEAR_CHECK_INTERVAL = 60.0
"""Seconds between two checks for a missing year (raised once a day at most)."""


def on_start(live: LiveCalendar) -> Callable[[ServiceRuntime], Awaitable[None]]:
    """The start hook: seed the package's years, take every stored version."""

    async def load_calendar(runtime: ServiceRuntime) -> None:
        async with runtime.sessions() as session:
            await calendar_admin.seed(
                session=session,
                live=live,
                outbox=runtime.outbox,
                now=runtime.clock.now(),
            )
        async with runtime.sessions() as session:
            await live.refresh(session)
        live.swept()
        log.info("sla counts on the stored working calendar (stamp %d)", live.stamp)

    return load_calendar


def loops(live: LiveCalendar) -> list[Background]:
    """The background loops of the calendar, for the service runtime."""

    async def follow_calendar(runtime: ServiceRuntime) -> None:
        await _every(FOLLOW_INTERVAL, "calendar follower", follow_once, runtime, live)

    async def watch_calendar_years(runtime: ServiceRuntime) -> None:
        await _every(
            YEAR_CHECK_INTERVAL, "calendar year check", check_years_once, runtime, live
        )

    return [follow_calendar, watch_calendar_years]


async def follow_once(runtime: ServiceRuntime, live: LiveCalendar) -> set[int]:
    """One look: take versions stored since the last one, and recount the clocks
    of the years changed before it. The years recounted."""
    async with runtime.sessions() as session:
        await live.refresh(session)
    years = live.due_for_sweep()
    if not years:
        return set()
    async with runtime.sessions() as session:
        await calendar_admin.sweep(
            session=session, live=live, outbox=runtime.outbox, years=years
        )
    return years


async def check_years_once(runtime: ServiceRuntime, live: LiveCalendar) -> int:
    """One check for missing years; how many alerts it raised."""
    async with runtime.sessions() as session:
        raised = await calendar_admin.raise_year_missing(
            session=session,
            live=live,
            outbox=runtime.outbox,
            now=runtime.clock.now(),
        )
    return len(raised)


async def _every(
    interval: float,
    label: str,
    step: Callable[[ServiceRuntime, LiveCalendar], Awaitable[object]],
    runtime: ServiceRuntime,
    live: LiveCalendar,
) -> None:
    while True:
        try:
            await step(runtime, live)
        except Exception as error:
            if not is_connection_error(error):
                raise
            log.error("%s: store unreachable (%r); trying again", label, error)
        await asyncio.sleep(interval)
