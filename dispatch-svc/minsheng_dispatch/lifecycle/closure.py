"""Closing an order (办结, Art. 17): the unit's request with its reply, the
center's review, staged closures (阶段性办结) and their check.

The unit first tells the citizen the result (the handling notice, Art. 29), then
asks to close with its reply: when it handled the appeal, what was done, the result,
and its attachments; a component (部件) complaint carries photos before and after.
The center approves only once the platform has sent the handling notice. The
outcome is on time when the handling time is not after the handling deadline (as sla
set it, extensions included), overdue otherwise; a staged closure is closed as
staged and checked again at its check date: verified done, or it counts as
overdue.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import redaction, timeutil
from minsheng_common.auth.principal import Principal
from minsheng_common.events import (
    DeadlineReached,
    WorkOrderClosed,
    WorkOrderClosureRejected,
    WorkOrderClosureRequested,
)
from minsheng_dispatch import repository, service
from minsheng_dispatch.attachments import service as attachments
from minsheng_dispatch.attachments.models import Attachment
from minsheng_dispatch.attachments.sniffing import by_content_type
from minsheng_dispatch.errors import (
    AttachmentRepeated,
    HandledAtInvalid,
    HandlingDeadlineUnknown,
    HandlingNoticeNotSent,
    PhotosRequired,
    ReplyIncomplete,
    StagedCheckNotPending,
    StagedClosureIncomplete,
)
from minsheng_dispatch.lifecycle import common, handling, states
from minsheng_dispatch.lifecycle.states import Step
from minsheng_dispatch.models import WorkOrder
from minsheng_dispatch.schemas import ApprovalIn, ClosureIn, DecisionIn, StagedCheckIn
from minsheng_dispatch.service import SYSTEM, DispatchContext
from minsheng_dispatch.special import cooperation

log = logging.getLogger(__name__)

ON_TIME = "on_time"
OVERDUE = "overdue"
STAGED = "staged"

CHECK_PENDING = "pending"
CHECK_DONE = "done"
CHECK_NOT_DONE = "not_done"
CHECK_UNVERIFIED = "unverified"


def is_component_complaint(order: WorkOrder, context: DispatchContext) -> bool:
    """Whether the order is a complaint about a component (部件): its category is
    one of the component categories, or its title, content or address names a
    component (a lamp post, a manhole cover, …)."""
    if order.appeal_type != "complaint":
        return False
    if order.category_id in context.component_categories:
        return True
    text = "\n".join(
        part for part in (order.title, order.content, order.address) if part
    )
    return any(keyword in text for keyword in context.component_keywords)


async def request_closure(
    *,
    session: AsyncSession,
    context: DispatchContext,
    principal: Principal,
    work_order_id: str,
    incoming: ClosureIn,
) -> WorkOrder:
    """The caller's unit asks the center to close its order, with the reply; the
    handling notice may come with it. Commits."""
    order = await common.units_order(session, principal, work_order_id)
    states.check(order, Step.REQUEST_CLOSURE)
    # Of a parallel group, only the lead replies, once it has every opinion (Art. 20).
    await cooperation.check_may_close(session, order)
    now = context.clock.now()
    actor = principal.label()
    reply = _reply(incoming, order=order, now=now)
    _check_each_attachment_once(incoming)

    named = [
        (f"attachments.{index}.id", item.id)
        for index, item in enumerate(incoming.attachments)
    ]
    if incoming.supporting_document is not None:
        named.append(("supporting_document", incoming.supporting_document))
    found = await attachments.usable(
        session=session, principal=principal, order=order, named=named
    )
    if incoming.staged:
        _check_staged(incoming, now=now)
    elif is_component_complaint(order, context):
        _check_photos((item.role, found[item.id]) for item in incoming.attachments)

    roles: list[tuple[str, str]] = [
        (item.id, item.role) for item in incoming.attachments
    ]
    if incoming.supporting_document is not None:
        roles.append((incoming.supporting_document, "document"))
    for attachment_id, role in roles:
        await attachments.link(
            session,
            order=order,
            attachment_id=attachment_id,
            role=role,
            added_by=actor,
            at=now,
        )
    if incoming.handling_notice is not None:
        await handling.stage_handling_notice(
            session,
            context,
            order,
            message=redaction.redact(incoming.handling_notice.message),
            actor=actor,
        )

    attachment_ids = list(dict.fromkeys(attachment_id for attachment_id, _ in roles))
    order = await common.transition(
        session,
        context,
        order,
        Step.REQUEST_CLOSURE,
        action="closure_requested",
        actor=actor,
        at=now,
        values={
            "status": repository.CLOSURE_REQUESTED,
            "closure_requested_at": now,
            "handled_at": reply["handled_at"],
            "staged": incoming.staged,
            "check_date": incoming.check_date if incoming.staged else None,
        },
        detail={
            "handled_at": reply["handled_at"].isoformat(),
            "actions": reply["actions"],
            "result": reply["result"],
            "staged": incoming.staged,
            "check_date": (
                incoming.check_date.isoformat()
                if incoming.staged and incoming.check_date
                else None
            ),
            "attachments": [
                {"id": attachment_id, "role": role} for attachment_id, role in roles
            ],
        },
        events=[
            WorkOrderClosureRequested(
                work_order_id=order.id,
                appeal_id=order.appeal_id,
                unit_id=order.unit_id,
                handled_at=reply["handled_at"],
                staged=incoming.staged,
                check_date=incoming.check_date if incoming.staged else None,
                attachments=attachment_ids,
                requested_at=now,
                requested_by=actor,
            )
        ],
    )
    await session.commit()
    log.info(
        "work order %s for appeal %s: unit %s asks to close it%s",
        order.id,
        order.appeal_id,
        order.unit_id,
        " (staged)" if incoming.staged else "",
    )
    return order


def _reply(incoming: ClosureIn, *, order: WorkOrder, now: Any) -> dict[str, Any]:
    """The reply's three parts, each present (Art. 17), personal data masked."""
    for field, value in (
        ("handled_at", incoming.handled_at),
        ("actions", incoming.actions),
        ("result", incoming.result),
    ):
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ReplyIncomplete(
                f"the reply needs `{field}`: when it was handled, what was done and "
                "the result (Art. 17)",
                field=field,
            )
    handled_at = incoming.handled_at
    if handled_at is None or handled_at > now or handled_at < order.dispatched_at:
        raise HandledAtInvalid(
            "`handled_at` lies in the future or before the order reached the unit",
            field="handled_at",
        )
    return {
        "handled_at": handled_at,
        "actions": redaction.redact(incoming.actions or ""),
        "result": redaction.redact(incoming.result or ""),
    }


def _check_staged(incoming: ClosureIn, *, now: Any) -> None:
    if incoming.supporting_document is None:
        raise StagedClosureIncomplete(
            "a staged closure (阶段性办结) carries its supporting document, e.g. a "
            "stamped rectification notice (Art. 17)",
            field="supporting_document",
        )
    today = timeutil.local(now).date()
    if incoming.check_date is None or incoming.check_date <= today:
        raise StagedClosureIncomplete(
            "a staged closure (阶段性办结) carries a check date after today (Art. 17)",
            field="check_date",
        )


def _check_each_attachment_once(incoming: ClosureIn) -> None:
    # An attachment's id is its content's SHA-256: one file named as the photo
    # before and the photo after proves nothing changed, yet would pass as both.
    seen: set[str] = set()
    for item in incoming.attachments:
        if item.id in seen:
            raise AttachmentRepeated(
                f"attachment {item.id} is named more than once: each file takes one "
                "role, and the photo before and the one after the handling are two "
                "different photos (Art. 17)",
                field="attachments",
            )
        seen.add(item.id)


def _check_photos(attached: Iterable[tuple[str, Attachment]]) -> None:
    roles = set()
    for role, attachment in attached:
        kind = by_content_type(attachment.content_type)
        if kind is not None and kind.is_image:
            roles.add(role)
    if not {"before", "after"} <= roles:
        raise PhotosRequired(
            "a component (部件) complaint closes with at least one photo before and "
            "one after the handling (Art. 17)",
            field="attachments",
        )


async def approve_closure(
    *,
    session: AsyncSession,
    context: DispatchContext,
    principal: Principal,
    work_order_id: str,
    incoming: ApprovalIn,
) -> WorkOrder:
    """The center closes the order: staged, on time, or overdue. Refused until the
    handling notice was sent (Art. 17, 29). A parallel group's lead closes with
    its cooperating orders (Art. 20). Commits."""
    order = await common.any_order(session, work_order_id)
    states.check(order, Step.DECIDE_CLOSURE)
    if order.handling_notice_sent_at is None:
        raise HandlingNoticeNotSent(
            f"work order {order.id} cannot be closed before the citizen's handling "
            "notice is sent (Art. 17, Art. 29)"
        )
    await cooperation.check_may_close(session, order)
    outcome = _outcome(order)
    now = context.clock.now()
    actor = principal.label()
    note = redaction.redact(incoming.note) if incoming.note else None
    await cooperation.close_cooperating(session, context, order, actor=actor, at=now)
    appeal_closed = await _appeal_closed_with(session, order)
    order = await common.transition(
        session,
        context,
        order,
        Step.DECIDE_CLOSURE,
        action="closed",
        actor=actor,
        at=now,
        values={
            "status": repository.CLOSED,
            "closed_at": now,
            "closed_by": actor,
            "outcome": outcome,
            "staged_check": CHECK_PENDING if outcome == STAGED else None,
        },
        detail={
            "outcome": outcome,
            "handled_at": _iso(order.handled_at),
            "handling_due_at": _iso(order.handling_due_at),
            "note": note,
        },
        events=[
            WorkOrderClosed(
                work_order_id=order.id,
                appeal_id=order.appeal_id,
                unit_id=order.unit_id,
                outcome=outcome,
                handled_at=_handled_at(order),
                closed_at=now,
                closed_by=actor,
                check_date=order.check_date if outcome == STAGED else None,
                appeal_closed=appeal_closed,
            )
        ],
    )
    await session.commit()
    log.info(
        "work order %s for appeal %s of unit %s closed: %s",
        order.id,
        order.appeal_id,
        order.unit_id,
        outcome,
    )
    return order


def _outcome(order: WorkOrder) -> str:
    if order.staged:
        return STAGED
    if order.handling_due_at is None:
        raise HandlingDeadlineUnknown(
            f"work order {order.id}: the handling deadline is not known yet, so "
            "on time cannot be told from overdue; try again shortly (Art. 17)"
        )
    return ON_TIME if _handled_at(order) <= order.handling_due_at else OVERDUE


def _handled_at(order: WorkOrder) -> Any:
    if order.handled_at is None:
        raise RuntimeError(f"work order {order.id} has no handling time")
    return order.handled_at


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None


async def _appeal_closed_with(session: AsyncSession, order: WorkOrder) -> bool:
    """Whether closing `order` leaves none of its appeal's orders open."""
    return not any(
        other.id != order.id and other.status in repository.OPEN_STATUSES
        for other in await repository.orders_of_appeal(session, order.appeal_id)
    )


async def reject_closure(
    *,
    session: AsyncSession,
    context: DispatchContext,
    principal: Principal,
    work_order_id: str,
    incoming: DecisionIn,
) -> WorkOrder:
    """The center sends the closure request back with the reason; the order is in
    progress again, and the unit may send a new handling notice. Commits."""
    reason = redaction.redact(incoming.reason)
    order = await common.any_order(session, work_order_id)
    now = context.clock.now()
    actor = principal.label()
    order = await common.transition(
        session,
        context,
        order,
        Step.DECIDE_CLOSURE,
        action="closure_rejected",
        actor=actor,
        at=now,
        values={
            "status": repository.IN_PROGRESS,
            "closure_requested_at": None,
            "handled_at": None,
            "staged": False,
            "check_date": None,
            "handling_notice_requested_at": None,
            "progress_started_at": order.progress_started_at or now,
        },
        detail={"reason": reason},
        events=[
            WorkOrderClosureRejected(
                work_order_id=order.id,
                appeal_id=order.appeal_id,
                unit_id=order.unit_id,
                reason=reason,
                rejected_at=now,
                rejected_by=actor,
            )
        ],
    )
    await session.commit()
    log.info(
        "work order %s for appeal %s: closure sent back to unit %s",
        order.id,
        order.appeal_id,
        order.unit_id,
    )
    return order


async def check_staged(
    *,
    session: AsyncSession,
    context: DispatchContext,
    principal: Principal,
    work_order_id: str,
    incoming: StagedCheckIn,
) -> WorkOrder:
    """The center's check of a staged closure (Art. 17): done, or not done, which
    counts as overdue. Only while the check is pending. Commits."""
    note = redaction.redact(incoming.note) if incoming.note else None
    order = await common.any_order(session, work_order_id)
    states.check(order, Step.CHECK_STAGED)
    now = context.clock.now()
    result = CHECK_DONE if incoming.done else CHECK_NOT_DONE
    order = await _end_check(
        session,
        context,
        order,
        result=result,
        actor=principal.label(),
        at=now,
        detail={"done": incoming.done, "note": note},
    )
    await session.commit()
    return order


async def staged_check_reached(
    *, session: AsyncSession, context: DispatchContext, deadline: DeadlineReached
) -> bool:
    """The check date of a staged closure came (sla's deadline.reached kind
    staged_check): unverified by then, the order counts as overdue (Art. 17). Runs
    in the caller's transaction."""
    if deadline.kind != "staged_check":
        return False
    order = await repository.get(session, deadline.work_order_id)
    if order is None or order.staged_check != CHECK_PENDING:
        log.info(
            "work order %s: staged check %s reached but nothing is pending",
            deadline.work_order_id,
            deadline.deadline_id,
        )
        return False
    await _end_check(
        session,
        context,
        order,
        result=CHECK_UNVERIFIED,
        actor=SYSTEM,
        at=deadline.reached_at,
        detail={"deadline_id": deadline.deadline_id, "due_at": _iso(deadline.due_at)},
    )
    log.warning(
        "work order %s for appeal %s of unit %s: staged closure not verified by its "
        "check date %s; it counts as overdue (Art. 17)",
        order.id,
        order.appeal_id,
        order.unit_id,
        _iso(order.check_date),
    )
    return True


async def _end_check(
    session: AsyncSession,
    context: DispatchContext,
    order: WorkOrder,
    *,
    result: str,
    actor: str,
    at: Any,
    detail: dict[str, Any],
) -> WorkOrder:
    # The catalogue has no event for a staged closure's check yet; the result is in
    # the order, its audit trail and the change log.
    if not await repository.move_to_where(
        session,
        order.id,
        conditions={"status": repository.CLOSED, "staged_check": CHECK_PENDING},
        values={
            "staged_check": result,
            "outcome": STAGED if result == CHECK_DONE else OVERDUE,
        },
    ):
        raise StagedCheckNotPending(
            f"work order {order.id} has no staged closure waiting for its check "
            "(Art. 17)"
        )
    await repository.add_action(
        session,
        order.id,
        action=f"staged_check_{result}",
        actor=actor,
        at=at,
        detail=detail,
    )
    return await service.reloaded(session, order.id)
