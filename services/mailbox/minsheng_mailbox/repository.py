"""Queries on the mailbox adapter's store beyond the queue's own
(`minsheng_common.adapters.queue`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from minsheng_common.adapters.inserts import insert_ignoring_conflict
from minsheng_mailbox.models import Attachment, Cursor, MailboxItem, MailMessage


async def cursor_of(session: AsyncSession, folder: str) -> Cursor | None:
    return await session.get(Cursor, folder)


async def move_cursor(
    session: AsyncSession,
    folder: str,
    *,
    uidvalidity: int,
    uid: int,
    now: datetime,
) -> None:
    """Record that `uid` of `folder` (at `uidvalidity`) is taken; flushed with
    what the message stored, in its transaction."""
    cursor = await session.get(Cursor, folder)
    if cursor is None:
        cursor = Cursor(folder=folder, uidvalidity=uidvalidity, last_uid=uid)
        session.add(cursor)
    elif cursor.uidvalidity != uidvalidity:
        cursor.uidvalidity, cursor.last_uid = uidvalidity, uid
    else:
        cursor.last_uid = max(cursor.last_uid, uid)
    cursor.updated_at = now


async def message_of(session: AsyncSession, key: str) -> MailMessage | None:
    return await session.get(MailMessage, key)


@dataclass(frozen=True)
class Listed:
    """A message as listed: with where its item stands (None without an item) and,
    for a repeated message, the earlier message it repeats."""

    message: MailMessage
    delivery: str | None
    appeal_id: str | None
    earlier: tuple[int, int] | None
    """The earlier message's UIDVALIDITY and UID."""


async def messages(
    session: AsyncSession, *, outcome: str | None, limit: int, offset: int
) -> tuple[list[Listed], int]:
    """Messages in the order they were read, optionally of one outcome."""
    query = select(MailMessage)
    if outcome is not None:
        query = query.where(MailMessage.outcome == outcome)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))

    earlier = aliased(MailMessage)
    result = await session.execute(
        query.add_columns(
            MailboxItem.status, MailboxItem.appeal_id, earlier.uidvalidity, earlier.uid
        )
        .outerjoin(MailboxItem, MailboxItem.id == MailMessage.item_id)
        .outerjoin(earlier, earlier.key == MailMessage.repeats)
        .order_by(MailMessage.read_at, MailMessage.uid)
        .limit(limit)
        .offset(offset)
    )
    listed = [
        Listed(
            message=message,
            delivery=status,
            appeal_id=appeal_id,
            earlier=(uidvalidity, uid) if uid is not None else None,
        )
        for message, status, appeal_id, uidvalidity, uid in result
    ]
    return listed, int(total or 0)


async def item_of_appeal(session: AsyncSession, appeal_id: str) -> MailboxItem | None:
    """The item intake answered with `appeal_id`: the mail a reply answers."""
    result = await session.scalars(
        select(MailboxItem)
        .where(MailboxItem.appeal_id == appeal_id)
        .order_by(MailboxItem.created_at)
        .limit(1)
    )
    return result.first()


async def keep_attachment(session: AsyncSession, values: dict[str, Any]) -> None:
    """Keep an attachment's content unless the same content is kept already."""
    await insert_ignoring_conflict(session, Attachment, values)
