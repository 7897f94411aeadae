"""The evidence of a work order's notices (Art. 36), to read (GET /v1/evidence) and to
download (GET /v1/evidence/export) as CSV or JSON, for a unit to attach to its
appeal against a deduction (Art. 35).

Every attempt is there, failed ones too: when, through which channel, to whom
(masked), the provider's message id, the delivery status and receipt time, the
SHA-256 of the text handed over, and for a call who made it and how it went. A unit
gets only its own notices; another unit's work order answers as one without notices.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.timeutil import format_local
from minsheng_notify import rendering, repository
from minsheng_notify.models import CallRecord, Notice, NoticeAttempt
from minsheng_notify.schemas import (
    CallOut,
    CallOutcome,
    DeliveryStatus,
    EvidenceAttempt,
    EvidenceNotice,
    EvidenceOut,
    NoticeStatus,
)

CSV_COLUMNS = (
    "notice_id",
    "kind",
    "audience",
    "request_id",
    "appeal_id",
    "work_order_id",
    "unit_id",
    "notice_status",
    "attempt",
    "at",
    "at_local",
    "outcome",
    "channel",
    "recipient",
    "provider_ref",
    "delivery_status",
    "receipt_at",
    "content_sha256",
    "detail",
    "called_by",
    "call_outcome",
    "duration_seconds",
)
# A cell a spreadsheet would read as a formula is prefixed with an apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


async def for_work_order(
    *,
    session: AsyncSession,
    work_order_id: str,
    unit_id: str | None,
    now: datetime,
) -> EvidenceOut:
    """Every notice of the work order (only `unit_id`'s when given), oldest first,
    with every attempt."""
    notices = await repository.notices(
        session, appeal_id=None, work_order_id=work_order_id, unit_id=unit_id
    )
    notice_ids = [notice.id for notice in notices]
    attempts = await repository.attempts(session, notice_ids)
    calls = await repository.call_records(session, notice_ids)
    return EvidenceOut(
        work_order_id=work_order_id,
        generated_at=now,
        notices=[_notice(notice, attempts[notice.id], calls) for notice in notices],
    )


def _notice(
    notice: Notice, attempts: list[NoticeAttempt], calls: dict[int, CallRecord]
) -> EvidenceNotice:
    return EvidenceNotice(
        notice_id=notice.id,
        request_id=notice.request_id,
        kind=notice.kind,
        audience=notice.audience,
        appeal_id=notice.appeal_id,
        work_order_id=notice.work_order_id,
        unit_id=notice.unit_id,
        status=cast(NoticeStatus, notice.status),
        body=rendering.scrub(notice.kind, notice.body),
        created_at=notice.created_at,
        sent_at=notice.sent_at,
        failed_at=notice.failed_at,
        attempts=[
            _attempt(number, attempt, calls.get(attempt.id))
            for number, attempt in enumerate(attempts, start=1)
        ],
    )


def _attempt(
    number: int, attempt: NoticeAttempt, call: CallRecord | None
) -> EvidenceAttempt:
    return EvidenceAttempt(
        number=number,
        at=attempt.at,
        outcome=attempt.outcome,
        channel=attempt.channel,
        recipient_masked=attempt.recipient_masked,
        provider_ref=attempt.provider_ref,
        delivery_status=cast(DeliveryStatus | None, attempt.delivery_status),
        receipt_at=attempt.receipt_at,
        content_sha256=attempt.content_sha256,
        detail=attempt.detail,
        call=None
        if call is None
        else CallOut(
            called_by=call.called_by,
            outcome=cast(CallOutcome, call.outcome),
            duration_seconds=call.duration_seconds,
            note=call.note,
            recorded_by=call.recorded_by,
            recorded_at=call.recorded_at,
        ),
    )


def to_csv(evidence: EvidenceOut) -> str:
    """One row per attempt (a notice never tried: one row without an attempt),
    times in UTC and in Asia/Shanghai; starts with a byte-order mark so
    spreadsheets read the Chinese right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for notice in evidence.notices:
        head = [
            notice.notice_id,
            notice.kind,
            notice.audience,
            notice.request_id,
            notice.appeal_id,
            notice.work_order_id,
            notice.unit_id,
            notice.status,
        ]
        if not notice.attempts:
            writer.writerow(_cells([*head, *[None] * (len(CSV_COLUMNS) - len(head))]))
        for attempt in notice.attempts:
            call = attempt.call
            writer.writerow(
                _cells(
                    [
                        *head,
                        attempt.number,
                        attempt.at.isoformat(),
                        format_local(attempt.at),
                        attempt.outcome,
                        attempt.channel,
                        attempt.recipient_masked,
                        attempt.provider_ref,
                        attempt.delivery_status,
                        attempt.receipt_at.isoformat() if attempt.receipt_at else None,
                        attempt.content_sha256,
                        attempt.detail,
                        call.called_by if call else None,
                        call.outcome if call else None,
                        call.duration_seconds if call else None,
                    ]
                )
            )
    return "\ufeff" + buffer.getvalue()


def _cells(values: list[object]) -> list[str]:
    cells = []
    for value in values:
        text = "" if value is None else str(value)
        if text.startswith(_FORMULA_START):
            text = "'" + text
        cells.append(text)
    return cells
