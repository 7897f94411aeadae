"""Intake's HTTP API."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Response, status

from minsheng_common import redaction
from minsheng_common.auth.roles import Scope
from minsheng_intake import repository, service
from minsheng_intake.deps import (
    CenterReader,
    Context,
    Discloser,
    Reader,
    Session,
    Submitter,
)
from minsheng_intake.models import Appeal, ContactDisclosure
from minsheng_intake.schemas import (
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
    center submits for any channel and gets the whole appeal, contact masked.
    """
    submission = await service.submit(
        session=session, context=context, incoming=incoming, principal=principal
    )
    if not submission.created:
        response.status_code = status.HTTP_200_OK
    if principal.can(Scope.APPEALS_READ):
        return present(submission.appeal)
    return present_status(submission.appeal)


@router.get("/appeals/{appeal_id}", response_model=AppealOut | AppealStatusOut)
async def get_appeal(
    appeal_id: str, session: Session, context: Context, principal: Reader
) -> AppealOut | AppealStatusOut:
    """One appeal with its filing decision, as much as the caller may see.

    The center sees all of it, the contact masked; the unit holding a work order for
    it sees the texts with personal data masked; the channel that submitted it sees
    only its status. Any other appeal answers 404.
    """
    appeal, sight = await service.read(
        session=session, appeal_id=appeal_id, principal=principal
    )
    if sight is service.Sight.STATUS:
        return present_status(appeal)
    if sight is service.Sight.UNIT:
        return present(appeal, redact=True, name=service.citizen_name(context, appeal))
    return present(appeal)


@router.get("/appeals", response_model=AppealPage)
async def list_appeals(
    session: Session,
    principal: CenterReader,
    decision: Literal["filed", "rejected"] | None = Query(default=None),
    channel: str | None = Query(default=None, max_length=50),
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
) -> AppealPage:
    """Appeals in the order received, optionally only filed or only rejected."""
    rows, total = await repository.page(
        session, status=decision, channel=channel, limit=limit, offset=offset
    )
    return AppealPage(items=[present(row) for row in rows], total=total)


@router.get("/appeal-counts", response_model=AppealCounts)
async def count_appeals(session: Session, principal: CenterReader) -> AppealCounts:
    """How many appeals were filed and rejected, by reason and by channel."""
    counts = AppealCounts(total=0, filed=0, rejected=0, by_reason={}, by_channel={})
    for decided, reason, channel, count in await repository.counts(session):
        counts.total += count
        if decided == "filed":
            counts.filed += count
        else:
            counts.rejected += count
            key = reason or "unknown"
            counts.by_reason[key] = counts.by_reason.get(key, 0) + count
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
    """The citizen's contact and name in clear, for a stated reason; every answer
    is recorded (who, when, which appeal, why; Art. 41).

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
    return DisclosureOut(
        appeal_id=disclosure.appeal.id,
        contact=ClearContact(kind=contact.kind, value=contact.value)
        if contact
        else None,
        name=disclosure.name,
        disclosed_at=disclosure.at,
    )


@router.get("/appeals/{appeal_id}/contact-disclosures", response_model=DisclosureList)
async def list_disclosures(
    appeal_id: str, session: Session, principal: CenterReader
) -> DisclosureList:
    """Who saw the citizen's contact of this appeal in clear, when and why."""
    rows = await service.disclosures(session=session, appeal_id=appeal_id)
    return DisclosureList(items=[present_disclosure(row) for row in rows])


def present(
    appeal: Appeal, *, redact: bool = False, name: str | None = None
) -> AppealOut:
    """An appeal with its contact masked; with `redact`, its texts too (for units)."""
    contact = None
    if appeal.contact_kind and appeal.contact_masked:
        contact = ContactOut(kind=appeal.contact_kind, masked=appeal.contact_masked)
    title, content, address = appeal.title, appeal.content, appeal.address
    if redact:
        title = redaction.redact(title, name=name)
        content = redaction.redact(content, name=name)
        address = redaction.redact_optional(address, name=name)
    return AppealOut(
        id=appeal.id,
        tracking_code=appeal.tracking_code,
        channel=appeal.channel,
        channel_ref=appeal.channel_ref,
        type=appeal.appeal_type,
        category_id=appeal.category_id,
        title=title,
        content=content,
        address=address,
        place=Place(
            subdistrict_id=appeal.subdistrict_id,
            community=appeal.community,
            found_in=appeal.place_found_in,
        ),
        contact=contact,
        received_at=appeal.received_at,
        received_zone_assumed=appeal.received_zone_assumed,
        decision=_decision(appeal),
    )


def present_status(appeal: Appeal) -> AppealStatusOut:
    return AppealStatusOut(
        id=appeal.id,
        tracking_code=appeal.tracking_code,
        channel=appeal.channel,
        channel_ref=appeal.channel_ref,
        type=appeal.appeal_type,
        decision=_decision(appeal),
        received_at=appeal.received_at,
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
    return Decision(
        status=appeal.status,
        reason_code=appeal.reason_code,
        article=appeal.reason_article,
        detail=appeal.reason_detail,
        decided_at=appeal.decided_at,
    )
