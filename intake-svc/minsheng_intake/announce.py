"""Saying an appeal's decision on the bus: filed (with its grade and event cluster),
held for verification or classification, not filed with its reason and advice, or
answered at once from the knowledge base. The texts and attachment
links leave intake with personal data masked (Art. 41); the contacts and name only
encrypted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import redaction
from minsheng_common.events import (
    AppealAnswered,
    AppealFiled,
    AppealHeld,
    AppealRejected,
)
from minsheng_intake import filing, grading
from minsheng_intake.context import IntakeContext
from minsheng_intake.knowledge.service import InstantAnswer
from minsheng_intake.models import Appeal


async def filed(
    session: AsyncSession,
    context: IntakeContext,
    appeal: Appeal,
    *,
    name: str | None,
    at: datetime,
) -> None:
    """appeal.filed with the appeal's level; then appeal.graded when the level is 1
    or 2, so notify can warn at once (Art. 9). The grade is recorded either way."""
    if not (appeal.contact_kind and appeal.contact_encrypted):
        # Filing requires a contact (Art. 11(2)1); nothing else reaches here.
        raise RuntimeError(f"appeal {appeal.id} is filed without a contact")
    level = grading.as_level(appeal.level or 3)
    await context.outbox.stage(
        session,
        AppealFiled(
            appeal_id=appeal.id,
            tracking_code=appeal.tracking_code,
            channel=appeal.channel,
            appeal_type=appeal.appeal_type,
            category_id=appeal.category_id,
            subdistrict_id=appeal.subdistrict_id,
            community=appeal.community,
            title=redaction.redact(appeal.title, name=name),
            content=redaction.redact(appeal.content, name=name),
            address=redaction.redact_optional(appeal.address, name=name),
            received_at=appeal.received_at,
            filed_at=appeal.decided_at,
            contact_kind=appeal.contact_kind,
            contact_encrypted=appeal.contact_encrypted,
            name_encrypted=appeal.name_encrypted,
            consent_to_disclose=appeal.consent_to_disclose,
            attachments=[redaction.redact_url(url) for url in appeal.attachments],
            level=level,
            cluster_id=appeal.cluster_id,
            second_contact_kind=appeal.second_contact_kind,
            second_contact_encrypted=appeal.second_contact_encrypted,
        ),
        occurred_at=at,
    )
    change = grading.record(
        session,
        appeal,
        level=level,
        basis=appeal.grade_basis or "rule",
        graded_by=grading.RULES_GRADER,
        at=at,
        previous_level=None,
    )
    if level < 3:
        await context.outbox.stage(
            session, grading.event(appeal, change), occurred_at=at
        )


def mark_rejected(
    appeal: Appeal,
    decision: filing.FilingDecision,
    *,
    advice: str | None,
    at: datetime,
    name: str | None = None,
    repeat_of: str | None = None,
) -> None:
    """Turn an appeal (filed-to-be or held) into a not-filed one: reason, article,
    evidence (the citizen's name masked), advice; closed now, no grade, no hold.
    The caller stages `rejected` after it."""
    if decision.reason is None:
        raise ValueError("a rejection needs a reason")
    appeal.status = "rejected"
    appeal.reason_code = decision.reason.value
    appeal.reason_article = decision.article
    appeal.reason_detail = redaction.redact_optional(decision.detail, name=name)
    evidence = decision.evidence_json()
    if evidence is not None:
        evidence["found"] = redaction.redact(evidence["found"], name=name)
    appeal.reason_evidence = evidence
    appeal.advice = advice
    appeal.repeat_of = repeat_of
    appeal.level = None
    appeal.decided_at = at
    appeal.closed_at = at


async def rejected(
    session: AsyncSession, context: IntakeContext, appeal: Appeal, *, at: datetime
) -> None:
    """appeal.rejected with the reason, its article and evidence, and the advice."""
    await context.outbox.stage(
        session,
        AppealRejected(
            appeal_id=appeal.id,
            tracking_code=appeal.tracking_code,
            channel=appeal.channel,
            appeal_type=appeal.appeal_type,
            reason_code=appeal.reason_code or "",
            article=appeal.reason_article or "",
            detail=appeal.reason_detail or "",
            received_at=appeal.received_at,
            rejected_at=appeal.decided_at,
            contact_kind=appeal.contact_kind,
            contact_encrypted=appeal.contact_encrypted,
            repeat_of=appeal.repeat_of,
            advice=appeal.advice,
        ),
        occurred_at=at,
    )


async def held(
    session: AsyncSession, context: IntakeContext, appeal: Appeal, *, at: datetime
) -> None:
    """appeal.held: the appeal waits before its filing decision."""
    await context.outbox.stage(
        session,
        AppealHeld(
            appeal_id=appeal.id,
            tracking_code=appeal.tracking_code,
            channel=appeal.channel,
            reason="classification"
            if appeal.held_reason == "classification"
            else "verification",
            held_at=appeal.held_at or at,
        ),
        occurred_at=at,
    )


async def answered(
    session: AsyncSession,
    context: IntakeContext,
    appeal: Appeal,
    answer: InstantAnswer,
    *,
    at: datetime,
) -> None:
    """appeal.answered: a consultation answered at once (秒回, Art. 44), closed by
    the answer; notify sends the answer to the citizen. It is not filed, so no
    appeal.filed follows."""
    await context.outbox.stage(
        session,
        AppealAnswered(
            appeal_id=appeal.id,
            tracking_code=appeal.tracking_code,
            channel=appeal.channel,
            knowledge_entry_id=answer.entry_id,
            answer=answer.answer,
            confidence=answer.confidence,
            answered_at=at,
            contact_kind=appeal.contact_kind,
            contact_encrypted=appeal.contact_encrypted,
        ),
        occurred_at=at,
    )
