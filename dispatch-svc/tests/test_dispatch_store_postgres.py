"""Dispatch's store on PostgreSQL: migrations, seeding by concurrent replicas, orders
read back with their times, and the sign-off race decided by the conditional UPDATE."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import db, migrations
from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Role
from minsheng_common.events import (
    AppealFiled,
    DeadlineReached,
    DeadlineSet,
    Envelope,
)
from minsheng_common.reference import load_reference
from minsheng_common.rules import load_rule_book
from minsheng_dispatch import repository, seeding, service
from minsheng_dispatch.app import MIGRATIONS
from minsheng_dispatch.consumers import DispatchHandlers
from minsheng_dispatch.errors import AlreadySigned
from minsheng_dispatch.models import RoutingRule, Unit, WorkOrder
from minsheng_dispatch.schemas import SignIn
from minsheng_dispatch.service import DispatchContext

Wrap = Callable[..., Envelope]
# The system of unit cgj (区城市管理和综合执法局), which the sample appeal goes to.
CLERK = Principal(subject="key-cgj", role=Role.UNIT, unit_id="cgj")


@pytest.fixture
async def pg_sessions(
    create_database: Callable[[str], str], store_factory: Callable[[str], Any]
) -> AsyncIterator[Any]:
    # `create_database` runs its own event loop, so it is called from a thread.
    url = await asyncio.to_thread(create_database, "dispatch")
    engine, sessions = await store_factory(url)
    yield sessions
    await engine.dispose()


async def test_dispatch_on_postgres_keeps_aware_times_and_route(
    pg_sessions: Any,
    handlers: DispatchHandlers,
    wrap: Wrap,
    appeal_filed: Callable[..., AppealFiled],
) -> None:
    data = appeal_filed(category_id="environment-water", content="小区内涝严重")

    async with pg_sessions() as session, session.begin():
        await handlers.on_appeal_filed(session, wrap(data), data)
    async with pg_sessions() as session:
        order = await repository.by_appeal(session, data.appeal_id)
        rule = await session.get(RoutingRule, order.route_rule_id if order else None)

    assert order is not None
    assert order.unit_id == "swj"
    assert order.filed_at == data.filed_at
    assert order.filed_at.utcoffset() is not None
    assert order.dispatch_seconds == 900
    assert rule is not None and rule.keyword == "内涝"


async def test_concurrent_replicas_seed_the_store_once(
    create_database: Callable[[str], str],
) -> None:
    url = await asyncio.to_thread(create_database, "dispatch_seed")
    await asyncio.to_thread(migrations.upgrade, MIGRATIONS, url)
    engine = db.make_engine(url)
    sessions = db.make_sessions(engine)
    reference = load_reference()
    valid_from = seeding.seeded_valid_from(load_rule_book())
    try:
        results = await asyncio.gather(
            *(
                seeding.seed(sessions, reference, valid_from=valid_from)
                for _ in range(3)
            )
        )
        async with sessions() as session:
            units = await session.scalar(select(func.count()).select_from(Unit))
            rules = await session.scalar(select(func.count()).select_from(RoutingRule))
    finally:
        await engine.dispose()

    assert sorted(results) == [False, False, True]
    assert units == len(reference.units)
    assert rules == len(seeding.routing_rules(reference, valid_from=valid_from))


async def wait_until_blocked(
    session: AsyncSession, waiter: asyncio.Task[Any], *, within: float = 30.0
) -> None:
    """Poll until another backend of this database waits on a row lock; if
    `waiter`, which should be that backend's, ends first, its outcome is the error."""
    async with asyncio.timeout(within):
        while True:
            if waiter.done():
                waiter.result()
                raise AssertionError("the racing request ended without waiting")
            waiting = await session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            if waiting:
                return
            await asyncio.sleep(0.02)


async def test_manual_sign_racing_the_auto_sign_loses_cleanly(
    pg_sessions: Any,
    handlers: DispatchHandlers,
    context: DispatchContext,
    wrap: Wrap,
    appeal_filed: Callable[..., AppealFiled],
    deadline_reached: Callable[..., DeadlineReached],
) -> None:
    data = appeal_filed()
    async with pg_sessions() as session, session.begin():
        await handlers.on_appeal_filed(session, wrap(data), data)
    async with pg_sessions() as session:
        order = await repository.by_appeal(session, data.appeal_id)
    assert order is not None

    async def manual_sign() -> WorkOrder:
        async with pg_sessions() as session:
            return await service.sign(
                session=session,
                context=context,
                work_order_id=order.id,
                principal=CLERK,
                incoming=SignIn(signed_by="王科员"),
            )

    # The auto-sign holds the row, uncommitted, while the clerk's sign waits on it.
    async with pg_sessions() as auto, auto.begin():
        reached = deadline_reached(order.id)
        await handlers.on_deadline_reached(auto, wrap(reached), reached)
        clerk = asyncio.create_task(manual_sign())
        async with pg_sessions() as observer:
            await wait_until_blocked(observer, clerk)

    with pytest.raises(AlreadySigned):
        await clerk
    async with pg_sessions() as session:
        final = await repository.by_appeal(session, data.appeal_id)
        actions = await repository.actions(session, order.id)
    assert final is not None and final.sign_mode == "auto"
    assert [a.action for a in actions] == ["dispatched", "signed"]


async def test_auto_sign_racing_a_manual_sign_changes_nothing(
    pg_sessions: Any,
    handlers: DispatchHandlers,
    context: DispatchContext,
    wrap: Wrap,
    appeal_filed: Callable[..., AppealFiled],
    deadline_reached: Callable[..., DeadlineReached],
) -> None:
    data = appeal_filed()
    async with pg_sessions() as session, session.begin():
        await handlers.on_appeal_filed(session, wrap(data), data)
    async with pg_sessions() as session:
        order = await repository.by_appeal(session, data.appeal_id)
    assert order is not None

    async def auto_sign() -> None:
        reached = deadline_reached(order.id)
        async with pg_sessions() as session, session.begin():
            await handlers.on_deadline_reached(session, wrap(reached), reached)

    # The clerk's UPDATE holds the row; the auto-sign waits, then finds it signed.
    async with pg_sessions() as clerk:
        signed = await repository.mark_signed(
            clerk,
            order.id,
            signed_at=context.clock.now(),
            mode="manual",
            signed_by="王",
        )
        machine = asyncio.create_task(auto_sign())
        async with pg_sessions() as observer:
            await wait_until_blocked(observer, machine)
        await clerk.commit()
    await machine

    async with pg_sessions() as session:
        final = await repository.by_appeal(session, data.appeal_id)
    assert signed is True
    assert final is not None
    assert (final.sign_mode, final.signed_by) == ("manual", "王")


async def test_unit_page_on_postgres_is_newest_first(
    pg_sessions: Any,
    handlers: DispatchHandlers,
    wrap: Wrap,
    appeal_filed: Callable[..., AppealFiled],
    clock: Any,
) -> None:
    for number in range(3):
        data = appeal_filed(appeal_id=f"appeal-{number}")
        async with pg_sessions() as session, session.begin():
            await handlers.on_appeal_filed(session, wrap(data), data)
        clock.advance(timedelta(seconds=30))

    async with pg_sessions() as session:
        rows, total = await repository.page(
            session, unit_id="cgj", status="dispatched", limit=2, offset=0
        )

    assert total == 3
    assert [row.appeal_id for row in rows] == ["appeal-2", "appeal-1"]


async def test_late_sign_on_postgres_signs_by_default_at_the_latest_deadline(
    pg_sessions: Any,
    handlers: DispatchHandlers,
    context: DispatchContext,
    wrap: Wrap,
    appeal_filed: Callable[..., AppealFiled],
    deadline_set: Callable[..., DeadlineSet],
    clock: Any,
) -> None:
    data = appeal_filed()
    async with pg_sessions() as session, session.begin():
        await handlers.on_appeal_filed(session, wrap(data), data)
        order = await repository.by_appeal(session, data.appeal_id)
    assert order is not None
    start = clock.now()
    later = deadline_set(order.id, due_at=start + timedelta(hours=3))
    earlier = deadline_set(order.id, due_at=start + timedelta(hours=2))
    for event, occurred_at in ((later, start + timedelta(minutes=1)), (earlier, start)):
        async with pg_sessions() as session, session.begin():
            await handlers.on_deadline_set(session, wrap(event, occurred_at), event)
    clock.advance(timedelta(hours=4))

    with pytest.raises(AlreadySigned):
        async with pg_sessions() as session:
            await service.sign(
                session=session,
                context=context,
                work_order_id=order.id,
                principal=CLERK,
                incoming=SignIn(signed_by="王科员"),
            )

    async with pg_sessions() as session:
        final = await repository.by_appeal(session, data.appeal_id)
    assert final is not None
    assert (final.sign_mode, final.signed_at) == ("auto", start + timedelta(hours=3))
