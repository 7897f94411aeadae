"""Queries on the AI + video adapter's store beyond the queue's own
(`minsheng_common.adapters.queue`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_aivideo.models import Snapshot, VideoAppeal, VideoDetection, Watch
from minsheng_common.adapters.inserts import insert_ignoring_conflict


async def detection_of(
    session: AsyncSession, detection_id: str
) -> VideoDetection | None:
    return await session.get(VideoDetection, detection_id)


async def lock_watch(
    session: AsyncSession, camera_id: str, kind: str, *, now: datetime
) -> None:
    """Take the row of this camera and kind for the rest of the transaction, made
    first if it is new. On PostgreSQL a second replica deciding for the same
    camera and kind waits here until the first commits; SQLite has one writer and
    the service's own lock."""
    await insert_ignoring_conflict(
        session, Watch, {"camera_id": camera_id, "kind": kind, "created_at": now}
    )
    await session.execute(
        select(Watch.camera_id)
        .where(Watch.camera_id == camera_id, Watch.kind == kind)
        .with_for_update()
    )


async def appeals_near(
    session: AsyncSession,
    camera_id: str,
    kind: str,
    moment: datetime,
    window: timedelta,
) -> list[VideoAppeal]:
    """Appeals of this camera and kind whose first detection is less than `window`
    from `moment`."""
    result = await session.scalars(
        select(VideoAppeal).where(
            VideoAppeal.source == camera_id,
            VideoAppeal.kind == kind,
            VideoAppeal.first_detected_at > moment - window,
            VideoAppeal.first_detected_at < moment + window,
        )
    )
    return list(result)


async def keep_snapshot(session: AsyncSession, values: dict[str, Any]) -> None:
    """Keep a snapshot's content unless the same content is kept already."""
    await insert_ignoring_conflict(session, Snapshot, values)


async def detections(
    session: AsyncSession, *, outcome: str | None, limit: int, offset: int
) -> tuple[list[VideoDetection], int]:
    """Detections in the order they were received, optionally of one outcome."""
    query = select(VideoDetection)
    if outcome is not None:
        query = query.where(VideoDetection.outcome == outcome)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(VideoDetection.received_at, VideoDetection.detection_id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)
