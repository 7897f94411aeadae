"""Queries behind the periodic reports (Art. 40) and the store of compiled reports.

Counts of appeals are over their received time, as every indicator's window is
(`indicators.WINDOW`); the state of work orders at a period's end is read from the
times the projection keeps (dispatched, closed, returned, merged, replaced), so a
report compiled late still sees the period's end as it was.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, not_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from minsheng_analytics import indicators
from minsheng_analytics.models import (
    AppealFact,
    WarningAppealFact,
    WarningFact,
    WorkOrderFact,
)
from minsheng_analytics.report_models import GeneratedReport

FINAL_OUTCOMES: tuple[str, ...] = ("on_time", "overdue")
"""Closures that end the handling: a staged closure (阶段性办结) is still handled."""


def _received_in(start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(AppealFact.received_at >= start, AppealFact.received_at < end)


async def received_by(
    session: AsyncSession,
    column: InstrumentedAttribute[str | None],
    start: datetime,
    end: datetime,
) -> dict[str | None, int]:
    """Appeals received in [start, end) by one of their columns (category,
    subdistrict); None for appeals without it."""
    rows = await session.execute(
        select(column, func.count())
        .where(_received_in(start, end), indicators.RECEIVED.condition)
        .group_by(column)
    )
    return {key: int(count) for key, count in rows.all()}


async def received_between(
    session: AsyncSession, bounds: Sequence[datetime]
) -> list[int]:
    """Appeals received between each pair of consecutive `bounds`, in one pass."""
    pairs = list(itertools.pairwise(bounds))
    if not pairs:
        return []
    columns = [
        func.count(case((_received_in(start, end), 1))).label(f"b{index}")
        for index, (start, end) in enumerate(pairs)
    ]
    row = (
        await session.execute(
            select(*columns).where(_received_in(bounds[0], bounds[-1]))
        )
    ).one()
    return [int(value or 0) for value in row]


async def warning_counts(
    session: AsyncSession, start: datetime, end: datetime
) -> dict[str, int]:
    """Warnings raised in [start, end), by kind."""
    rows = await session.execute(
        select(WarningFact.kind, func.count())
        .where(WarningFact.raised_at >= start, WarningFact.raised_at < end)
        .group_by(WarningFact.kind)
    )
    return {kind: int(count) for kind, count in rows.all() if kind is not None}


async def warnings_raised(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    *,
    kinds: Sequence[str],
    limit: int,
) -> list[WarningFact]:
    """Warnings of `kinds` raised in [start, end), most reports first."""
    rows = await session.scalars(
        select(WarningFact)
        .where(
            WarningFact.raised_at >= start,
            WarningFact.raised_at < end,
            WarningFact.kind.in_(kinds),
        )
        .order_by(
            WarningFact.count.desc(),
            WarningFact.raised_at,
            WarningFact.warning_id,
        )
        .limit(limit)
    )
    return list(rows)


async def first_appeals(
    session: AsyncSession, warning_ids: Sequence[str]
) -> dict[str, AppealFact]:
    """The earliest received appeal of each warning's evidence."""
    if not warning_ids:
        return {}
    rows = await session.execute(
        select(WarningAppealFact.warning_id, AppealFact)
        .join(AppealFact, AppealFact.appeal_id == WarningAppealFact.appeal_id)
        .where(WarningAppealFact.warning_id.in_(warning_ids))
        .order_by(AppealFact.received_at, AppealFact.appeal_id)
    )
    first: dict[str, AppealFact] = {}
    for warning_id, appeal in rows.all():
        first.setdefault(warning_id, appeal)
    return first


def _before(column: InstrumentedAttribute[Any], end: datetime) -> ColumnElement[bool]:
    return and_(column.is_not(None), column < end)


def open_at(end: datetime) -> ColumnElement[bool]:
    """Work orders a unit held at `end`: dispatched before, not closed before, and
    not ended before by an approved return, a merger or a replacement."""
    return and_(
        _before(WorkOrderFact.dispatched_at, end),
        not_(_before(WorkOrderFact.closed_at, end)),
        not_(
            and_(
                WorkOrderFact.return_approved.is_(true()),
                _before(WorkOrderFact.return_decided_at, end),
            )
        ),
        not_(_before(WorkOrderFact.merged_at, end)),
        not_(_before(WorkOrderFact.replaced_at, end)),
    )


def handling_overdue_at(end: datetime) -> ColumnElement[bool]:
    """Open at `end` with the handling deadline (the latest one known) run out."""
    return and_(open_at(end), _before(WorkOrderFact.handling_deadline_at, end))


def staged_unchecked_at(end: datetime) -> ColumnElement[bool]:
    """A staged closure (Art. 17) whose check date passed before `end` without the
    check: it counts as overdue, as the on-time closure rate counts it."""
    return and_(
        WorkOrderFact.closure_outcome == "staged",
        _before(WorkOrderFact.closed_at, end),
        _before(WorkOrderFact.staged_check_deadline_at, end),
        not_(_before(WorkOrderFact.staged_check_met_at, end)),
    )


@dataclass(frozen=True)
class OverdueRow:
    work_order_id: str
    unit_id: str | None
    tracking_code: str | None
    category_id: str | None
    subdistrict_id: str | None
    clock: str
    due_at: datetime


async def overdue_by_unit(
    session: AsyncSession, end: datetime
) -> dict[str | None, tuple[int, int]]:
    """(unclosed, overdue) work orders of each unit at `end`; a staged closure left
    unchecked counts in both."""
    open_now = open_at(end)
    overdue = handling_overdue_at(end)
    staged = staged_unchecked_at(end)
    rows = await session.execute(
        select(
            WorkOrderFact.unit_id,
            func.count(case((or_(open_now, staged), 1))),
            func.count(case((or_(overdue, staged), 1))),
        )
        .where(or_(open_now, staged))
        .group_by(WorkOrderFact.unit_id)
    )
    return {unit: (int(unclosed), int(late)) for unit, unclosed, late in rows.all()}


async def overdue_orders(
    session: AsyncSession, end: datetime, *, limit: int
) -> list[OverdueRow]:
    """The orders overdue at `end`, longest overdue first, at most `limit`."""
    found: list[OverdueRow] = []
    for clock, condition, due in (
        ("handling", handling_overdue_at(end), WorkOrderFact.handling_deadline_at),
        (
            "staged_check",
            staged_unchecked_at(end),
            WorkOrderFact.staged_check_deadline_at,
        ),
    ):
        # Untyped rows: the condition selects only orders whose due time is known.
        rows: Sequence[Any] = (
            await session.execute(
                select(
                    WorkOrderFact.work_order_id,
                    WorkOrderFact.unit_id,
                    AppealFact.tracking_code,
                    AppealFact.category_id,
                    AppealFact.subdistrict_id,
                    due,
                )
                .outerjoin(AppealFact, AppealFact.appeal_id == WorkOrderFact.appeal_id)
                .where(condition)
                .order_by(due, WorkOrderFact.work_order_id)
                .limit(limit)
            )
        ).all()
        found.extend(
            OverdueRow(
                work_order_id=row[0],
                unit_id=row[1],
                tracking_code=row[2],
                category_id=row[3],
                subdistrict_id=row[4],
                clock=clock,
                due_at=row[5],
            )
            for row in rows
        )
    found.sort(key=lambda row: (row.due_at, row.work_order_id))
    return found[:limit]


@dataclass(frozen=True)
class RecurringReport:
    """An appeal of the period received after its cluster had a closure."""

    appeal_id: str
    cluster_id: str
    received_at: datetime
    category_id: str | None
    subdistrict_id: str | None
    title: str | None
    first_closed_at: datetime


async def recurring_reports(
    session: AsyncSession, start: datetime, end: datetime
) -> list[RecurringReport]:
    """Appeals received in [start, end) whose event cluster had a work order closed
    (finally, not staged) before they were received."""
    earlier = aliased(AppealFact)
    clusters_of_period = (
        select(AppealFact.cluster_id)
        .where(_received_in(start, end), AppealFact.cluster_id.is_not(None))
        .scalar_subquery()
    )
    closures = (
        select(
            earlier.cluster_id.label("cluster_id"),
            func.min(WorkOrderFact.closed_at).label("first_closed_at"),
        )
        .join(earlier, earlier.appeal_id == WorkOrderFact.appeal_id)
        .where(
            earlier.cluster_id.in_(clusters_of_period),
            WorkOrderFact.closure_outcome.in_(FINAL_OUTCOMES),
            _before(WorkOrderFact.closed_at, end),
        )
        .group_by(earlier.cluster_id)
        .subquery()
    )
    rows = await session.execute(
        select(
            AppealFact.appeal_id,
            AppealFact.cluster_id,
            AppealFact.received_at,
            AppealFact.category_id,
            AppealFact.subdistrict_id,
            AppealFact.title,
            closures.c.first_closed_at,
        )
        .join(closures, closures.c.cluster_id == AppealFact.cluster_id)
        .where(
            _received_in(start, end),
            AppealFact.received_at > closures.c.first_closed_at,
        )
        .order_by(AppealFact.received_at, AppealFact.appeal_id)
    )
    return [RecurringReport(*row) for row in rows.all()]


@dataclass(frozen=True)
class ReopenedRow:
    work_order_id: str
    unit_id: str | None
    tracking_code: str | None
    category_id: str | None
    subdistrict_id: str | None
    round: int
    dispatched_at: datetime


async def reopened_orders(
    session: AsyncSession, start: datetime, end: datetime, *, limit: int
) -> tuple[list[ReopenedRow], int]:
    """Orders of a reopened round (重办, `indicators.REOPENED`) dispatched in
    [start, end), first dispatched first, at most `limit`; and how many."""
    condition = and_(
        indicators.REOPENED.condition,
        WorkOrderFact.dispatched_at >= start,
        WorkOrderFact.dispatched_at < end,
    )
    total = await session.scalar(
        select(func.count()).select_from(WorkOrderFact).where(condition)
    )
    # Untyped rows: the condition selects only orders with a round and a dispatch.
    rows: Sequence[Any] = (
        await session.execute(
            select(
                WorkOrderFact.work_order_id,
                WorkOrderFact.unit_id,
                AppealFact.tracking_code,
                AppealFact.category_id,
                AppealFact.subdistrict_id,
                WorkOrderFact.round,
                WorkOrderFact.dispatched_at,
            )
            .outerjoin(AppealFact, AppealFact.appeal_id == WorkOrderFact.appeal_id)
            .where(condition)
            .order_by(WorkOrderFact.dispatched_at, WorkOrderFact.work_order_id)
            .limit(limit)
        )
    ).all()
    return [ReopenedRow(*row) for row in rows], int(total or 0)


async def stored(
    session: AsyncSession, kind: str, first_day: date
) -> GeneratedReport | None:
    return await session.get(GeneratedReport, (kind, first_day))


async def stored_page(
    session: AsyncSession, *, kind: str | None, limit: int, offset: int
) -> tuple[list[GeneratedReport], int]:
    """Compiled reports, the latest ended first (the longer period first when two
    end on the same day), and how many match."""
    conditions = [GeneratedReport.kind == kind] if kind is not None else []
    total = await session.scalar(
        select(func.count()).select_from(GeneratedReport).where(*conditions)
    )
    rows = await session.scalars(
        select(GeneratedReport)
        .where(*conditions)
        .order_by(
            GeneratedReport.period_end.desc(),
            GeneratedReport.period_start,
            GeneratedReport.kind,
        )
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)
