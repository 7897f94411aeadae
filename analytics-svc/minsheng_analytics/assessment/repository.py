"""Queries of the unit assessment: each unit's counts for the plan's indicators over a
period (an accepted appeal's orders left out of its indicator), the orders behind a
deduction, and the awards, appeals and score versions kept."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from minsheng_analytics import indicators
from minsheng_analytics.assessment.models import (
    AssessmentAppeal,
    AssessmentAppealOrder,
    AssessmentAward,
    AssessmentScore,
)
from minsheng_analytics.assessment.plan import Deduction, PlanEdition
from minsheng_analytics.models import (
    AppealFact,
    Base,
    NoticeFact,
    ReturnVisitFact,
    WorkOrderFact,
)
from minsheng_analytics.repository import Window

VOLUME = "volume"


@dataclass(frozen=True)
class _Rows:
    """The rows a subject's indicators count: each names its unit, its work order
    and its appeal (for the received-time window), and when it last changed."""

    model: type[Base]
    unit_id: InstrumentedAttribute[str | None]
    work_order_id: InstrumentedAttribute[str | None]
    appeal_id: InstrumentedAttribute[str | None]
    changed_at: InstrumentedAttribute[datetime | None]


# A unit is assessed on its work orders and on the return visits of its work orders
# (satisfaction, Art. 30, 31); appeal-level indicators belong to no unit.
ROWS: dict[str, _Rows] = {
    "work_order": _Rows(
        WorkOrderFact,
        WorkOrderFact.unit_id,
        WorkOrderFact.work_order_id,
        WorkOrderFact.appeal_id,
        WorkOrderFact.last_event_at,
    ),
    "return_visit": _Rows(
        ReturnVisitFact,
        ReturnVisitFact.unit_id,
        ReturnVisitFact.work_order_id,
        ReturnVisitFact.appeal_id,
        ReturnVisitFact.last_event_at,
    ),
}


def _excluded(indicator_key: str, rows: _Rows) -> ColumnElement[bool]:
    """The row's order left the indicator through an accepted appeal of its unit."""
    return exists().where(
        AssessmentAppealOrder.work_order_id == rows.work_order_id,
        AssessmentAppealOrder.unit_id == rows.unit_id,
        AssessmentAppealOrder.indicator == indicator_key,
        AssessmentAppealOrder.excluded.is_(True),
    )


def _count(condition: ColumnElement[bool], name: str) -> Any:
    return func.count(case((condition, 1))).label(name)


def _columns(rule: Deduction, only: ColumnElement[bool] | None = None) -> list[Any]:
    """The counters of the rule's indicator, over the rows where `only` holds."""
    indicator = indicators.BY_KEY[rule.indicator]
    return [
        _count(condition if only is None else and_(condition, only), name)
        for name, condition in indicator.counters()
    ]


def _within(rows: _Rows, window: Window, *columns: Any) -> Any:
    query = (
        select(*columns)
        .select_from(rows.model)
        .outerjoin(AppealFact, AppealFact.appeal_id == rows.appeal_id)
    )
    for condition in window.conditions():
        query = query.where(condition)
    return query


async def unit_tallies(
    session: AsyncSession, window: Window, edition: PlanEdition
) -> dict[str, dict[str, int]]:
    """Per unit, the counts each deduction of `edition` needs and the volume handled
    (`VOLUME`), over the work orders (and their return visits) of the appeals
    received in `window`. An order an accepted appeal names leaves its deduction's
    indicator, not the volume."""
    tallies: defaultdict[str, dict[str, int]] = defaultdict(dict)
    for subject, rows in ROWS.items():
        rules = [
            rule
            for rule in edition.deductions
            if indicators.BY_KEY[rule.indicator].subject == subject
        ]
        extra = (
            [_count(edition.bonuses.top_volume.condition(), VOLUME)]
            if subject == "work_order"
            else []
        )
        if not rules and not extra:
            continue
        counted = await _grouped(
            session,
            _within(
                rows,
                window,
                rows.unit_id,
                *[column for rule in rules for column in _columns(rule)],
                *extra,
            ),
            rows,
        )
        # Accepted appeals are few: their orders are counted apart, by a join, and
        # taken off, rather than every row of the period checked for one.
        excluded = await _grouped(
            session,
            _within(
                rows,
                window,
                rows.unit_id,
                *[
                    column
                    for rule in rules
                    for column in _columns(
                        rule, AssessmentAppealOrder.indicator == rule.indicator
                    )
                ],
            ).join(
                AssessmentAppealOrder,
                and_(
                    AssessmentAppealOrder.work_order_id == rows.work_order_id,
                    AssessmentAppealOrder.unit_id == rows.unit_id,
                    AssessmentAppealOrder.excluded.is_(True),
                ),
            ),
            rows,
        )
        for unit_id, values in counted.items():
            taken = excluded.get(unit_id, {})
            tallies[unit_id].update(
                {name: value - taken.get(name, 0) for name, value in values.items()}
            )
    return dict(tallies)


async def _grouped(
    session: AsyncSession, query: Any, rows: _Rows
) -> dict[str, dict[str, int]]:
    """The counters of `query` (unit first, then named counts) per unit."""
    grouped = query.where(rows.unit_id.is_not(None)).group_by(rows.unit_id)
    return {
        row[0]: {
            str(name): int(value or 0) for name, value in list(row._mapping.items())[1:]
        }
        for row in (await session.execute(grouped)).all()
    }


@dataclass(frozen=True)
class DeductedRow:
    """An order behind a deduction: whether an accepted appeal took it out, and
    when its facts last changed (the newest event applied to its rows)."""

    work_order_id: str
    excluded: bool
    changed_at: datetime | None


async def deducted_orders(
    session: AsyncSession, window: Window, unit_id: str, rule: Deduction
) -> list[DeductedRow]:
    """The unit's work orders behind a deduction, by id: for a count, the orders
    counted; for a rate, those in the denominator that miss it (higher is better)
    or in the numerator (lower is better); for a return-visit rate, the orders of
    such return visits."""
    indicator = indicators.BY_KEY[rule.indicator]
    rows = ROWS[indicator.subject]
    if indicator.base is None:
        failing = indicator.condition
    elif getattr(rule, "better", "higher") == "lower":
        failing = and_(indicator.base, indicator.condition)
    else:
        # Through CASE, so an unknown (NULL) condition misses like a false one, as
        # the numerator counts it.
        failing = and_(indicator.base, case((indicator.condition, 0), else_=1) == 1)
    query = (
        _within(
            rows,
            window,
            rows.work_order_id,
            _excluded(indicator.key, rows).label("excluded"),
            rows.changed_at,
        )
        .where(rows.unit_id == unit_id, rows.work_order_id.is_not(None), failing)
        .order_by(rows.work_order_id)
    )
    # An order has one row, or one per return visit of it: the newest change of
    # any of them counts.
    found: dict[str, DeductedRow] = {}
    for work_order_id, excluded, changed_at in (await session.execute(query)).all():
        before = found.get(work_order_id)
        if before is not None and before.changed_at is not None:
            changed_at = max(before.changed_at, changed_at or before.changed_at)
        found[work_order_id] = DeductedRow(work_order_id, bool(excluded), changed_at)
    return list(found.values())


async def has_rows(session: AsyncSession, window: Window, unit_id: str) -> bool:
    """Whether the unit has a work order or return visit in `window`: a unit the
    reference data does not know is scored from its orders alone."""
    for rows in ROWS.values():
        query = _within(rows, window, rows.unit_id).where(rows.unit_id == unit_id)
        if await session.scalar(query.limit(1)) is not None:
            return True
    return False


async def work_order_unit(session: AsyncSession, work_order_id: str) -> str | None:
    """The unit of a work order analytics saw dispatched, or None."""
    return await session.scalar(
        select(WorkOrderFact.unit_id).where(
            WorkOrderFact.work_order_id == work_order_id,
            WorkOrderFact.dispatched_at.is_not(None),
        )
    )


async def notice_orders(
    session: AsyncSession, notice_ids: Collection[str]
) -> dict[str, str | None]:
    """The work order of each notice analytics knows among `notice_ids`."""
    if not notice_ids:
        return {}
    rows = await session.execute(
        select(NoticeFact.notice_id, NoticeFact.work_order_id).where(
            NoticeFact.notice_id.in_(sorted(notice_ids))
        )
    )
    return {notice_id: work_order_id for notice_id, work_order_id in rows.all()}


async def awards(
    session: AsyncSession,
    first_day: date,
    end_day: date,
    unit_id: str | None = None,
) -> dict[str, list[AssessmentAward]]:
    """The awards of the days [first_day, end_day), by unit, oldest first."""
    query = select(AssessmentAward).where(
        AssessmentAward.awarded_on >= first_day, AssessmentAward.awarded_on < end_day
    )
    if unit_id is not None:
        query = query.where(AssessmentAward.unit_id == unit_id)
    found: defaultdict[str, list[AssessmentAward]] = defaultdict(list)
    for award in await session.scalars(
        query.order_by(AssessmentAward.awarded_on, AssessmentAward.recorded_at)
    ):
        found[award.unit_id].append(award)
    return dict(found)


async def award_by_key(
    session: AsyncSession, natural_key: str
) -> AssessmentAward | None:
    return await session.scalar(
        select(AssessmentAward).where(AssessmentAward.natural_key == natural_key)
    )


async def appeal_by_key(
    session: AsyncSession, natural_key: str
) -> AssessmentAppeal | None:
    return await session.scalar(
        select(AssessmentAppeal).where(AssessmentAppeal.natural_key == natural_key)
    )


async def appeal(
    session: AsyncSession, appeal_id: str, *, lock: bool = False
) -> AssessmentAppeal | None:
    query = select(AssessmentAppeal).where(AssessmentAppeal.appeal_id == appeal_id)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def appeals(
    session: AsyncSession,
    *,
    unit_id: str | None = None,
    period_key: str | None = None,
    status: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[AssessmentAppeal], int]:
    """Appeals oldest first (then by id, a stable order), and how many match."""
    conditions: list[ColumnElement[bool]] = []
    if unit_id is not None:
        conditions.append(AssessmentAppeal.unit_id == unit_id)
    if period_key is not None:
        conditions.append(AssessmentAppeal.period_key == period_key)
    if status is not None:
        conditions.append(AssessmentAppeal.status == status)
    total = await session.scalar(
        select(func.count()).select_from(AssessmentAppeal).where(*conditions)
    )
    query = (
        select(AssessmentAppeal)
        .where(*conditions)
        .order_by(AssessmentAppeal.filed_at, AssessmentAppeal.appeal_id)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(await session.scalars(query)), int(total or 0)


async def appeal_orders(
    session: AsyncSession, appeal_ids: Sequence[str]
) -> dict[str, list[str]]:
    """The work orders each appeal names, sorted."""
    found: dict[str, list[str]] = {appeal_id: [] for appeal_id in appeal_ids}
    if not appeal_ids:
        return found
    rows = await session.execute(
        select(AssessmentAppealOrder.appeal_id, AssessmentAppealOrder.work_order_id)
        .where(AssessmentAppealOrder.appeal_id.in_(appeal_ids))
        .order_by(AssessmentAppealOrder.appeal_id, AssessmentAppealOrder.work_order_id)
    )
    for appeal_id, work_order_id in rows.all():
        found[appeal_id].append(work_order_id)
    return found


async def appealed(
    session: AsyncSession, unit_id: str, indicator: str, work_order_ids: Collection[str]
) -> dict[str, tuple[str, str]]:
    """For each of the orders already appealed on `indicator`, the appeal and its
    status."""
    if not work_order_ids:
        return {}
    rows = await session.execute(
        select(
            AssessmentAppealOrder.work_order_id,
            AssessmentAppeal.appeal_id,
            AssessmentAppeal.status,
        )
        .join(
            AssessmentAppeal,
            AssessmentAppeal.appeal_id == AssessmentAppealOrder.appeal_id,
        )
        .where(
            AssessmentAppealOrder.unit_id == unit_id,
            AssessmentAppealOrder.indicator == indicator,
            AssessmentAppealOrder.work_order_id.in_(sorted(work_order_ids)),
        )
    )
    return {order: (appeal_id, status) for order, appeal_id, status in rows.all()}


async def latest_version(
    session: AsyncSession, unit_id: str, period_key: str
) -> AssessmentScore | None:
    return await session.scalar(
        select(AssessmentScore)
        .where(
            AssessmentScore.unit_id == unit_id,
            AssessmentScore.period_key == period_key,
        )
        .order_by(AssessmentScore.version.desc())
        .limit(1)
    )


async def versions(
    session: AsyncSession, unit_id: str, period_key: str
) -> list[AssessmentScore]:
    """Every version of the unit's score for the period, oldest first."""
    rows = await session.scalars(
        select(AssessmentScore)
        .where(
            AssessmentScore.unit_id == unit_id,
            AssessmentScore.period_key == period_key,
        )
        .order_by(AssessmentScore.version)
    )
    return list(rows)
