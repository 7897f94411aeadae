"""What the dashboard shows besides the KPIs: today's volume, the work still open and
overdue, each subdistrict's open work and active warnings (Art. 23), and the appeals
received on each of the last days; days are Asia/Shanghai days.

Open and overdue are counted with the conditions of the closure rates in
`indicators` (Art. 17, 33), so the page cannot disagree with the rates it shows: an
open order is one the total closure rate still waits for, an overdue one is also in
the on-time closure rate's denominator (its handling deadline was reached).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, case, func, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_analytics import indicators
from minsheng_analytics.models import AppealFact, WarningFact, WorkOrderFact
from minsheng_common.reference import ReferenceData
from minsheng_common.timeutil import SHANGHAI, local

TREND_DAYS: Final = 14
"""How many days the trend shows, today included."""

LISTED_WARNINGS: Final = 10
"""How many active warnings the page lists by name (the map counts them all)."""

# Art. 23 counts hotspot reports within 24 or 72 hours; a district that gives no
# rules of its own keeps a warning on the map for the longer of the two.
_DEFAULT_ACTIVE_HOURS: Final = 72


def _base(indicator: indicators.Indicator) -> ColumnElement[bool]:
    if indicator.base is None:
        raise ValueError(f"{indicator.key} is a count, not a rate")
    return indicator.base


OPEN: Final = and_(_base(indicators.TOTAL_CLOSURE), not_(indicators.CLOSED.condition))
"""Work orders still to be closed (在办): dispatched and handled by their unit (not
returned, merged or replaced) and not closed."""

OVERDUE: Final = and_(OPEN, _base(indicators.ON_TIME_CLOSURE))
"""Open work orders already due (超期在办): their handling deadline was reached."""


@dataclass(frozen=True)
class Place:
    """One subdistrict's open work and active warnings."""

    subdistrict_id: str
    name: str
    open: int
    overdue: int
    warnings: int


@dataclass(frozen=True)
class Day:
    """The appeals received on one Asia/Shanghai day."""

    day: date
    received: int


@dataclass(frozen=True)
class ActiveWarning:
    """A warning still on the map, as the page lists it."""

    kind: str
    subdistrict_id: str | None
    count: int
    window_hours: int | None
    raised_at: datetime


@dataclass(frozen=True)
class Overview:
    """The figures of the moment, independent of the page's received-time window."""

    today: date
    days: list[Day]
    open: int
    overdue: int
    warnings: int
    active_hours: int
    places: list[Place]
    elsewhere: Place | None
    active: list[ActiveWarning]

    @property
    def received_today(self) -> int:
        return self.days[-1].received


def active_hours(reference: ReferenceData) -> int:
    """How long a warning stays active after it was raised: the longest hotspot
    window of the district's rules (Art. 23)."""
    windows = [rule.get("window_hours", 0) for rule in reference.hotspot_rules]
    return max(windows, default=0) or _DEFAULT_ACTIVE_HOURS


def start_of_day(day: date) -> datetime:
    """Midnight of `day` in Asia/Shanghai, as an aware instant."""
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


async def gather(
    *, session: AsyncSession, reference: ReferenceData, now: datetime
) -> Overview:
    """Today's figures, the open work and active warnings by subdistrict in the
    order of the reference data, and the last `TREND_DAYS` days received."""
    today = local(now).date()
    hours = active_hours(reference)
    since = now - timedelta(hours=hours)
    open_work = await _open_by_subdistrict(session)
    warnings = await _warnings_by_subdistrict(session, since, now)

    known = {subdistrict.id for subdistrict in reference.subdistricts}
    places = [
        _place(subdistrict.id, subdistrict.name, open_work, warnings)
        for subdistrict in reference.subdistricts
    ]
    # Work and warnings whose subdistrict is not known yet (an order seen before its
    # appeal) or not in the reference data: counted in the totals, shown aside.
    strays = (set(open_work) | set(warnings)) - known
    elsewhere = _place("", "", open_work, warnings, among=strays) if strays else None
    everywhere = [*places, elsewhere] if elsewhere else places

    return Overview(
        today=today,
        days=await _received_by_day(session, today),
        open=sum(place.open for place in everywhere),
        overdue=sum(place.overdue for place in everywhere),
        warnings=sum(place.warnings for place in everywhere),
        active_hours=hours,
        places=places,
        elsewhere=elsewhere,
        active=await _active_warnings(session, since, now),
    )


def _place(
    subdistrict_id: str,
    name: str,
    open_work: dict[str | None, tuple[int, int]],
    warnings: dict[str | None, int],
    *,
    among: set[str | None] | None = None,
) -> Place:
    keys = among if among is not None else {subdistrict_id}
    return Place(
        subdistrict_id=subdistrict_id,
        name=name,
        open=sum(open_work.get(key, (0, 0))[0] for key in keys),
        overdue=sum(open_work.get(key, (0, 0))[1] for key in keys),
        warnings=sum(warnings.get(key, 0) for key in keys),
    )


async def _received_by_day(session: AsyncSession, today: date) -> list[Day]:
    # One column per day over the index on received_at: the same query on SQLite
    # and PostgreSQL, with no time-zone arithmetic in SQL.
    days = [today - timedelta(days=back) for back in range(TREND_DAYS - 1, -1, -1)]
    bounds = [
        (start_of_day(day), start_of_day(day + timedelta(days=1))) for day in days
    ]
    received = AppealFact.received_at
    query = select(
        *(
            func.count(case((and_(received >= start, received < end), 1)))
            for start, end in bounds
        )
    ).where(received >= bounds[0][0], received < bounds[-1][1])
    counts = (await session.execute(query)).one()
    return [
        Day(day=day, received=int(count or 0))
        for day, count in zip(days, counts, strict=True)
    ]


async def _open_by_subdistrict(
    session: AsyncSession,
) -> dict[str | None, tuple[int, int]]:
    """Open and overdue work orders by the subdistrict of their appeal."""
    query = (
        select(
            AppealFact.subdistrict_id,
            func.count(),
            func.count(case((OVERDUE, 1))),
        )
        .select_from(WorkOrderFact)
        .outerjoin(AppealFact, AppealFact.appeal_id == WorkOrderFact.appeal_id)
        .where(OPEN)
        .group_by(AppealFact.subdistrict_id)
    )
    rows = (await session.execute(query)).all()
    return {row[0]: (int(row[1]), int(row[2])) for row in rows}


def _active(since: datetime, now: datetime) -> list[ColumnElement[bool]]:
    return [WarningFact.raised_at > since, WarningFact.raised_at <= now]


async def _warnings_by_subdistrict(
    session: AsyncSession, since: datetime, now: datetime
) -> dict[str | None, int]:
    query = (
        select(WarningFact.subdistrict_id, func.count())
        .where(*_active(since, now))
        .group_by(WarningFact.subdistrict_id)
    )
    rows = (await session.execute(query)).all()
    return {row[0]: int(row[1]) for row in rows}


async def _active_warnings(
    session: AsyncSession, since: datetime, now: datetime
) -> list[ActiveWarning]:
    rows: Sequence[Any] = (
        await session.scalars(
            select(WarningFact)
            .where(*_active(since, now))
            .order_by(WarningFact.raised_at.desc(), WarningFact.warning_id)
            .limit(LISTED_WARNINGS)
        )
    ).all()
    return [
        ActiveWarning(
            kind=row.kind or "",
            subdistrict_id=row.subdistrict_id,
            count=row.count or 0,
            window_hours=row.window_hours,
            raised_at=row.raised_at,
        )
        for row in rows
    ]
