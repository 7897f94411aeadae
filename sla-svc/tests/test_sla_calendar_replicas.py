"""Every replica counts on the stored calendar (rules.md §11), on SQLite and
PostgreSQL: the package's years are seeded once at start, a year loaded on one
replica reaches the others, and a clock a replica counted on the old calendar
meanwhile is recounted a look later."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from minsheng_common import working_calendar
from minsheng_common.bus.tables import outbox
from minsheng_common.clock import FixedClock
from minsheng_common.devstack.broker import free_port
from minsheng_common.events import EventData, seal
from minsheng_common.runtime import ServiceRuntime
from minsheng_common.timeutil import SHANGHAI
from minsheng_sla import calendar_admin, calendar_store, calendar_watch
from minsheng_sla.app import create_app
from minsheng_sla.calendar_admin import NamedDay, Schedule
from minsheng_sla.calendar_errors import CalendarVersionConflict
from minsheng_sla.calendar_live import LiveCalendar
from minsheng_sla.consumers import WorkOrderEvents
from minsheng_sla.models import Deadline
from minsheng_sla.settings import SlaSettings

NOW = datetime(2026, 12, 28, 15, 0, tzinfo=SHANGHAI)
# Created on Thursday 31 December 2026: seven working days reach into 2027.
CREATED = datetime(2026, 12, 31, 17, 0, tzinfo=SHANGHAI)

# Illustrative, not the State Council's: 1-3 January off, Saturday 9 January worked.
SCHEDULE_2027 = Schedule(
    year=2027,
    holidays=tuple(NamedDay(date(2027, 1, day), "元旦") for day in (1, 2, 3)),
    makeup_workdays=(NamedDay(date(2027, 1, 9), "元旦"),),
)


@dataclass
class Replica:
    """One sla process: its runtime, its calendar and its consumer's handlers."""

    app: FastAPI
    runtime: ServiceRuntime
    live: LiveCalendar

    async def start(self) -> None:
        """What the app does at start, before its consumers run."""
        await calendar_watch.on_start(self.live)(self.runtime)

    async def apply(self, data: EventData) -> None:
        handlers = WorkOrderEvents(self.app.state.context).handlers()
        envelope = seal(data, producer="dispatch", occurred_at=NOW)
        async with self.runtime.sessions() as session, session.begin():
            await handlers[envelope.type](session, envelope, data)

    async def load(self, schedule: Schedule) -> calendar_admin.Loaded:
        async with self.runtime.sessions() as session:
            return await calendar_admin.load_year(
                session=session,
                live=self.live,
                outbox=self.runtime.outbox,
                now=NOW,
                schedule=schedule,
                base_version=None,
                loaded_by="supervisor:test",
            )

    async def handling(self, work_order_id: str) -> Deadline:
        async with self.runtime.sessions() as session:
            row = await session.scalar(
                select(Deadline).where(
                    Deadline.work_order_id == work_order_id,
                    Deadline.kind == "handling",
                )
            )
        assert row is not None
        return row

    async def announced(self, deadline_id: str) -> list[dict[str, Any]]:
        async with self.runtime.sessions() as session:
            rows = await session.execute(
                select(outbox.c.payload)
                .where(outbox.c.event_type == "deadline.set")
                .order_by(outbox.c.id)
            )
        sets = [json.loads(row.payload)["data"] for row in rows]
        return [event for event in sets if event["deadline_id"] == deadline_id]


@pytest.fixture
async def replicas(
    store_url: str, tmp_path: Path
) -> AsyncIterator[Callable[[], Replica]]:
    """Builds sla replicas on one store, not started (no broker, no loops)."""
    built: list[Replica] = []

    def make() -> Replica:
        settings = SlaSettings(
            database_url=store_url,
            data_dir=tmp_path,
            kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
            environment="test",
        )
        app = create_app(settings)
        runtime: ServiceRuntime = app.state.runtime
        runtime.clock = FixedClock(NOW)
        replica = Replica(app=app, runtime=runtime, live=app.state.calendar)
        built.append(replica)
        return replica

    yield make
    for replica in built:
        await replica.runtime.engine.dispose()


async def test_sla_calendar_the_package_years_are_seeded_once(
    replicas: Callable[[], Replica],
) -> None:
    first, second = replicas(), replicas()

    await first.start()
    await second.start()

    async with first.runtime.sessions() as session:
        years = await calendar_store.years_loaded(session)
        versions = await calendar_store.versions_of(session, 2026)
    assert set(working_calendar.chinese_calendar_schedules()) == years
    assert [(row.version, row.source) for row in versions] == [(1, "chinese-calendar")]
    assert first.live.stamp == second.live.stamp > 0


async def test_sla_calendar_a_year_loaded_on_one_replica_reaches_the_other(
    replicas: Callable[[], Replica],
    make_dispatched: Callable[..., EventData],
) -> None:
    loader, other = replicas(), replicas()
    await loader.start()
    await other.start()

    await loader.load(SCHEDULE_2027)
    # The other replica has not looked yet: it still counts 2027 as guessed and
    # starts a clock on it, after the loader recounted the open ones.
    assert not other.live.calendar.is_official(2027)
    await other.apply(make_dispatched("wo-late", created_at=CREATED))
    stale = await other.handling("wo-late")
    assert (stale.due_at, stale.provisional) == (
        datetime(2027, 1, 12, 18, 0, tzinfo=SHANGHAI),
        True,
    )

    assert await calendar_watch.follow_once(other.runtime, other.live) == set()
    assert other.live.calendar.is_official(2027)
    # The next look recounts what was counted on the old calendar meanwhile.
    assert await calendar_watch.follow_once(other.runtime, other.live) == {2027}

    recounted = await other.handling("wo-late")
    assert recounted.due_at == datetime(2027, 1, 11, 18, 0, tzinfo=SHANGHAI)
    assert recounted.provisional is False
    sets = await other.announced(recounted.id)
    assert [event["provisional"] for event in sets] == [True, False]
    # The loader's own look later finds nothing left to move.
    await calendar_watch.follow_once(loader.runtime, loader.live)
    assert await calendar_watch.follow_once(loader.runtime, loader.live) == {2027}
    assert len(await other.announced(recounted.id)) == 2


async def test_sla_calendar_a_replica_started_later_counts_on_the_stored_years(
    replicas: Callable[[], Replica],
    make_dispatched: Callable[..., EventData],
) -> None:
    loader = replicas()
    await loader.start()
    await loader.load(SCHEDULE_2027)

    late = replicas()
    await late.start()
    await late.apply(make_dispatched("wo-1", created_at=CREATED))

    handling = await late.handling("wo-1")
    assert handling.due_at == datetime(2027, 1, 11, 18, 0, tzinfo=SHANGHAI)
    assert handling.provisional is False
    assert late.live.calendar.official[2027].source == "center v1"


async def test_sla_calendar_a_package_with_a_new_year_recounts_provisional_clocks(
    replicas: Callable[[], Replica],
    make_dispatched: Callable[..., EventData],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A newer `chinese-calendar` that knows 2027 is seeded at the next start, and
    the clocks counted on the guessed 2027 are recounted."""
    before = replicas()
    await before.start()
    await before.apply(make_dispatched("wo-1", created_at=CREATED))
    assert (await before.handling("wo-1")).provisional is True

    schedules = working_calendar.chinese_calendar_schedules()
    schedules[2027] = (
        {day.day: day.name for day in SCHEDULE_2027.holidays},
        {day.day: day.name for day in SCHEDULE_2027.makeup_workdays},
    )
    monkeypatch.setattr(
        working_calendar, "chinese_calendar_schedules", lambda: schedules
    )
    after = replicas()
    await after.start()

    handling = await after.handling("wo-1")
    assert handling.due_at == datetime(2027, 1, 11, 18, 0, tzinfo=SHANGHAI)
    assert handling.provisional is False
    async with after.runtime.sessions() as session:
        [seeded] = await calendar_store.versions_of(session, 2027)
    # Both its clocks touched 2027: the handling moved, the sign-off stopped
    # being provisional.
    assert (seeded.source, seeded.recomputed) == ("chinese-calendar", 2)
    assert after.live.calendar.is_official(2027)


async def test_sla_calendar_a_failed_load_leaves_the_live_calendar_alone(
    replicas: Callable[[], Replica],
) -> None:
    replica = replicas()
    await replica.start()
    await replica.load(SCHEDULE_2027)

    with pytest.raises(CalendarVersionConflict):
        async with replica.runtime.sessions() as session:
            await calendar_admin.load_year(
                session=session,
                live=replica.live,
                outbox=replica.runtime.outbox,
                now=NOW,
                schedule=Schedule(
                    year=2027, holidays=SCHEDULE_2027.holidays[:1], makeup_workdays=()
                ),
                base_version=0,
                loaded_by="supervisor:test",
            )

    assert replica.live.calendar.official[2027].makeup_workdays == {date(2027, 1, 9)}
