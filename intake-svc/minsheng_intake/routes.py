"""Intake's HTTP API."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import redaction
from minsheng_common.auth.roles import Scope
from minsheng_intake import grading, repository, service
from minsheng_intake.deps import (
    CenterReader,
    Context,
    Discloser,
    Reader,
    Session,
    Submitter,
)
from minsheng_intake.knowledge import service as knowledge
from minsheng_intake.models import Appeal, ContactDisclosure
from minsheng_intake.schemas import (
    AddressParts,
    AppealCounts,
    AppealIn,
    AppealOut,
    AppealPage,
    AppealStatusOut,
    ClearContact,
    ContactOut,
    Decision,
    DisclosureIn,
    DisclosureList,
    DisclosureOut,
    DisclosureRecord,
    Evidence,
    GradeOut,
    InstantAnswerOut,
    Place,
)

router = APIRouter(prefix="/v1", tags=["appeals"])


@router.post(
    "/appeals",
    response_model=AppealOut | AppealStatusOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {
            "model": AppealOut | AppealStatusOut,
            "description": "Already received: first result",
        }
    },
)
async def submit_appeal(
    incoming: AppealIn,
    response: Response,
    session: Session,
    context: Context,
    principal: Submitter,
) -> AppealOut | AppealStatusOut:
    """Take in an appeal from a channel and decide whether it is filed (立案).

    Answers 201 with the decision; the same `channel_ref` again answers 200 with the
    first decision and changes nothing. A channel's key submits only for its own
    channel (403 `channel_mismatch`) and gets the status of its submission; the
    center submits for any channel and gets the whole appeal, personal data masked.
    """
    submission = await service.submit(
        session=session, context=context, incoming=incoming, principal=principal
    )
    if not submission.created:
        response.status_code = status.HTTP_200_OK
    answer = await answer_of(session, submission.appeal)
    if principal.can(Scope.APPEALS_READ):
        return present(submission.appeal, context, answer)
    return present_status(submission.appeal, answer)


@router.get("/appeals/{appeal_id}", response_model=AppealOut | AppealStatusOut)
async def get_appeal(
    appeal_id: str, session: Session, context: Context, principal: Reader
) -> AppealOut | AppealStatusOut:
    """One appeal with its filing decision, as much as the caller may see.

    The center, and the unit holding a work order for it, see all of it with
    personal data masked in the texts and the contact masked; the channel that
    submitted it sees only its status. Any other appeal answers 404. The texts as
    written are given only through a recorded contact disclosure.
    """
    appeal, sight = await service.read(
        session=session, appeal_id=appeal_id, principal=principal
    )
    answer = await answer_of(session, appeal)
    if sight is service.Sight.STATUS:
        return present_status(appeal, answer)
    return present(appeal, context, answer)


@router.get("/appeals", response_model=AppealPage)
async def list_appeals(
    session: Session,
    context: Context,
    principal: CenterReader,
    decision: Literal[
        "filed",
        "rejected",
        "pending_verification",
        "pending_classification",
        "answered",
    ]
    | None = Query(default=None),
    channel: str | None = Query(default=None, max_length=50),
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
) -> AppealPage:
    """Appeals in the order received, optionally only those filed, rejected,
    waiting for verification or classification, or answered at once; personal data
    masked in the texts and the contact masked."""
    rows, total = await repository.page(
        session, status=decision, channel=channel, limit=limit, offset=offset
    )
    return AppealPage(items=[present(row, context) for row in rows], total=total)


@router.get("/appeal-counts", response_model=AppealCounts)
async def count_appeals(session: Session, principal: CenterReader) -> AppealCounts:
    """How many appeals were filed, rejected, are pending (held before their
    decision) or were answered at once, by reason, by state and by channel."""
    counts = AppealCounts(total=0, filed=0, rejected=0, by_reason={}, by_channel={})
    for decided, reason, channel, count in await repository.counts(session):
        counts.total += count
        if decided == "filed":
            counts.filed += count
        elif decided == "rejected":
            counts.rejected += count
            key = reason or "unknown"
            counts.by_reason[key] = counts.by_reason.get(key, 0) + count
        elif decided.startswith("pending"):
            counts.pending += count
        elif decided == service.ANSWERED:
            counts.answered += count
        counts.by_status[decided] = counts.by_status.get(decided, 0) + count
        counts.by_channel[channel] = counts.by_channel.get(channel, 0) + count
    return counts


@router.post(
    "/appeals/{appeal_id}/contact-disclosures",
    response_model=DisclosureOut,
    status_code=status.HTTP_201_CREATED,
)
async def disclose_contact(
    appeal_id: str,
    request: DisclosureIn,
    session: Session,
    context: Context,
    principal: Discloser,
) -> DisclosureOut:
    """The citizen's contact, name and the texts as written, in clear, for a stated
    reason (in words); every answer is recorded (who, when, which appeal, why; Art.
    41). This is the only way to read an appeal unmasked.

    The center may always ask. A unit may ask only for an appeal it holds, and only
    if the citizen consented (403 `no_consent`).
    """
    disclosure = await service.disclose(
        session=session,
        context=context,
        appeal_id=appeal_id,
        principal=principal,
        reason=request.reason,
    )
    contact = disclosure.contact
    appeal = disclosure.appeal
    return DisclosureOut(
        appeal_id=appeal.id,
        contact=ClearContact(kind=contact.kind, value=contact.value)
        if contact
        else None,
        name=disclosure.name,
        title=appeal.title,
        content=appeal.content,
        address=appeal.address,
        disclosed_at=disclosure.at,
    )


@router.get("/appeals/{appeal_id}/contact-disclosures", response_model=DisclosureList)
async def list_disclosures(
    appeal_id: str, session: Session, principal: CenterReader
) -> DisclosureList:
    """Who saw the citizen's contact of this appeal in clear, when and why."""
    rows = await service.disclosures(session=session, appeal_id=appeal_id)
    return DisclosureList(items=[present_disclosure(row) for row in rows])


async def answer_of(session: AsyncSession, appeal: Appeal) -> InstantAnswerOut | None:
    """The answer an appeal was given at once, if it was (秒回, Art. 44)."""
    if appeal.status != service.ANSWERED:
        return None
    given = await knowledge.answer_given(session, appeal_id=appeal.id)
    if given is None:
        return None
    return InstantAnswerOut(
        knowledge_entry_id=given.entry_id,
        entry_version=given.entry_version,
        unit_id=given.unit_id,
        category_id=given.category_id,
        question=given.question,
        answer=given.answer,
        confidence=given.confidence,
    )


def present(
    appeal: Appeal,
    context: service.IntakeContext,
    answer: InstantAnswerOut | None = None,
) -> AppealOut:
    """An appeal with personal data masked in its texts and channel reference, and
    its contact masked (Art. 41), for whoever reads it: center or unit; with the
    instant answer, when the caller has it."""
    contact = None
    if appeal.contact_kind and appeal.contact_masked:
        contact = ContactOut(kind=appeal.contact_kind, masked=appeal.contact_masked)
    second_contact = None
    if appeal.second_contact_kind and appeal.second_contact_masked:
        second_contact = ContactOut(
            kind=appeal.second_contact_kind, masked=appeal.second_contact_masked
        )
    name = service.citizen_name(context, appeal)
    return AppealOut(
        id=appeal.id,
        tracking_code=appeal.tracking_code,
        channel=appeal.channel,
        channel_ref=redaction.redact_identifier(appeal.channel_ref),
        type=appeal.appeal_type,
        type_inferred=appeal.type_inferred,
        category_id=appeal.category_id,
        title=redaction.redact(appeal.title, name=name),
        content=redaction.redact(appeal.content, name=name),
        address=redaction.redact_optional(appeal.address, name=name),
        place=Place(
            subdistrict_id=appeal.subdistrict_id,
            community=appeal.community,
            found_in=appeal.place_found_in,
        ),
        address_parts=_address_parts(appeal),
        grade=(
            GradeOut(level=grading.as_level(appeal.level), basis=appeal.grade_basis)
            if appeal.level is not None and appeal.grade_basis
            else None
        ),
        cluster_id=appeal.cluster_id,
        contact=contact,
        second_contact=second_contact,
        received_at=appeal.received_at,
        received_zone_assumed=appeal.received_zone_assumed,
        decision=_decision(appeal),
        instant_answer=answer,
    )


def present_status(
    appeal: Appeal, answer: InstantAnswerOut | None = None
) -> AppealStatusOut:
    """The status of a channel's own submission; its reference as the channel gave
    it, which the channel knows; the instant answer to pass on to the citizen."""
    return AppealStatusOut(
        id=appeal.id,
        tracking_code=appeal.tracking_code,
        channel=appeal.channel,
        channel_ref=appeal.channel_ref,
        type=appeal.appeal_type,
        type_inferred=appeal.type_inferred,
        # The evidence quotes the texts; the channel reads the decision only.
        decision=_decision(appeal).model_copy(update={"evidence": None}),
        received_at=appeal.received_at,
        instant_answer=answer,
    )


def present_disclosure(row: ContactDisclosure) -> DisclosureRecord:
    return DisclosureRecord(
        id=row.id,
        appeal_id=row.appeal_id,
        who=row.who,
        role=row.role,
        unit_id=row.unit_id,
        reason=row.reason,
        at=row.at,
    )


def _decision(appeal: Appeal) -> Decision:
    evidence = appeal.reason_evidence
    return Decision(
        status=appeal.status,
        reason_code=appeal.reason_code,
        article=appeal.reason_article,
        detail=appeal.reason_detail,
        evidence=Evidence.model_validate(evidence) if evidence else None,
        advice=appeal.advice,
        repeat_of=appeal.repeat_of,
        held_reason=appeal.held_reason,
        rules_edition=appeal.rules_edition,
        decided_at=appeal.decided_at,
    )


def _address_parts(appeal: Appeal) -> AddressParts | None:
    """The parsed address; its values pass the same masking as the texts, as a
    number written in an address may be a phone number."""
    if not appeal.address_parts:
        return None
    parts = AddressParts.model_validate(appeal.address_parts)
    for name in ("road", "junction", "estate", "landmark", "building", "room"):
        value = getattr(parts, name)
        if value:
            setattr(parts, name, redaction.redact(value))
    if parts.component is not None:
        parts.component.number = redaction.redact(parts.component.number)
    return parts
