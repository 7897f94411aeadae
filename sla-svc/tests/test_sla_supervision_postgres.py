"""Two replicas list the weekly overdue supervision at the same moment on PostgreSQL
(Art. 40): each unit is listed once, whichever replica gets there first."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common import migrations
from minsheng_common.clock import FixedClock
from minsheng_common.events import EventData
from minsheng_common.runtime import ServiceRuntime
from minsheng_common.timeutil import SHANGHAI
from minsheng_sla import service, watcher
from minsheng_sla.app import MIGRATIONS
from minsheng_sla.models import Supervision
from minsheng_sla.service import SlaContext

Deliver = Callable[[EventData], Awaitable[None]]
Read = Callable[..., Awaitable[Any]]

CREATED = datetime(2026, 12, 4, 16, 30, tzinfo=SHANGHAI)
MONDAY = datetime(2026, 12, 21, 9, 0, tzinfo=SHANGHAI)
UNITS = [f"unit-{number:02d}" for number in range(12)]


@pytest.fixture
def store_url(create_database: Callable[[str], str]) -> str:
    """PostgreSQL only: there replicas really list at the same time."""
    url = create_database("sla_supervision")
    migrations.upgrade(MIGRATIONS, url)
    return url


async def test_sla_two_replicas_list_each_unit_once_a_week(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    make_runtime: Callable[..., ServiceRuntime],
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
    clock: FixedClock,
    read_staged: Read,
) -> None:
    for number, unit in enumerate(UNITS * 2):
        event = make_dispatched(f"wo-{number}", created_at=CREATED)
        await deliver(event.model_copy(update={"unit_id": unit}))
    async with sessions() as session, session.begin():
        await service.reach_due(
            session=session,
            outbox=context.outbox,
            now=CREATED + timedelta(days=14),
            limit=100,
        )
    replicas = [make_runtime() for _ in range(3)]
    clock.advance(MONDAY - clock.now())

    weeks = await asyncio.gather(*(watcher.supervise_once(r) for r in replicas))

    assert weeks == [date(2026, 12, 21)] * 3
    listed = await read_staged("supervision.overdue_listed")
    assert sorted(event["data"]["unit_id"] for event in listed) == UNITS
    assert {len(event["data"]["orders"]) for event in listed} == {2}
    async with sessions() as session:
        recorded = await session.scalar(select(func.count()).select_from(Supervision))
    assert recorded == len(UNITS)
