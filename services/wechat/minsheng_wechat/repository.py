"""Queries on the WeChat adapter's store beyond the queue's own
(`minsheng_common.adapters.queue`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.adapters.inserts import insert_ignoring_conflict
from minsheng_wechat.models import Photo, WechatAppeal, WechatMessage

OPENING_KINDS = ("text", "voice")
"""The appeals a picture or location may join: those a citizen described."""


async def message_of(session: AsyncSession, key: str) -> WechatMessage | None:
    return await session.get(WechatMessage, key)


async def appeal_of(session: AsyncSession, item_id: str) -> WechatAppeal | None:
    return await session.get(WechatAppeal, item_id)


async def joinable_appeal(
    session: AsyncSession, citizen: str, *, since: datetime
) -> WechatAppeal | None:
    """The citizen's latest appeal opened by a text or voice since `since` that
    intake has certainly not received: still pending, and no try of it may have
    reached intake."""
    result = await session.scalars(
        select(WechatAppeal)
        .where(
            WechatAppeal.source == citizen,
            WechatAppeal.status == "pending",
            WechatAppeal.may_have_reached_intake.is_(False),
            WechatAppeal.opened_by.in_(OPENING_KINDS),
            WechatAppeal.created_at >= since,
        )
        .order_by(WechatAppeal.position.desc())
        .limit(1)
    )
    return result.first()


async def keep_photo(session: AsyncSession, values: dict[str, Any]) -> None:
    """Keep a picture's content unless the same content is kept already."""
    await insert_ignoring_conflict(session, Photo, values)


async def messages(
    session: AsyncSession, *, outcome: str | None, limit: int, offset: int
) -> tuple[list[WechatMessage], int]:
    """Messages in the order they were received, optionally of one outcome."""
    query = select(WechatMessage)
    if outcome is not None:
        query = query.where(WechatMessage.outcome == outcome)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(WechatMessage.received_at, WechatMessage.message_key)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)
