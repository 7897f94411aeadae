"""The alert while next year's official schedule is missing (calendar.year_missing,
rules.md §11): from 1 November in Asia/Shanghai, at most once a day however many
replicas look, with how many open deadlines are provisional; on SQLite and
PostgreSQL, reading "now" from the service clock."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from minsheng_common import working_calendar
from minsheng_common.bus.tables import outbox
from minsheng_common.clock import FixedClock, SharedClock
from minsheng_common.devstack.broker import free_port
from minsheng_common.events import EventData, seal
from minsheng_common.runtime import ServiceRuntime
from minsheng_common.timeutil import SHANGHAI
from minsheng_sla import calendar_admin, calendar_watch
from minsheng_sla.app import create_app
from minsheng_sla.calendar_admin import NamedDay, Schedule
from minsheng_sla.calendar_live import LiveCalendar
from minsheng_sla.consumers import WorkOrderEvents
from minsheng_sla.settings import SlaSettings

# 1 November 2026, 00:00 in Shanghai, is still 31 October in UTC.
FIRST_OF_NOVEMBER = datetime(2026, 10, 31, 16, 0, tzinfo=UTC)


def settings_for(store_url: str, tmp_path: Path, **extra: Any) -> SlaSettings:
    return SlaSettings(
        database_url=store_url,
        data_dir=tmp_path,
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        environment="test",
        **extra,
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(FIRST_OF_NOVEMBER - timedelta(seconds=1))


@pytest.fixture
async def replica(
    store_url: str, tmp_path: Path, clock: FixedClock
) -> AsyncIterator[FastAPI]:
    """sla on the test store, prepared as at start but with no loops running."""
    app = create_app(settings_for(store_url, tmp_path))
    runtime: ServiceRuntime = app.state.runtime
    runtime.clock = clock
    await calendar_watch.on_start(app.state.calendar)(runtime)
    yield app
    await runtime.engine.dispose()


@pytest.fixture
def check(replica: FastAPI) -> Callable[[], Awaitable[int]]:
    async def once() -> int:
        return await calendar_watch.check_years_once(
            replica.state.runtime, replica.state.calendar
        )

    return once


@pytest.fixture
def alerts(replica: FastAPI) -> Callable[[], Awaitable[list[dict[str, Any]]]]:
    """The calendar.year_missing events in the outbox, oldest first."""

    async def read() -> list[dict[str, Any]]:
        async with replica.state.runtime.sessions() as session:
            rows = await session.execute(
                select(outbox.c.payload)
                .where(outbox.c.event_type == "calendar.year_missing")
                .order_by(outbox.c.id)
            )
        return [json.loads(row.payload)["data"] for row in rows]

    return read


@pytest.fixture
def apply(replica: FastAPI) -> Callable[[EventData], Awaitable[None]]:
    handlers = WorkOrderEvents(replica.state.context).handlers()
    runtime: ServiceRuntime = replica.state.runtime

    async def deliver(data: EventData) -> None:
        envelope = seal(data, producer="dispatch", occurred_at=runtime.clock.now())
        async with runtime.sessions() as session, session.begin():
            await handlers[envelope.type](session, envelope, data)

    return deliver


async def test_sla_calendar_no_alert_before_1_november(
    check: Callable[[], Awaitable[int]],
    alerts: Callable[[], Awaitable[list[dict[str, Any]]]],
) -> None:
    assert await check() == 0
    assert await alerts() == []


async def test_sla_calendar_from_1_november_shanghai_next_year_missing_is_raised(
    check: Callable[[], Awaitable[int]],
    alerts: Callable[[], Awaitable[list[dict[str, Any]]]],
    apply: Callable[[EventData], Awaitable[None]],
    make_dispatched: Callable[..., EventData],
    clock: FixedClock,
) -> None:
    # Two complaints reaching into 2027 (their sign-off and handling clocks are
    # provisional), one that does not.
    for work_order_id in ("wo-1", "wo-2"):
        await apply(
            make_dispatched(
                work_order_id, created_at=datetime(2026, 12, 31, 17, tzinfo=SHANGHAI)
            )
        )
    await apply(make_dispatched("wo-3", created_at=datetime(2026, 12, 1, tzinfo=UTC)))
    clock.advance(timedelta(seconds=1))

    assert await check() == 1

    [alert] = await alerts()
    assert alert["year"] == 2027
    assert alert["provisional_deadlines"] == 4
    assert datetime.fromisoformat(alert["raised_at"]) == FIRST_OF_NOVEMBER


async def test_sla_calendar_the_alert_is_raised_once_a_day_across_replicas(
    check: Callable[[], Awaitable[int]],
    alerts: Callable[[], Awaitable[list[dict[str, Any]]]],
    replica: FastAPI,
    store_url: str,
    tmp_path: Path,
    clock: FixedClock,
) -> None:
    other = create_app(settings_for(store_url, tmp_path))
    other.state.runtime.clock = clock
    clock.advance(timedelta(hours=9))

    raised = [await check(), await check()]
    raised.append(
        await calendar_watch.check_years_once(other.state.runtime, other.state.calendar)
    )
    clock.advance(timedelta(hours=14, minutes=59))  # 23:59 the same day
    raised.append(await check())
    clock.advance(timedelta(minutes=2))  # 2 November
    raised.append(await check())
    await other.state.runtime.engine.dispose()

    assert raised == [1, 0, 0, 0, 1]
    days = [
        datetime.fromisoformat(alert["raised_at"]).astimezone(SHANGHAI).date()
        for alert in await alerts()
    ]
    assert days == [date(2026, 11, 1), date(2026, 11, 2)]


async def test_sla_calendar_no_alert_once_next_year_is_loaded(
    check: Callable[[], Awaitable[int]],
    alerts: Callable[[], Awaitable[list[dict[str, Any]]]],
    replica: FastAPI,
    clock: FixedClock,
) -> None:
    clock.advance(timedelta(days=20))
    live: LiveCalendar = replica.state.calendar
    async with replica.state.runtime.sessions() as session:
        await calendar_admin.load_year(
            session=session,
            live=live,
            outbox=replica.state.runtime.outbox,
            now=clock.now(),
            schedule=Schedule(
                year=2027,
                holidays=(NamedDay(date(2027, 1, 1), "元旦"),),
                makeup_workdays=(),
            ),
            base_version=None,
            loaded_by="supervisor:test",
        )

    assert await check() == 0
    assert await alerts() == []


async def test_sla_calendar_a_current_year_without_a_schedule_is_raised_too(
    check: Callable[[], Awaitable[int]],
    alerts: Callable[[], Awaitable[list[dict[str, Any]]]],
    clock: FixedClock,
) -> None:
    clock.advance(datetime(2027, 3, 1, 9, tzinfo=SHANGHAI) - clock.now())

    assert await check() == 1

    assert [alert["year"] for alert in await alerts()] == [2027]


def test_sla_calendar_missing_years_from_1_november() -> None:
    calendar = working_calendar.default_calendar()

    assert calendar_admin.missing_years(calendar, date(2026, 10, 31)) == []
    assert calendar_admin.missing_years(calendar, date(2026, 11, 1)) == [2027]
    assert calendar_admin.missing_years(calendar, date(2026, 12, 31)) == [2027]
    assert calendar_admin.missing_years(calendar, date(2027, 1, 1)) == [2027]
    assert calendar_admin.missing_years(calendar, date(2027, 11, 1)) == [2027, 2028]


async def test_sla_calendar_the_running_service_raises_the_alert_by_its_clock(
    store_url: str, tmp_path: Path
) -> None:
    shared = SharedClock(tmp_path / "clock.json")
    shared.set_now(datetime(2026, 12, 4, 10, tzinfo=SHANGHAI))
    app = create_app(settings_for(store_url, tmp_path, clock_file=shared.path))

    async with app.router.lifespan_context(app):
        runtime: ServiceRuntime = app.state.runtime
        for _ in range(200):
            async with runtime.sessions() as session:
                rows = (
                    await session.execute(
                        select(outbox.c.payload).where(
                            outbox.c.event_type == "calendar.year_missing"
                        )
                    )
                ).all()
            if rows:
                break
            await asyncio.sleep(0.05)

    [row] = rows
    assert json.loads(row.payload)["data"]["year"] == 2027
