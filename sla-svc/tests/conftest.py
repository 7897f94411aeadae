"""SLA's stores (a SQLite file and a PostgreSQL database: every store test runs on
both), the calendar and rules it runs on, and builders of dispatch's events.

Helpers are fixtures because test modules cannot import this file.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common import db, migrations, working_calendar
from minsheng_common.auth.provisioning import add_key
from minsheng_common.auth.roles import Role
from minsheng_common.bus.outbox import Outbox
from minsheng_common.bus.tables import outbox
from minsheng_common.clock import FixedClock, SharedClock
from minsheng_common.devstack.broker import free_port
from minsheng_common.events import (
    AcceptanceNoticeRequested,
    EventData,
    TopicNames,
    WorkOrderDispatched,
    WorkOrderSigned,
    seal,
)
from minsheng_common.reference import load_reference
from minsheng_common.rules import AppealType, RuleBook, load_rule_book
from minsheng_common.runtime import ServiceRuntime
from minsheng_common.timeutil import SHANGHAI
from minsheng_sla.app import MIGRATIONS, create_app
from minsheng_sla.consumers import NoticeEvents, WorkOrderEvents
from minsheng_sla.models import Deadline
from minsheng_sla.service import SlaContext
from minsheng_sla.settings import SlaSettings

UNIT = "pingshan-urban-management"
OTHER_UNIT = "pingshan-water-affairs"
# Friday 2026-12-04, half an hour before the end of the working day.
FRIDAY_AFTERNOON = datetime(2026, 12, 4, 17, 30, tzinfo=SHANGHAI)


@pytest.fixture(scope="session")
def calendar() -> working_calendar.WorkingCalendar:
    """The calendar as the service builds it: official years, reference hours."""
    return working_calendar.default_calendar(load_reference().hours())


@pytest.fixture(scope="session")
def rules() -> RuleBook:
    return load_rule_book()


@pytest.fixture
def make_dispatched(rules: RuleBook) -> Callable[..., WorkOrderDispatched]:
    def make(
        work_order_id: str = "wo-1",
        *,
        created_at: datetime,
        dispatched_at: datetime | None = None,
        appeal_type: AppealType = "complaint",
        **extra: Any,
    ) -> WorkOrderDispatched:
        return WorkOrderDispatched(
            work_order_id=work_order_id,
            appeal_id=f"appeal-of-{work_order_id}",
            tracking_code="MS20261204000001",
            unit_id=UNIT,
            appeal_type=appeal_type,
            filed_at=created_at,
            created_at=created_at,
            dispatched_at=dispatched_at or created_at,
            route_basis="category",
            rules_edition=rules.in_force(created_at).id,
            **extra,
        )

    return make


@pytest.fixture
def make_signed() -> Callable[..., WorkOrderSigned]:
    def make(
        work_order_id: str = "wo-1", *, at: datetime, mode: str = "manual"
    ) -> WorkOrderSigned:
        return WorkOrderSigned(
            work_order_id=work_order_id,
            appeal_id=f"appeal-of-{work_order_id}",
            unit_id=UNIT,
            signed_at=at,
            mode=mode,  # type: ignore[arg-type]
            signed_by="clerk-7" if mode == "manual" else None,
        )

    return make


@pytest.fixture
def make_notice_request() -> Callable[..., AcceptanceNoticeRequested]:
    def make(work_order_id: str = "wo-1", *, at: datetime) -> AcceptanceNoticeRequested:
        return AcceptanceNoticeRequested(
            request_id=f"notice-of-{work_order_id}",
            work_order_id=work_order_id,
            appeal_id=f"appeal-of-{work_order_id}",
            unit_id=UNIT,
            tracking_code="MS20261204000001",
            accepted=True,
            message="您的诉求已受理。",
            requested_at=at,
            requested_by="clerk-7",
        )

    return make


@pytest.fixture
def api_keys(tmp_path: Path) -> dict[str, str]:
    """A key for every role, by role name (the unit's key is UNIT's), and
    "other-unit" for a key of OTHER_UNIT, in the credentials file of an app whose
    data folder is `tmp_path`.

    An app re-reads that file at most once a second, so tests ask for this fixture
    before the app starts.
    """
    path = tmp_path / "credentials.json"
    keys = {
        role.value: add_key(
            path,
            name=f"{role.value} key",
            role=role,
            unit_id=UNIT if role is Role.UNIT else None,
            channel_id="wechat" if role is Role.CHANNEL else None,
        )
        for role in Role
    }
    keys["other-unit"] = add_key(
        path, name="other unit key", role=Role.UNIT, unit_id=OTHER_UNIT
    )
    return keys


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty store of each kind."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'sla.db'}"
    else:
        create_database: Callable[[str], str] = request.getfixturevalue(
            "create_database"
        )
        url = create_database("sla")
    migrations.upgrade(MIGRATIONS, url)
    return url


@pytest.fixture
async def sessions(store_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = db.make_engine(store_url)
    yield db.make_sessions(engine)
    await engine.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(FRIDAY_AFTERNOON)


@pytest.fixture
def context(
    calendar: working_calendar.WorkingCalendar, rules: RuleBook, clock: FixedClock
) -> SlaContext:
    return SlaContext(
        calendar=calendar,
        rules=rules,
        outbox=Outbox(producer="sla", topics=TopicNames(), clock=clock),
        clock=clock,
    )


@pytest.fixture
def deliver(
    sessions: async_sessionmaker[AsyncSession], context: SlaContext
) -> Callable[..., Awaitable[None]]:
    """Apply one event as the consumer loop does: its handler in one transaction.

    `event_id` gives the envelope a chosen id, to deliver the very same event twice
    (as a redelivery the inbox missed would).
    """
    handlers = {
        **WorkOrderEvents(context).handlers(),
        **NoticeEvents(context).handlers(),
    }

    async def apply(data: EventData, *, event_id: str | None = None) -> None:
        envelope = seal(data, producer="dispatch", occurred_at=context.clock.now())
        if event_id is not None:
            envelope = envelope.model_copy(update={"event_id": event_id})
        async with sessions() as session, session.begin():
            await handlers[envelope.type](session, envelope, data)

    return apply


@pytest.fixture
def read_deadlines(
    sessions: async_sessionmaker[AsyncSession],
) -> Callable[..., Awaitable[dict[str, Deadline]]]:
    """A work order's clocks by kind."""

    async def read(work_order_id: str = "wo-1") -> dict[str, Deadline]:
        async with sessions() as session:
            rows = await session.scalars(
                select(Deadline).where(Deadline.work_order_id == work_order_id)
            )
            return {row.kind: row for row in rows}

    return read


@pytest.fixture
def read_staged(
    sessions: async_sessionmaker[AsyncSession],
) -> Callable[..., Awaitable[list[dict[str, Any]]]]:
    """Envelopes in the outbox, oldest first, optionally of one type."""

    async def read(event_type: str | None = None) -> list[dict[str, Any]]:
        query = select(outbox.c.payload).order_by(outbox.c.id)
        if event_type is not None:
            query = query.where(outbox.c.event_type == event_type)
        async with sessions() as session:
            rows = await session.execute(query)
            return [json.loads(row.payload) for row in rows]

    return read


@pytest.fixture
def eventually() -> Callable[..., Awaitable[None]]:
    """Wait until a check holds, polling; fail after `within` seconds."""

    async def wait(
        check: Callable[[], Awaitable[bool]], *, within: float = 10.0
    ) -> None:
        limit = time.monotonic() + within
        while not await check():
            if time.monotonic() > limit:
                raise AssertionError(f"condition not met within {within}s")
            await asyncio.sleep(0.02)

    return wait


@pytest.fixture
async def make_runtime(
    store_url: str, tmp_path: Path, clock: FixedClock
) -> AsyncIterator[Callable[..., ServiceRuntime]]:
    """SLA's runtime on the test store, not started (no broker), reading "now" from
    the test's FixedClock."""
    built: list[ServiceRuntime] = []

    def make(*, scan_batch_size: int = 100) -> ServiceRuntime:
        settings = SlaSettings(
            database_url=store_url,
            data_dir=tmp_path,
            kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
            environment="test",
            scan_interval_ms=10,
            scan_batch_size=scan_batch_size,
        )
        runtime: ServiceRuntime = create_app(settings).state.runtime
        runtime.clock = clock
        built.append(runtime)
        return runtime

    yield make
    for runtime in built:
        await runtime.engine.dispose()


StartApp = Callable[..., AbstractAsyncContextManager[FastAPI]]


@pytest.fixture
def start_app(store_url: str, tmp_path: Path, api_keys: dict[str, str]) -> StartApp:
    """Runs the sla application on the test store, with every role's key and the
    demo clock; no broker, so the relay never connects. `scan_interval_ms` sets how
    often the watcher looks (long when a test reaches clocks itself)."""

    @asynccontextmanager
    async def start(
        clock: SharedClock, *, scan_interval_ms: int
    ) -> AsyncIterator[FastAPI]:
        settings = SlaSettings(
            database_url=store_url,
            data_dir=tmp_path,
            kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
            environment="test",
            clock_file=clock.path,
            scan_interval_ms=scan_interval_ms,
        )
        application = create_app(settings)
        async with application.router.lifespan_context(application):
            yield application

    return start
