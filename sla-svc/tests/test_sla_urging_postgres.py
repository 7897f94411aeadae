"""Urging with several watchers on PostgreSQL (Art. 39): each step of each clock is
sent once, and both the claim of due clocks and the claim of urgings find their
batch through an index, never by reading the whole table."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.dml import ReturningUpdate

from minsheng_common import migrations
from minsheng_common.clock import FixedClock
from minsheng_common.events import EventData
from minsheng_common.runtime import ServiceRuntime
from minsheng_common.timeutil import SHANGHAI
from minsheng_sla import repository, watcher
from minsheng_sla.app import MIGRATIONS

Deliver = Callable[[EventData], Awaitable[None]]
Read = Callable[..., Awaitable[Any]]

CREATED = datetime(2026, 12, 4, 16, 30, tzinfo=SHANGHAI)
HALF = datetime(2026, 12, 10, 14, 30, tzinfo=SHANGHAI)
TWO_THIRDS = datetime(2026, 12, 11, 15, 40, tzinfo=SHANGHAI)
DUE = datetime(2026, 12, 15, 18, 0, tzinfo=SHANGHAI)
SEEDED = 60_000


@pytest.fixture
def store_url(create_database: Callable[[str], str]) -> str:
    """PostgreSQL only: SQLite has one writer and no row locks to skip."""
    url = create_database("sla_urging")
    migrations.upgrade(MIGRATIONS, url)
    return url


async def seed(sessions: async_sessionmaker[AsyncSession], count: int) -> None:
    """`count` clocks over two months around CREATED: nine in ten pending, the
    rest met; handling clocks with urging points. Written by the store itself."""
    async with sessions() as session, session.begin():
        await session.execute(
            text(
                """
                WITH origin AS (SELECT CAST(:start AS timestamptz) AS start)
                INSERT INTO deadlines (
                    id, work_order_id, appeal_id, unit_id, kind, starts_at, due_at,
                    provisional, article, period, rules_edition, status,
                    urge_half_at, urge_two_thirds_at, next_urge_at, urged_level
                )
                SELECT
                    'seed-' || n, 'seed-wo-' || n, 'seed-ap-' || n,
                    'unit-' || (n % 40),
                    CASE WHEN n % 2 = 0 THEN 'handling' ELSE 'sign_off' END,
                    start, start + (n % 86400) * interval '1 minute',
                    false, 'Art. 15', '7 working days', 'measures-v4',
                    CASE WHEN n % 10 = 0 THEN 'met' ELSE 'pending' END,
                    CASE WHEN n % 2 = 0
                        THEN start + (n % 86400) * interval '30 seconds' END,
                    CASE WHEN n % 2 = 0
                        THEN start + (n % 86400) * interval '40 seconds' END,
                    CASE WHEN n % 2 = 0
                        THEN start + (n % 86400) * interval '30 seconds' END,
                    0
                FROM origin, generate_series(1, :count) AS n
                """
            ),
            {"start": CREATED - timedelta(days=20), "count": count},
        )
        await session.execute(text("ANALYZE deadlines"))


async def plan_of(session: AsyncSession, statement: ReturningUpdate) -> str:
    """PostgreSQL's plan of a claim statement exactly as the watcher sends it."""
    connection = await session.connection()
    compiled = statement.compile(dialect=connection.dialect)
    params = compiled.construct_params()
    values = tuple(params[name] for name in compiled.positiontup or ())
    result = await connection.exec_driver_sql(f"EXPLAIN {compiled}", values)
    return "\n".join(row[0] for row in result)


@pytest.mark.parametrize(
    ("build", "index"),
    [
        (repository.due_claim, "ix_deadlines_status_due_at"),
        (repository.urging_claim, "ix_deadlines_status_next_urge_at"),
    ],
)
async def test_sla_claims_read_an_index_not_the_whole_table(
    sessions: async_sessionmaker[AsyncSession],
    build: Callable[..., ReturningUpdate],
    index: str,
) -> None:
    """Art. 39 at scale: with sequential scans allowed, the planner takes the
    clocks to reach or urge through their index."""
    await seed(sessions, SEEDED)

    async with sessions() as session:
        enabled = await session.scalar(text("SHOW enable_seqscan"))
        plan = await plan_of(
            session, build(now=CREATED, limit=100, dialect="postgresql")
        )

    assert enabled == "on"
    assert "Seq Scan" not in plan, plan
    assert index in plan, plan
    assert "LockRows" in plan, plan


async def test_sla_an_urging_claimed_by_one_watcher_is_skipped_by_another(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Art. 39: FOR UPDATE SKIP LOCKED gives two watchers disjoint urgings."""
    for number in range(5):
        await deliver(make_dispatched(f"wo-{number}", created_at=CREATED))

    async with sessions() as first, first.begin():
        claimed_first = await repository.claim_urgings(first, now=HALF, limit=3)
        async with sessions() as second, second.begin():
            claimed_second = await asyncio.wait_for(
                repository.claim_urgings(second, now=HALF, limit=10), timeout=5
            )

    first_ids = {row.id for row in claimed_first}
    second_ids = {row.id for row in claimed_second}
    assert (len(first_ids), len(second_ids)) == (3, 2)
    assert first_ids.isdisjoint(second_ids)
    assert {row.urged_level for row in [*claimed_first, *claimed_second]} == {1}


async def test_sla_two_watchers_urge_each_step_of_each_clock_once(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    make_runtime: Callable[..., ServiceRuntime],
    clock: FixedClock,
    read_staged: Read,
    eventually: Callable[..., Awaitable[None]],
) -> None:
    """Art. 39: two replicas, 30 orders, three steps: 90 urgings, none twice."""
    orders = [f"wo-{number}" for number in range(30)]
    for order in orders:
        await deliver(make_dispatched(order, created_at=CREATED))
    replicas = [make_runtime(scan_batch_size=4) for _ in range(2)]

    async def urged(count: int) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            return len(await read_staged("deadline.urged")) >= count

        return check

    tasks = [asyncio.create_task(watcher.watch_deadlines(r)) for r in replicas]
    try:
        for moment, count in ((HALF, 30), (TWO_THIRDS, 60), (DUE, 90)):
            clock.advance(moment - clock.now())
            await eventually(await urged(count), within=20)
        assert [await watcher.urge_once(r, limit=4) for r in replicas] == [0, 0]
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    sent = [
        (event["data"]["work_order_id"], event["data"]["step"])
        for event in await read_staged("deadline.urged")
    ]
    assert len(sent) == len(set(sent)) == 90
    assert Counter(step for _, step in sent) == {
        "half": 30,
        "two_thirds": 30,
        "overdue": 30,
    }
