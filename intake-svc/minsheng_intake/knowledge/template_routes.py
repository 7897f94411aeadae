"""The reply templates' HTTP API (办理告知模板, 办理反馈模板, Art. 43). Registered
before the knowledge base's routes, whose `/{entry_id}` would take these paths."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from minsheng_common.auth.api import require
from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Scope
from minsheng_intake.deps import Context, Session
from minsheng_intake.knowledge import templates
from minsheng_intake.knowledge.deps import Reader
from minsheng_intake.knowledge.models import ReplyTemplateRequest
from minsheng_intake.knowledge.schemas import (
    ReplyTemplatePage,
    ReplyTemplateRequestOut,
    ReplyTemplatesIn,
)

router = APIRouter(prefix="/v1/knowledge/reply-templates", tags=["knowledge"])

Unit = Annotated[Principal, Depends(require(Scope.WORK_ORDERS_UNIT))]
"""A unit, for its own requests."""


@router.get("", response_model=ReplyTemplatePage)
async def list_requests(
    session: Session,
    principal: Reader,
    unit_id: str | None = Query(default=None, max_length=50),
    category_id: str | None = Query(default=None, max_length=50),
    status: Literal["requested", "received"] | None = Query(
        default=None, description="requested: waiting for the unit's templates"
    ),
    limit: int = Query(default=20, ge=1, le=100),
    offset: int = Query(default=0, ge=0),
) -> ReplyTemplatePage:
    """Requests for reply templates after a unit's third closure of one category
    (Art. 43), most recent first, with the templates that arrived. The center sees
    every unit's; a unit its own."""
    rows, total = await templates.find(
        session,
        principal=principal,
        unit_id=unit_id,
        category_id=category_id,
        status=status,
        limit=limit,
        offset=offset,
    )
    return ReplyTemplatePage(items=[present(row) for row in rows], total=total)


@router.get("/{request_id}", response_model=ReplyTemplateRequestOut)
async def get_request(
    request_id: str, session: Session, principal: Reader
) -> ReplyTemplateRequestOut:
    """One request with its templates; another unit's answers 404 as a missing
    one."""
    return present(
        await templates.get(session, principal=principal, request_id=request_id)
    )


@router.post("/{request_id}", response_model=ReplyTemplateRequestOut)
async def send_templates(
    request_id: str,
    incoming: ReplyTemplatesIn,
    session: Session,
    context: Context,
    principal: Unit,
) -> ReplyTemplateRequestOut:
    """Send the handling-notice and handling-feedback templates the center asked
    for (Art. 43; optional, best within 3 working days of the third closure). Only
    the unit asked sends them (another unit's request answers 404); they are kept
    once (a second sending answers 409 `reply_templates_received`)."""
    request = await templates.receive(
        session,
        outbox=context.outbox,
        principal=principal,
        request_id=request_id,
        incoming=incoming,
        now=context.clock.now(),
    )
    return present(request)


def present(request: ReplyTemplateRequest) -> ReplyTemplateRequestOut:
    return ReplyTemplateRequestOut(
        id=request.id,
        unit_id=request.unit_id,
        category_id=request.category_id,
        work_order_id=request.work_order_id,
        appeal_id=request.appeal_id,
        closed_work_order_ids=list(request.closed_work_order_ids),
        closed_at=request.closed_at,
        requested_at=request.requested_at,
        status="received" if request.received_at is not None else "requested",
        handling_notice_template=request.handling_notice_template,
        handling_feedback_template=request.handling_feedback_template,
        received_at=request.received_at,
        received_by=request.received_by,
    )
