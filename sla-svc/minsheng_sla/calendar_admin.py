"""The center's working calendar: loading and correcting a year's official holiday
schedule (rules.md §11), seeding the years the `chinese-calendar` package knows, and
the alert while next year's schedule is missing.

A year loaded recounts, in the same transaction as its version, every open clock
whose period touches it; the clocks that moved are announced again (deadline.set
with the same id).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import working_calendar
from minsheng_common.bus.outbox import Outbox
from minsheng_common.events import CalendarYearMissing
from minsheng_common.timeutil import local
from minsheng_sla import calendar_live, calendar_recompute, calendar_store
from minsheng_sla.calendar_errors import (
    CalendarVersionConflict,
    DateOutsideYear,
    DuplicateDate,
    HolidayAndWorkday,
    WorkdayNotWeekend,
)
from minsheng_sla.calendar_live import LiveCalendar
from minsheng_sla.calendar_models import CalendarAlert, CalendarVersion, NamedDays

log = logging.getLogger(__name__)

CENTER = "center"
PACKAGE = "chinese-calendar"

# From this day (month, day) on, next year's schedule is expected (rules.md §11).
ALERT_FROM = (11, 1)


@dataclass(frozen=True)
class NamedDay:
    """A holiday or make-up working day with its festival's name."""

    day: date
    name: str


@dataclass(frozen=True)
class Schedule:
    """A year's official schedule as someone submits it, in the order given."""

    year: int
    holidays: tuple[NamedDay, ...]
    makeup_workdays: tuple[NamedDay, ...]
    note: str = ""


@dataclass(frozen=True)
class Loaded:
    """The version in force after a load, whether the load added it, and the
    clocks it moved."""

    version: CalendarVersion
    created: bool
    moved: list[calendar_recompute.Moved]


def check(schedule: Schedule) -> None:
    """Refuse a schedule that cannot be the year's: a day outside the year, a day
    listed twice or in both lists, a make-up working day that is not a weekend."""
    for label, days in (
        ("holidays", schedule.holidays),
        ("makeup_workdays", schedule.makeup_workdays),
    ):
        seen: set[date] = set()
        for index, entry in enumerate(days):
            field = f"{label}.{index}.date"
            if entry.day.year != schedule.year:
                raise DateOutsideYear(
                    f"{entry.day} is not in {schedule.year}", field=field
                )
            if entry.day in seen:
                raise DuplicateDate(f"{entry.day} is listed twice", field=field)
            seen.add(entry.day)

    holidays = {entry.day for entry in schedule.holidays}
    for index, entry in enumerate(schedule.makeup_workdays):
        field = f"makeup_workdays.{index}.date"
        if entry.day in holidays:
            raise HolidayAndWorkday(
                f"{entry.day} is listed as a holiday and as a make-up working day",
                field=field,
            )
        if entry.day.weekday() < 5:
            raise WorkdayNotWeekend(
                f"{entry.day} is a weekday, a working day anyway; a make-up working "
                "day (调休) is a Saturday or Sunday",
                field=field,
            )


async def load_year(
    *,
    session: AsyncSession,
    live: LiveCalendar,
    outbox: Outbox,
    now: datetime,
    schedule: Schedule,
    base_version: int | None,
    loaded_by: str,
) -> Loaded:
    """Store the schedule as the year's next version and recount the open clocks it
    touches, in one transaction; commits. The same schedule as the version in force
    changes nothing. `base_version` (0: none yet), when given, must be the version
    in force, so two corrections made at once cannot overwrite each other."""
    check(schedule)
    current = await calendar_store.current(session, schedule.year)
    in_force = current.version if current is not None else 0
    if base_version is not None and base_version != in_force:
        raise CalendarVersionConflict(
            f"{schedule.year} is at version {in_force}, not {base_version}; read it "
            "again and resubmit",
            field="base_version",
        )
    if current is not None and _same_days(current, schedule):
        log.info(
            "calendar %d: the schedule loaded by %s is version %d already; nothing new",
            schedule.year,
            loaded_by,
            current.version,
        )
        return Loaded(version=current, created=False, moved=[])

    row = _version(schedule, number=in_force + 1, source=CENTER, by=loaded_by, at=now)
    await calendar_store.add_version(session, row)
    moved = await _recount(session, live, outbox, [row], provisional_only=False)
    row.recomputed = len(moved)
    await session.commit()

    live.apply([row])
    log.info(
        "calendar %d: version %d loaded by %s (%d holidays, %d make-up working days); "
        "%d open deadlines recounted",
        row.year,
        row.version,
        loaded_by,
        len(row.holidays),
        len(row.makeup_workdays),
        len(moved),
    )
    return Loaded(version=row, created=True, moved=moved)


async def seed(
    *, session: AsyncSession, live: LiveCalendar, outbox: Outbox, now: datetime
) -> list[int]:
    """Store, as version 1, every year the `chinese-calendar` package knows and the
    store has no version of; commits. Before versions were kept, clocks were counted
    on the package's years already, so only provisional ones can move. Another
    replica seeding at the same time wins the race harmlessly: nothing is stored
    here then. The years seeded."""
    loaded = await calendar_store.years_loaded(session)
    rows = [
        _version(
            _schedule_from(year, holidays, workdays),
            number=1,
            source=PACKAGE,
            by=PACKAGE,
            at=now,
        )
        for year, (holidays, workdays) in (
            working_calendar.chinese_calendar_schedules().items()
        )
        if year not in loaded
    ]
    if not rows:
        return []
    try:
        for row in rows:
            await calendar_store.add_version(session, row)
        moved = await _recount(session, live, outbox, rows, provisional_only=True)
        for row in rows:
            row.recomputed = _touching(moved, row.year, live.calendar.hours.zone)
        await session.commit()
    except (CalendarVersionConflict, IntegrityError):
        await session.rollback()
        log.info("calendar: another replica seeded the package's years first")
        return []

    live.apply(rows)
    log.info(
        "calendar: seeded %d years from %s (%d to %d); %d open deadlines recounted",
        len(rows),
        PACKAGE,
        rows[0].year,
        rows[-1].year,
        len(moved),
    )
    return [row.year for row in rows]


async def sweep(
    *, session: AsyncSession, live: LiveCalendar, outbox: Outbox, years: set[int]
) -> list[calendar_recompute.Moved]:
    """Recount, on the live calendar, the open clocks touching years that changed a
    while ago; commits. This catches a clock a consumer counted on the old calendar
    while the year was being loaded, here or on another replica."""
    moved = await calendar_recompute.recompute(
        session, calendar=live.calendar, rules=live.rules, outbox=outbox, years=years
    )
    await session.commit()
    if moved:
        log.info(
            "calendar %s: %d open deadlines counted on the old calendar recounted",
            ", ".join(str(year) for year in sorted(years)),
            len(moved),
        )
    return moved


def missing_years(calendar: working_calendar.WorkingCalendar, today: date) -> list[int]:
    """The years whose official schedule should be loaded by `today` and is not:
    this year, and from 1 November next year."""
    missing = [] if calendar.is_official(today.year) else [today.year]
    if today >= date(today.year, *ALERT_FROM) and not calendar.is_official(
        today.year + 1
    ):
        missing.append(today.year + 1)
    return missing


async def raise_year_missing(
    *, session: AsyncSession, live: LiveCalendar, outbox: Outbox, now: datetime
) -> list[CalendarYearMissing]:
    """Raise `calendar.year_missing` for each missing year, at most once a day
    (Asia/Shanghai) per year across replicas; commits. The alerts raised."""
    today = local(now, live.calendar.hours.zone).date()
    raised: list[CalendarYearMissing] = []
    for year in missing_years(live.calendar, today):
        if await calendar_store.alert_of(session, year, today) is not None:
            continue
        provisional = await calendar_store.count_provisional(session)
        alert = CalendarAlert(
            year=year, raised_on=today, raised_at=now, provisional_deadlines=provisional
        )
        if not await calendar_store.add_alert_if_absent(session, alert):
            continue
        event = CalendarYearMissing(
            year=year, provisional_deadlines=provisional, raised_at=now
        )
        await outbox.stage(session, event, occurred_at=now)
        raised.append(event)
        log.warning(
            "calendar %d: no official holiday schedule loaded; %d open deadlines "
            "are provisional until it is",
            year,
            provisional,
        )
    await session.commit()
    return raised


def named_days(days: tuple[NamedDay, ...]) -> NamedDays:
    """Days as stored, in date order."""
    return [
        {"date": entry.day.isoformat(), "name": entry.name}
        for entry in sorted(days, key=lambda entry: entry.day)
    ]


async def _recount(
    session: AsyncSession,
    live: LiveCalendar,
    outbox: Outbox,
    rows: list[CalendarVersion],
    *,
    provisional_only: bool,
) -> list[calendar_recompute.Moved]:
    # Counted on a copy: the live calendar takes the new version only once it is
    # committed, so a failed load leaves every clock as it was.
    schedules = {row.year: calendar_live.official_year(row) for row in rows}
    return await calendar_recompute.recompute(
        session,
        calendar=live.calendar.with_official(schedules),
        rules=live.rules,
        outbox=outbox,
        years=set(schedules),
        provisional_only=provisional_only,
    )


def _touching(moved: list[calendar_recompute.Moved], year: int, zone: ZoneInfo) -> int:
    """How many of the moved clocks had a period touching `year`."""
    return sum(
        1
        for clock in moved
        if clock.deadline.starts_at.astimezone(zone).year
        <= year
        <= clock.from_due_at.astimezone(zone).year
    )


def _version(
    schedule: Schedule, *, number: int, source: str, by: str, at: datetime
) -> CalendarVersion:
    return CalendarVersion(
        year=schedule.year,
        version=number,
        source=source,
        holidays=named_days(schedule.holidays),
        makeup_workdays=named_days(schedule.makeup_workdays),
        note=schedule.note,
        loaded_by=by,
        loaded_at=at,
        recomputed=0,
    )


def _schedule_from(
    year: int, holidays: Mapping[date, str], workdays: Mapping[date, str]
) -> Schedule:
    return Schedule(
        year=year,
        holidays=tuple(NamedDay(day, name) for day, name in sorted(holidays.items())),
        makeup_workdays=tuple(
            NamedDay(day, name) for day, name in sorted(workdays.items())
        ),
        note=f"seeded from the {PACKAGE} package",
    )


def _same_days(row: CalendarVersion, schedule: Schedule) -> bool:
    return row.holidays == named_days(schedule.holidays) and (
        row.makeup_workdays == named_days(schedule.makeup_workdays)
    )
