"""One indicator (Art. 33) as a series by period or broken down by unit, subdistrict,
category, channel or period, with filters: what other systems' dashboards ask.

A question is answered from the maintained rollups (`rollups`) when they are current
and its window starts and ends at midnight in Asia/Shanghai (their days); otherwise,
and whenever asked to, from the facts, with the very same conditions. Both count only
facts whose appeal's received time is known: that is their day.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, case, func, literal, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_analytics import indicators, repository, rollups
from minsheng_analytics.errors import (
    InvalidWindow,
    NotApplicable,
    TooManyPeriods,
    UnknownDimension,
    UnknownIndicator,
)
from minsheng_analytics.indicators import Indicator
from minsheng_analytics.models import AppealFact, ReturnVisitFact, WorkOrderFact
from minsheng_analytics.rollup_models import (
    DIMENSION_COLUMNS,
    DIMENSIONS,
    FACT_COUNTERS,
    grain,
    rollup_table,
    shanghai_day,
)
from minsheng_common.timeutil import as_utc, local

Interval = Literal["day", "week", "month"]
Source = Literal["rollups", "facts"]
BREAKDOWNS: tuple[str, ...] = (*DIMENSIONS, "period")

MAX_PERIODS = 3660
"""The most periods one series or period breakdown holds (ten years of days)."""

# The key of a group whose dimension is not known yet (an order seen before its
# appeal was filed), as `service.UNKNOWN` names it in the KPIs.
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Filters:
    """Only facts of this unit, subdistrict, category and channel (None: any)."""

    unit: str | None = None
    subdistrict: str | None = None
    category: str | None = None
    channel: str | None = None

    def given(self) -> dict[str, str]:
        return {
            dimension: value
            for dimension in DIMENSIONS
            if (value := getattr(self, dimension)) is not None
        }


@dataclass(frozen=True)
class Question:
    """One indicator over the appeals received in a window, with filters."""

    indicator: Indicator
    window: repository.Window
    filters: Filters

    @property
    def counters(self) -> list[str]:
        """The counters its answer needs: its subject's facts, and its own."""
        return [
            FACT_COUNTERS[self.indicator.subject],
            *(name for name, _condition in self.indicator.counters()),
        ]


@dataclass(frozen=True)
class Figure:
    """An indicator's value in one group: a count, or a rate and its two counts."""

    value: float | int | None
    numerator: int | None = None
    denominator: int | None = None

    @classmethod
    def of(cls, indicator: Indicator, counters: Mapping[str, int]) -> Figure:
        if not indicator.is_rate:
            return cls(value=counters.get(indicator.key, 0))
        numerator = counters.get(indicator.numerator_key, 0)
        denominator = counters.get(indicator.denominator_key, 0)
        rate = round(numerator / denominator, 4) if denominator else None
        return cls(value=rate, numerator=numerator, denominator=denominator)


@dataclass(frozen=True)
class Answer:
    """Figures by group key, in the key order asked for, and where they came from."""

    groups: list[tuple[str, Figure]]
    source: Source


def question(
    *,
    indicator: str,
    start: datetime | None,
    end: datetime | None,
    filters: Filters,
) -> Question:
    """The question asked, checked: a known indicator, a window that ends after it
    starts (no offset = Asia/Shanghai), filters that apply to its subject."""
    chosen = indicators.BY_KEY.get(indicator)
    if chosen is None:
        raise UnknownIndicator(
            f"no indicator {indicator!r}; see GET /v1/kpis/definitions for the keys",
            field="indicator",
        )
    start = as_utc(start) if start is not None else None
    end = as_utc(end) if end is not None else None
    if start is not None and end is not None and end <= start:
        raise InvalidWindow("`to` must be after `from`", field="to")
    if filters.unit is not None:
        _check_unit(chosen, "unit")
    return Question(
        indicator=chosen,
        window=repository.Window(start=start, end=end),
        filters=filters,
    )


def _check_unit(indicator: Indicator, field: str) -> None:
    if indicator.subject == "appeal":
        raise NotApplicable(
            f"{indicator.key} counts appeals, which have no unit (their work orders "
            "do); choose a work-order or return-visit indicator",
            field=field,
        )


async def series(
    session: AsyncSession,
    asked: Question,
    *,
    interval: Interval,
    source: Source | None = None,
) -> Answer:
    """The indicator for every period of the window (or from the first to the last
    period with facts when the window is open), oldest first; periods without facts
    are there with zero counts."""
    days, used = await _grouped(session, asked, "day", source=source)
    buckets: dict[date, Counter[str]] = {}
    for day, counters in days.items():
        buckets.setdefault(
            _bucket(date.fromisoformat(day), interval), Counter()
        ).update(counters)
    groups = [
        (period.isoformat(), Figure.of(asked.indicator, buckets.get(period, {})))
        for period in _periods(asked.window, interval, buckets)
    ]
    return Answer(groups=groups, source=used)


async def breakdown(
    session: AsyncSession,
    asked: Question,
    *,
    by: str,
    interval: Interval,
    sort: Literal["key", "value"] = "key",
    source: Source | None = None,
) -> Answer:
    """The indicator in every group of `by` that has facts of its subject (every
    period of the window for `period`), ordered by key, or by value (highest first,
    then by key): a stable order to page through."""
    if by not in BREAKDOWNS:
        raise UnknownDimension(
            f"cannot break down by {by!r}; choose one of {', '.join(BREAKDOWNS)}",
            field="by",
        )
    if by == "unit":
        _check_unit(asked.indicator, "by")
    if by == "period":
        answer = await series(session, asked, interval=interval, source=source)
        groups = answer.groups
    else:
        found, used = await _grouped(session, asked, by, source=source)
        groups = [
            (key or UNKNOWN, Figure.of(asked.indicator, counters))
            for key, counters in found.items()
        ]
        answer = Answer(groups=groups, source=used)
    groups = sorted(groups, key=lambda group: group[0])
    if sort == "value":
        groups = sorted(groups, key=_highest_first)
    return Answer(groups=groups, source=answer.source)


def _highest_first(group: tuple[str, Figure]) -> tuple[bool, float]:
    value = group[1].value
    return value is None, -(value or 0)


async def _grouped(
    session: AsyncSession, asked: Question, group: str, *, source: Source | None
) -> tuple[dict[str, Counter[str]], Source]:
    """The question's counters by day (ISO text) or by a dimension's value ('' when
    unknown), only groups with facts of the subject; and where they came from."""
    if source is None:
        usable = _days(asked.window) is not None and await rollups.current(session)
        source = "rollups" if usable else "facts"
    query = (
        _from_rollups(asked, group)
        if source == "rollups"
        else _from_facts(asked, group)
    )
    facts = FACT_COUNTERS[asked.indicator.subject]
    found: dict[str, Counter[str]] = {}
    for row in await session.execute(query):
        counters = Counter(
            {name: int(row._mapping[name] or 0) for name in asked.counters}
        )
        if counters[facts] > 0:
            key = row._mapping["key"]
            found[key.isoformat() if isinstance(key, date) else key] = counters
    return found, source


def _days(window: repository.Window) -> tuple[date | None, date | None] | None:
    """The window as [first day, day after the last) in Asia/Shanghai, or None if
    either end falls inside a day, which the rollups cannot split."""
    days: list[date | None] = []
    for moment in (window.start, window.end):
        if moment is None:
            days.append(None)
            continue
        shown = local(moment)
        if shown.time() != datetime.min.time():
            return None
        days.append(shown.date())
    return days[0], days[1]


def _from_rollups(asked: Question, group: str) -> Select[Any]:
    table = rollup_table.c
    given = asked.filters.given()
    dimensions = set(given) | ({group} if group in DIMENSIONS else set())
    key = table.day if group == "day" else table[DIMENSION_COLUMNS[group]]
    query = (
        select(
            key.label("key"),
            *(func.sum(table[name]).label(name) for name in asked.counters),
        )
        .where(table.grain == grain(dimensions))
        .group_by(key)
    )
    days = _days(asked.window)
    first, after = days if days is not None else (None, None)
    if first is not None:
        query = query.where(table.day >= first)
    if after is not None:
        query = query.where(table.day < after)
    for dimension, value in given.items():
        query = query.where(table[DIMENSION_COLUMNS[dimension]] == value)
    return query


def _from_facts(asked: Question, group: str) -> Select[Any]:
    subject = asked.indicator.subject
    dimensions = _fact_dimensions(subject)
    key = (
        shanghai_day(AppealFact.received_at)
        if group == "day"
        else func.coalesce(dimensions[group], "")
    )
    counted: list[tuple[str, ColumnElement[bool]]] = [
        (FACT_COUNTERS[subject], true()),
        *asked.indicator.counters(),
    ]
    query = select(
        key.label("key"),
        *(func.count(case((condition, 1))).label(name) for name, condition in counted),
    )
    if subject == "appeal":
        query = query.select_from(AppealFact)
    elif subject == "work_order":
        query = query.select_from(WorkOrderFact).join(
            AppealFact, AppealFact.appeal_id == WorkOrderFact.appeal_id
        )
    else:
        query = query.select_from(ReturnVisitFact).join(
            AppealFact, AppealFact.appeal_id == ReturnVisitFact.appeal_id
        )
    query = query.where(AppealFact.received_at.is_not(None), *asked.window.conditions())
    for dimension, value in asked.filters.given().items():
        query = query.where(func.coalesce(dimensions[dimension], "") == value)
    return query.group_by(key)


def _fact_dimensions(subject: str) -> dict[str, Any]:
    unit: Any = {
        "appeal": literal(""),
        "work_order": WorkOrderFact.unit_id,
        "return_visit": ReturnVisitFact.unit_id,
    }[subject]
    return {
        "unit": unit,
        "subdistrict": AppealFact.subdistrict_id,
        "category": AppealFact.category_id,
        "channel": AppealFact.channel,
    }


def _bucket(day: date, interval: Interval) -> date:
    """The first day of the period holding `day`: itself, its Monday, its 1st."""
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def _next(period: date, interval: Interval) -> date:
    if interval == "week":
        return period + timedelta(days=7)
    if interval == "month":
        return (period.replace(day=28) + timedelta(days=4)).replace(day=1)
    return period + timedelta(days=1)


def _periods(
    window: repository.Window, interval: Interval, found: Mapping[date, Any]
) -> list[date]:
    """Every period from the window's first (or the first with facts) to its last
    (or the last with facts)."""
    first = _bucket(local(window.start).date(), interval) if window.start else None
    last = (
        _bucket(local(window.end - timedelta(microseconds=1)).date(), interval)
        if window.end
        else None
    )
    first = first or min(found, default=None)
    last = last or max(found, default=None)
    if first is None or last is None:
        return []
    periods: list[date] = []
    period = first
    while period <= last:
        periods.append(period)
        if len(periods) > MAX_PERIODS:
            raise TooManyPeriods(
                f"more than {MAX_PERIODS} periods of a {interval}; choose a longer "
                "interval or a shorter window",
                field="interval",
            )
        period = _next(period, interval)
    return periods
