"""The watcher reaches a clock once its due time has passed on the runtime's clock,
exactly once, and never a clock already met (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common.clock import FixedClock
from minsheng_common.events import EventData
from minsheng_common.runtime import ServiceRuntime
from minsheng_common.timeutil import SHANGHAI
from minsheng_sla import service, watcher
from minsheng_sla.service import SlaContext

Deliver = Callable[[EventData], Awaitable[None]]
Read = Callable[..., Awaitable[Any]]

DISPATCHED = datetime(2026, 12, 4, 17, 0, tzinfo=SHANGHAI)
SIGN_OFF_DUE = datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)


@contextlib.asynccontextmanager
async def watching(runtime: ServiceRuntime) -> AsyncIterator[None]:
    """Run the watcher loop for the duration of the block."""
    task = asyncio.create_task(watcher.watch_deadlines(runtime))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_sla_watcher_reaches_a_due_deadline_exactly_once(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    make_runtime: Callable[..., ServiceRuntime],
    clock: FixedClock,
    read_deadlines: Read,
    read_staged: Read,
    eventually: Callable[..., Awaitable[None]],
) -> None:
    await deliver(make_dispatched(created_at=DISPATCHED))
    runtime = make_runtime()

    async def sign_off_reached() -> bool:
        return bool((await read_deadlines())["sign_off"].status == "reached")

    async with watching(runtime):
        assert await watcher.scan_once(runtime, limit=10) == 0
        clock.advance(SIGN_OFF_DUE - clock.now())
        await eventually(sign_off_reached)
        clock.advance(timedelta(hours=1))
        assert await watcher.scan_once(runtime, limit=10) == 0

    clocks = await read_deadlines()
    assert clocks["sign_off"].reached_at == SIGN_OFF_DUE
    assert clocks["handling"].status == "pending"
    [reached] = await read_staged("deadline.reached")
    assert reached["data"]["deadline_id"] == clocks["sign_off"].id
    assert reached["data"]["kind"] == "sign_off"
    assert datetime.fromisoformat(reached["data"]["reached_at"]) == SIGN_OFF_DUE
    assert reached["key"] == "appeal-of-wo-1"


async def test_sla_watcher_leaves_a_deadline_met_before_it_was_due(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    make_signed: Callable[..., Any],
    make_runtime: Callable[..., ServiceRuntime],
    clock: FixedClock,
    read_deadlines: Read,
    read_staged: Read,
) -> None:
    await deliver(make_dispatched(created_at=DISPATCHED))
    await deliver(make_signed(at=DISPATCHED + timedelta(minutes=20)))
    runtime = make_runtime()

    clock.advance(SIGN_OFF_DUE - clock.now() + timedelta(minutes=1))
    reached = await watcher.scan_once(runtime, limit=10)

    assert reached == 0
    assert (await read_deadlines())["sign_off"].status == "met"
    assert await read_staged("deadline.reached") == []


async def test_sla_watcher_takes_every_due_deadline_in_batches(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    make_runtime: Callable[..., ServiceRuntime],
    clock: FixedClock,
    read_staged: Read,
    eventually: Callable[..., Awaitable[None]],
) -> None:
    for number in range(7):
        await deliver(make_dispatched(f"wo-{number}", created_at=DISPATCHED))
    runtime = make_runtime(scan_batch_size=2)

    # Past every handling deadline too: 14 clocks, 2 per transaction.
    clock.advance(timedelta(days=30))

    async def all_reached() -> bool:
        return len(await read_staged("deadline.reached")) >= 14

    async with watching(runtime):
        await eventually(all_reached)

    reached = [event["data"]["deadline_id"] for event in await read_staged()]
    reached_ids = [
        event["data"]["deadline_id"] for event in await read_staged("deadline.reached")
    ]
    assert len(reached_ids) == len(set(reached_ids)) == 14
    assert set(reached_ids) <= set(reached)


@pytest.mark.parametrize("batch", [1, 50])
async def test_sla_scan_once_reaches_no_more_than_its_batch(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    make_runtime: Callable[..., ServiceRuntime],
    clock: FixedClock,
    batch: int,
) -> None:
    for number in range(3):
        await deliver(make_dispatched(f"wo-{number}", created_at=DISPATCHED))
    runtime = make_runtime()
    clock.advance(SIGN_OFF_DUE - clock.now())

    assert await watcher.scan_once(runtime, limit=batch) == min(batch, 3)


async def test_sla_reaching_and_its_announcement_are_one_transaction(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
    read_deadlines: Read,
    read_staged: Read,
) -> None:
    await deliver(make_dispatched(created_at=DISPATCHED))

    with pytest.raises(RuntimeError, match="crash"):
        async with sessions() as session, session.begin():
            reached = await service.reach_due(
                session=session, outbox=context.outbox, now=SIGN_OFF_DUE, limit=10
            )
            assert len(reached) == 1
            raise RuntimeError("crash before commit")

    assert (await read_deadlines())["sign_off"].status == "pending"
    assert await read_staged("deadline.reached") == []
