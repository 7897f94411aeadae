"""Intake's HTTP API."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Response, status

from minsheng_intake import repository, service
from minsheng_intake.deps import Context, Session
from minsheng_intake.models import Appeal
from minsheng_intake.schemas import (
    AppealCounts,
    AppealIn,
    AppealOut,
    AppealPage,
    ContactOut,
    Decision,
    Place,
)

router = APIRouter(prefix="/v1", tags=["appeals"])


@router.post(
    "/appeals",
    response_model=AppealOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": AppealOut, "description": "Already received: first result"}
    },
)
async def submit_appeal(
    incoming: AppealIn, response: Response, session: Session, context: Context
) -> AppealOut:
    """Take in an appeal from a channel and decide whether it is filed (立案).

    Answers 201 with the decision; the same `channel_ref` again answers 200 with the
    first decision and changes nothing.
    """
    submission = await service.submit(
        session=session, context=context, incoming=incoming
    )
    if not submission.created:
        response.status_code = status.HTTP_200_OK
    return present(submission.appeal)


@router.get("/appeals/{appeal_id}", response_model=AppealOut)
async def get_appeal(appeal_id: str, session: Session) -> AppealOut:
    """One appeal with its filing decision; the citizen's contact is masked."""
    return present(await service.get(session=session, appeal_id=appeal_id))


@router.get("/appeals", response_model=AppealPage)
async def list_appeals(
    session: Session,
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
async def count_appeals(session: Session) -> AppealCounts:
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


def present(appeal: Appeal) -> AppealOut:
    contact = None
    if appeal.contact_kind and appeal.contact_masked:
        contact = ContactOut(kind=appeal.contact_kind, masked=appeal.contact_masked)
    return AppealOut(
        id=appeal.id,
        tracking_code=appeal.tracking_code,
        channel=appeal.channel,
        channel_ref=appeal.channel_ref,
        type=appeal.appeal_type,
        category_id=appeal.category_id,
        title=appeal.title,
        content=appeal.content,
        address=appeal.address,
        place=Place(
            subdistrict_id=appeal.subdistrict_id,
            community=appeal.community,
            found_in=appeal.place_found_in,
        ),
        contact=contact,
        received_at=appeal.received_at,
        received_zone_assumed=appeal.received_zone_assumed,
        decision=Decision(
            status=appeal.status,
            reason_code=appeal.reason_code,
            article=appeal.reason_article,
            detail=appeal.reason_detail,
            decided_at=appeal.decided_at,
        ),
    )
