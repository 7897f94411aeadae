"""Queries on the calendar the center keeps, and on the clocks a calendar change can
move."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.base import Executable

from minsheng_sla.calendar_errors import CalendarVersionConflict
from minsheng_sla.calendar_models import CalendarAlert, CalendarVersion
from minsheng_sla.models import PENDING, Deadline


async def stamp(session: AsyncSession) -> int:
    """The newest version id of any year (0 when none): it changes whenever a year
    is loaded or corrected."""
    return int(await session.scalar(select(func.max(CalendarVersion.id))) or 0)


async def current(session: AsyncSession, year: int) -> CalendarVersion | None:
    """The year's version in force: its highest."""
    return await session.scalar(
        select(CalendarVersion)
        .where(CalendarVersion.year == year)
        .order_by(CalendarVersion.version.desc())
        .limit(1)
    )


async def versions_of(session: AsyncSession, year: int) -> list[CalendarVersion]:
    """Every version of the year, oldest first."""
    rows = await session.scalars(
        select(CalendarVersion)
        .where(CalendarVersion.year == year)
        .order_by(CalendarVersion.version)
    )
    return list(rows)


async def current_since(session: AsyncSession, after: int) -> list[CalendarVersion]:
    """The version in force of every year that gained a version with an id above
    `after` (every year's, from 0), oldest year first."""
    changed = select(CalendarVersion.year).where(CalendarVersion.id > after)
    newest = (
        select(CalendarVersion.year, func.max(CalendarVersion.version).label("top"))
        .where(CalendarVersion.year.in_(changed))
        .group_by(CalendarVersion.year)
        .subquery()
    )
    rows = await session.scalars(
        select(CalendarVersion)
        .join(
            newest,
            (CalendarVersion.year == newest.c.year)
            & (CalendarVersion.version == newest.c.top),
        )
        .order_by(CalendarVersion.year)
    )
    return list(rows)


async def years_loaded(session: AsyncSession) -> set[int]:
    """Every year with at least one version."""
    return set(await session.scalars(select(CalendarVersion.year).distinct()))


async def add_version(session: AsyncSession, row: CalendarVersion) -> None:
    """Store a new version; `CalendarVersionConflict` when another request stored
    that version of the year first."""
    session.add(row)
    try:
        await session.flush()
    except IntegrityError as error:
        raise CalendarVersionConflict(
            f"version {row.version} of {row.year} was stored meanwhile; read the "
            "year again and resubmit",
            field="base_version",
        ) from error


async def pending_touching(
    session: AsyncSession,
    *,
    first: datetime,
    end: datetime,
    provisional_only: bool = False,
) -> list[Deadline]:
    """Pending clocks whose period overlaps [first, end), locked until the
    transaction ends (PostgreSQL), so a consumer meeting one waits for the
    recount."""
    query = select(Deadline).where(
        Deadline.status == PENDING, Deadline.due_at >= first, Deadline.starts_at < end
    )
    if provisional_only:
        query = query.where(Deadline.provisional.is_(True))
    rows = await session.scalars(query.order_by(Deadline.id).with_for_update())
    return list(rows)


async def count_provisional(session: AsyncSession) -> int:
    """Pending clocks counted on a year without an official schedule."""
    count = await session.scalar(
        select(func.count())
        .select_from(Deadline)
        .where(Deadline.status == PENDING, Deadline.provisional.is_(True))
    )
    return int(count or 0)


async def add_alert_if_absent(session: AsyncSession, row: CalendarAlert) -> bool:
    """Record the alert of a year and day unless one was raised; True if added.

    `ON CONFLICT DO NOTHING` on the (year, day) key lets replicas race for it: one
    raises the alert, the others see it raised.
    """
    values = {
        "year": row.year,
        "raised_on": row.raised_on,
        "raised_at": row.raised_at,
        "provisional_deadlines": row.provisional_deadlines,
    }
    keys = ["year", "raised_on"]
    statement: Executable
    dialect = _dialect(session)
    if dialect == "postgresql":
        statement = (
            postgresql.insert(CalendarAlert)
            .values(**values)
            .on_conflict_do_nothing(index_elements=keys)
        )
    elif dialect == "sqlite":
        statement = (
            sqlite.insert(CalendarAlert)
            .values(**values)
            .on_conflict_do_nothing(index_elements=keys)
        )
    else:
        statement = insert(CalendarAlert).values(**values)
    result = await session.execute(statement)
    # An INSERT answers with a CursorResult, which has a row count; the stubs only
    # promise the general Result.
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def alert_of(session: AsyncSession, year: int, day: date) -> CalendarAlert | None:
    """The alert raised for a year on a day, if any."""
    return await session.get(CalendarAlert, (year, day))


async def alerts(session: AsyncSession, year: int) -> Sequence[CalendarAlert]:
    """The alerts raised for a year, oldest first."""
    rows = await session.scalars(
        select(CalendarAlert)
        .where(CalendarAlert.year == year)
        .order_by(CalendarAlert.raised_on)
    )
    return list(rows)


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else "sqlite"
