"""Queries on the forum adapter's store beyond the queue's own
(`minsheng_common.adapters.queue`): stored rows and posts, and the polled sources'
cursors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_forum.models import FeedCursor, ForumItem


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


async def cursors(session: AsyncSession) -> dict[str, FeedCursor]:
    """Every polled source's cursor row, by source name."""
    rows = await session.scalars(select(FeedCursor))
    return {row.source: row for row in rows}


async def add_cursor(session: AsyncSession, source: str) -> None:
    """A source's cursor row, before its first poll: no cursor yet; flushed."""
    session.add(
        FeedCursor(
            source=source,
            cursor=None,
            failures=0,
            posts_stored=0,
            posts_repeated=0,
            posts_unreadable=0,
        )
    )
    await session.flush()


async def advance(
    session: AsyncSession,
    source: str,
    *,
    expected: str | None,
    cursor: str | None,
    now: datetime,
    stored: int,
    repeated: int,
    unreadable: int,
) -> bool:
    """Move a source's cursor from `expected` to `cursor` and record a poll that
    worked, with its posts stored, given again and skipped as unreadable; False
    when the cursor is no longer `expected` (another replica stored that page
    first)."""
    result = await session.execute(
        sa.update(FeedCursor)
        .where(
            FeedCursor.source == source,
            FeedCursor.cursor.is_not_distinct_from(expected),
        )
        .values(
            cursor=cursor,
            polled_at=now,
            succeeded_at=now,
            failures=0,
            last_error=None,
            posts_stored=FeedCursor.posts_stored + stored,
            posts_repeated=FeedCursor.posts_repeated + repeated,
            posts_unreadable=FeedCursor.posts_unreadable + unreadable,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def record_failure(
    session: AsyncSession, source: str, *, error: str, now: datetime
) -> None:
    """A poll that failed: counted, its reason kept; the cursor stays."""
    await session.execute(
        sa.update(FeedCursor)
        .where(FeedCursor.source == source)
        .values(polled_at=now, failures=FeedCursor.failures + 1, last_error=error)
        .execution_options(synchronize_session=False)
    )


async def stored_posts(
    session: AsyncSession, queue: str, post_ids: Sequence[str]
) -> set[str]:
    """Which of `post_ids` are already items of `queue`."""
    if not post_ids:
        return set()
    result = await session.scalars(
        select(ForumItem.message_id).where(
            ForumItem.source == queue, ForumItem.message_id.in_(set(post_ids))
        )
    )
    return set(result)


async def item_of_appeal(
    session: AsyncSession, appeal_id: str, *, queues: Sequence[str] | None = None
) -> ForumItem | None:
    """The first item intake answered with `appeal_id`, of one of `queues` if
    given."""
    query = select(ForumItem).where(ForumItem.appeal_id == appeal_id)
    if queues is not None:
        query = query.where(ForumItem.source.in_(list(queues)))
    result = await session.scalars(
        query.order_by(ForumItem.delivered_at, ForumItem.id).limit(1)
    )
    return result.first()


async def any_pending(session: AsyncSession, queues: Sequence[str]) -> bool:
    """Whether an item of one of `queues` still waits for intake's answer."""
    found = await session.scalar(
        select(ForumItem.id)
        .where(ForumItem.source.in_(list(queues)), ForumItem.status == "pending")
        .limit(1)
    )
    return found is not None
