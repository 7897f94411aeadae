"""Queries on notify's store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_notify.models import (
    CallRecord,
    MergedAppeal,
    Notice,
    NoticeAttempt,
    Recipient,
)

PENDING = "pending"
SENT = "sent"
FAILED = "failed"
MANUAL = "manual"
"""Waits for staff to call and record the call: no sender can carry it."""

# What became of a message after it left (the attempt's `delivery_status`).
ACCEPTED = "accepted"
"""The provider took the message; no receipt yet."""
DELIVERED = "delivered"
UNDELIVERED = "undelivered"
FINAL_DELIVERY = frozenset({DELIVERED, UNDELIVERED})


async def recipient(session: AsyncSession, appeal_id: str) -> Recipient | None:
    return await session.get(Recipient, appeal_id)


async def notice(session: AsyncSession, notice_id: str) -> Notice | None:
    return await session.get(Notice, notice_id)


async def notice_by_request(session: AsyncSession, request_id: str) -> Notice | None:
    return await session.scalar(select(Notice).where(Notice.request_id == request_id))


async def claim_due(
    session: AsyncSession, *, now: datetime
) -> tuple[Notice, Recipient | None] | None:
    """The next pending notice that is due and can be addressed (it carries its own
    addresses, or its appeal's recipient is known), locked for this transaction,
    with that recipient.

    On PostgreSQL `SKIP LOCKED` lets several workers send at once, each taking a
    different notice; SQLite has one writer and ignores the clause.
    """
    result = await session.execute(
        select(Notice, Recipient)
        .outerjoin(Recipient, Recipient.appeal_id == Notice.appeal_id)
        .where(
            Notice.status == PENDING,
            Notice.next_attempt_at <= now,
            or_(Notice.addresses.is_not(None), Recipient.appeal_id.is_not(None)),
        )
        .order_by(Notice.next_attempt_at, Notice.id)
        .limit(1)
        .with_for_update(skip_locked=True, of=Notice)
    )
    row = result.first()
    return None if row is None else (row[0], row[1])


async def notice_for_update(session: AsyncSession, notice_id: str) -> Notice | None:
    """One notice, locked for this transaction (waiting for a sender that holds
    it)."""
    return await session.scalar(
        select(Notice).where(Notice.id == notice_id).with_for_update()
    )


async def claim_unaddressed(
    session: AsyncSession, *, created_before: datetime, limit: int
) -> Sequence[Notice]:
    """Pending notices created before `created_before` whose recipient never came,
    locked for this transaction."""
    known = exists().where(Recipient.appeal_id == Notice.appeal_id)
    result = await session.scalars(
        select(Notice)
        .where(
            Notice.status == PENDING,
            Notice.created_at <= created_before,
            Notice.addresses.is_(None),
            ~known,
        )
        .order_by(Notice.created_at, Notice.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return result.all()


async def claim_expired_recipients(
    session: AsyncSession, *, cutoff: datetime, limit: int
) -> Sequence[Recipient]:
    """Recipients whose contact is still kept although their appeal was filed
    before `cutoff` and none of its notices is pending or was created, sent or
    failed since; locked for this transaction (skipping rows another replica
    holds)."""
    recent_notice = exists().where(
        Notice.appeal_id == Recipient.appeal_id,
        or_(
            Notice.status == PENDING,
            Notice.created_at >= cutoff,
            Notice.sent_at >= cutoff,
            Notice.failed_at >= cutoff,
        ),
    )
    result = await session.scalars(
        select(Recipient)
        .where(
            Recipient.contact_encrypted.is_not(None),
            Recipient.filed_at < cutoff,
            ~recent_notice,
        )
        .order_by(Recipient.filed_at, Recipient.appeal_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return result.all()


async def notices(
    session: AsyncSession,
    *,
    appeal_id: str | None,
    work_order_id: str | None,
    unit_id: str | None,
) -> Sequence[Notice]:
    """Notices oldest first, of one appeal or work order, only `unit_id`'s when
    given."""
    query = select(Notice)
    if unit_id is not None:
        query = query.where(Notice.unit_id == unit_id)
    if appeal_id is not None:
        query = query.where(Notice.appeal_id == appeal_id)
    if work_order_id is not None:
        query = query.where(Notice.work_order_id == work_order_id)
    result = await session.scalars(query.order_by(Notice.created_at, Notice.id))
    return result.all()


async def attempts(
    session: AsyncSession, notice_ids: Sequence[str]
) -> dict[str, list[NoticeAttempt]]:
    """Every attempt of the given notices, oldest first, by notice id."""
    by_notice: dict[str, list[NoticeAttempt]] = {key: [] for key in notice_ids}
    if not notice_ids:
        return by_notice
    result = await session.scalars(
        select(NoticeAttempt)
        .where(NoticeAttempt.notice_id.in_(notice_ids))
        .order_by(NoticeAttempt.id)
    )
    for attempt in result:
        by_notice[attempt.notice_id].append(attempt)
    return by_notice


async def merged_appeals(
    session: AsyncSession, work_order_ids: Sequence[str]
) -> list[MergedAppeal]:
    """The appeals merged into any of the given work orders, oldest merger first."""
    if not work_order_ids:
        return []
    result = await session.scalars(
        select(MergedAppeal)
        .where(MergedAppeal.work_order_id.in_(list(work_order_ids)))
        .order_by(MergedAppeal.merged_at, MergedAppeal.appeal_id)
    )
    return list(result.all())


async def sent_attempts(
    session: AsyncSession, *, channel: str, provider_ref: str
) -> Sequence[NoticeAttempt]:
    """The attempts that handed a message to `channel` under the provider's
    reference `provider_ref`, locked for this transaction."""
    result = await session.scalars(
        select(NoticeAttempt)
        .where(
            NoticeAttempt.channel == channel,
            NoticeAttempt.provider_ref == provider_ref,
            NoticeAttempt.delivery_status.is_not(None),
        )
        .order_by(NoticeAttempt.id)
        .with_for_update()
    )
    return result.all()


async def call_records(
    session: AsyncSession, notice_ids: Sequence[str]
) -> dict[int, CallRecord]:
    """The call records of the given notices, by the id of their attempt."""
    if not notice_ids:
        return {}
    result = await session.scalars(
        select(CallRecord).where(CallRecord.notice_id.in_(list(notice_ids)))
    )
    return {record.attempt_id: record for record in result}


async def call_record(
    session: AsyncSession, *, notice_id: str, called_by: str, called_at: datetime
) -> CallRecord | None:
    """The call record of this notice by this caller at this time, if kept."""
    return await session.scalar(
        select(CallRecord).where(
            CallRecord.notice_id == notice_id,
            CallRecord.called_by == called_by,
            CallRecord.called_at == called_at,
        )
    )
