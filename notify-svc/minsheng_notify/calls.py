"""Telephone calls staff made to deliver a notice, recorded afterwards by a center
operator (POST /v1/notices/{id}/call-record): the call record Art. 36 asks for, and
the telephone letter (电函) of Art. 23 for urgent cases.

A call that reached the recipient delivers the notice: a notice not sent yet (still
queued, failed, or waiting for a call) is sent by it, at the time of the call, and
notice.sent says so for a citizen's notice; nothing is sent through another channel
any more. Any other outcome is kept as a failed attempt and changes nothing else.
Every call is an attempt with the evidence of every channel: when, to whom (masked),
a SHA-256 of the notice's text, and the call's own details. The same call recorded
again (same notice, caller and time) answers the first record.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import ids, pii, redaction
from minsheng_notify import delivery, rendering, repository, sending
from minsheng_notify.errors import InvalidCallRecord, NoticeNotFound
from minsheng_notify.models import CallRecord, Notice, NoticeAttempt
from minsheng_notify.schemas import CallRecordIn
from minsheng_notify.senders import CALL, TELEPHONE
from minsheng_notify.service import NotifyContext

log = logging.getLogger(__name__)

REACHED = "reached"
CLOCK_TOLERANCE = timedelta(minutes=5)
"""How far ahead of the service clock a call may be dated (clocks differ a little)."""


async def record_call(
    *,
    session: AsyncSession,
    context: NotifyContext,
    notice_id: str,
    call: CallRecordIn,
    recorded_by: str,
) -> tuple[CallRecord, Notice, bool]:
    """Keep a call made for a notice; the record, its notice, and whether it is new.

    422 `invalid_call_record` for a call dated in the future or one that reached
    the recipient in no time; 404 `notice_not_found` for an unknown notice.
    """
    notice = await repository.notice_for_update(session, notice_id)
    if notice is None:
        raise NoticeNotFound(f"no notice {notice_id}", field="notice_id")
    _check(call, now=context.clock.now())

    earlier = await repository.call_record(
        session, notice_id=notice.id, called_by=call.called_by, called_at=call.called_at
    )
    if earlier is not None:
        await session.commit()
        return earlier, notice, False

    record = await _keep(session, context, notice, call, recorded_by)
    if call.outcome == REACHED and notice.status != repository.SENT:
        await _deliver(session, context, notice, record)
    await session.commit()

    log.info(
        "notice %s (work order %s): call record %s kept by %s: %s, %d s",
        notice.id,
        notice.work_order_id,
        record.id,
        recorded_by,
        call.outcome,
        call.duration_seconds,
    )
    return record, notice, True


def _check(call: CallRecordIn, *, now: datetime) -> None:
    if call.called_at > now + CLOCK_TOLERANCE:
        raise InvalidCallRecord("the call is dated in the future", field="called_at")
    if call.outcome == REACHED and call.duration_seconds == 0:
        raise InvalidCallRecord(
            "a call that reached the recipient took some time",
            field="duration_seconds",
        )


async def _keep(
    session: AsyncSession,
    context: NotifyContext,
    notice: Notice,
    call: CallRecordIn,
    recorded_by: str,
) -> CallRecord:
    reached = call.outcome == REACHED
    record_id = ids.new_id()
    attempt = NoticeAttempt(
        notice_id=notice.id,
        at=call.called_at,
        outcome=sending.Outcome.SENT.value if reached else sending.Outcome.FAILED.value,
        channel=CALL,
        provider_ref=f"call:{record_id}",
        detail=f"call: {call.outcome}, {call.duration_seconds} s",
        recipient_masked=await _recipient_masked(session, context, notice),
        content_sha256=sending.content_sha256(
            rendering.scrub(notice.kind, notice.body)
        ),
        delivery_status=repository.DELIVERED if reached else None,
        receipt_at=call.called_at if reached else None,
    )
    session.add(attempt)
    await session.flush()

    record = CallRecord(
        id=record_id,
        notice_id=notice.id,
        attempt_id=attempt.id,
        called_by=call.called_by,
        called_at=call.called_at,
        outcome=call.outcome,
        duration_seconds=call.duration_seconds,
        note=redaction.redact(call.note) if call.note else None,
        recorded_by=recorded_by,
        recorded_at=context.clock.now(),
    )
    session.add(record)
    notice.attempts += 1
    await session.flush()
    return record


async def _deliver(
    session: AsyncSession, context: NotifyContext, notice: Notice, record: CallRecord
) -> None:
    """The call told the recipient: the notice is sent, by telephone, then."""
    notice.status = repository.SENT
    notice.sent_at = record.called_at
    notice.failed_at = None
    notice.channel = CALL
    notice.provider_ref = f"call:{record.id}"
    notice.delivery_status = repository.DELIVERED
    notice.receipt_at = record.called_at
    notice.last_error = None
    notice.recipient_masked = notice.recipient_masked or await _recipient_masked(
        session, context, notice
    )
    await delivery.stage_sent(context, session, notice, at=record.called_at)
    log.info(
        "appeal %s, work order %s: notice %s delivered by telephone",
        notice.appeal_id,
        notice.work_order_id,
        notice.id,
    )


async def _recipient_masked(
    session: AsyncSession, context: NotifyContext, notice: Notice
) -> str | None:
    """The number called, masked: the notice's telephone address, its first
    address, or its citizen's contact."""
    own = delivery.addresses_of(notice)
    phones = [address for address in own if address.kind == TELEPHONE]
    encrypted = (phones or own)[0].encrypted if own else None
    if encrypted is None and notice.appeal_id is not None:
        recipient = await repository.recipient(session, notice.appeal_id)
        encrypted = recipient.contact_encrypted if recipient else None
    if encrypted is None:
        return notice.recipient_masked
    try:
        return pii.mask(context.vault.decrypt(encrypted))
    except pii.PiiKeyError:
        return notice.recipient_masked
