"""Work orders: created from filed appeals routing is certain of, the others queued
for an operator (分拨, Art. 12), signed by their unit or by default (签收 / 默认签收,
Art. 13), and the unit's acceptance notice (Art. 28). What follows signing is in
`minsheng_dispatch.lifecycle`."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NoReturn, cast

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import ids, redaction, timeutil
from minsheng_common.auth.principal import Principal
from minsheng_common.bus.outbox import Outbox
from minsheng_common.clock import Clock
from minsheng_common.events import (
    AcceptanceNoticeRequested,
    AppealFiled,
    DeadlineReached,
    DeadlineSet,
    WorkOrderDispatched,
    WorkOrderSigned,
)
from minsheng_common.events.catalogue import OrderRole
from minsheng_common.rules import RuleBook, RuleEdition
from minsheng_dispatch import access, repository, routing
from minsheng_dispatch.admin import lookup, queue, responsibility
from minsheng_dispatch.errors import (
    AcceptanceNoticeAlreadyRequested,
    AlreadySigned,
    NoRulesEdition,
    NotSigned,
    OrderEnded,
    OrderReturned,
    UnitNotFound,
    WorkOrderNotFound,
)
from minsheng_dispatch.lifecycle import states
from minsheng_dispatch.lifecycle.states import Step
from minsheng_dispatch.models import WorkOrder
from minsheng_dispatch.schemas import (
    AcceptanceNoticeIn,
    AcceptanceNoticeRequestIn,
    SignIn,
)
from minsheng_dispatch.settings import DEFAULT_COMPONENT_KEYWORDS
from minsheng_dispatch.special import roles

log = logging.getLogger(__name__)

SYSTEM = "system"


@dataclass(frozen=True)
class DispatchContext:
    """What dispatch's rules need besides the store."""

    rule_book: RuleBook
    outbox: Outbox
    clock: Clock
    fallback_unit_id: str
    component_categories: frozenset[str] = frozenset({"municipal-facilities"})
    component_keywords: tuple[str, ...] = field(
        default_factory=lambda: DEFAULT_COMPONENT_KEYWORDS
    )


@dataclass(frozen=True)
class NoticeRequest:
    """An acceptance notice handed to the platform to send for the unit."""

    request_id: str
    work_order_id: str
    appeal_id: str
    unit_id: str
    accepted: bool
    message: str
    requested_by: str
    requested_at: datetime


async def dispatch_appeal(
    *, session: AsyncSession, context: DispatchContext, appeal: AppealFiled
) -> WorkOrder | None:
    """Route a filed appeal under the registry in force (rules, registered projects,
    retired units and categories): when routing is certain, create its work order
    and send it to its unit; otherwise put it in the dispatch queue for an operator
    (Art. 12). None when no order was made: the appeal has one already, waits in
    the queue, or has just been queued. Runs in the caller's transaction."""
    # Two deliveries of one appeal at the same moment both pass these checks; the
    # unique appeal id (of the order or of the queue entry) then fails the second
    # transaction, the consumer retries it, and the retry finds it here.
    if await repository.by_appeal(session, appeal.appeal_id) is not None:
        log.info("appeal %s already has a work order; nothing to do", appeal.appeal_id)
        return None
    if await queue.held(session, appeal.appeal_id):
        log.info(
            "appeal %s went through the dispatch queue; the operator dispatches it",
            appeal.appeal_id,
        )
        return None

    now = context.clock.now()
    route = await lookup.route_appeal(
        session, appeal=appeal, at=now, fallback_unit=context.fallback_unit_id
    )
    if not route.certain:
        await queue.enqueue(session, appeal=appeal, route=route, at=now)
        return None

    return await dispatch_routed(
        session=session,
        context=context,
        appeal=appeal,
        route=route,
        actor=SYSTEM,
        at=now,
    )


async def dispatch_chosen(
    *,
    session: AsyncSession,
    context: DispatchContext,
    appeal: AppealFiled,
    route: routing.Route,
    actor: str,
) -> WorkOrder | None:
    """Create and send the work order of a queued appeal on the route an operator
    chose; None when the appeal has an order already. Runs in the caller's
    transaction."""
    if await repository.by_appeal(session, appeal.appeal_id) is not None:
        log.info("appeal %s already has a work order; nothing to do", appeal.appeal_id)
        return None
    return await dispatch_routed(
        session=session,
        context=context,
        appeal=appeal,
        route=route,
        actor=actor,
        at=context.clock.now(),
    )


async def dispatch_routed(
    *,
    session: AsyncSession,
    context: DispatchContext,
    appeal: AppealFiled,
    route: routing.Route,
    actor: str,
    at: datetime,
) -> WorkOrder:
    """Create the appeal's work order for the route's unit and send it, timed from
    the filing (Art. 12) whether routing or an operator chose the unit; a unit a
    first-handler rule chose is named so (Art. 26). In the caller's transaction."""
    order = _new_order(appeal, route, at, _edition(context.rule_book, appeal))
    await send_order(session, context, order, actor=actor)
    responsibility.note_route(session, work_order_id=order.id, route=route, at=at)
    _log_dispatch(order, route)
    return order


async def send_order(
    session: AsyncSession,
    context: DispatchContext,
    order: WorkOrder,
    *,
    actor: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Store a new order, audit its dispatch and stage work_order.dispatched, in the
    caller's transaction."""
    session.add(order)
    await repository.add_action(
        session,
        order.id,
        action="dispatched",
        actor=actor,
        at=order.dispatched_at,
        detail={
            "unit_id": order.unit_id,
            "route_reason": order.route_reason,
            "route_rule_id": order.route_rule_id,
            "dispatch_seconds": order.dispatch_seconds,
            **(detail or {}),
        },
    )
    await context.outbox.stage(
        session, dispatched_event(order), occurred_at=order.dispatched_at
    )


def redispatched_order(
    returned: WorkOrder,
    *,
    unit_id: str,
    now: datetime,
    edition: RuleEdition,
    basis: str,
    reason: str,
) -> WorkOrder:
    """The order that replaces a returned one: the same appeal, the unit the center
    chose, its own clock from its dispatch (as each unit of a split or parallel
    order is timed from its own, Art. 19, 22). The dispatch interval is still
    counted from the filing: that is how long the appeal took to reach its unit.
    An order of a parallel group or a split part hands its place on: the new one
    keeps its role, group and origin."""
    seconds = max(0.0, (now - returned.filed_at).total_seconds())
    return WorkOrder(
        id=ids.new_id(),
        appeal_id=returned.appeal_id,
        origin_key=f"redispatch:{returned.id}",
        redispatched_from=returned.id,
        tracking_code=returned.tracking_code,
        unit_id=unit_id,
        appeal_type=returned.appeal_type,
        category_id=returned.category_id,
        subdistrict_id=returned.subdistrict_id,
        community=returned.community,
        title=returned.title,
        content=returned.content,
        address=returned.address,
        status=repository.DISPATCHED,
        filed_at=returned.filed_at,
        created_at=returned.created_at,
        dispatched_at=now,
        dispatch_seconds=seconds,
        dispatched_within_target=seconds <= edition.dispatch_within.total_seconds(),
        route_rule_id=None,
        route_reason=reason,
        route_basis=basis,
        rules_edition=returned.rules_edition,
        round=1,
        clock_from="dispatched",
        updated_at=now,
        extended_working_days=0,
        staged=False,
        role=returned.role,
        parallel_group_id=returned.parallel_group_id,
        split_from=returned.split_from,
        channel=returned.channel,
        cluster_id=returned.cluster_id,
    )


def _edition(rule_book: RuleBook, appeal: AppealFiled) -> RuleEdition:
    try:
        return rule_book.in_force(appeal.filed_at)
    except ValueError as error:
        raise NoRulesEdition(f"appeal {appeal.appeal_id}: {error}") from error


def _new_order(
    appeal: AppealFiled, route: routing.Route, now: datetime, edition: RuleEdition
) -> WorkOrder:
    # Clocks of two machines may disagree by a little; a dispatch cannot precede the
    # filing it follows, so a negative interval counts as none.
    seconds = max(0.0, (now - appeal.filed_at).total_seconds())
    return WorkOrder(
        id=ids.new_id(),
        appeal_id=appeal.appeal_id,
        origin_key=appeal.appeal_id,
        tracking_code=appeal.tracking_code,
        unit_id=route.unit_id,
        appeal_type=appeal.appeal_type,
        category_id=appeal.category_id,
        subdistrict_id=appeal.subdistrict_id,
        community=appeal.community,
        # Intake masked the texts already; masked again here, as intake's rules
        # were, in case an older event (or a replayed one) carries more (Art. 41).
        title=redaction.redact(appeal.title),
        content=redaction.redact(appeal.content),
        address=redaction.redact_optional(appeal.address),
        status=repository.DISPATCHED,
        filed_at=appeal.filed_at,
        created_at=appeal.filed_at,
        dispatched_at=now,
        dispatch_seconds=seconds,
        dispatched_within_target=seconds <= edition.dispatch_within.total_seconds(),
        route_rule_id=route.rule_id,
        route_reason=route.reason.value,
        route_basis=route.basis,
        rules_edition=edition.id,
        round=1,
        clock_from="created",
        updated_at=now,
        extended_working_days=0,
        staged=False,
        role=roles.SOLE,
        channel=appeal.channel,
        cluster_id=appeal.cluster_id,
    )


def dispatched_event(order: WorkOrder) -> WorkOrderDispatched:
    """work_order.dispatched for the order's current round."""
    return WorkOrderDispatched(
        work_order_id=order.id,
        appeal_id=order.appeal_id,
        tracking_code=order.tracking_code,
        unit_id=order.unit_id,
        appeal_type=order.appeal_type,
        category_id=order.category_id,
        subdistrict_id=order.subdistrict_id,
        filed_at=order.filed_at,
        created_at=order.created_at,
        dispatched_at=order.dispatched_at,
        route_basis=order.route_basis,
        rules_edition=order.rules_edition,
        round=order.round,
        clock_from="dispatched" if order.clock_from == "dispatched" else "created",
        role=_role(order.role),
        parallel_group_id=order.parallel_group_id,
        split_from=order.split_from,
    )


def _role(role: str) -> OrderRole:
    if role in (roles.LEAD, roles.COOPERATING, roles.CANDIDATE):
        return cast(OrderRole, role)
    return "sole"


def _log_dispatch(order: WorkOrder, route: routing.Route) -> None:
    log.info(
        "work order %s for appeal %s dispatched to unit %s (%s)",
        order.id,
        order.appeal_id,
        order.unit_id,
        route.reason,
    )
    if not order.dispatched_within_target:
        log.warning(
            "work order %s for appeal %s dispatched %.0f s after filing, beyond the "
            "target of edition %s (Art. 12)",
            order.id,
            order.appeal_id,
            order.dispatch_seconds,
            order.rules_edition,
        )


async def note_deadline(
    *, session: AsyncSession, deadline: DeadlineSet, set_at: datetime
) -> bool:
    """Remember when the order's sign-off time (Art. 13) or handling time (Art. 15,
    moved by extensions, Art. 16) runs out; a deadline set later replaces one set
    earlier. Other kinds are sla's business. Runs in the caller's transaction."""
    if deadline.kind == "sign_off":
        return await note_sign_off_deadline(
            session=session, deadline=deadline, set_at=set_at
        )
    if deadline.kind != "handling":
        return False

    noted = await repository.set_handling_due(
        session, deadline.work_order_id, due_at=deadline.due_at, set_at=set_at
    )
    if not noted:
        log.info(
            "work order %s: handling deadline %s not recorded: the order is unknown "
            "or holds a deadline set later",
            deadline.work_order_id,
            deadline.deadline_id,
        )
        return False
    await _deadline_changed(session, deadline, "handling_deadline_set", at=set_at)
    log.info(
        "work order %s for appeal %s: handling due at %s (deadline %s)",
        deadline.work_order_id,
        deadline.appeal_id,
        deadline.due_at.isoformat(),
        deadline.deadline_id,
    )
    return True


async def _deadline_changed(
    session: AsyncSession, deadline: DeadlineSet, action: str, *, at: datetime
) -> None:
    # Not a transition, but what a unit's system shows: it goes into the change
    # log so a polling unit sees the new due time.
    order = await repository.get(session, deadline.work_order_id)
    if order is not None:
        await repository.record_change(
            session,
            work_order_id=order.id,
            unit_id=order.unit_id,
            action=action,
            at=at,
        )


async def note_sign_off_deadline(
    *, session: AsyncSession, deadline: DeadlineSet, set_at: datetime
) -> bool:
    """Remember when the order's sign-off time runs out (Art. 13), so that a sign
    arriving after it is answered as the default sign-off it is; a deadline set
    later replaces one set earlier. Runs in the caller's transaction."""
    if deadline.kind != "sign_off":
        return False

    noted = await repository.set_sign_off_due(
        session, deadline.work_order_id, due_at=deadline.due_at, set_at=set_at
    )
    if noted:
        await _deadline_changed(session, deadline, "sign_off_deadline_set", at=set_at)
    if not noted:
        log.info(
            "work order %s: sign-off deadline %s not recorded: the order is unknown "
            "or holds a deadline set later",
            deadline.work_order_id,
            deadline.deadline_id,
        )
        return False

    log.info(
        "work order %s for appeal %s: sign-off due at %s (deadline %s)",
        deadline.work_order_id,
        deadline.appeal_id,
        deadline.due_at.isoformat(),
        deadline.deadline_id,
    )
    return True


async def auto_sign(
    *, session: AsyncSession, context: DispatchContext, deadline: DeadlineReached
) -> bool:
    """Sign an order by default when its sign-off time ran out (默认签收, Art. 13),
    dated at the deadline itself; False when the order was signed first. Runs in the
    caller's transaction."""
    if deadline.kind != "sign_off":
        return False
    current = await repository.get(session, deadline.work_order_id)
    if (
        current is not None
        and current.round > 1
        and deadline.due_at < current.dispatched_at
    ):
        # A deadline of an earlier round (before a reopening): not this round's.
        log.info(
            "work order %s: sign-off deadline %s is of an earlier round; ignored",
            deadline.work_order_id,
            deadline.deadline_id,
        )
        return False

    order = await sign_by_default(
        session,
        context,
        deadline.work_order_id,
        due_at=deadline.due_at,
        detail={"deadline_id": deadline.deadline_id, "found_by": "deadline_reached"},
    )
    if order is None:
        log.info(
            "work order %s: sign-off deadline %s reached but the order is signed or "
            "unknown; nothing to do",
            deadline.work_order_id,
            deadline.deadline_id,
        )
        return False
    return True


async def sign_by_default(
    session: AsyncSession,
    context: DispatchContext,
    work_order_id: str,
    *,
    due_at: datetime,
    detail: dict[str, Any],
) -> WorkOrder | None:
    # The order counts as signed at its deadline, whenever dispatch learns of it: from
    # sla's deadline.reached or from a sign request that came too late. Both use the
    # same conditional UPDATE, so whichever comes first signs and the other finds the
    # order signed: the outcome never depends on which of them ran.
    now = context.clock.now()
    if not await repository.mark_signed(
        session, work_order_id, signed_at=due_at, mode="auto", signed_by=None
    ):
        return None

    order = await reloaded(session, work_order_id)
    await repository.add_action(
        session,
        order.id,
        action="signed",
        actor=SYSTEM,
        at=due_at,
        detail={
            "mode": "auto",
            "due_at": due_at.isoformat(),
            "recorded_at": now.isoformat(),
            **detail,
        },
    )
    await context.outbox.stage(session, _signed_event(order), occurred_at=now)
    log.info(
        "work order %s for appeal %s signed by default for unit %s at its sign-off "
        "deadline %s (Art. 13)",
        order.id,
        order.appeal_id,
        order.unit_id,
        due_at.isoformat(),
    )
    return order


async def sign(
    *,
    session: AsyncSession,
    context: DispatchContext,
    principal: Principal,
    work_order_id: str,
    incoming: SignIn,
) -> WorkOrder:
    """The caller's unit signs for its order (签收), optionally asking for the
    acceptance notice in the same transaction; commits.

    A sign at or after the sign-off deadline finds the order signed by default at
    the deadline (Art. 13): that is recorded and the sign refused. The same clerk
    signing again is answered with the order as it stands. The audit trail names
    the caller; `signed_by` stays the clerk's name as typed, personal data masked
    in it and in the notice (Art. 41).
    """
    incoming = _redacted_sign(incoming)
    order = await visible_order(
        session=session,
        work_order_id=work_order_id,
        unit_id=access.acting_unit(principal),
    )
    actor = principal.label()
    if order.status != repository.DISPATCHED and order.signed_at is not None:
        return await _signed_again(session, context, order, incoming, actor=actor)
    states.check(order, Step.SIGN)
    roles.check_may_sign(order)

    now = context.clock.now()
    if order.sign_off_due_at is not None and now >= order.sign_off_due_at:
        await refuse_late_sign(session, context, order, actor=actor)

    signed = await repository.mark_signed(
        session, order.id, signed_at=now, mode="manual", signed_by=incoming.signed_by
    )
    if not signed:
        # The auto-sign (or another request) committed between our read and our
        # update.
        await session.rollback()
        current = await reloaded(session, work_order_id)
        if current.signed_at is None:
            states.refuse(current, Step.SIGN)
        return await _signed_again(session, context, current, incoming, actor=actor)

    order = await reloaded(session, order.id)
    await repository.add_action(
        session,
        order.id,
        action="signed",
        actor=actor,
        at=now,
        detail={
            "mode": "manual",
            "unit_id": order.unit_id,
            "signed_by": incoming.signed_by,
        },
    )
    await context.outbox.stage(session, _signed_event(order), occurred_at=now)
    if incoming.acceptance_notice is not None:
        await _request_notice(
            session,
            context,
            order,
            accepted=incoming.acceptance_notice.accepted,
            message=incoming.acceptance_notice.message,
            requested_by=incoming.signed_by,
            actor=actor,
        )
    await session.commit()

    log.info(
        "work order %s for appeal %s signed by unit %s (%s)",
        order.id,
        order.appeal_id,
        order.unit_id,
        actor,
    )
    return await reloaded(session, order.id)


async def refuse_late_sign(
    session: AsyncSession,
    context: DispatchContext,
    order: WorkOrder,
    *,
    actor: str,
) -> NoReturn:
    # The deadline passed before this request: the order was signed by default then,
    # whether or not sla's deadline.reached has arrived yet. Record that now, so the
    # order reads the same as if the watcher had run first, then refuse.
    work_order_id, due_at = order.id, order.sign_off_due_at
    if due_at is None:
        raise RuntimeError(f"work order {work_order_id} has no sign-off deadline")

    defaulted = await sign_by_default(
        session,
        context,
        work_order_id,
        due_at=due_at,
        detail={
            "found_by": "late_sign_request",
            "unit_id": order.unit_id,
            "tried_by": actor,
        },
    )
    if defaulted is None:
        # Signed meanwhile (by the deadline.reached handler or another request).
        await session.rollback()
        current = await reloaded(session, work_order_id)
        raise AlreadySigned(_signed_message(current))

    await session.commit()
    log.warning(
        "work order %s for appeal %s: unit %s tried to sign after its sign-off "
        "deadline %s; it stands signed by default (Art. 13)",
        order.id,
        order.appeal_id,
        order.unit_id,
        due_at.isoformat(),
    )
    raise AlreadySigned(_signed_message(defaulted))


async def _signed_again(
    session: AsyncSession,
    context: DispatchContext,
    order: WorkOrder,
    incoming: SignIn,
    *,
    actor: str,
) -> WorkOrder:
    # A clerk whose response was lost signs again: the same unit and clerk on an
    # order they signed themselves get the order back, and nothing is emitted twice.
    # Anything else (signed by default, or by another clerk) is a conflict.
    if order.sign_mode != "manual" or order.signed_by != incoming.signed_by:
        raise AlreadySigned(_signed_message(order))

    log.info(
        "work order %s for appeal %s: unit %s repeated its sign; answered as before",
        order.id,
        order.appeal_id,
        order.unit_id,
    )
    notice = incoming.acceptance_notice
    if notice is None:
        return order
    if order.acceptance_notice_requested_at is None:
        await _request_notice(
            session,
            context,
            order,
            accepted=notice.accepted,
            message=notice.message,
            requested_by=incoming.signed_by,
            actor=actor,
        )
        await session.commit()
        return await reloaded(session, order.id)

    if not await _same_notice(
        session, order, notice=notice, requested_by=incoming.signed_by
    ):
        raise AcceptanceNoticeAlreadyRequested(
            f"work order {order.id} already has a different acceptance notice"
        )
    return order


async def _same_notice(
    session: AsyncSession,
    order: WorkOrder,
    *,
    notice: AcceptanceNoticeIn,
    requested_by: str,
) -> bool:
    action = await repository.last_action(
        session, order.id, "acceptance_notice_requested"
    )
    # Rows written before the audit named the caller kept the clerk as the actor.
    return (
        action is not None
        and action.detail.get("requested_by", action.actor) == requested_by
        and action.detail.get("accepted") == notice.accepted
        and action.detail.get("message_sha256") == _fingerprint(notice.message)
    )


def _fingerprint(message: str) -> str:
    # The audit trail keeps a fingerprint of the notice, not its text: enough to
    # recognise a repeated request, and it shows no more of the message than needed.
    return hashlib.sha256(message.encode("utf-8")).hexdigest()


def _signed_message(order: WorkOrder) -> str:
    if order.sign_mode == "auto" and order.signed_at is not None:
        shown = timeutil.local(order.signed_at)
        return (
            f"work order {order.id} was signed by default (默认签收) at its sign-off "
            f"deadline, {shown:%Y-%m-%d %H:%M} Asia/Shanghai (Art. 13)"
        )
    return f"work order {order.id} was already signed by the unit"


def _signed_event(order: WorkOrder) -> WorkOrderSigned:
    if order.signed_at is None:
        raise RuntimeError(f"work order {order.id} is not signed")
    return WorkOrderSigned(
        work_order_id=order.id,
        appeal_id=order.appeal_id,
        unit_id=order.unit_id,
        signed_at=order.signed_at,
        mode="auto" if order.sign_mode == "auto" else "manual",
        signed_by=order.signed_by,
    )


async def request_acceptance_notice(
    *,
    session: AsyncSession,
    context: DispatchContext,
    principal: Principal,
    work_order_id: str,
    incoming: AcceptanceNoticeRequestIn,
) -> NoticeRequest:
    """The caller's unit's acceptance notice to the citizen (受理告知, Art. 28): one
    per order, after signing; the platform sends it for the unit, personal data
    masked in it (Art. 41). Commits."""
    incoming = incoming.model_copy(
        update={
            "message": redaction.redact(incoming.message),
            "requested_by": redaction.redact(incoming.requested_by),
        }
    )
    order = await visible_order(
        session=session,
        work_order_id=work_order_id,
        unit_id=access.acting_unit(principal),
    )
    _check_notice_allowed(order)

    notice = await _request_notice(
        session,
        context,
        order,
        accepted=incoming.accepted,
        message=incoming.message,
        requested_by=incoming.requested_by,
        actor=principal.label(),
    )
    await session.commit()
    return notice


def _redacted_sign(incoming: SignIn) -> SignIn:
    """The sign request with personal data masked in what it says, before any of it
    is compared, stored, sent or shown: the citizen's own contact is not needed in a
    notice to that citizen, and a clerk's name field is no place for one (Art. 41)."""
    notice = incoming.acceptance_notice
    if notice is not None:
        notice = notice.model_copy(update={"message": redaction.redact(notice.message)})
    return incoming.model_copy(
        update={
            "signed_by": redaction.redact(incoming.signed_by),
            "acceptance_notice": notice,
        }
    )


def _check_notice_allowed(order: WorkOrder) -> None:
    if order.status == repository.RETURNED:
        raise OrderReturned(
            f"work order {order.id} was returned and replaced by work order "
            f"{order.redispatched_to} (Art. 13)"
        )
    if order.status in repository.REPLACED_STATUSES:
        raise OrderEnded(
            f"work order {order.id} is {order.status}: it ended and its appeal goes "
            "on in other orders (Art. 18-20)"
        )
    if order.signed_at is None:
        raise NotSigned(
            f"work order {order.id} is not signed yet; sign it before the "
            "acceptance notice"
        )
    if order.acceptance_notice_requested_at is not None:
        raise AcceptanceNoticeAlreadyRequested(
            f"work order {order.id} already has its acceptance notice"
        )


async def _request_notice(
    session: AsyncSession,
    context: DispatchContext,
    order: WorkOrder,
    *,
    accepted: bool,
    message: str,
    requested_by: str,
    actor: str,
) -> NoticeRequest:
    now = context.clock.now()
    if not await repository.mark_acceptance_notice_requested(
        session, order.id, requested_at=now
    ):
        # Another request committed first: say why this one is refused.
        await session.rollback()
        _check_notice_allowed(await reloaded(session, order.id))
        raise AcceptanceNoticeAlreadyRequested(
            f"work order {order.id} already has its acceptance notice"
        )

    notice = NoticeRequest(
        request_id=ids.new_id(),
        work_order_id=order.id,
        appeal_id=order.appeal_id,
        unit_id=order.unit_id,
        accepted=accepted,
        message=message,
        requested_by=requested_by,
        requested_at=now,
    )
    await repository.add_action(
        session,
        order.id,
        action="acceptance_notice_requested",
        actor=actor,
        at=now,
        detail={
            "request_id": notice.request_id,
            "requested_by": requested_by,
            "accepted": accepted,
            "message_sha256": _fingerprint(message),
        },
    )
    await context.outbox.stage(
        session,
        AcceptanceNoticeRequested(
            request_id=notice.request_id,
            work_order_id=order.id,
            appeal_id=order.appeal_id,
            unit_id=order.unit_id,
            tracking_code=order.tracking_code,
            accepted=accepted,
            message=message,
            requested_at=now,
            requested_by=requested_by,
        ),
        occurred_at=now,
    )
    log.info(
        "work order %s for appeal %s: unit %s asked for the acceptance notice %s",
        order.id,
        order.appeal_id,
        order.unit_id,
        notice.request_id,
    )
    return notice


async def visible_order(
    *, session: AsyncSession, work_order_id: str, unit_id: str | None
) -> WorkOrder:
    """The order if it exists and is `unit_id`'s (any unit's when None); otherwise
    not found, worded the same either way, so a unit never learns of another unit's
    orders."""
    order = await repository.get(session, work_order_id)
    if order is None or (unit_id is not None and order.unit_id != unit_id):
        raise WorkOrderNotFound(f"no work order {work_order_id}", field="work_order_id")
    return order


async def check_unit_visible(
    *, session: AsyncSession, unit_id: str, visible: str | None
) -> None:
    """Check that `unit_id` names a unit the caller may read (any known unit when
    `visible` is None); another unit answers exactly as an unknown one."""
    if (visible is not None and unit_id != visible) or await repository.unit(
        session, unit_id
    ) is None:
        raise UnitNotFound(f"no unit {unit_id}", field="unit_id")


async def reloaded(session: AsyncSession, work_order_id: str) -> WorkOrder:
    order = await repository.reload(session, work_order_id)
    if order is None:
        raise WorkOrderNotFound(f"no work order {work_order_id}")
    return order
