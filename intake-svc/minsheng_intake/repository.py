"""Queries on intake's store."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_intake.models import Appeal, AppealUnit, ContactDisclosure


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


async def disclosures(session: AsyncSession, appeal_id: str) -> list[ContactDisclosure]:
    rows = await session.scalars(
        select(ContactDisclosure)
        .where(ContactDisclosure.appeal_id == appeal_id)
        .order_by(ContactDisclosure.at, ContactDisclosure.id)
    )
    return list(rows)
