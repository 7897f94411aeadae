"""A lead (牵头单位) and its cooperating units (协同单位) (Art. 20, 22): the facts
are clear but several units are involved. Each cooperating unit gives the lead its
opinion within its own order's period; the lead gathers them and gives the citizen
the single reply. Only the lead sends the handling notice and asks to close, and not
while an opinion is missing unless the center waived it. Closing the lead closes
its cooperating orders, on time when their opinion came within their period.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import redaction
from minsheng_common.auth.principal import Principal
from minsheng_common.events import WorkOrderClosed, WorkOrderOpinionSubmitted
from minsheng_dispatch import repository, service
from minsheng_dispatch.lifecycle import common, states
from minsheng_dispatch.lifecycle.states import Step
from minsheng_dispatch.models import WorkOrder
from minsheng_dispatch.service import DispatchContext
from minsheng_dispatch.special import groups, orders, roles
from minsheng_dispatch.special import repository as special_repository
from minsheng_dispatch.special.errors import (
    NotCooperating,
    OpinionAlreadyGiven,
    OpinionMissing,
)
from minsheng_dispatch.special.models import SUBMITTED, WAIVED, CooperationOpinion
from minsheng_dispatch.special.schemas import OpinionIn

log = logging.getLogger(__name__)

ARTICLE = "Art. 20"
ON_TIME = "on_time"
OVERDUE = "overdue"


async def submit_opinion(
    *,
    session: AsyncSession,
    context: DispatchContext,
    principal: Principal,
    work_order_id: str,
    incoming: OpinionIn,
) -> CooperationOpinion:
    """The caller's cooperating unit gives the lead its opinion, once, after signing;
    one given after its handling period counts as late. Commits."""
    text = redaction.redact(incoming.opinion)
    order = await common.units_order(session, principal, work_order_id)
    _check_cooperating(order)
    if order.status not in (repository.SIGNED, repository.IN_PROGRESS):
        orders.refuse_state(order, what="give an opinion", article=ARTICLE)
    await _check_no_opinion(session, order)

    now = context.clock.now()
    actor = principal.label()
    group = await groups.locked(session, order, at=now)
    lead = await groups.lead(session, group.id)
    given = await _record_opinion(
        session,
        order,
        group_id=group.id,
        status=SUBMITTED,
        opinion=text,
        reason=None,
        by=actor,
        at=now,
    )
    if not await repository.move_to(
        session,
        work_order_id,
        from_statuses={repository.SIGNED, repository.IN_PROGRESS},
        values={
            "status": repository.IN_PROGRESS,
            "progress_started_at": func.coalesce(WorkOrder.progress_started_at, now),
        },
    ):
        await session.rollback()
        orders.refuse_state(
            await service.reloaded(session, work_order_id),
            what="give an opinion",
            article=ARTICLE,
        )

    await _audit_opinion(session, order, lead, given, action="opinion_submitted")
    await context.outbox.stage(
        session,
        WorkOrderOpinionSubmitted(
            work_order_id=order.id,
            appeal_id=order.appeal_id,
            unit_id=order.unit_id,
            parallel_group_id=group.id,
            lead_work_order_id=lead.id if lead else None,
            submitted_at=now,
            submitted_by=actor,
            due_at=given.due_at,
            on_time=given.on_time,
        ),
        occurred_at=now,
    )
    await session.commit()
    log.log(
        logging.INFO if given.on_time else logging.WARNING,
        "work order %s for appeal %s: cooperating unit %s gave its opinion to the "
        "lead of parallel group %s%s",
        order.id,
        order.appeal_id,
        order.unit_id,
        group.id,
        "" if given.on_time else ", after its handling period",
    )
    return given


async def waive_opinion(
    *,
    session: AsyncSession,
    context: DispatchContext,
    principal: Principal,
    work_order_id: str,
    reason: str,
) -> CooperationOpinion:
    """The center lets the lead reply without a cooperating unit's opinion, with the
    reason; the cooperating order closes with the lead. Commits."""
    reason = redaction.redact(reason)
    order = await orders.center_order(session, work_order_id)
    _check_cooperating(order)
    if order.status not in repository.OPEN_STATUSES:
        orders.refuse_state(order, what="have its opinion waived", article=ARTICLE)
    await _check_no_opinion(session, order)

    now = context.clock.now()
    actor = principal.label()
    group = await groups.locked(session, order, at=now)
    lead = await groups.lead(session, group.id)
    waived = await _record_opinion(
        session,
        order,
        group_id=group.id,
        status=WAIVED,
        opinion=None,
        reason=reason,
        by=actor,
        at=now,
    )
    await _audit_opinion(session, order, lead, waived, action="opinion_waived")
    await session.commit()
    log.info(
        "work order %s for appeal %s: the center waived cooperating unit %s's "
        "opinion in parallel group %s",
        order.id,
        order.appeal_id,
        order.unit_id,
        group.id,
    )
    return waived


def _check_cooperating(order: WorkOrder) -> None:
    if order.role != roles.COOPERATING or order.parallel_group_id is None:
        raise NotCooperating(
            f"work order {order.id} is a {order.role} order: opinions are given by "
            f"the cooperating units of a parallel group to their lead ({ARTICLE})"
        )


async def _check_no_opinion(session: AsyncSession, order: WorkOrder) -> None:
    found = await special_repository.opinion(session, order.id)
    if found is not None:
        raise OpinionAlreadyGiven(
            f"work order {order.id} has its opinion already ({found.status}); add "
            f"what is new as a progress note ({ARTICLE})"
        )


async def _record_opinion(
    session: AsyncSession,
    order: WorkOrder,
    *,
    group_id: str,
    status: str,
    opinion: str | None,
    reason: str | None,
    by: str,
    at: datetime,
) -> CooperationOpinion:
    work_order_id, due_at = order.id, order.handling_due_at
    given = CooperationOpinion(
        work_order_id=work_order_id,
        group_id=group_id,
        unit_id=order.unit_id,
        status=status,
        opinion=opinion,
        reason=reason,
        at=at,
        by=by,
        due_at=due_at,
        on_time=due_at is None or at <= due_at,
    )
    session.add(given)
    try:
        await session.flush()
    except IntegrityError as error:
        # Another request recorded the order's opinion first.
        await session.rollback()
        raise OpinionAlreadyGiven(
            f"work order {work_order_id} has its opinion already ({ARTICLE})"
        ) from error
    return given


async def _audit_opinion(
    session: AsyncSession,
    order: WorkOrder,
    lead: WorkOrder | None,
    given: CooperationOpinion,
    *,
    action: str,
) -> None:
    # The lead's history gets the opinion too: that is where its unit reads it.
    detail = {
        "parallel_group_id": given.group_id,
        "opinion": given.opinion,
        "reason": given.reason,
        "on_time": given.on_time,
        "due_at": given.due_at.isoformat() if given.due_at else None,
    }
    await repository.add_action(
        session,
        order.id,
        action=action,
        actor=given.by,
        at=given.at,
        detail={**detail, "lead_work_order_id": lead.id if lead else None},
    )
    if lead is not None:
        await repository.add_action(
            session,
            lead.id,
            action=action,
            actor=given.by,
            at=given.at,
            detail={**detail, "work_order_id": order.id, "unit_id": order.unit_id},
        )


async def check_may_close(session: AsyncSession, order: WorkOrder) -> None:
    """Refuse (409) closing a cooperating order on its own, or the lead's while a
    cooperating unit's opinion is missing and not waived (Art. 20)."""
    roles.check_may_reply(order)
    if order.role != roles.LEAD or order.parallel_group_id is None:
        return

    missing = await groups.missing(session, order.parallel_group_id)
    if missing:
        named = ", ".join(f"{m.unit_id} (work order {m.id})" for m in missing)
        raise OpinionMissing(
            f"work order {order.id} leads parallel group {order.parallel_group_id} "
            f"and replies once every cooperating unit's opinion is in; still "
            f"missing: {named}. The center may waive one ({ARTICLE})"
        )


async def close_cooperating(
    session: AsyncSession,
    context: DispatchContext,
    lead: WorkOrder,
    *,
    actor: str,
    at: datetime,
) -> list[WorkOrder]:
    """Close the open cooperating orders of a lead being closed, each on time when
    its opinion came within its own period (or was waived within it), overdue
    otherwise. In the caller's transaction."""
    if lead.role != roles.LEAD or lead.parallel_group_id is None:
        return []

    opinions = await special_repository.opinions(session, lead.parallel_group_id)
    closed: list[WorkOrder] = []
    for member in await special_repository.members(session, lead.parallel_group_id):
        if member.role != roles.COOPERATING:
            continue
        if member.status not in repository.OPEN_STATUSES:
            continue
        closed.append(
            await _close_with_lead(
                session,
                context,
                member,
                lead,
                opinions.get(member.id),
                actor=actor,
                at=at,
            )
        )
    return closed


async def _close_with_lead(
    session: AsyncSession,
    context: DispatchContext,
    member: WorkOrder,
    lead: WorkOrder,
    given: CooperationOpinion | None,
    *,
    actor: str,
    at: datetime,
) -> WorkOrder:
    handled_at = given.at if given is not None else at
    outcome = ON_TIME if given is not None and given.on_time else OVERDUE
    if not await repository.move_to(
        session,
        member.id,
        from_statuses=repository.OPEN_STATUSES,
        values={
            "status": repository.CLOSED,
            "closed_at": at,
            "closed_by": actor,
            "outcome": outcome,
            "handled_at": handled_at,
        },
    ):
        states.refuse(await service.reloaded(session, member.id), Step.DECIDE_CLOSURE)
    await repository.add_action(
        session,
        member.id,
        action="closed_with_lead",
        actor=actor,
        at=at,
        detail={
            "lead_work_order_id": lead.id,
            "outcome": outcome,
            "opinion": given.status if given is not None else None,
        },
    )
    await context.outbox.stage(
        session,
        WorkOrderClosed(
            work_order_id=member.id,
            appeal_id=member.appeal_id,
            unit_id=member.unit_id,
            outcome=outcome,
            handled_at=handled_at,
            closed_at=at,
            closed_by=actor,
            appeal_closed=False,
        ),
        occurred_at=at,
    )
    log.info(
        "work order %s for appeal %s of cooperating unit %s closed with lead %s: %s",
        member.id,
        member.appeal_id,
        member.unit_id,
        lead.id,
        outcome,
    )
    return await service.reloaded(session, member.id)
