"""Queries on intake's store."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, cast

from sqlalchemy import func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_intake.models import Appeal, AppealUnit, ContactDisclosure, Verification
from minsheng_intake.sameness.models import AppealMerge


async def get(session: AsyncSession, appeal_id: str) -> Appeal | None:
    return await session.get(Appeal, appeal_id)


async def by_channel_ref(
    session: AsyncSession, channel: str, channel_ref: str
) -> Appeal | None:
    result = await session.execute(
        select(Appeal).where(
            Appeal.channel == channel, Appeal.channel_ref == channel_ref
        )
    )
    return result.scalar_one_or_none()


async def page(
    session: AsyncSession,
    *,
    status: str | None,
    channel: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Appeal], int]:
    query = select(Appeal)
    if status is not None:
        query = query.where(Appeal.status == status)
    if channel is not None:
        query = query.where(Appeal.channel == channel)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(Appeal.received_at, Appeal.id).limit(limit).offset(offset)
    )
    return list(rows), int(total or 0)


async def counts(session: AsyncSession) -> list[tuple[str, str | None, str, int]]:
    """(status, reason_code, channel, count) for every combination present."""
    result = await session.execute(
        select(
            Appeal.status, Appeal.reason_code, Appeal.channel, func.count()
        ).group_by(Appeal.status, Appeal.reason_code, Appeal.channel)
    )
    return [(row[0], row[1], row[2], int(row[3])) for row in result.all()]


async def appeal_unit(
    session: AsyncSession, appeal_id: str, unit_id: str
) -> AppealUnit | None:
    result = await session.execute(
        select(AppealUnit).where(
            AppealUnit.appeal_id == appeal_id, AppealUnit.unit_id == unit_id
        )
    )
    return result.scalar_one_or_none()


async def holders_by_order(
    session: AsyncSession, work_order_ids: Collection[str]
) -> list[AppealUnit]:
    """The holders whose latest work order is one of these, in a stable order."""
    if not work_order_ids:
        return []
    rows = await session.scalars(
        select(AppealUnit)
        .where(AppealUnit.work_order_id.in_(work_order_ids))
        .order_by(AppealUnit.appeal_id, AppealUnit.unit_id)
    )
    return list(rows)


async def merged_into_order(session: AsyncSession, work_order_id: str) -> list[str]:
    """The appeals merged into this work order (Art. 18)."""
    rows = await session.scalars(
        select(AppealMerge.appeal_id)
        .where(AppealMerge.into_work_order_id == work_order_id)
        .order_by(AppealMerge.appeal_id)
    )
    return list(rows)


async def merger_of(session: AsyncSession, appeal_id: str) -> AppealMerge | None:
    """Where the appeal's order was merged, if it was (Art. 18)."""
    return await session.get(AppealMerge, appeal_id)


async def disclosures(session: AsyncSession, appeal_id: str) -> list[ContactDisclosure]:
    rows = await session.scalars(
        select(ContactDisclosure)
        .where(ContactDisclosure.appeal_id == appeal_id)
        .order_by(ContactDisclosure.at, ContactDisclosure.id)
    )
    return list(rows)


async def by_tracking_code(session: AsyncSession, tracking_code: str) -> Appeal | None:
    result = await session.execute(
        select(Appeal).where(Appeal.tracking_code == tracking_code)
    )
    return result.scalar_one_or_none()


async def leave_pending(
    session: AsyncSession, appeal_id: str, *, pending: str, status: str, at: datetime
) -> bool:
    """Move an appeal out of a pending state, only if it is still in it."""
    result = cast(
        CursorResult[Any],
        await session.execute(
            update(Appeal)
            .where(Appeal.id == appeal_id, Appeal.status == pending)
            .values(status=status, decided_at=at)
            .execution_options(synchronize_session=False)
        ),
    )
    return result.rowcount == 1


async def units_of(session: AsyncSession, appeal_id: str) -> list[AppealUnit]:
    """The units holding work orders for an appeal, first dispatched first."""
    rows = await session.scalars(
        select(AppealUnit)
        .where(AppealUnit.appeal_id == appeal_id)
        .order_by(AppealUnit.dispatched_at, AppealUnit.id)
    )
    return list(rows)


async def verifications(session: AsyncSession, appeal_id: str) -> list[Verification]:
    rows = await session.scalars(
        select(Verification)
        .where(Verification.appeal_id == appeal_id)
        .order_by(Verification.verified_at, Verification.id)
    )
    return list(rows)


async def search(
    session: AsyncSession,
    *,
    tracking_code: str | None = None,
    contact_hash: str | None = None,
    subdistrict_id: str | None = None,
    community: str | None = None,
    text: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Appeal], int]:
    """Appeals matching every criterion given, newest first. Text is a substring of
    the title, content or address as stored; the contact only by its keyed hash."""
    query = select(Appeal)
    if tracking_code is not None:
        query = query.where(Appeal.tracking_code == tracking_code)
    if contact_hash is not None:
        query = query.where(Appeal.contact_hash == contact_hash)
    if subdistrict_id is not None:
        query = query.where(Appeal.subdistrict_id == subdistrict_id)
    if community is not None:
        query = query.where(Appeal.community == community)
    if text is not None:
        pattern = "%" + _escape_like(text) + "%"
        query = query.where(
            or_(
                Appeal.title.like(pattern, escape="\\"),
                Appeal.content.like(pattern, escape="\\"),
                Appeal.address.like(pattern, escape="\\"),
            )
        )
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(Appeal.received_at.desc(), Appeal.id).limit(limit).offset(offset)
    )
    return list(rows), int(total or 0)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
