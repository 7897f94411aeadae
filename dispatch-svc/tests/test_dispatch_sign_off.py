"""Signing by default at the sign-off deadline (默认签收, Art. 13): dispatch learns each
order's deadline from deadline.set, dates the default sign at the deadline whenever
it is recorded, answers a sign that comes too late as the default sign it is, and
takes a repeated sign by the same clerk as a retry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Role
from minsheng_common.clock import FixedClock
from minsheng_common.events import (
    AppealFiled,
    DeadlineReached,
    DeadlineSet,
    Envelope,
)
from minsheng_dispatch import repository, service
from minsheng_dispatch.consumers import DispatchHandlers
from minsheng_dispatch.errors import AcceptanceNoticeAlreadyRequested, AlreadySigned
from minsheng_dispatch.models import WorkOrder
from minsheng_dispatch.schemas import AcceptanceNoticeIn, SignIn
from minsheng_dispatch.service import DispatchContext

Wrap = Callable[..., Envelope]
# The system of unit cgj (区城市管理和综合执法局), which the sample appeal goes to.
CLERK = Principal(subject="key-cgj", role=Role.UNIT, unit_id="cgj")
NOW = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)  # the clock fixture's start, 10:00
DUE = NOW + timedelta(hours=2)  # 12:00 in Shanghai


@pytest.fixture
async def order(
    sessions: Any,
    handlers: DispatchHandlers,
    wrap: Wrap,
    appeal_filed: Callable[..., AppealFiled],
) -> WorkOrder:
    """One order dispatched to cgj at NOW, its sign-off deadline not yet known."""
    data = appeal_filed()
    async with sessions() as session, session.begin():
        await handlers.on_appeal_filed(session, wrap(data), data)
    return await current(sessions)


async def current(sessions: Any) -> WorkOrder:
    async with sessions() as session:
        order = await repository.by_appeal(session, "appeal-1")
    assert order is not None
    return order


async def deliver_set(
    sessions: Any,
    handlers: DispatchHandlers,
    wrap: Wrap,
    data: DeadlineSet,
    *,
    occurred_at: Any = NOW,
) -> None:
    async with sessions() as session, session.begin():
        await handlers.on_deadline_set(session, wrap(data, occurred_at), data)


async def deliver_reached(
    sessions: Any, handlers: DispatchHandlers, wrap: Wrap, data: DeadlineReached
) -> None:
    async with sessions() as session, session.begin():
        await handlers.on_deadline_reached(session, wrap(data), data)


async def sign(
    sessions: Any,
    context: DispatchContext,
    order: WorkOrder,
    *,
    signed_by: str = "王科员",
    notice: AcceptanceNoticeIn | None = None,
) -> WorkOrder:
    async with sessions() as session:
        return await service.sign(
            session=session,
            context=context,
            work_order_id=order.id,
            principal=CLERK,
            incoming=SignIn(signed_by=signed_by, acceptance_notice=notice),
        )


def kinds(events: list[tuple[str, dict[str, Any]]]) -> list[str]:
    return [kind for kind, _ in events]


def signed_events(events: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [body for kind, body in events if kind == "work_order.signed"]


async def test_deadline_set_records_the_sign_off_due_time(
    sessions: Any,
    handlers: DispatchHandlers,
    wrap: Wrap,
    order: WorkOrder,
    deadline_set: Callable[..., DeadlineSet],
    outbox_events: Any,
) -> None:
    await deliver_set(sessions, handlers, wrap, deadline_set(order.id))

    noted = await current(sessions)
    assert noted.sign_off_due_at == DUE
    assert noted.sign_off_set_at == NOW
    assert noted.status == "dispatched"
    assert kinds(await outbox_events(sessions)) == ["work_order.dispatched"]


async def test_the_latest_deadline_set_wins_whatever_the_delivery_order(
    sessions: Any,
    handlers: DispatchHandlers,
    wrap: Wrap,
    order: WorkOrder,
    deadline_set: Callable[..., DeadlineSet],
) -> None:
    first = deadline_set(order.id, deadline_id="d-1", due_at=DUE)
    later = deadline_set(order.id, deadline_id="d-2", due_at=DUE + timedelta(hours=1))

    await deliver_set(sessions, handlers, wrap, later, occurred_at=NOW + timedelta(1))
    await deliver_set(sessions, handlers, wrap, first, occurred_at=NOW)
    await deliver_set(sessions, handlers, wrap, later, occurred_at=NOW + timedelta(1))

    noted = await current(sessions)
    assert noted.sign_off_due_at == DUE + timedelta(hours=1)
    assert noted.sign_off_set_at == NOW + timedelta(1)


async def test_other_deadline_kinds_and_unknown_orders_set_nothing(
    sessions: Any,
    handlers: DispatchHandlers,
    wrap: Wrap,
    order: WorkOrder,
    deadline_set: Callable[..., DeadlineSet],
) -> None:
    await deliver_set(
        sessions,
        handlers,
        wrap,
        deadline_set(order.id, kind="handling", due_at=NOW + timedelta(days=7)),
    )
    await deliver_set(sessions, handlers, wrap, deadline_set("no-such-order"))

    assert (await current(sessions)).sign_off_due_at is None


async def test_default_sign_is_dated_at_the_deadline_not_when_the_watcher_ran(
    sessions: Any,
    handlers: DispatchHandlers,
    wrap: Wrap,
    order: WorkOrder,
    deadline_reached: Callable[..., DeadlineReached],
    outbox_events: Any,
    clock: FixedClock,
) -> None:
    # sla's watcher was down for a while: the deadline is reached three hours late.
    clock.advance(timedelta(hours=5))

    await deliver_reached(
        sessions,
        handlers,
        wrap,
        deadline_reached(order.id, due_at=DUE, reached_at=clock.now()),
    )

    signed = await current(sessions)
    assert (signed.status, signed.sign_mode) == ("signed", "auto")
    assert signed.signed_at == DUE
    [event] = signed_events(await outbox_events(sessions))
    assert event["mode"] == "auto"
    assert event["signed_at"] == DUE.isoformat().replace("+00:00", "Z")
    async with sessions() as session:
        action = await repository.last_action(session, order.id, "signed")
    assert action is not None and action.at == DUE


async def test_late_sign_before_the_reached_event_finds_the_order_signed_by_default(
    sessions: Any,
    handlers: DispatchHandlers,
    context: DispatchContext,
    wrap: Wrap,
    order: WorkOrder,
    deadline_set: Callable[..., DeadlineSet],
    deadline_reached: Callable[..., DeadlineReached],
    outbox_events: Any,
    clock: FixedClock,
) -> None:
    await deliver_set(sessions, handlers, wrap, deadline_set(order.id, due_at=DUE))
    clock.advance(timedelta(hours=2, minutes=30))

    with pytest.raises(AlreadySigned) as refused:
        await sign(sessions, context, order)

    assert refused.value.status_code == 409
    assert "by default" in refused.value.message
    assert "2026-03-09 12:00 Asia/Shanghai" in refused.value.message
    signed = await current(sessions)
    assert (signed.status, signed.sign_mode, signed.signed_by) == (
        "signed",
        "auto",
        None,
    )
    assert signed.signed_at == DUE
    events = await outbox_events(sessions)
    assert [body["mode"] for body in signed_events(events)] == ["auto"]
    async with sessions() as session:
        actions = await repository.actions(session, order.id)
    assert [(a.action, a.actor, a.detail.get("mode")) for a in actions] == [
        ("dispatched", "system", None),
        ("signed", "system", "auto"),
    ]

    # sla's watcher catches up: the order is already signed, nothing more happens.
    await deliver_reached(sessions, handlers, wrap, deadline_reached(order.id))

    assert len(signed_events(await outbox_events(sessions))) == 1
    assert (await current(sessions)).signed_at == DUE


async def test_sign_exactly_at_the_deadline_is_too_late(
    sessions: Any,
    handlers: DispatchHandlers,
    context: DispatchContext,
    wrap: Wrap,
    order: WorkOrder,
    deadline_set: Callable[..., DeadlineSet],
    clock: FixedClock,
) -> None:
    await deliver_set(sessions, handlers, wrap, deadline_set(order.id, due_at=DUE))
    clock.advance(DUE - clock.now())

    with pytest.raises(AlreadySigned):
        await sign(sessions, context, order)

    assert (await current(sessions)).sign_mode == "auto"


async def test_sign_before_the_deadline_is_the_units_own(
    sessions: Any,
    handlers: DispatchHandlers,
    context: DispatchContext,
    wrap: Wrap,
    order: WorkOrder,
    deadline_set: Callable[..., DeadlineSet],
    outbox_events: Any,
    clock: FixedClock,
) -> None:
    await deliver_set(sessions, handlers, wrap, deadline_set(order.id, due_at=DUE))
    clock.advance(DUE - timedelta(seconds=1) - clock.now())

    signed = await sign(sessions, context, order)

    assert (signed.sign_mode, signed.signed_by) == ("manual", "王科员")
    assert signed.signed_at == DUE - timedelta(seconds=1)
    assert [b["mode"] for b in signed_events(await outbox_events(sessions))] == [
        "manual"
    ]


async def test_sign_with_no_known_deadline_proceeds_as_before(
    sessions: Any,
    context: DispatchContext,
    order: WorkOrder,
    clock: FixedClock,
) -> None:
    # deadline.set has not arrived: dispatch cannot know the time ran out.
    clock.advance(timedelta(hours=3))

    signed = await sign(sessions, context, order)

    assert (signed.sign_mode, signed.signed_at) == ("manual", clock.now())


async def test_same_clerk_signing_again_gets_the_order_and_nothing_new(
    sessions: Any,
    context: DispatchContext,
    order: WorkOrder,
    outbox_events: Any,
    clock: FixedClock,
) -> None:
    first = await sign(sessions, context, order)
    clock.advance(timedelta(minutes=1))

    again = await sign(sessions, context, order)

    assert (again.sign_mode, again.signed_by) == ("manual", "王科员")
    assert again.signed_at == first.signed_at
    assert kinds(await outbox_events(sessions)) == [
        "work_order.dispatched",
        "work_order.signed",
    ]
    async with sessions() as session:
        actions = await repository.actions(session, order.id)
    assert [a.action for a in actions] == ["dispatched", "signed"]


async def test_another_clerk_or_a_default_sign_is_still_a_conflict(
    sessions: Any,
    handlers: DispatchHandlers,
    context: DispatchContext,
    wrap: Wrap,
    order: WorkOrder,
    appeal_filed: Callable[..., AppealFiled],
    deadline_reached: Callable[..., DeadlineReached],
) -> None:
    await sign(sessions, context, order, signed_by="王科员")
    other = appeal_filed(appeal_id="appeal-2")
    async with sessions() as session, session.begin():
        await handlers.on_appeal_filed(session, wrap(other), other)
        defaulted = await repository.by_appeal(session, "appeal-2")
    assert defaulted is not None
    await deliver_reached(
        sessions,
        handlers,
        wrap,
        deadline_reached(defaulted.id, appeal_id="appeal-2"),
    )

    with pytest.raises(AlreadySigned):
        await sign(sessions, context, order, signed_by="李科员")
    with pytest.raises(AlreadySigned):
        await sign(sessions, context, defaulted, signed_by="王科员")


async def test_retry_carrying_a_notice_asks_for_it_once(
    sessions: Any,
    context: DispatchContext,
    order: WorkOrder,
    outbox_events: Any,
) -> None:
    notice = AcceptanceNoticeIn(accepted=True, message="您的诉求已受理。")
    await sign(sessions, context, order)

    with_notice = await sign(sessions, context, order, notice=notice)
    repeated = await sign(sessions, context, order, notice=notice)

    assert with_notice.acceptance_notice_requested_at is not None
    assert repeated.acceptance_notice_requested_at == (
        with_notice.acceptance_notice_requested_at
    )
    assert kinds(await outbox_events(sessions)) == [
        "work_order.dispatched",
        "work_order.signed",
        "work_order.acceptance_notice_requested",
    ]


async def test_retry_carrying_a_different_notice_is_refused(
    sessions: Any,
    context: DispatchContext,
    order: WorkOrder,
    outbox_events: Any,
) -> None:
    await sign(
        sessions,
        context,
        order,
        notice=AcceptanceNoticeIn(accepted=True, message="您的诉求已受理。"),
    )

    with pytest.raises(AcceptanceNoticeAlreadyRequested):
        await sign(
            sessions,
            context,
            order,
            notice=AcceptanceNoticeIn(accepted=False, message="不属于本单位职责。"),
        )

    assert len(await outbox_events(sessions)) == 3
