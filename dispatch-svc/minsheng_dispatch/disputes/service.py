"""Ownership disputes (争议协调, Art. 24): the center opens a dispute on an order whose
units contest who owns it and coordinates; unresolved, it goes to the bureau's
leadership, then to the district leader's meeting, which must decide. The decision
names the owner: the order stays with its unit, or goes to the owner as a new order,
as an approved return sends it (Art. 13).

Every step is recorded with who, when, the level and the reason or decision, shows in
the order's history, and is announced on the bus. The levels above the center do not
use the platform: a center operator records their escalations and decisions, a
decision with the level's written decision attached.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import ids, redaction
from minsheng_common.auth.principal import Principal
from minsheng_common.events import (
    WorkOrderDisputeDecided,
    WorkOrderDisputeEscalated,
    WorkOrderReturnDecided,
)
from minsheng_common.events.catalogue import DisputeLevel
from minsheng_dispatch import repository, service
from minsheng_dispatch.admin import registry
from minsheng_dispatch.attachments import service as attachments
from minsheng_dispatch.disputes import checks, levels
from minsheng_dispatch.disputes import repository as disputes_repo
from minsheng_dispatch.disputes.errors import DisputeLevelMismatch
from minsheng_dispatch.disputes.levels import Level
from minsheng_dispatch.disputes.models import DECIDED, OPEN, Dispute, DisputeStep
from minsheng_dispatch.disputes.schemas import (
    DisputeDecideIn,
    DisputeEscalateIn,
    DisputeOpenIn,
)
from minsheng_dispatch.lifecycle import common
from minsheng_dispatch.models import WorkOrder
from minsheng_dispatch.service import DispatchContext

log = logging.getLogger(__name__)

REDISPATCH_REASON = "dispute_decision"


async def open_dispute(
    *,
    session: AsyncSession,
    context: DispatchContext,
    principal: Principal,
    work_order_id: str,
    incoming: DisputeOpenIn,
) -> Dispute:
    """The center opens a dispute on an order whose units contest who owns it, and
    coordinates it first (Art. 24). Commits."""
    reason = redaction.redact(incoming.reason)
    order = await common.any_order(session, work_order_id)
    checks.may_open(order)
    await checks.units_known(session, incoming.unit_ids)
    await checks.no_open_dispute(session, order.id)

    now = context.clock.now()
    actor = principal.label()
    dispute = Dispute(
        id=ids.new_id(),
        work_order_id=order.id,
        appeal_id=order.appeal_id,
        unit_ids=list(incoming.unit_ids),
        reason=reason,
        level=Level.CENTER.value,
        state=OPEN,
        open_for=order.id,
        opened_at=now,
        opened_by=actor,
        updated_at=now,
    )
    await _insert_open(session, dispute)

    _add_step(
        session, dispute, "opened", Level.CENTER, actor=actor, at=now, text=reason
    )
    await repository.add_action(
        session,
        order.id,
        action="dispute_opened",
        actor=actor,
        at=now,
        detail={
            "dispute_id": dispute.id,
            "level": Level.CENTER.value,
            "unit_ids": dispute.unit_ids,
            "reason": reason,
        },
    )
    await context.outbox.stage(
        session,
        _escalated_event(dispute, Level.CENTER, reason=reason, at=now, actor=actor),
        occurred_at=now,
    )
    await session.commit()
    log.info(
        "work order %s for appeal %s: dispute %s opened between units %s",
        order.id,
        order.appeal_id,
        dispute.id,
        ", ".join(dispute.unit_ids),
    )
    return await _reloaded(session, dispute.id)


async def _insert_open(session: AsyncSession, dispute: Dispute) -> None:
    work_order_id = dispute.work_order_id
    session.add(dispute)
    try:
        await session.flush()
    except IntegrityError:
        # Another operator opened one between our check and our insert; the unique
        # `open_for` kept it to one. Say which.
        await session.rollback()
        await checks.no_open_dispute(session, work_order_id)
        raise


async def escalate(
    *,
    session: AsyncSession,
    context: DispatchContext,
    principal: Principal,
    dispute_id: str,
    incoming: DisputeEscalateIn,
) -> Dispute:
    """The level a dispute stands at cannot resolve it: it goes to the bureau's
    leadership, then to the district leader's meeting (Art. 24). Commits."""
    reason = redaction.redact(incoming.reason)
    level = Level(incoming.level)
    dispute = await checks.dispute(session, dispute_id)
    checks.acting_level(dispute, level)
    upper = checks.next_level(dispute)
    order = await common.any_order(session, dispute.work_order_id)
    checks.may_escalate(order)
    await checks.document_usable(session, incoming.document)

    now = context.clock.now()
    actor = principal.label()
    await _move(
        session,
        dispute,
        at_level=level,
        values={"level": upper.value, "updated_at": now},
    )
    _add_step(
        session,
        dispute,
        "escalated",
        upper,
        actor=actor,
        at=now,
        text=reason,
        document=incoming.document,
    )
    await _link_document(
        session,
        order,
        incoming.document,
        role="dispute_escalation",
        actor=actor,
        at=now,
    )
    await repository.add_action(
        session,
        order.id,
        action="dispute_escalated",
        actor=actor,
        at=now,
        detail={
            "dispute_id": dispute.id,
            "from_level": level.value,
            "level": upper.value,
            "reason": reason,
            "document": incoming.document,
        },
    )
    await context.outbox.stage(
        session,
        _escalated_event(dispute, upper, reason=reason, at=now, actor=actor),
        occurred_at=now,
    )
    await session.commit()
    log.info(
        "work order %s: dispute %s escalated from %s to %s",
        order.id,
        dispute.id,
        level,
        upper,
    )
    return await _reloaded(session, dispute.id)


async def decide(
    *,
    session: AsyncSession,
    context: DispatchContext,
    principal: Principal,
    dispute_id: str,
    incoming: DisputeDecideIn,
) -> Dispute:
    """The level a dispute stands at names the unit that owns the order (Art. 24).
    The order stays with its unit when that unit owns it; otherwise it ends as
    returned and goes to the owner as a new order, timed from its own dispatch, as
    an approved return sends it (Art. 13). Commits."""
    decision = redaction.redact(incoming.decision)
    level = Level(incoming.level)
    owner = incoming.owner_unit_id
    dispute = await checks.dispute(session, dispute_id)
    checks.acting_level(dispute, level)
    checks.document_given(level, incoming.document)
    await registry.check_unit_usable(session, owner, field="owner_unit_id")
    order = await common.any_order(session, dispute.work_order_id)
    moves = owner != order.unit_id
    checks.may_decide(order, moves=moves)
    await checks.document_usable(session, incoming.document)

    now = context.clock.now()
    actor = principal.label()
    replacement = (
        _replacement(context, order, dispute, level, owner, decision, now)
        if moves
        else None
    )
    await _move(
        session,
        dispute,
        at_level=level,
        values={
            "state": DECIDED,
            "open_for": None,
            "owner_unit_id": owner,
            "decision": decision,
            "decision_document": incoming.document,
            "decided_at": now,
            "decided_by": actor,
            "redispatched_to": replacement.id if replacement else None,
            "updated_at": now,
        },
    )
    if replacement is not None:
        await _end_held_order(session, order, replacement)

    await _record_decision(
        session,
        context,
        order,
        dispute,
        level,
        owner=owner,
        decision=decision,
        document=incoming.document,
        replacement=replacement,
        actor=actor,
        at=now,
    )
    if replacement is not None:
        await _redispatch(
            session,
            context,
            order,
            replacement,
            dispute_id=dispute.id,
            decision=decision,
            document=incoming.document,
            actor=actor,
            at=now,
        )
    await session.commit()
    _log_decision(order, dispute, level, owner, replacement)
    return await _reloaded(session, dispute.id)


async def _record_decision(
    session: AsyncSession,
    context: DispatchContext,
    order: WorkOrder,
    dispute: Dispute,
    level: Level,
    *,
    owner: str,
    decision: str,
    document: str | None,
    replacement: WorkOrder | None,
    actor: str,
    at: datetime,
) -> None:
    """The decision's step, its document on the order, the order's history and
    work_order.dispute_decided, in the caller's transaction."""
    _add_step(
        session,
        dispute,
        "decided",
        level,
        actor=actor,
        at=at,
        text=decision,
        document=document,
        owner_unit_id=owner,
    )
    await _link_document(
        session, order, document, role="dispute_decision", actor=actor, at=at
    )
    await repository.add_action(
        session,
        order.id,
        action="dispute_decided",
        actor=actor,
        at=at,
        detail={
            "dispute_id": dispute.id,
            "level": level.value,
            "owner_unit_id": owner,
            "decision": decision,
            "document": document,
            "redispatched_to": replacement.id if replacement else None,
        },
    )
    await context.outbox.stage(
        session,
        WorkOrderDisputeDecided(
            dispute_id=dispute.id,
            work_order_id=order.id,
            appeal_id=order.appeal_id,
            level=_wire(level),
            owner_unit_id=owner,
            decision=decision,
            decided_at=at,
            decided_by=actor,
        ),
        occurred_at=at,
    )


def _replacement(
    context: DispatchContext,
    order: WorkOrder,
    dispute: Dispute,
    level: Level,
    owner: str,
    decision: str,
    now: datetime,
) -> WorkOrder:
    return service.redispatched_order(
        order,
        unit_id=owner,
        now=now,
        edition=context.rule_book.by_id(order.rules_edition),
        basis=f"ownership dispute {dispute.id} decided by {levels.NAMES[level]} "
        f"(Art. 24): unit {owner} owns it, not {order.unit_id}: {decision}",
        reason=REDISPATCH_REASON,
    )


async def _end_held_order(
    session: AsyncSession, order: WorkOrder, replacement: WorkOrder
) -> None:
    # Checked by the database in the UPDATE: a closure approved or a return asked
    # for since we read the order leaves it where it is, and the decision is refused.
    if not await repository.move_to(
        session,
        order.id,
        from_statuses=checks.REDISPATCHABLE,
        values={"status": repository.RETURNED, "redispatched_to": replacement.id},
    ):
        current = await service.reloaded(session, order.id)
        checks.may_decide(current, moves=True)
        raise RuntimeError(f"work order {order.id} could not be moved")


async def _redispatch(
    session: AsyncSession,
    context: DispatchContext,
    order: WorkOrder,
    replacement: WorkOrder,
    *,
    dispute_id: str,
    decision: str,
    document: str | None,
    actor: str,
    at: datetime,
) -> None:
    # sla and analytics end an order's clocks and count it as handed back on an
    # approved return; the decision ends the holder's order just so, and says it the
    # same way, besides work_order.dispute_decided.
    await context.outbox.stage(
        session,
        WorkOrderReturnDecided(
            work_order_id=order.id,
            appeal_id=order.appeal_id,
            unit_id=order.unit_id,
            approved=True,
            reason=f"ownership dispute {dispute_id} (Art. 24): {decision}",
            decided_at=at,
            decided_by=actor,
            redispatched_to=replacement.id,
        ),
        occurred_at=at,
    )
    await service.send_order(
        session,
        context,
        replacement,
        actor=actor,
        detail={
            "redispatched_from": order.id,
            "dispute_id": dispute_id,
            "reason": decision,
        },
    )
    await _link_document(
        session, replacement, document, role="dispute_decision", actor=actor, at=at
    )


async def _move(
    session: AsyncSession,
    dispute: Dispute,
    *,
    at_level: Level,
    values: dict[str, object],
) -> None:
    """Apply `values` if the dispute still stands open at `at_level`; otherwise
    refuse as the dispute now reads."""
    if await disputes_repo.move(
        session, dispute.id, at_level=at_level.value, values=values
    ):
        return
    current = await _reloaded(session, dispute.id)
    checks.acting_level(current, at_level)
    raise DisputeLevelMismatch(
        f"dispute {dispute.id} changed while this step was recorded; read it again "
        "(Art. 24)"
    )


def _add_step(
    session: AsyncSession,
    dispute: Dispute,
    step: str,
    level: Level,
    *,
    actor: str,
    at: datetime,
    text: str,
    document: str | None = None,
    owner_unit_id: str | None = None,
) -> None:
    session.add(
        DisputeStep(
            dispute_id=dispute.id,
            step=step,
            level=level.value,
            actor=actor,
            at=at,
            text=text,
            document=document,
            owner_unit_id=owner_unit_id,
        )
    )


async def _link_document(
    session: AsyncSession,
    order: WorkOrder,
    document: str | None,
    *,
    role: str,
    actor: str,
    at: datetime,
) -> None:
    # Linked to the order, the document shows among its attachments and its unit
    # may read it.
    if document is not None:
        await attachments.link(
            session,
            order=order,
            attachment_id=document,
            role=role,
            added_by=actor,
            at=at,
        )


def _escalated_event(
    dispute: Dispute, level: Level, *, reason: str, at: datetime, actor: str
) -> WorkOrderDisputeEscalated:
    return WorkOrderDisputeEscalated(
        dispute_id=dispute.id,
        work_order_id=dispute.work_order_id,
        appeal_id=dispute.appeal_id,
        level=_wire(level),
        unit_ids=list(dispute.unit_ids),
        reason=reason,
        escalated_at=at,
        escalated_by=actor,
    )


def _wire(level: Level) -> DisputeLevel:
    return level.value


async def _reloaded(session: AsyncSession, dispute_id: str) -> Dispute:
    found = await disputes_repo.reload(session, dispute_id)
    if found is None:
        raise RuntimeError(f"dispute {dispute_id} is not in the store")
    return found


def _log_decision(
    order: WorkOrder,
    dispute: Dispute,
    level: Level,
    owner: str,
    replacement: WorkOrder | None,
) -> None:
    if replacement is None:
        log.info(
            "work order %s: dispute %s decided by %s; unit %s owns it and keeps it",
            order.id,
            dispute.id,
            level,
            owner,
        )
        return
    log.info(
        "work order %s for appeal %s: dispute %s decided by %s for unit %s; sent to "
        "it as work order %s",
        order.id,
        order.appeal_id,
        dispute.id,
        level,
        owner,
        replacement.id,
    )
