"""Notify's HTTP API for delivery and its proof: staff's call records, providers'
delivery receipts, and a work order's evidence to read and to download (Art. 35,
36).

Call records need a center operator (work-orders:operate). Receipts carry no key:
the provider signs them. The evidence is the center's, or a unit's for its own work
orders only; another unit's answers as a work order without notices (Art. 41).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated, Literal, cast

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, status

from minsheng_common.auth import webhooks
from minsheng_notify import access, calls, evidence, receipts
from minsheng_notify.deps import CallRecorder, NoticesReader, Session
from minsheng_notify.models import CallRecord
from minsheng_notify.schemas import (
    CallOutcome,
    CallRecordIn,
    CallRecordOut,
    EvidenceOut,
    NoticeStatus,
    ReceiptBatch,
    ReceiptsApplied,
)
from minsheng_notify.sending import CONTEXT_KEY
from minsheng_notify.service import NotifyContext
from minsheng_notify.settings import NotifySettings

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1", tags=["delivery"])

WORK_ORDER_ID = r"^[A-Za-z0-9_.:-]{1,36}$"


def _context(request: Request) -> NotifyContext:
    return cast(NotifyContext, request.app.state.runtime.extras[CONTEXT_KEY])


Context = Annotated[NotifyContext, Depends(_context)]


@router.post(
    "/notices/{notice_id}/call-record",
    response_model=CallRecordOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": CallRecordOut, "description": "Recorded before"}},
)
async def record_call(
    call: CallRecordIn,
    response: Response,
    session: Session,
    context: Context,
    principal: CallRecorder,
    notice_id: str = Path(max_length=36),
) -> CallRecordOut:
    """Record a telephone call made to deliver a notice (通话记录, Art. 36; a
    telephone letter, 电函, Art. 23): who called, when, how it went, how long.

    A call that reached the recipient delivers a notice not sent yet, at the time
    of the call. The same call again (same caller and time) answers 200 with the
    first record. 422 `invalid_call_record` for a call dated in the future or one
    that reached the recipient in 0 seconds; 404 for an unknown notice.
    """
    record, notice, created = await calls.record_call(
        session=session,
        context=context,
        notice_id=notice_id,
        call=call,
        recorded_by=principal.label(),
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return _call_out(record, notice.status)


def _call_out(record: CallRecord, notice_status: str) -> CallRecordOut:
    return CallRecordOut(
        id=record.id,
        notice_id=record.notice_id,
        called_by=record.called_by,
        called_at=record.called_at,
        outcome=cast(CallOutcome, record.outcome),
        duration_seconds=record.duration_seconds,
        note=record.note,
        recorded_by=record.recorded_by,
        recorded_at=record.recorded_at,
        notice_status=cast(NoticeStatus, notice_status),
    )


@router.post(
    "/receipts/{provider}",
    response_model=ReceiptsApplied,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": ReceiptBatch.model_json_schema()}
            },
        }
    },
)
async def push_receipts(
    request: Request,
    session: Session,
    context: Context,
    provider: str = Path(pattern=r"^[a-z0-9_:-]{1,30}$"),
    timestamp: Annotated[
        str | None,
        Header(alias=webhooks.TIMESTAMP_HEADER, description="Unix seconds"),
    ] = None,
    signature: Annotated[
        str | None,
        Header(
            alias=webhooks.SIGNATURE_HEADER,
            description='"sha256=" and the hex HMAC-SHA256 of "<timestamp>.<body>"',
        ),
    ] = None,
) -> ReceiptsApplied:
    """Delivery receipts a provider pushes (回执): {"receipts": [{message_id,
    status: delivered | undelivered, at, detail}]}, signed with the provider's
    secret (NOTIFY_RECEIPT_SECRETS) instead of a key. `provider` is the channel
    that sent: sms, email, wechat_template, gov_wechat.

    Each receipt sets the delivery status and receipt time of the attempt that
    handed the message over, and of its notice; the first final status stays.
    401 for a missing or wrong signature or one made outside the five-minute
    window, 404 for a provider whose receipts are not taken, 422 for a body that
    cannot be read.
    """
    settings = cast(NotifySettings, request.app.state.runtime.settings)
    return await receipts.receive(
        session=session,
        context=context,
        provider=provider,
        secrets=settings.receipt_secret_list(provider),
        timestamp=timestamp,
        signature=signature,
        body=await request.body(),
        # The provider signs with its own (real) clock, never the demo clock.
        now=datetime.now(UTC),
    )


@router.get("/evidence", response_model=EvidenceOut)
async def get_evidence(
    session: Session,
    context: Context,
    principal: NoticesReader,
    work_order_id: str = Query(pattern=WORK_ORDER_ID),
) -> EvidenceOut:
    """The evidence of every notice of a work order (Art. 36): each attempt, failed
    ones too, with its time, channel, masked recipient, provider message id,
    delivery status and receipt time, SHA-256 of the text, and call record. A unit
    sees only its own work orders' notices."""
    return await evidence.for_work_order(
        session=session,
        work_order_id=work_order_id,
        unit_id=access.visible_unit(principal),
        now=context.clock.now(),
    )


@router.get(
    "/evidence/export",
    response_class=Response,
    responses={
        200: {
            "description": "The evidence as a file to attach to an appeal",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/EvidenceOut"}
                },
            },
        }
    },
)
async def export_evidence(
    session: Session,
    context: Context,
    principal: NoticesReader,
    work_order_id: str = Query(pattern=WORK_ORDER_ID),
    file_format: Literal["csv", "json"] = Query(default="csv", alias="format"),
) -> Response:
    """The evidence of a work order's notices as a download (CSV, one row per
    attempt, or JSON), for a unit to attach to its appeal against a deduction
    (申诉, Art. 35). A unit gets only its own work orders' notices."""
    found = await evidence.for_work_order(
        session=session,
        work_order_id=work_order_id,
        unit_id=access.visible_unit(principal),
        now=context.clock.now(),
    )
    log.info(
        "evidence of work order %s exported as %s (%d notices) by %s",
        work_order_id,
        file_format,
        len(found.notices),
        principal.label(),
    )
    name = f"evidence-{work_order_id}.{file_format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if file_format == "json":
        return Response(
            content=found.model_dump_json(indent=2),
            media_type="application/json",
            headers=headers,
        )
    return Response(
        content=evidence.to_csv(found).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers=headers,
    )
