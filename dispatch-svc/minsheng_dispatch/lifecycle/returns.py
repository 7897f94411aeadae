"""Returning an order (申请退件, Art. 13): the unit asks before signing; the center
approves (the appeal goes to the unit the center names, as a new order) or refuses
(the unit keeps the order)."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import redaction
from minsheng_common.auth.principal import Principal
from minsheng_common.events import WorkOrderReturnDecided, WorkOrderReturnRequested
from minsheng_dispatch import repository, service
from minsheng_dispatch.admin import responsibility
from minsheng_dispatch.errors import RedispatchUnitInvalid
from minsheng_dispatch.lifecycle import common, states
from minsheng_dispatch.lifecycle.states import Step
from minsheng_dispatch.models import WorkOrder
from minsheng_dispatch.schemas import DecisionIn, ReturnApproveIn, ReturnRequestIn
from minsheng_dispatch.service import DispatchContext
from minsheng_dispatch.special import candidates, roles

log = logging.getLogger(__name__)

REDISPATCH_REASON = "center_redispatch"


async def request_return(
    *,
    session: AsyncSession,
    context: DispatchContext,
    principal: Principal,
    work_order_id: str,
    incoming: ReturnRequestIn,
) -> WorkOrder:
    """The caller's unit asks to give its order back, with the reason; commits.

    Only before signing (Art. 13): a signed order answers 409 `already_signed`, and
    a request at or after the sign-off deadline finds the order signed by default
    at the deadline, as a late sign does. A unit the center named responsible
    cannot return it (Art. 25, 26). A parallel candidate's return ends its order at
    once while the group's event stays with another unit (Art. 20).
    """
    reason = redaction.redact(incoming.reason)
    order = await common.units_order(session, principal, work_order_id)
    states.check(order, Step.REQUEST_RETURN)
    actor = principal.label()
    now = context.clock.now()
    await responsibility.check_may_return(
        session, work_order_id=order.id, unit_id=order.unit_id, at=now
    )
    ended = await candidates.return_candidate(
        session=session, context=context, order=order, actor=actor, reason=reason
    )
    if ended is not None:
        return ended
    late = order.sign_off_due_at is not None and now >= order.sign_off_due_at
    # A candidate is never signed by default; its late return goes to the center.
    if late and order.role != roles.CANDIDATE:
        await service.refuse_late_sign(session, context, order, actor=actor)

    order = await common.transition(
        session,
        context,
        order,
        Step.REQUEST_RETURN,
        action="return_requested",
        actor=actor,
        at=now,
        values={"status": repository.RETURN_REQUESTED},
        detail={"reason": reason},
        events=[
            WorkOrderReturnRequested(
                work_order_id=order.id,
                appeal_id=order.appeal_id,
                unit_id=order.unit_id,
                reason=reason,
                requested_at=now,
                requested_by=actor,
            )
        ],
    )
    await session.commit()
    log.info(
        "work order %s for appeal %s: unit %s asks to return it",
        order.id,
        order.appeal_id,
        order.unit_id,
    )
    return order


async def approve_return(
    *,
    session: AsyncSession,
    context: DispatchContext,
    principal: Principal,
    work_order_id: str,
    incoming: ReturnApproveIn,
) -> WorkOrder:
    """The center approves a return: the order ends (returned) and the appeal goes
    to the unit the center names as a new order, timed from its own dispatch.
    Returns the new order; commits."""
    reason = redaction.redact(incoming.reason)
    order = await common.any_order(session, work_order_id)
    states.check(order, Step.DECIDE_RETURN)
    if incoming.unit_id == order.unit_id or (
        await repository.unit(session, incoming.unit_id) is None
    ):
        raise RedispatchUnitInvalid(
            f"unit {incoming.unit_id} is unknown or is the unit that returned the "
            "order; name another unit",
            field="unit_id",
        )

    now = context.clock.now()
    actor = principal.label()
    replacement = service.redispatched_order(
        order,
        unit_id=incoming.unit_id,
        now=now,
        edition=context.rule_book.by_id(order.rules_edition),
        basis=f"returned by {order.unit_id}; the center sent it to "
        f"{incoming.unit_id}: {reason}",
        reason=REDISPATCH_REASON,
    )
    await common.transition(
        session,
        context,
        order,
        Step.DECIDE_RETURN,
        action="return_approved",
        actor=actor,
        at=now,
        values={"status": repository.RETURNED, "redispatched_to": replacement.id},
        detail={"reason": reason, "redispatched_to": replacement.id},
        events=[
            WorkOrderReturnDecided(
                work_order_id=order.id,
                appeal_id=order.appeal_id,
                unit_id=order.unit_id,
                approved=True,
                reason=reason,
                decided_at=now,
                decided_by=actor,
                redispatched_to=replacement.id,
            )
        ],
    )
    await service.send_order(
        session,
        context,
        replacement,
        actor=actor,
        detail={"redispatched_from": order.id, "reason": reason},
    )
    await session.commit()
    log.info(
        "work order %s for appeal %s returned by unit %s; sent to unit %s as work "
        "order %s",
        order.id,
        order.appeal_id,
        order.unit_id,
        replacement.unit_id,
        replacement.id,
    )
    return await service.reloaded(session, replacement.id)


async def refuse_return(
    *,
    session: AsyncSession,
    context: DispatchContext,
    principal: Principal,
    work_order_id: str,
    incoming: DecisionIn,
) -> WorkOrder:
    """The center refuses a return: the unit keeps the order, to sign as before.
    If the sign-off time ran out while the center decided, the order is signed by
    default at the decision (Art. 13). Commits."""
    reason = redaction.redact(incoming.reason)
    order = await common.any_order(session, work_order_id)
    now = context.clock.now()
    actor = principal.label()
    order = await common.transition(
        session,
        context,
        order,
        Step.DECIDE_RETURN,
        action="return_refused",
        actor=actor,
        at=now,
        values={"status": repository.DISPATCHED},
        detail={"reason": reason},
        events=[
            WorkOrderReturnDecided(
                work_order_id=order.id,
                appeal_id=order.appeal_id,
                unit_id=order.unit_id,
                approved=False,
                reason=reason,
                decided_at=now,
                decided_by=actor,
            )
        ],
    )
    if order.sign_off_due_at is not None and now >= order.sign_off_due_at:
        await service.sign_by_default(
            session,
            context,
            order.id,
            due_at=now,
            detail={"found_by": "return_refused_after_deadline"},
        )
    await session.commit()
    log.info(
        "work order %s for appeal %s: the center refused unit %s's return",
        order.id,
        order.appeal_id,
        order.unit_id,
    )
    return await service.reloaded(session, order.id)
