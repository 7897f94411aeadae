"""Reopening a closed order (重办): when the return visit finds the problem not
solved, the center sends the order back to its unit as a new round, with its own
clock (a new work_order.dispatched with the round's number). The order keeps its id
and its whole history; what belonged to the earlier round stays in the audit
trail."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import redaction
from minsheng_common.auth.principal import Principal
from minsheng_common.events import WorkOrderReopened
from minsheng_dispatch import repository, service
from minsheng_dispatch.lifecycle import common, states
from minsheng_dispatch.lifecycle.states import Step
from minsheng_dispatch.models import WorkOrder
from minsheng_dispatch.schemas import DecisionIn
from minsheng_dispatch.service import DispatchContext

log = logging.getLogger(__name__)


async def reopen(
    *,
    session: AsyncSession,
    context: DispatchContext,
    principal: Principal,
    work_order_id: str,
    incoming: DecisionIn,
) -> WorkOrder:
    """The center reopens a closed order as its next round; the unit signs it again
    and its clock starts at the reopening. Commits."""
    reason = redaction.redact(incoming.reason)
    order = await common.any_order(session, work_order_id)
    states.check(order, Step.REOPEN)
    now = context.clock.now()
    actor = principal.label()
    next_round = order.round + 1
    previous = {
        "round": order.round,
        "outcome": order.outcome,
        "closed_at": order.closed_at.isoformat() if order.closed_at else None,
        "signed_at": order.signed_at.isoformat() if order.signed_at else None,
        "handled_at": order.handled_at.isoformat() if order.handled_at else None,
        "handling_due_at": (
            order.handling_due_at.isoformat() if order.handling_due_at else None
        ),
        "staged_check": order.staged_check,
    }
    order = await common.transition(
        session,
        context,
        order,
        Step.REOPEN,
        action="reopened",
        actor=actor,
        at=now,
        values={
            "status": repository.DISPATCHED,
            "round": next_round,
            # The round's clock starts now (Art. 15 counts from the order's
            # creation; a reopened round is created by the reopening).
            "created_at": now,
            "dispatched_at": now,
            "clock_from": "created",
            "signed_at": None,
            "sign_mode": None,
            "signed_by": None,
            "acceptance_notice_requested_at": None,
            # Deadlines of the earlier round no longer apply, and a late delivery
            # of one (set before now) cannot come back.
            "sign_off_due_at": None,
            "sign_off_set_at": now,
            "handling_due_at": None,
            "handling_set_at": now,
            "extended_working_days": 0,
            "progress_started_at": None,
            "handling_notice_requested_at": None,
            "handling_notice_sent_at": None,
            "closure_requested_at": None,
            "handled_at": None,
            "staged": False,
            "check_date": None,
            "closed_at": None,
            "closed_by": None,
            "outcome": None,
            "staged_check": None,
        },
        detail={"reason": reason, "round": next_round, "previous": previous},
    )
    await context.outbox.stage(
        session,
        WorkOrderReopened(
            work_order_id=order.id,
            appeal_id=order.appeal_id,
            unit_id=order.unit_id,
            round=next_round,
            reason=reason,
            reopened_at=now,
            reopened_by=actor,
        ),
        occurred_at=now,
    )
    await context.outbox.stage(
        session, service.dispatched_event(order), occurred_at=now
    )
    await session.commit()
    log.info(
        "work order %s for appeal %s reopened for unit %s as round %d",
        order.id,
        order.appeal_id,
        order.unit_id,
        next_round,
    )
    return order
