"""Parallel candidates (Art. 20): the description cannot tell which unit is
responsible, so several get the event. The one that confirms (POST /confirm) signs
and handles it as the sole owner; the others return theirs.

A candidate's return needs no decision of the center while another order of the
group is still open: the owner's, or a candidate's still deciding. Only the last one
left asks the center, as for any return. A candidate is never signed, by its clerk or
by default: when its sign-off time (Art. 13) runs out after another unit confirmed,
its order is returned by default; before that it keeps waiting and the center is
warned, since ownership is still unclear (Art. 24).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import redaction
from minsheng_common.auth.principal import Principal
from minsheng_common.events import (
    DeadlineReached,
    WorkOrderReturnDecided,
    WorkOrderReturnRequested,
    WorkOrderSigned,
)
from minsheng_dispatch import repository, service
from minsheng_dispatch.lifecycle import common, states
from minsheng_dispatch.lifecycle.states import Step
from minsheng_dispatch.models import WorkOrder
from minsheng_dispatch.service import SYSTEM, DispatchContext
from minsheng_dispatch.special import groups, roles
from minsheng_dispatch.special import repository as special_repository
from minsheng_dispatch.special.errors import NotCandidate, OwnerConfirmed
from minsheng_dispatch.special.models import ParallelGroup
from minsheng_dispatch.special.schemas import ConfirmIn

log = logging.getLogger(__name__)

ARTICLE = "Art. 20"


async def confirm(
    *,
    session: AsyncSession,
    context: DispatchContext,
    principal: Principal,
    work_order_id: str,
    incoming: ConfirmIn,
) -> WorkOrder:
    """The caller's unit confirms that a candidate order is its own: it signs it and
    handles it as the sole owner; candidates whose sign-off time has run out are
    returned at once. Commits."""
    signed_by = redaction.redact(incoming.signed_by)
    order = await common.units_order(session, principal, work_order_id)
    if order.role != roles.CANDIDATE:
        return await _confirmed_again(session, order, signed_by=signed_by)
    states.check(order, Step.SIGN)

    now = context.clock.now()
    actor = principal.label()
    group = await groups.locked(session, order, at=now)
    owner = group.owner_work_order_id
    if owner is not None or not await special_repository.claim_owner(
        session, group.id, work_order_id=work_order_id, at=now
    ):
        await session.rollback()
        raise OwnerConfirmed(
            f"work order {owner} of the parallel group was confirmed first; its "
            f"unit handles the event: return yours ({ARTICLE})"
        )
    if not await special_repository.confirm_candidate(
        session, work_order_id, signed_by=signed_by, at=now
    ):
        await session.rollback()
        states.refuse(await service.reloaded(session, work_order_id), Step.SIGN)

    order = await service.reloaded(session, work_order_id)
    await repository.add_action(
        session,
        order.id,
        action="ownership_confirmed",
        actor=actor,
        at=now,
        detail={"signed_by": signed_by, "parallel_group_id": group.id},
    )
    await context.outbox.stage(
        session,
        WorkOrderSigned(
            work_order_id=order.id,
            appeal_id=order.appeal_id,
            unit_id=order.unit_id,
            signed_at=now,
            mode="manual",
            signed_by=signed_by,
        ),
        occurred_at=now,
    )
    await _tell_candidates(session, context, order, group, actor=actor, at=now)
    await session.commit()
    log.info(
        "work order %s for appeal %s: unit %s confirmed ownership in parallel group %s",
        order.id,
        order.appeal_id,
        order.unit_id,
        group.id,
    )
    return order


async def _confirmed_again(
    session: AsyncSession, order: WorkOrder, *, signed_by: str
) -> WorkOrder:
    # The same clerk confirming again (a lost answer) gets the order as it stands.
    group = await special_repository.group_of(session, order)
    if (
        group is not None
        and group.owner_work_order_id == order.id
        and order.signed_by == signed_by
    ):
        return order
    raise NotCandidate(
        f"work order {order.id} is a {order.role} order: only a candidate of a "
        f"parallel group confirms ownership ({ARTICLE})"
    )


async def _tell_candidates(
    session: AsyncSession,
    context: DispatchContext,
    owner: WorkOrder,
    group: ParallelGroup,
    *,
    actor: str,
    at: datetime,
) -> None:
    # Each other candidate's unit sees the confirmation in its change log; one whose
    # sign-off time is over has had its chance to decide and is returned now.
    for other in await special_repository.members(session, group.id):
        if other.role != roles.CANDIDATE or other.status != repository.DISPATCHED:
            continue
        if other.sign_off_due_at is not None and other.sign_off_due_at <= at:
            await _end_candidate(
                session,
                context,
                other,
                owner_work_order_id=owner.id,
                actor=SYSTEM,
                at=at,
                reason=f"its sign-off time ran out and unit {owner.unit_id} "
                f"confirmed ownership (Art. 13, {ARTICLE})",
                by_default=True,
            )
            continue
        await repository.add_action(
            session,
            other.id,
            action="owner_confirmed",
            actor=actor,
            at=at,
            detail={"owner_work_order_id": owner.id, "owner_unit_id": owner.unit_id},
        )


async def return_candidate(
    *,
    session: AsyncSession,
    context: DispatchContext,
    order: WorkOrder,
    actor: str,
    reason: str,
) -> WorkOrder | None:
    """A candidate's return (Art. 20): ended at once, without the center, while
    another order of the group is still open; None for any other order, and for the
    last candidate left, whose return the center decides as any other. Commits
    when it ends the order."""
    if order.role != roles.CANDIDATE or order.parallel_group_id is None:
        return None

    now = context.clock.now()
    group = await groups.locked(session, order, at=now)
    others = [
        other
        for other in await special_repository.members(session, group.id)
        if other.id != order.id and other.status in repository.OPEN_STATUSES
    ]
    if not others:
        return None

    ended = await _end_candidate(
        session,
        context,
        order,
        owner_work_order_id=group.owner_work_order_id,
        actor=actor,
        at=now,
        reason=reason,
        by_default=False,
    )
    await session.commit()
    return ended


async def sign_off_reached(
    *, session: AsyncSession, context: DispatchContext, deadline: DeadlineReached
) -> bool:
    """A candidate's sign-off time ran out (Art. 13): returned by default once
    another unit confirmed, otherwise left waiting with a warning for the center.
    False for any other order, which is signed by default as usual. Runs in the
    caller's transaction."""
    order = await repository.get(session, deadline.work_order_id)
    if deadline.kind != "sign_off" or order is None or order.role != roles.CANDIDATE:
        return False
    if order.status != repository.DISPATCHED or order.parallel_group_id is None:
        return True

    now = context.clock.now()
    group = await groups.locked(session, order, at=now)
    if group.owner_work_order_id is not None:
        await _end_candidate(
            session,
            context,
            await service.reloaded(session, order.id),
            owner_work_order_id=group.owner_work_order_id,
            actor=SYSTEM,
            at=now,
            reason=f"its sign-off time ran out after work order "
            f"{group.owner_work_order_id} confirmed ownership (Art. 13, {ARTICLE})",
            by_default=True,
        )
        return True

    await repository.add_action(
        session,
        order.id,
        action="sign_off_time_passed",
        actor=SYSTEM,
        at=now,
        detail={
            "deadline_id": deadline.deadline_id,
            "due_at": deadline.due_at.isoformat(),
            "parallel_group_id": group.id,
        },
    )
    log.warning(
        "work order %s for appeal %s: candidate unit %s neither confirmed nor returned "
        "it by its sign-off time and no unit of parallel group %s has confirmed; "
        "the center coordinates (Art. 20, 24)",
        order.id,
        order.appeal_id,
        order.unit_id,
        group.id,
    )
    return True


async def _end_candidate(
    session: AsyncSession,
    context: DispatchContext,
    order: WorkOrder,
    *,
    owner_work_order_id: str | None,
    actor: str,
    at: datetime,
    reason: str,
    by_default: bool,
) -> WorkOrder:
    if not await repository.move_to(
        session,
        order.id,
        from_statuses={repository.DISPATCHED},
        values={"status": repository.RETURNED, "redispatched_to": owner_work_order_id},
    ):
        states.refuse(await service.reloaded(session, order.id), Step.REQUEST_RETURN)
    await repository.add_action(
        session,
        order.id,
        action="returned_by_default" if by_default else "returned_as_candidate",
        actor=actor,
        at=at,
        detail={
            "reason": reason,
            "parallel_group_id": order.parallel_group_id,
            "owner_work_order_id": owner_work_order_id,
        },
    )
    if not by_default:
        await context.outbox.stage(
            session,
            WorkOrderReturnRequested(
                work_order_id=order.id,
                appeal_id=order.appeal_id,
                unit_id=order.unit_id,
                reason=reason,
                requested_at=at,
                requested_by=actor,
            ),
            occurred_at=at,
        )
    # No one decides: the event stays with the group (Art. 20). The decision is
    # still announced, so the order's clocks stop like any returned order's.
    await context.outbox.stage(
        session,
        WorkOrderReturnDecided(
            work_order_id=order.id,
            appeal_id=order.appeal_id,
            unit_id=order.unit_id,
            approved=True,
            reason=reason,
            decided_at=at,
            decided_by=SYSTEM,
            redispatched_to=owner_work_order_id,
        ),
        occurred_at=at,
    )
    log.info(
        "work order %s for appeal %s: candidate unit %s returned it%s (group %s)",
        order.id,
        order.appeal_id,
        order.unit_id,
        " by default" if by_default else "",
        order.parallel_group_id,
    )
    return await service.reloaded(session, order.id)
