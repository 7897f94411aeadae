"""Extensions of the handling time (延期, Art. 16).

A unit may ask once for at most the edition's first extension (5 working days)
on its own; a second request, or a longer one, needs the district leader's written
approval attached. However granted, the handling period plus every approved
extension never passes the edition's total (20 working days). One request waits
for the center's decision at a time; sla moves the handling deadline when the
center approves (work_order.extension_decided).

A refused request does not use up the unit's one extension: "once" counts the
extensions granted.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import ids, redaction
from minsheng_common.auth.principal import Principal
from minsheng_common.events import (
    WorkOrderExtensionDecided,
    WorkOrderExtensionRequested,
)
from minsheng_common.rules import RuleEdition
from minsheng_dispatch import repository, service
from minsheng_dispatch.attachments import service as attachments
from minsheng_dispatch.errors import (
    ExtensionBeyondLimit,
    ExtensionPending,
    LeaderApprovalRequired,
    NoExtensionPending,
)
from minsheng_dispatch.lifecycle import common, states
from minsheng_dispatch.lifecycle.states import Step
from minsheng_dispatch.models import WorkOrder, WorkOrderExtension
from minsheng_dispatch.schemas import ApprovalIn, DecisionIn, ExtensionIn
from minsheng_dispatch.service import DispatchContext

log = logging.getLogger(__name__)

PENDING = "pending"
APPROVED = "approved"
REFUSED = "refused"


def check_limits(
    *,
    edition: RuleEdition,
    order: WorkOrder,
    granted: list[WorkOrderExtension],
    working_days: int,
    leader_approval: str | None,
) -> None:
    """Refuse an extension the rules do not allow (Art. 16): beyond the first
    one or its 5 days without the leader's approval, beyond 20 days in total."""
    first_limit = edition.extension_max_working_days
    if leader_approval is None and (granted or working_days > first_limit):
        why = (
            "a second extension" if granted else f"more than {first_limit} working days"
        )
        raise LeaderApprovalRequired(
            f"{why} needs the district leader's written approval attached as "
            "`leader_approval` (Art. 16)",
            field="leader_approval",
        )
    period = edition.handling_days(order.appeal_type)  # type: ignore[arg-type]
    already = sum(extension.working_days for extension in granted)
    total = period + already + working_days
    if total > edition.total_max_working_days:
        room = max(0, edition.total_max_working_days - period - already)
        raise ExtensionBeyondLimit(
            f"the handling period ({period} working days) and its extensions "
            f"({already + working_days}) would come to {total} working days, over "
            f"the total of {edition.total_max_working_days}; at most {room} more "
            "can be granted (Art. 16)",
            field="working_days",
        )


async def request_extension(
    *,
    session: AsyncSession,
    context: DispatchContext,
    principal: Principal,
    work_order_id: str,
    incoming: ExtensionIn,
) -> WorkOrderExtension:
    """The caller's unit asks for more time; the center decides. Commits."""
    reason = redaction.redact(incoming.reason)
    order = await common.units_order(session, principal, work_order_id)
    states.check(order, Step.REQUEST_EXTENSION)
    now = context.clock.now()
    actor = principal.label()

    # Hold the order's row first, so two requests for one order are decided one
    # after the other (PostgreSQL row lock; SQLite has one writer anyway).
    if not await repository.move_to(
        session,
        order.id,
        from_statuses=states.ALLOWED[Step.REQUEST_EXTENSION],
        values={"updated_at": now},
    ):
        states.refuse(await service.reloaded(session, order.id), Step.REQUEST_EXTENSION)
    known = await repository.extensions(session, order.id, round_=order.round)
    if any(extension.status == PENDING for extension in known):
        raise ExtensionPending(
            f"work order {order.id} already has an extension request waiting for "
            "the center's decision (Art. 16)"
        )
    check_limits(
        edition=context.rule_book.by_id(order.rules_edition),
        order=order,
        granted=[extension for extension in known if extension.status == APPROVED],
        working_days=incoming.working_days,
        leader_approval=incoming.leader_approval,
    )
    if incoming.leader_approval is not None:
        await attachments.usable(
            session=session,
            principal=principal,
            order=order,
            named=[("leader_approval", incoming.leader_approval)],
        )
        await attachments.link(
            session,
            order=order,
            attachment_id=incoming.leader_approval,
            role="leader_approval",
            added_by=actor,
            at=now,
        )

    extension = WorkOrderExtension(
        id=ids.new_id(),
        work_order_id=order.id,
        round=order.round,
        working_days=incoming.working_days,
        reason=reason,
        leader_approval=incoming.leader_approval,
        status=PENDING,
        requested_at=now,
        requested_by=actor,
    )
    session.add(extension)
    await repository.add_action(
        session,
        order.id,
        action="extension_requested",
        actor=actor,
        at=now,
        detail={
            "extension_id": extension.id,
            "working_days": extension.working_days,
            "reason": reason,
            "leader_approval": extension.leader_approval,
        },
    )
    await context.outbox.stage(
        session,
        WorkOrderExtensionRequested(
            work_order_id=order.id,
            appeal_id=order.appeal_id,
            unit_id=order.unit_id,
            working_days=extension.working_days,
            reason=reason,
            leader_approval=extension.leader_approval,
            requested_at=now,
            requested_by=actor,
        ),
        occurred_at=now,
    )
    await session.commit()
    log.info(
        "work order %s for appeal %s: unit %s asks for %d more working days",
        order.id,
        order.appeal_id,
        order.unit_id,
        extension.working_days,
    )
    return extension


async def decide_extension(
    *,
    session: AsyncSession,
    context: DispatchContext,
    principal: Principal,
    work_order_id: str,
    approved: bool,
    incoming: ApprovalIn | DecisionIn,
) -> WorkOrderExtension:
    """The center approves or refuses the pending extension request; sla moves the
    handling deadline on approval. Commits."""
    given = incoming.reason if isinstance(incoming, DecisionIn) else incoming.note
    reason = redaction.redact(given or "")
    order = await common.any_order(session, work_order_id)
    states.check(order, Step.DECIDE_EXTENSION)
    now = context.clock.now()
    actor = principal.label()
    known = await repository.extensions(session, order.id, round_=order.round)
    pending = next((e for e in known if e.status == PENDING), None)
    if pending is None:
        raise NoExtensionPending(
            f"work order {order.id} has no extension request waiting (Art. 16)"
        )
    if approved:
        # The limits are checked again: the order may have changed since.
        check_limits(
            edition=context.rule_book.by_id(order.rules_edition),
            order=order,
            granted=[e for e in known if e.status == APPROVED],
            working_days=pending.working_days,
            leader_approval=pending.leader_approval,
        )
    if not await repository.decide_extension(
        session,
        pending.id,
        status=APPROVED if approved else REFUSED,
        decided_at=now,
        decided_by=actor,
        reason=reason,
    ):
        raise NoExtensionPending(
            f"the extension request of work order {order.id} was decided meanwhile "
            "(Art. 16)"
        )
    granted_days = pending.working_days if approved else 0
    values = {"extended_working_days": WorkOrder.extended_working_days + granted_days}
    await common.transition(
        session,
        context,
        order,
        Step.DECIDE_EXTENSION,
        action="extension_approved" if approved else "extension_refused",
        actor=actor,
        at=now,
        values=values,
        detail={
            "extension_id": pending.id,
            "working_days": granted_days,
            "reason": reason,
        },
        events=[
            WorkOrderExtensionDecided(
                work_order_id=order.id,
                appeal_id=order.appeal_id,
                unit_id=order.unit_id,
                approved=approved,
                working_days=granted_days,
                reason=reason,
                decided_at=now,
                decided_by=actor,
            )
        ],
    )
    await session.commit()
    log.info(
        "work order %s for appeal %s: the center %s unit %s's extension of %d "
        "working days",
        order.id,
        order.appeal_id,
        "approved" if approved else "refused",
        order.unit_id,
        pending.working_days,
    )
    return await _reloaded_extension(session, pending.id)


async def _reloaded_extension(
    session: AsyncSession, extension_id: str
) -> WorkOrderExtension:
    extension = await session.get(
        WorkOrderExtension, extension_id, populate_existing=True
    )
    if extension is None:
        raise RuntimeError(f"extension {extension_id} vanished")
    return extension
