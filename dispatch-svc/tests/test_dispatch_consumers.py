"""Dispatch's event handlers, called inside a transaction as the consumer loop does:
one work order per filed appeal, and the default sign-off only when unsigned."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from minsheng_common import db, migrations
from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Role
from minsheng_common.clock import FixedClock
from minsheng_common.events import AppealFiled, DeadlineReached, Envelope, EventData
from minsheng_dispatch import repository, service
from minsheng_dispatch.admin.models import DispatchQueueEntry
from minsheng_dispatch.app import MIGRATIONS
from minsheng_dispatch.consumers import DispatchHandlers
from minsheng_dispatch.errors import AlreadySigned, RoutingTableNotReady
from minsheng_dispatch.models import RoutingRule, WorkOrder, WorkOrderAction
from minsheng_dispatch.schemas import SignIn
from minsheng_dispatch.service import DispatchContext

Wrap = Callable[[EventData], Envelope]
# The system of unit cgj (区城市管理和综合执法局), which the sample appeal goes to.
CLERK = Principal(subject="key-cgj", role=Role.UNIT, unit_id="cgj")


async def deliver_filed(
    sessions: Any, handlers: DispatchHandlers, wrap: Wrap, data: AppealFiled
) -> None:
    async with sessions() as session, session.begin():
        await handlers.on_appeal_filed(session, wrap(data), data)


async def deliver_reached(
    sessions: Any, handlers: DispatchHandlers, wrap: Wrap, data: DeadlineReached
) -> None:
    async with sessions() as session, session.begin():
        await handlers.on_deadline_reached(session, wrap(data), data)


async def only_order(sessions: Any) -> WorkOrder:
    async with sessions() as session:
        orders = list(await session.scalars(select(WorkOrder)))
    assert len(orders) == 1
    return orders[0]


async def test_appeal_filed_creates_a_dispatched_order_and_emits_it(
    sessions: Any,
    handlers: DispatchHandlers,
    wrap: Wrap,
    appeal_filed: Callable[..., AppealFiled],
    outbox_events: Any,
    clock: FixedClock,
) -> None:
    data = appeal_filed()

    await deliver_filed(sessions, handlers, wrap, data)

    order = await only_order(sessions)
    assert order.appeal_id == data.appeal_id
    assert order.unit_id == "cgj"
    assert order.status == "dispatched"
    assert order.created_at == data.filed_at
    assert order.dispatched_at == clock.now()
    assert order.dispatch_seconds == 15 * 60
    assert order.dispatched_within_target is True
    assert order.rules_edition == "measures-v4"
    assert order.route_reason == "subdistrict"
    events = await outbox_events(sessions)
    assert [event_type for event_type, _ in events] == ["work_order.dispatched"]
    body = events[0][1]
    assert body["work_order_id"] == order.id
    assert body["unit_id"] == "cgj"
    assert body["route_basis"] == order.route_basis
    assert body["rules_edition"] == "measures-v4"


async def test_duplicate_appeal_filed_creates_the_order_once(
    sessions: Any,
    handlers: DispatchHandlers,
    wrap: Wrap,
    appeal_filed: Callable[..., AppealFiled],
    outbox_events: Any,
) -> None:
    data = appeal_filed()

    # Two deliveries with different event ids: the inbox cannot tell them apart, the
    # unique appeal id must.
    await deliver_filed(sessions, handlers, wrap, data)
    await deliver_filed(sessions, handlers, wrap, data)

    await only_order(sessions)
    events = await outbox_events(sessions)
    assert [event_type for event_type, _ in events] == ["work_order.dispatched"]


async def test_late_dispatch_is_measured_against_the_target(
    sessions: Any,
    handlers: DispatchHandlers,
    wrap: Wrap,
    appeal_filed: Callable[..., AppealFiled],
    clock: FixedClock,
) -> None:
    data = appeal_filed(filed_at=clock.now() - timedelta(hours=1, seconds=1))

    await deliver_filed(sessions, handlers, wrap, data)

    order = await only_order(sessions)
    assert order.dispatch_seconds == 3601
    assert order.dispatched_within_target is False


async def test_dispatch_exactly_at_the_target_is_within_it(
    sessions: Any,
    handlers: DispatchHandlers,
    wrap: Wrap,
    appeal_filed: Callable[..., AppealFiled],
    clock: FixedClock,
) -> None:
    await deliver_filed(
        sessions,
        handlers,
        wrap,
        appeal_filed(filed_at=clock.now() - timedelta(hours=1)),
    )

    assert (await only_order(sessions)).dispatched_within_target is True


async def test_appeal_without_category_waits_with_its_subdistrict_suggested_art_21(
    sessions: Any,
    handlers: DispatchHandlers,
    wrap: Wrap,
    appeal_filed: Callable[..., AppealFiled],
    outbox_events: Any,
) -> None:
    await deliver_filed(
        sessions,
        handlers,
        wrap,
        appeal_filed(category_id=None, subdistrict_id="biling-jd"),
    )

    async with sessions() as session:
        orders = await session.scalar(select(func.count()).select_from(WorkOrder))
        entry = await session.get(DispatchQueueEntry, "appeal-1")
    assert orders == 0
    assert entry is not None and entry.resolved_at is None
    assert entry.suggested_unit_id == "biling-jd"
    assert entry.reason == "territorial_fallback"
    assert await outbox_events(sessions) == []


async def test_keyword_in_the_text_routes_and_names_its_rule(
    sessions: Any,
    handlers: DispatchHandlers,
    wrap: Wrap,
    appeal_filed: Callable[..., AppealFiled],
) -> None:
    data = appeal_filed(category_id="environment-water", content="河道污水直排")

    await deliver_filed(sessions, handlers, wrap, data)

    order = await only_order(sessions)
    async with sessions() as session:
        rule = await session.get(RoutingRule, order.route_rule_id)
    assert order.unit_id == "swj"
    assert rule is not None and rule.keyword == "污水"


async def test_empty_routing_table_is_retried_not_guessed(
    tmp_path: Any,
    handlers: DispatchHandlers,
    wrap: Wrap,
    appeal_filed: Callable[..., AppealFiled],
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    await asyncio.to_thread(migrations.upgrade, MIGRATIONS, url)
    engine = db.make_engine(url)
    empty = db.make_sessions(engine)
    try:
        error: RoutingTableNotReady | None = None
        try:
            await deliver_filed(empty, handlers, wrap, appeal_filed())
        except RoutingTableNotReady as raised:
            error = raised
        async with empty() as session:
            count = await session.scalar(select(func.count()).select_from(WorkOrder))
    finally:
        await engine.dispose()

    assert error is not None and error.retriable
    assert count == 0


async def test_sign_off_reached_signs_an_unsigned_order_by_default(
    sessions: Any,
    handlers: DispatchHandlers,
    wrap: Wrap,
    appeal_filed: Callable[..., AppealFiled],
    deadline_reached: Callable[..., DeadlineReached],
    outbox_events: Any,
    clock: FixedClock,
) -> None:
    await deliver_filed(sessions, handlers, wrap, appeal_filed())
    order = await only_order(sessions)
    clock.advance(timedelta(hours=2))

    await deliver_reached(sessions, handlers, wrap, deadline_reached(order.id))

    signed = await only_order(sessions)
    assert signed.status == "signed"
    assert signed.sign_mode == "auto"
    assert signed.signed_by is None
    assert signed.signed_at == clock.now()
    events = await outbox_events(sessions)
    assert [event_type for event_type, _ in events] == [
        "work_order.dispatched",
        "work_order.signed",
    ]
    assert events[1][1]["mode"] == "auto"
    assert events[1][1]["work_order_id"] == order.id
    async with sessions() as session:
        actions = await repository.actions(session, order.id)
    assert [(a.action, a.actor, a.detail.get("mode")) for a in actions] == [
        ("dispatched", "system", None),
        ("signed", "system", "auto"),
    ]


async def test_sign_off_reached_after_manual_sign_changes_nothing(
    sessions: Any,
    handlers: DispatchHandlers,
    context: DispatchContext,
    wrap: Wrap,
    appeal_filed: Callable[..., AppealFiled],
    deadline_reached: Callable[..., DeadlineReached],
    outbox_events: Any,
) -> None:
    await deliver_filed(sessions, handlers, wrap, appeal_filed())
    order = await only_order(sessions)
    async with sessions() as session:
        await service.sign(
            session=session,
            context=context,
            work_order_id=order.id,
            principal=CLERK,
            incoming=SignIn(signed_by="王科员"),
        )

    await deliver_reached(sessions, handlers, wrap, deadline_reached(order.id))

    signed = await only_order(sessions)
    assert (signed.sign_mode, signed.signed_by) == ("manual", "王科员")
    events = await outbox_events(sessions)
    assert [
        body.get("mode") for kind, body in events if kind == "work_order.signed"
    ] == ["manual"]


async def test_manual_sign_after_auto_sign_is_refused(
    sessions: Any,
    handlers: DispatchHandlers,
    context: DispatchContext,
    wrap: Wrap,
    appeal_filed: Callable[..., AppealFiled],
    deadline_reached: Callable[..., DeadlineReached],
) -> None:
    await deliver_filed(sessions, handlers, wrap, appeal_filed())
    order = await only_order(sessions)
    await deliver_reached(sessions, handlers, wrap, deadline_reached(order.id))

    refused: AlreadySigned | None = None
    async with sessions() as session:
        try:
            await service.sign(
                session=session,
                context=context,
                work_order_id=order.id,
                principal=CLERK,
                incoming=SignIn(signed_by="王科员"),
            )
        except AlreadySigned as error:
            refused = error

    assert refused is not None and refused.status_code == 409
    assert "by default" in refused.message
    assert (await only_order(sessions)).sign_mode == "auto"


async def test_other_deadlines_and_unknown_orders_are_ignored(
    sessions: Any,
    handlers: DispatchHandlers,
    wrap: Wrap,
    appeal_filed: Callable[..., AppealFiled],
    deadline_reached: Callable[..., DeadlineReached],
    outbox_events: Any,
) -> None:
    await deliver_filed(sessions, handlers, wrap, appeal_filed())
    order = await only_order(sessions)

    await deliver_reached(
        sessions, handlers, wrap, deadline_reached(order.id, kind="handling")
    )
    await deliver_reached(sessions, handlers, wrap, deadline_reached("no-such-order"))

    assert (await only_order(sessions)).status == "dispatched"
    async with sessions() as session:
        actions = await session.scalar(
            select(func.count()).select_from(WorkOrderAction)
        )
    assert actions == 1
    assert len(await outbox_events(sessions)) == 1


async def test_handlers_are_keyed_by_event_type(handlers: DispatchHandlers) -> None:
    specs = handlers.specs()

    assert len(specs) == 1
    assert set(specs[0].topics) == {"appeals", "deadlines", "notices"}
    assert set(specs[0].handlers) == {
        "appeal.filed",
        "deadline.set",
        "deadline.reached",
        "notice.sent",
    }
