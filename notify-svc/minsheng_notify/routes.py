"""Notify's HTTP API: the notices sent to citizens and their evidence.

Every route needs credentials. A unit sees only the notices of its own work orders;
another unit's notice answers exactly as a missing one (Art. 41). No answer carries
the citizen's contact: only the masked recipient.
"""

from __future__ import annotations

from typing import cast

from fastapi import APIRouter, Query

from minsheng_notify import access, rendering, service
from minsheng_notify.deps import NoticesReader, Session
from minsheng_notify.schemas import AttemptOut, DeliveryStatus, NoticeList, NoticeOut
from minsheng_notify.service import NoticeRecord

router = APIRouter(prefix="/v1", tags=["notices"])


@router.get("/notices", response_model=NoticeList)
async def list_notices(
    session: Session,
    principal: NoticesReader,
    appeal_id: str | None = Query(default=None, max_length=36),
    work_order_id: str | None = Query(default=None, max_length=36),
) -> NoticeList:
    """The notices of an appeal or of a work order, oldest first, each with its
    status, channel, send time, provider reference and every attempt (Art. 36).

    Name at least one of `appeal_id` and `work_order_id`. A unit sees only its own
    work orders' notices.
    """
    records = await service.list_notices(
        session=session,
        appeal_id=appeal_id,
        work_order_id=work_order_id,
        unit_id=access.visible_unit(principal),
    )
    return NoticeList(items=[present(record) for record in records])


@router.get("/notices/{notice_id}", response_model=NoticeOut)
async def get_notice(
    notice_id: str, session: Session, principal: NoticesReader
) -> NoticeOut:
    """One notice with the evidence of every attempt to deliver it. 404
    `notice_not_found` for a notice that is not the calling unit's."""
    record = await service.get_notice(
        session=session, notice_id=notice_id, unit_id=access.visible_unit(principal)
    )
    return present(record)


def present(record: NoticeRecord) -> NoticeOut:
    notice = record.notice
    return NoticeOut(
        id=notice.id,
        request_id=notice.request_id,
        appeal_id=notice.appeal_id,
        work_order_id=notice.work_order_id,
        unit_id=notice.unit_id,
        kind=notice.kind,
        # Stored masked; masked again as shown, for notices kept before (Art. 41).
        body=rendering.scrub(notice.kind, notice.body),
        status=notice.status,
        channel=notice.channel,
        recipient_masked=notice.recipient_masked,
        attempts=notice.attempts,
        created_at=notice.created_at,
        sent_at=notice.sent_at,
        failed_at=notice.failed_at,
        provider_ref=notice.provider_ref,
        last_error=notice.last_error,
        audience=notice.audience,
        delivery_status=cast(DeliveryStatus | None, notice.delivery_status),
        receipt_at=notice.receipt_at,
        attempt_log=[
            AttemptOut(
                at=attempt.at,
                outcome=attempt.outcome,
                channel=attempt.channel,
                provider_ref=attempt.provider_ref,
                detail=attempt.detail,
                recipient_masked=attempt.recipient_masked,
                content_sha256=attempt.content_sha256,
                delivery_status=cast(DeliveryStatus | None, attempt.delivery_status),
                receipt_at=attempt.receipt_at,
            )
            for attempt in record.attempts
        ],
    )
