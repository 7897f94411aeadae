"""Queries on the forum adapter's store."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, distinct, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_forum.models import ForumItem, WebhookReceipt


async def stored_rows(session: AsyncSession, source: str) -> set[tuple[str, int]]:
    """(message id, row number) of every item already stored from `source`."""
    result = await session.execute(
        select(ForumItem.message_id, ForumItem.row_number).where(
            ForumItem.source == source
        )
    )
    return {(row[0], row[1]) for row in result.all()}


async def last_position(session: AsyncSession, source: str) -> int:
    """The highest queue position used in `source`, 0 when empty."""
    found = await session.scalar(
        select(func.max(ForumItem.position)).where(ForumItem.source == source)
    )
    return int(found or 0)


async def pending_sources(session: AsyncSession) -> list[str]:
    result = await session.scalars(
        select(ForumItem.source).where(ForumItem.status == "pending").distinct()
    )
    return sorted(result)


async def head(session: AsyncSession, source: str) -> ForumItem | None:
    """The first pending item of `source` in queue order: the only one that may be
    sent now, so the order of the forum holds."""
    result = await session.scalars(
        select(ForumItem)
        .where(ForumItem.source == source, ForumItem.status == "pending")
        .order_by(ForumItem.position)
        .limit(1)
    )
    return result.first()


async def settle(session: AsyncSession, item_id: str, values: dict[str, Any]) -> bool:
    """Write an attempt's outcome onto a still pending item; False if it was not
    pending any more (another worker settled it first)."""
    result = await session.execute(
        update(ForumItem)
        .where(ForumItem.id == item_id, ForumItem.status == "pending")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def page(
    session: AsyncSession, *, status: str | None, limit: int, offset: int
) -> tuple[list[ForumItem], int]:
    query = select(ForumItem)
    if status is not None:
        query = query.where(ForumItem.status == status)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(ForumItem.source, ForumItem.position).limit(limit).offset(offset)
    )
    return list(rows), int(total or 0)


async def count_by_status(session: AsyncSession) -> dict[str, int]:
    result = await session.execute(
        select(ForumItem.status, func.count()).group_by(ForumItem.status)
    )
    return {str(row[0]): int(row[1]) for row in result.all()}


async def count_already_received(session: AsyncSession) -> int:
    found = await session.scalar(
        select(func.count()).where(
            ForumItem.status == "delivered", ForumItem.answer_status == 200
        )
    )
    return int(found or 0)


async def appeals_by_decision(session: AsyncSession) -> dict[str, int]:
    """Distinct appeals intake reported, by decision: an appeal reached twice (the
    same channel reference) counts once."""
    result = await session.execute(
        select(ForumItem.decision, func.count(distinct(ForumItem.appeal_id)))
        .where(ForumItem.status == "delivered", ForumItem.decision.is_not(None))
        .group_by(ForumItem.decision)
    )
    return {str(row[0]): int(row[1]) for row in result.all()}


async def item_of(
    session: AsyncSession, source: str, message_id: str, row_number: int
) -> ForumItem | None:
    result = await session.scalars(
        select(ForumItem).where(
            ForumItem.source == source,
            ForumItem.message_id == message_id,
            ForumItem.row_number == row_number,
        )
    )
    return result.first()


async def record_receipt(
    session: AsyncSession, signature: str, received_at: datetime
) -> None:
    """Keep a pushed request's signature; the flush raises IntegrityError when it
    was kept before."""
    session.add(WebhookReceipt(signature=signature, received_at=received_at))
    await session.flush()


async def purge_receipts(session: AsyncSession, before: datetime) -> int:
    """Forget signatures received before `before`; the number forgotten."""
    result = await session.execute(
        delete(WebhookReceipt)
        .where(WebhookReceipt.received_at < before)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
