"""The watcher: finds clocks that have run out and says so (deadline.reached),
urges units at half and two thirds of their working time and when they run out
(deadline.urged, Art. 39), and lists each unit's overdue orders every Monday at
09:00 (supervision.overdue_listed, Art. 40).

Every replica may run it. Each pass claims a batch in one transaction with
`FOR UPDATE SKIP LOCKED`, records what it did and stages the events in that same
transaction, so a clock is reached, and each urging sent, once however many
watchers look at it; a weekly list is recorded under a unique key per unit and week.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date
from typing import cast

from minsheng_common.db import is_connection_error
from minsheng_common.runtime import ServiceRuntime
from minsheng_sla import service, supervision
from minsheng_sla.settings import SlaSettings

log = logging.getLogger(__name__)


async def watch_deadlines(runtime: ServiceRuntime) -> None:
    """Reach due clocks every `SLA_SCAN_INTERVAL_MS`, comparing with the runtime's
    clock (a demo clock moved forward reaches clocks at once)."""
    settings = cast(SlaSettings, runtime.settings)
    interval = settings.scan_interval_ms / 1000
    batch = settings.scan_batch_size
    log.info(
        "sla watching deadlines every %d ms, %d at a time",
        settings.scan_interval_ms,
        batch,
    )
    listed_week: date | None = None
    while True:
        try:
            reached = await scan_once(runtime, limit=batch)
            urged = await urge_once(runtime, limit=batch)
            listed_week = await supervise_once(runtime, listed=listed_week)
        except Exception as error:
            if not is_connection_error(error):
                raise
            log.error("deadline watcher: store unreachable (%r); trying again", error)
            reached = urged = 0
        # A full batch means more may be waiting: look again at once.
        if reached < batch and urged < batch:
            await asyncio.sleep(interval)


async def scan_once(runtime: ServiceRuntime, *, limit: int) -> int:
    """One pass: reach up to `limit` due clocks in one transaction; how many."""
    async with runtime.sessions() as session, session.begin():
        reached = await service.reach_due(
            session=session,
            outbox=runtime.outbox,
            now=runtime.clock.now(),
            limit=limit,
        )
    return len(reached)


async def urge_once(runtime: ServiceRuntime, *, limit: int) -> int:
    """One pass: urge up to `limit` units whose clocks passed an urging point
    (Art. 39), in one transaction; how many."""
    async with runtime.sessions() as session, session.begin():
        urged = await service.urge_due(
            session=session,
            outbox=runtime.outbox,
            now=runtime.clock.now(),
            limit=limit,
        )
    return len(urged)


async def supervise_once(
    runtime: ServiceRuntime, *, listed: date | None = None
) -> date | None:
    """List this week's overdue orders per unit once Monday 09:00 has passed
    (Art. 40); the week now listed, so later passes of the same week (`listed`)
    skip the store."""
    now = runtime.clock.now()
    week = supervision.week_of(now)
    if week == listed or now < supervision.listing_time(week):
        return listed
    async with runtime.sessions() as session, session.begin():
        await supervision.list_week(session=session, outbox=runtime.outbox, now=now)
    return week
