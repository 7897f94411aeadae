"""The triage queue (Art. 8): an appeal whose category suggestion is below the
confidence threshold waits for a center operator, who chooses its category with a
reason; the appeal then goes on to be filed."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.auth.principal import Principal
from minsheng_common.events import AppealHeld
from minsheng_intake import announce, normalise
from minsheng_intake import repository as appeals
from minsheng_intake.classification import repository
from minsheng_intake.classification.errors import (
    AlreadyClassified,
    NotWaiting,
    ReasonMissing,
)
from minsheng_intake.classification.models import AppealTriage
from minsheng_intake.classification.rules import DEFAULT_RULES, ClassificationRules
from minsheng_intake.classification.suggester import Suggestion
from minsheng_intake.context import IntakeContext, citizen_name
from minsheng_intake.errors import UnknownCategory
from minsheng_intake.models import Appeal

log = logging.getLogger(__name__)

PENDING = "pending_classification"
"""An appeal that waits for an operator to choose its category before it is
filed."""


@dataclass(frozen=True)
class Resolution:
    """An operator's classification: the appeal, its category now set, and the
    queue entry with who chose it, when and why."""

    appeal: Appeal
    triage: AppealTriage


def needs_operator(
    suggestion: Suggestion, rules: ClassificationRules = DEFAULT_RULES
) -> bool:
    """Whether the suggestion is too weak to take: no category, or a confidence
    below the threshold."""
    return (
        suggestion.category_id is None
        or suggestion.confidence < rules.confidence_threshold
    )


async def queue_for_triage(
    session: AsyncSession, *, appeal: Appeal, suggestion: Suggestion, at: datetime
) -> AppealTriage:
    """Put the appeal in the triage queue with the suggestion; the caller commits
    (with the appeal, in one transaction). Queued again, it waits again with the
    new suggestion."""
    ranked = [
        {"category_id": category_id, "confidence": confidence}
        for category_id, confidence in suggestion.ranked
    ]
    entry = await repository.get(session, appeal.id)
    if entry is None:
        entry = AppealTriage(appeal_id=appeal.id)
        session.add(entry)
    entry.suggested_category_id = suggestion.category_id
    entry.confidence = suggestion.confidence
    entry.ranked = ranked
    entry.queued_at = at
    entry.resolved_at = None
    entry.resolved_by = None
    entry.category_id = None
    entry.reason = None
    log.info(
        "appeal %s waits for an operator to classify it (suggested %s, %.2f)",
        appeal.id,
        suggestion.category_id,
        suggestion.confidence,
    )
    return entry


def held_event(appeal: Appeal, at: datetime) -> AppealHeld:
    """`appeal.held` for an appeal queued for classification, to stage with it."""
    return AppealHeld(
        appeal_id=appeal.id,
        tracking_code=appeal.tracking_code,
        channel=appeal.channel,
        reason="classification",
        held_at=at,
    )


async def resolve(
    session: AsyncSession,
    *,
    appeal_id: str,
    category_id: str,
    principal: Principal,
    reason: str,
    at: datetime,
) -> Resolution:
    """Record the operator's category for a waiting appeal and set it on the
    appeal; the caller files the appeal and commits, in one transaction. An appeal
    classified already raises AlreadyClassified (of two operators at once, one
    wins); one never queued, or missing, NotWaiting."""
    won = await repository.mark_resolved(
        session,
        appeal_id=appeal_id,
        category_id=category_id,
        resolved_by=principal.label(),
        reason=reason,
        at=at,
    )
    entry = await repository.get(session, appeal_id)
    appeal = await appeals.get(session, appeal_id)
    if entry is None or appeal is None:
        raise _not_waiting(appeal_id)
    if not won:
        raise _classified_already(entry)

    await session.refresh(entry)
    appeal.category_id = category_id
    log.info(
        "appeal %s classified as %s by %s (suggested %s, %.2f)",
        appeal_id,
        category_id,
        principal.label(),
        entry.suggested_category_id,
        entry.confidence,
    )
    return Resolution(appeal=appeal, triage=entry)


async def classify(
    session: AsyncSession,
    *,
    context: IntakeContext,
    appeal_id: str,
    category_id: str,
    reason: str,
    principal: Principal,
    at: datetime,
) -> Resolution:
    """An operator's classification from the API: a known category and a reason
    in words, for an appeal that waits; stored at once. An appeal held for its
    classification is filed now, in the same transaction (appeal.filed, and
    appeal.graded for level 1 or 2); one already decided only takes the
    category."""
    if category_id not in context.reference.category_ids:
        raise UnknownCategory(f"unknown category '{category_id}'", field="category_id")
    reason = normalise.text(reason)
    if not any(character.isalnum() for character in reason):
        raise ReasonMissing("say in words why this category", field="reason")

    resolution = await resolve(
        session,
        appeal_id=appeal_id,
        category_id=category_id,
        principal=principal,
        reason=reason,
        at=at,
    )
    if resolution.appeal.status == PENDING:
        await _file(session, context, resolution.appeal, at)
    await session.commit()
    return resolution


async def _file(
    session: AsyncSession, context: IntakeContext, appeal: Appeal, at: datetime
) -> None:
    """File an appeal that waited for its category; of two classifications at
    once only one finds it still waiting."""
    filed = await appeals.leave_pending(
        session, appeal.id, pending=PENDING, status="filed", at=at
    )
    if not filed:
        await session.rollback()
        raise _not_waiting(appeal.id)
    # The conditional update changed the row, not the object in the session.
    appeal.status = "filed"
    appeal.decided_at = at
    await announce.filed(
        session, context, appeal, name=citizen_name(context, appeal), at=at
    )
    log.info("appeal %s filed after its classification", appeal.id)


async def waiting(
    session: AsyncSession, *, limit: int, offset: int
) -> tuple[list[tuple[AppealTriage, Appeal]], int]:
    """The appeals waiting for an operator, oldest first, and how many wait."""
    return await repository.waiting(session, limit=limit, offset=offset)


def _classified_already(entry: AppealTriage) -> AlreadyClassified:
    return AlreadyClassified(
        f"appeal {entry.appeal_id} was classified already, as "
        f"{entry.category_id} by {entry.resolved_by}",
        field="appeal_id",
    )


def _not_waiting(appeal_id: str) -> NotWaiting:
    return NotWaiting(
        f"appeal {appeal_id} is not waiting for classification", field="appeal_id"
    )
