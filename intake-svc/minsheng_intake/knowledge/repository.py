"""Queries on the knowledge base's tables, and the consultation counts behind the
one-time answer rate."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_intake.knowledge.models import (
    InstantAnswerRecord,
    KnowledgeEntry,
    KnowledgeEntryVersion,
)
from minsheng_intake.models import Appeal

CONSULTATION = "consultation"


async def get(session: AsyncSession, entry_id: str) -> KnowledgeEntry | None:
    return await session.get(KnowledgeEntry, entry_id)


async def valid_at(
    session: AsyncSession,
    at: datetime,
    *,
    unit_id: str | None = None,
    category_id: str | None = None,
) -> list[KnowledgeEntry]:
    """The entries that hold at `at`: started, not yet ended, not yet retired."""
    query = select(KnowledgeEntry).where(
        KnowledgeEntry.valid_from <= at,
        or_(KnowledgeEntry.valid_to.is_(None), KnowledgeEntry.valid_to > at),
        or_(KnowledgeEntry.retired_at.is_(None), KnowledgeEntry.retired_at > at),
    )
    if unit_id is not None:
        query = query.where(KnowledgeEntry.unit_id == unit_id)
    if category_id is not None:
        query = query.where(KnowledgeEntry.category_id == category_id)
    rows = await session.scalars(query.order_by(KnowledgeEntry.id))
    return list(rows)


async def versions(session: AsyncSession, entry_id: str) -> list[KnowledgeEntryVersion]:
    rows = await session.scalars(
        select(KnowledgeEntryVersion)
        .where(KnowledgeEntryVersion.entry_id == entry_id)
        .order_by(KnowledgeEntryVersion.version)
    )
    return list(rows)


async def version(
    session: AsyncSession, entry_id: str, number: int
) -> KnowledgeEntryVersion | None:
    """One version of an entry, as it read then."""
    return await session.scalar(
        select(KnowledgeEntryVersion).where(
            KnowledgeEntryVersion.entry_id == entry_id,
            KnowledgeEntryVersion.version == number,
        )
    )


async def instant_answer(
    session: AsyncSession, appeal_id: str
) -> InstantAnswerRecord | None:
    return await session.get(InstantAnswerRecord, appeal_id)


async def consultation_counts(
    session: AsyncSession, start: datetime, end: datetime
) -> tuple[int, int]:
    """(consultations received in [start, end), those of them answered at once)."""
    received = (
        select(Appeal.id)
        .where(
            Appeal.appeal_type == CONSULTATION,
            Appeal.received_at >= start,
            Appeal.received_at < end,
        )
        .subquery()
    )
    total = await session.scalar(select(func.count()).select_from(received))
    answered = await session.scalar(
        select(func.count())
        .select_from(received)
        .join(InstantAnswerRecord, InstantAnswerRecord.appeal_id == received.c.id)
    )
    return int(total or 0), int(answered or 0)
