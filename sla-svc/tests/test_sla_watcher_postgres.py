"""Several watchers at once on PostgreSQL: `FOR UPDATE SKIP LOCKED` gives each a
different batch, and every deadline is reached exactly once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common import migrations
from minsheng_common.clock import FixedClock
from minsheng_common.events import EventData
from minsheng_common.runtime import ServiceRuntime
from minsheng_common.timeutil import SHANGHAI
from minsheng_sla import repository, watcher
from minsheng_sla.app import MIGRATIONS

Deliver = Callable[[EventData], Awaitable[None]]
Read = Callable[..., Awaitable[Any]]

DISPATCHED = datetime(2026, 12, 4, 17, 0, tzinfo=SHANGHAI)


@pytest.fixture
def store_url(create_database: Callable[[str], str]) -> str:
    """PostgreSQL only: SQLite has one writer and no row locks to skip."""
    url = create_database("sla_watchers")
    migrations.upgrade(MIGRATIONS, url)
    return url


async def test_sla_a_batch_claimed_by_one_watcher_is_skipped_by_another(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    for number in range(3):
        await deliver(make_dispatched(f"wo-{number}", created_at=DISPATCHED))
    now = DISPATCHED + timedelta(days=30)

    async with sessions() as first, first.begin():
        claimed_first = await repository.claim_due(first, now=now, limit=4)
        # The first transaction still holds its rows: the second neither waits for
        # them nor takes them.
        async with sessions() as second, second.begin():
            claimed_second = await asyncio.wait_for(
                repository.claim_due(second, now=now, limit=10), timeout=5
            )

    first_ids = {row.id for row in claimed_first}
    second_ids = {row.id for row in claimed_second}
    assert len(first_ids) == 4
    assert len(second_ids) == 2
    assert first_ids.isdisjoint(second_ids)


async def test_sla_two_watchers_reach_each_deadline_once(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    make_runtime: Callable[..., ServiceRuntime],
    clock: FixedClock,
    read_staged: Read,
    read_deadlines: Read,
    eventually: Callable[..., Awaitable[None]],
) -> None:
    orders = [f"wo-{number}" for number in range(30)]
    for order in orders:
        await deliver(make_dispatched(order, created_at=DISPATCHED))
    replicas = [make_runtime(scan_batch_size=3) for _ in range(2)]
    clock.advance(timedelta(days=30))

    async def all_reached() -> bool:
        return len(await read_staged("deadline.reached")) >= 2 * len(orders)

    tasks = [asyncio.create_task(watcher.watch_deadlines(r)) for r in replicas]
    try:
        await eventually(all_reached, within=20)
        # Let both look once more at a store with nothing left to reach.
        assert [await watcher.scan_once(r, limit=3) for r in replicas] == [0, 0]
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    reached = [e["data"]["deadline_id"] for e in await read_staged("deadline.reached")]
    assert len(reached) == len(set(reached)) == 2 * len(orders)
    for order in orders:
        clocks = await read_deadlines(order)
        assert {clock.status for clock in clocks.values()} == {"reached"}


async def test_sla_a_deadline_being_met_is_skipped_by_the_watcher(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await deliver(make_dispatched(created_at=DISPATCHED))
    now = DISPATCHED + timedelta(days=30)

    async with sessions() as consumer, consumer.begin():
        # A consumer applying the signature holds the sign-off row.
        sign_off = await repository.by_kind(
            consumer, "wo-1", "sign_off", for_update=True
        )
        async with sessions() as scan, scan.begin():
            claimed = await asyncio.wait_for(
                repository.claim_due(scan, now=now, limit=10), timeout=5
            )

    assert sign_off is not None
    assert [row.kind for row in claimed] == ["handling"]
