"""Queries on analytics' store: locked upserts for the projection, the grouped
counts behind the KPIs, and the lists of warnings and calendar alerts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_analytics import indicators
from minsheng_analytics.models import (
    AcceptanceRequestFact,
    AppealFact,
    Base,
    CalendarAlertFact,
    DisputeFact,
    NoticeFact,
    OverdueListFact,
    OverdueListOrderFact,
    ReplyTemplateFact,
    ReturnVisitFact,
    WarningAppealFact,
    WarningFact,
    WorkOrderFact,
)

Fact = TypeVar("Fact", bound=Base)

# The rows that keep the `occurred_at` of the newest event applied to them.
_STAMPED: tuple[type[Any], ...] = (
    AppealFact,
    WorkOrderFact,
    AcceptanceRequestFact,
    NoticeFact,
    WarningFact,
    DisputeFact,
    OverdueListFact,
    ReplyTemplateFact,
    ReturnVisitFact,
    CalendarAlertFact,
)

# The level of Art. 24 at which a dispute ends in the district leader's meeting.
DISTRICT_MEETING = "district_meeting"


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


async def locked(
    session: AsyncSession, model: type[Fact], key: str | int | tuple[Any, ...]
) -> Fact:
    """The row of `model` with primary key `key` (a tuple for a key of several
    columns, in their order), created empty when absent, locked until the caller's
    transaction ends.

    Insert-if-absent first, then read with FOR UPDATE: two consumers touching the same
    work order from different topics queue on the row instead of both inserting it.
    (SQLite has no row locks; its single writer serialises the transactions anyway.)
    """
    columns = list(model.__table__.primary_key.columns)  # type: ignore[attr-defined]
    values = dict(zip((c.name for c in columns), _parts(key), strict=True))
    await add_absent(session, model, [values])
    row = await session.get(model, key, with_for_update=True, populate_existing=True)
    if row is None:
        row = model(**values)
        session.add(row)
        await session.flush()
    return row


def _parts(key: str | int | tuple[Any, ...]) -> tuple[Any, ...]:
    return key if isinstance(key, tuple) else (key,)


async def add_absent(
    session: AsyncSession, model: type[Base], rows: Sequence[Mapping[str, Any]]
) -> None:
    """Insert `rows` of `model`, leaving alone those whose primary key is there."""
    if not rows:
        return
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = _INSERTS.get(dialect)
    if insert is None:
        raise NotImplementedError(
            f"analytics' store runs on PostgreSQL or SQLite, not {dialect}"
        )
    await session.execute(
        insert(model.__table__).values(list(rows)).on_conflict_do_nothing()
    )


# Both dialects insert with ON CONFLICT DO NOTHING.
_INSERTS: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


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


async def dispute_counts(session: AsyncSession, work_order_id: str) -> tuple[int, int]:
    """How many ownership disputes the order has had, and how many of them went to
    the district leader's meeting (Art. 24)."""
    row = (
        await session.execute(
            select(
                func.count(),
                func.count(case((DisputeFact.level == DISTRICT_MEETING, 1))),
            ).where(DisputeFact.work_order_id == work_order_id)
        )
    ).one()
    return int(row[0]), int(row[1])


async def replace_listed_orders(
    session: AsyncSession,
    unit_id: str,
    week_of: date,
    orders: Iterable[Mapping[str, Any]],
) -> int:
    """Make `orders` the overdue clocks of the unit's list of the week; how many."""
    await session.execute(
        delete(OverdueListOrderFact).where(
            OverdueListOrderFact.unit_id == unit_id,
            OverdueListOrderFact.week_of == week_of,
        )
    )
    rows = [{"unit_id": unit_id, "week_of": week_of, **order} for order in orders]
    await add_absent(session, OverdueListOrderFact, rows)
    return len({(row["work_order_id"], row["kind"]) for row in rows})


async def warnings(
    session: AsyncSession,
    *,
    kind: str | None,
    since: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[tuple[WarningFact, list[str]]], int]:
    """Warnings newest first, each with its appeal ids, and how many match."""
    conditions: list[ColumnElement[bool]] = [WarningFact.raised_at.is_not(None)]
    if kind is not None:
        conditions.append(WarningFact.kind == kind)
    if since is not None:
        conditions.append(WarningFact.raised_at >= since)
    total = await session.scalar(
        select(func.count()).select_from(WarningFact).where(*conditions)
    )
    found = list(
        await session.scalars(
            select(WarningFact)
            .where(*conditions)
            .order_by(WarningFact.raised_at.desc(), WarningFact.warning_id)
            .limit(limit)
            .offset(offset)
        )
    )
    appeals = await _warning_appeals(session, [row.warning_id for row in found])
    return [(row, appeals.get(row.warning_id, [])) for row in found], int(total or 0)


async def _warning_appeals(
    session: AsyncSession, warning_ids: list[str]
) -> dict[str, list[str]]:
    appeals: dict[str, list[str]] = {}
    if not warning_ids:
        return appeals
    rows = await session.execute(
        select(WarningAppealFact.warning_id, WarningAppealFact.appeal_id)
        .where(WarningAppealFact.warning_id.in_(warning_ids))
        .order_by(WarningAppealFact.warning_id, WarningAppealFact.appeal_id)
    )
    for warning_id, appeal_id in rows.all():
        appeals.setdefault(warning_id, []).append(appeal_id)
    return appeals


async def calendar_alerts(session: AsyncSession) -> list[CalendarAlertFact]:
    """The latest alert of every year whose holiday schedule was reported missing."""
    rows = await session.scalars(
        select(CalendarAlertFact)
        .where(CalendarAlertFact.raised_at.is_not(None))
        .order_by(CalendarAlertFact.year)
    )
    return list(rows)


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


async def return_visit_rows(session: AsyncSession, window: Window) -> Sequence[Any]:
    """Return-visit counts grouped by (unit, type, channel), one numerator and one
    denominator column per satisfaction rate. The unit is the one the survey names;
    the appeal supplies the type, channel and received time."""
    group = (ReturnVisitFact.unit_id, AppealFact.appeal_type, AppealFact.channel)
    query: Select[Any] = (
        select(*group, *_columns(indicators.of("return_visit")))
        .select_from(ReturnVisitFact)
        .outerjoin(AppealFact, AppealFact.appeal_id == ReturnVisitFact.appeal_id)
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
    for model in _STAMPED:
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
