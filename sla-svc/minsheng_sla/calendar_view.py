"""Questions people ask the working calendar: which days are working days, and when
a period counted from an instant ends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from minsheng_common import working_calendar
from minsheng_common.timeutil import as_utc
from minsheng_sla.errors import InvalidPeriod, InvalidRange

MAX_LISTED_DAYS = 366


@dataclass(frozen=True)
class Day:
    """One calendar day: a working day or not, and whether that is official."""

    day: date
    working: bool
    official: bool


def days_between(
    calendar: working_calendar.WorkingCalendar, first: date, last: date
) -> list[Day]:
    """Every day from `first` to `last`, both included."""
    if last < first:
        raise InvalidRange(f"'to' ({last}) is before 'from' ({first})", field="to")
    count = (last - first).days + 1
    if count > MAX_LISTED_DAYS:
        raise InvalidRange(
            f"{count} days asked for; at most {MAX_LISTED_DAYS} are listed at once",
            field="to",
        )
    days = (first + timedelta(days=offset) for offset in range(count))
    return [
        Day(
            day=day,
            working=calendar.is_working_day(day),
            official=calendar.is_official(day.year),
        )
        for day in days
    ]


def add(
    calendar: working_calendar.WorkingCalendar,
    *,
    start: datetime,
    working_days: int | None,
    working_hours: float | None,
) -> working_calendar.Deadline:
    """When a period of working days or of working hours that starts at `start` ends;
    a time without offset is read as Asia/Shanghai."""
    moment = as_utc(start)
    if working_days is not None and working_hours is None:
        return calendar.add_working_days(moment, working_days)
    if working_hours is not None and working_days is None:
        return calendar.add_working_hours(moment, timedelta(hours=working_hours))
    raise InvalidPeriod(
        "give exactly one of working_days and working_hours", field="working_days"
    )
