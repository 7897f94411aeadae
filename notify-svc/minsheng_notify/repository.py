"""Queries on notify's store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_notify.models import MergedAppeal, Notice, NoticeAttempt, Recipient

PENDING = "pending"
SENT = "sent"
FAILED = "failed"


async def recipient(session: AsyncSession, appeal_id: str) -> Recipient | None:
    return await session.get(Recipient, appeal_id)


async def notice(session: AsyncSession, notice_id: str) -> Notice | None:
    return await session.get(Notice, notice_id)


async def notice_by_request(session: AsyncSession, request_id: str) -> Notice | None:
    return await session.scalar(select(Notice).where(Notice.request_id == request_id))


async def claim_due(
    session: AsyncSession, *, now: datetime
) -> tuple[Notice, Recipient] | None:
    """The next pending notice that is due and whose recipient is known, locked for
    this transaction.

    On PostgreSQL `SKIP LOCKED` lets several workers send at once, each taking a
    different notice; SQLite has one writer and ignores the clause.
    """
    result = await session.execute(
        select(Notice, Recipient)
        .join(Recipient, Recipient.appeal_id == Notice.appeal_id)
        .where(Notice.status == PENDING, Notice.next_attempt_at <= now)
        .order_by(Notice.next_attempt_at, Notice.id)
        .limit(1)
        .with_for_update(skip_locked=True, of=Notice)
    )
    row = result.first()
    return None if row is None else (row[0], row[1])


async def claim_unaddressed(
    session: AsyncSession, *, created_before: datetime, limit: int
) -> Sequence[Notice]:
    """Pending notices created before `created_before` whose recipient never came,
    locked for this transaction."""
    known = exists().where(Recipient.appeal_id == Notice.appeal_id)
    result = await session.scalars(
        select(Notice)
        .where(Notice.status == PENDING, Notice.created_at <= created_before, ~known)
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
