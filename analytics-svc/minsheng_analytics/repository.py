"""Queries on analytics' store: locked upserts for the projection, and the grouped
counts behind the KPIs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_analytics import indicators
from minsheng_analytics.models import (
    AcceptanceRequestFact,
    AppealFact,
    Base,
    NoticeFact,
    WorkOrderFact,
)

Fact = TypeVar("Fact", bound=Base)


@dataclass(frozen=True)
class Window:
    """Appeals received in [start, end); either end may be open."""

    start: datetime | None = None
    end: datetime | None = None

    @property
    def given(self) -> bool:
        return self.start is not None or self.end is not None

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.start is not None:
            conditions.append(AppealFact.received_at >= self.start)
        if self.end is not None:
            conditions.append(AppealFact.received_at < self.end)
        return conditions


async def locked(session: AsyncSession, model: type[Fact], key: str) -> Fact:
    """The row of `model` with primary key `key`, created empty when absent, locked
    until the caller's transaction ends.

    Insert-if-absent first, then read with FOR UPDATE: two consumers touching the same
    work order from different topics queue on the row instead of both inserting it.
    (SQLite has no row locks; its single writer serialises the transactions anyway.)
    """
    table = model.__table__
    key_column = next(iter(table.primary_key.columns))  # type: ignore[attr-defined]
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    if dialect == "postgresql":
        await session.execute(
            postgresql.insert(table)  # type: ignore[arg-type]
            .values({key_column.name: key})
            .on_conflict_do_nothing()
        )
    elif dialect == "sqlite":
        await session.execute(
            sqlite.insert(table)  # type: ignore[arg-type]
            .values({key_column.name: key})
            .on_conflict_do_nothing()
        )
    row = await session.get(model, key, with_for_update=True, populate_existing=True)
    if row is None:
        row = model(**{key_column.name: key})
        session.add(row)
        await session.flush()
    return row


async def acceptance_times(
    session: AsyncSession, work_order_id: str
) -> tuple[datetime | None, datetime | None]:
    """When the order's first acceptance notice was asked for, and when the first one
    was sent, over every acceptance request of the order."""
    requested = await session.scalar(
        select(func.min(AcceptanceRequestFact.requested_at)).where(
            AcceptanceRequestFact.work_order_id == work_order_id
        )
    )
    sent = await session.scalar(
        select(func.min(NoticeFact.sent_at))
        .join(
            AcceptanceRequestFact,
            AcceptanceRequestFact.request_id == NoticeFact.request_id,
        )
        .where(
            AcceptanceRequestFact.work_order_id == work_order_id,
            NoticeFact.status == "sent",
        )
    )
    return requested, sent


async def appeal_rows(session: AsyncSession, window: Window) -> Sequence[Any]:
    """Appeal counts grouped by (type, channel, reason code), one column per appeal
    indicator."""
    group = (AppealFact.appeal_type, AppealFact.channel, AppealFact.reason_code)
    query: Select[Any] = select(
        *group,
        *_columns(indicators.of("appeal")),
    ).group_by(*group)
    for condition in window.conditions():
        query = query.where(condition)
    return (await session.execute(query)).all()


async def work_order_rows(session: AsyncSession, window: Window) -> Sequence[Any]:
    """Work order counts grouped by (unit, type, channel), one column per work order
    indicator (two per rate). The appeal supplies the channel and the received time;
    the type comes from the order, else from the appeal."""
    appeal_type = func.coalesce(WorkOrderFact.appeal_type, AppealFact.appeal_type)
    group = (WorkOrderFact.unit_id, appeal_type, AppealFact.channel)
    query: Select[Any] = (
        select(*group, *_columns(indicators.of("work_order")))
        .select_from(WorkOrderFact)
        .outerjoin(AppealFact, AppealFact.appeal_id == WorkOrderFact.appeal_id)
        .group_by(*group)
    )
    for condition in window.conditions():
        query = query.where(condition)
    return (await session.execute(query)).all()


def _columns(chosen: Sequence[indicators.Indicator]) -> list[Any]:
    return [column for indicator in chosen for column in indicator.columns()]


async def as_of(session: AsyncSession) -> datetime | None:
    """The `occurred_at` of the newest event applied to the projection."""
    newest: list[datetime] = []
    for model in (AppealFact, WorkOrderFact, AcceptanceRequestFact, NoticeFact):
        value = await session.scalar(select(func.max(model.last_event_at)))
        if value is not None:
            newest.append(value)
    return max(newest, default=None)


async def recent_appeals(
    session: AsyncSession, window: Window, limit: int
) -> list[AppealFact]:
    """The newest appeals by received time."""
    query = select(AppealFact).where(AppealFact.received_at.is_not(None))
    for condition in window.conditions():
        query = query.where(condition)
    rows = await session.scalars(
        query.order_by(AppealFact.received_at.desc(), AppealFact.appeal_id).limit(limit)
    )
    return list(rows)
