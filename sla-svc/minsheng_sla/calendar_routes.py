"""The calendar the center keeps: each year's official holiday schedule, loaded and
corrected by the center, with every version kept (rules.md §11).

Reading needs `calendar:read`. Loading needs `routing:manage`, like every other
change to the center's reference data.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response, status

from minsheng_common import working_calendar
from minsheng_common.auth.api import require
from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Scope
from minsheng_sla import calendar_admin, calendar_store
from minsheng_sla.calendar_admin import NamedDay, Schedule
from minsheng_sla.calendar_live import LiveCalendar, day_of
from minsheng_sla.calendar_models import CalendarVersion, NamedDays
from minsheng_sla.calendar_schemas import (
    CalendarLoaded,
    CalendarVersionOut,
    CalendarYearIn,
    CalendarYearOut,
    NamedDayOut,
)
from minsheng_sla.deps import CalendarReader, Context, Session


def _live(request: Request) -> LiveCalendar:
    live: LiveCalendar = request.app.state.calendar
    return live


Live = Annotated[LiveCalendar, Depends(_live)]
CalendarManager = Annotated[Principal, Depends(require(Scope.ROUTING_MANAGE))]
Year = Annotated[
    int,
    Path(
        ge=working_calendar.COMPUTABLE_YEARS[0],
        le=working_calendar.COMPUTABLE_YEARS[-1],
        description="e.g. 2027",
    ),
]

router = APIRouter(prefix="/v1", tags=["calendar"])


@router.get("/calendar/{year}", response_model=CalendarYearOut)
async def calendar_year(
    year: Year, session: Session, principal: CalendarReader
) -> CalendarYearOut:
    """A year's holidays and make-up working days (调休) as every clock counts them:
    the official schedule's version in force, or for a year without one the
    statutory holidays computed from their rules (`basis` provisional)."""
    row = await calendar_store.current(session, year)
    if row is None:
        return provisional_year(year)
    return present_year(row)


@router.get("/calendar/{year}/versions", response_model=list[CalendarVersionOut])
async def calendar_versions(
    year: Year, session: Session, principal: CalendarReader
) -> list[CalendarVersionOut]:
    """Every version of a year's official schedule, oldest first: the one seeded from
    the `chinese-calendar` package and each the center loaded or corrected. Empty
    for a year never loaded."""
    rows = await calendar_store.versions_of(session, year)
    return [present_version(row) for row in rows]


@router.put(
    "/calendar/{year}",
    response_model=CalendarLoaded,
    responses={status.HTTP_201_CREATED: {"model": CalendarLoaded}},
)
async def load_calendar_year(
    year: Year,
    incoming: CalendarYearIn,
    response: Response,
    session: Session,
    context: Context,
    live: Live,
    principal: CalendarManager,
) -> CalendarLoaded:
    """Load or correct a year's official schedule from the State Council's notice.
    It becomes the year's next version (201) and every open deadline whose period
    touches the year is recounted and announced again; a provisional one stops
    being provisional once its whole period is official. The same schedule as the
    version in force changes nothing (200). 422 `date_outside_year`,
    `duplicate_date`, `holiday_and_workday` or `workday_not_weekend` with the
    field at fault; 409 `calendar_version_conflict` when `base_version` is not the
    version in force."""
    schedule = Schedule(
        year=year,
        holidays=tuple(NamedDay(e.date, e.name) for e in incoming.holidays),
        makeup_workdays=tuple(
            NamedDay(e.date, e.name) for e in incoming.makeup_workdays
        ),
        note=incoming.note,
    )
    loaded = await calendar_admin.load_year(
        session=session,
        live=live,
        outbox=context.outbox,
        now=context.clock.now(),
        schedule=schedule,
        base_version=incoming.base_version,
        loaded_by=principal.label(),
    )
    if loaded.created:
        response.status_code = status.HTTP_201_CREATED
    return CalendarLoaded(
        created=loaded.created,
        recomputed=len(loaded.moved),
        year=present_year(loaded.version),
    )


def present_year(row: CalendarVersion) -> CalendarYearOut:
    return CalendarYearOut(
        year=row.year,
        basis="official",
        version=row.version,
        source=row.source,
        holidays=_named(row.holidays),
        makeup_workdays=_named(row.makeup_workdays),
        working_days=_working_days(
            row.year,
            holidays={day_of(entry) for entry in row.holidays},
            makeup_workdays={day_of(entry) for entry in row.makeup_workdays},
        ),
        note=row.note,
        loaded_by=row.loaded_by,
        loaded_at=row.loaded_at,
    )


def provisional_year(year: int) -> CalendarYearOut:
    names = working_calendar.statutory_holiday_names(year)
    return CalendarYearOut(
        year=year,
        basis="provisional",
        version=None,
        source=None,
        holidays=[NamedDayOut(date=day, name=name) for day, name in names.items()],
        makeup_workdays=[],
        working_days=_working_days(year, holidays=set(names), makeup_workdays=set()),
        note="no official schedule loaded: weekends and the statutory holidays "
        "computed from their rules, without bridging or make-up days",
        loaded_by=None,
        loaded_at=None,
    )


def present_version(row: CalendarVersion) -> CalendarVersionOut:
    return CalendarVersionOut(
        year=row.year,
        version=row.version,
        source=row.source,
        holidays=_named(row.holidays),
        makeup_workdays=_named(row.makeup_workdays),
        note=row.note,
        loaded_by=row.loaded_by,
        loaded_at=row.loaded_at,
        recomputed=row.recomputed,
    )


def _named(days: NamedDays) -> list[NamedDayOut]:
    return [NamedDayOut(date=day_of(entry), name=str(entry["name"])) for entry in days]


def _working_days(year: int, *, holidays: set[date], makeup_workdays: set[date]) -> int:
    first = date(year, 1, 1)
    days = (first + timedelta(days=offset) for offset in range(366))
    return sum(
        1
        for day in days
        if day.year == year
        and (day in makeup_workdays or (day.weekday() < 5 and day not in holidays))
    )
