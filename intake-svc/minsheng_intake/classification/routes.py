"""The triage queue's API: the appeals waiting for an operator to choose their
category (Art. 8), and the operator's choice."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from minsheng_common import redaction
from minsheng_common.auth.api import require
from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Scope
from minsheng_common.reference import ReferenceData
from minsheng_intake import service as intake
from minsheng_intake.classification import service
from minsheng_intake.classification.models import AppealTriage
from minsheng_intake.classification.schemas import (
    ClassificationIn,
    ClassificationOut,
    RankedCategory,
    TriageItem,
    TriagePage,
)
from minsheng_intake.deps import CenterReader, Context, Session
from minsheng_intake.models import Appeal

router = APIRouter(prefix="/v1", tags=["classification"])

Classifier = Annotated[Principal, Depends(require(Scope.WORK_ORDERS_OPERATE))]
"""A center operator or supervisor, who may change how an appeal is handled."""


@router.get("/triage", response_model=TriagePage)
async def list_triage(
    session: Session,
    context: Context,
    principal: CenterReader,
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
) -> TriagePage:
    """The appeals waiting for an operator to choose their category (分类), oldest
    first, each with the categories the suggester proposed and its confidence."""
    rows, total = await service.waiting(session, limit=limit, offset=offset)
    return TriagePage(
        items=[present_waiting(entry, appeal, context) for entry, appeal in rows],
        total=total,
    )


@router.post("/appeals/{appeal_id}/classification", response_model=ClassificationOut)
async def classify_appeal(
    appeal_id: str,
    request: ClassificationIn,
    session: Session,
    context: Context,
    principal: Classifier,
) -> ClassificationOut:
    """Choose the category of an appeal waiting in the triage queue, with the
    reason; the appeal then goes on to be filed. An appeal classified already
    answers 409 `already_classified`, one never queued (or unknown) 404
    `appeal_not_in_triage`, an unknown category 422 `unknown_category`."""
    resolution = await service.classify(
        session,
        context=context,
        appeal_id=appeal_id,
        category_id=request.category_id,
        reason=request.reason,
        principal=principal,
        at=context.clock.now(),
    )
    entry = resolution.triage
    return ClassificationOut(
        appeal_id=entry.appeal_id,
        category_id=entry.category_id or request.category_id,
        reason=entry.reason or "",
        resolved_by=entry.resolved_by or principal.label(),
        resolved_at=entry.resolved_at or context.clock.now(),
        suggested_category_id=entry.suggested_category_id,
        confidence=entry.confidence,
        queued_at=entry.queued_at,
    )


def present_waiting(
    entry: AppealTriage, appeal: Appeal, context: intake.IntakeContext
) -> TriageItem:
    """A waiting appeal with its suggestions; its title with personal data
    masked."""
    name = intake.citizen_name(context, appeal)
    return TriageItem(
        appeal_id=appeal.id,
        tracking_code=appeal.tracking_code,
        channel=appeal.channel,
        type=appeal.appeal_type,
        title=redaction.redact(appeal.title, name=name),
        received_at=appeal.received_at,
        suggested_category_id=entry.suggested_category_id,
        confidence=entry.confidence,
        ranked=[_ranked(item, context.reference) for item in entry.ranked],
        queued_at=entry.queued_at,
    )


def _ranked(item: dict[str, object], reference: ReferenceData) -> RankedCategory:
    category_id = str(item["category_id"])
    confidence = item["confidence"]
    try:
        name: str | None = reference.category(category_id).name
    except KeyError:
        name = None
    return RankedCategory(
        category_id=category_id,
        name=name,
        confidence=float(confidence) if isinstance(confidence, int | float) else 0.0,
    )
