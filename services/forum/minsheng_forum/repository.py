"""Queries on the forum adapter's store beyond the queue's own
(`minsheng_common.adapters.queue`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_forum.models import ForumItem


async def stored_rows(session: AsyncSession, source: str) -> set[tuple[str, int]]:
    """(message id, row number) of every item already stored from `source`."""
    result = await session.execute(
        select(ForumItem.message_id, ForumItem.row_number).where(
            ForumItem.source == source
        )
    )
    return {(row[0], row[1]) for row in result.all()}


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
