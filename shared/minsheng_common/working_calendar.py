"""The working calendar: which days are working days and when working hours run.

Official years come from the State Council's schedule (seeded from the
`chinese-calendar` package, correctable by dated overrides). A year with no official
data is computed from weekends and the fixed-date statutory holidays, and every answer
that looked at such a year is marked provisional (rules.md §11), never an error:
its statutory holidays are computed from their rules (lunar and solar-term dates
included), but bridging days and make-up working days are not known yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from chinese_calendar import get_solar_terms
from lunardate import LunarDate

from minsheng_common.errors import InvalidInput
from minsheng_common.timeutil import SHANGHAI, as_utc

# Statutory holidays (全国年节及纪念日放假办法, as revised for 2025) as date rules,
# for years without an official schedule: New Year's Day, Spring Festival (eve and
# the first three days of the first lunar month), Qingming (the solar term), Labour
# Day (1-2 May), Dragon Boat (5th of the 5th lunar month), Mid-Autumn (15th of the
# 8th lunar month) and National Day (1-3 October). Bridging days and make-up working
# days are only known once the State Council publishes the year.
FIXED_HOLIDAYS: tuple[tuple[int, int], ...] = (
    (1, 1),
    (5, 1),
    (5, 2),
    (10, 1),
    (10, 2),
    (10, 3),
)

DEFAULT_WORKING_HOURS: tuple[tuple[time, time], ...] = (
    (time(9, 0), time(12, 0)),
    (time(14, 0), time(18, 0)),
)


@dataclass(frozen=True)
class OfficialYear:
    """One year's official schedule: days off and make-up working days (调休)."""

    year: int
    holidays: frozenset[date]
    makeup_workdays: frozenset[date]
    source: str


@dataclass(frozen=True)
class Deadline:
    """An instant computed by the calendar, and whether it rests on a guessed year."""

    at: datetime
    provisional: bool
    provisional_years: tuple[int, ...] = ()


@dataclass(frozen=True)
class WorkingHours:
    """The daily working periods in local time, in order and not overlapping."""

    periods: tuple[tuple[time, time], ...] = DEFAULT_WORKING_HOURS
    zone: ZoneInfo = SHANGHAI

    def __post_init__(self) -> None:
        if not self.periods:
            raise ValueError("working hours need at least one period")
        previous_end = time(0, 0)
        for start, end in self.periods:
            if not previous_end <= start < end:
                raise ValueError("working periods must be ordered and not overlap")
            previous_end = end

    @property
    def day_end(self) -> time:
        """When business stops each working day (18:00 by default)."""
        return self.periods[-1][1]

    @classmethod
    def parse(
        cls, spans: Iterable[Iterable[str]], zone: ZoneInfo = SHANGHAI
    ) -> WorkingHours:
        """Build from `[["09:00", "12:00"], ...]` as the reference data has it."""
        periods = tuple(
            (time.fromisoformat(start), time.fromisoformat(end)) for start, end in spans
        )
        return cls(periods=periods, zone=zone)


@dataclass
class WorkingCalendar:
    """Working days and hours, with official years and a provisional fallback."""

    official: Mapping[int, OfficialYear] = field(default_factory=dict)
    hours: WorkingHours = field(default_factory=WorkingHours)

    def is_official(self, year: int) -> bool:
        """Whether the year's schedule is known rather than computed."""
        return year in self.official

    def is_working_day(self, day: date) -> bool:
        """Whether `day` is a working day: a weekday that is not a holiday, or a
        make-up working day."""
        schedule = self.official.get(day.year)
        if schedule is None:
            return day.weekday() < 5 and day not in statutory_holidays(day.year)
        if day in schedule.makeup_workdays:
            return True
        if day in schedule.holidays:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: datetime, days: int) -> Deadline:
        """The end of the `days`-th working day after the day of `start`.

        Day 1 is the first working day after the start day, whatever kind of day the
        start day is, and the period ends when business stops that day (rules.md §11).
        """
        if days < 1:
            raise InvalidPeriod("a period in working days is at least one day")
        day = as_utc(start).astimezone(self.hours.zone).date()
        counted = 0
        guessed: set[int] = set()
        while counted < days:
            day += timedelta(days=1)
            if not self.is_official(day.year):
                guessed.add(day.year)
            if self.is_working_day(day):
                counted += 1
        end = datetime.combine(day, self.hours.day_end, tzinfo=self.hours.zone)
        return _deadline(end, guessed)

    def add_working_hours(self, start: datetime, duration: timedelta) -> Deadline:
        """The instant when `duration` of working time has passed since `start`."""
        if duration < timedelta(seconds=1):
            raise InvalidPeriod(
                "a period in working hours must be positive, at least a second"
            )
        cursor = as_utc(start).astimezone(self.hours.zone)
        remaining = duration
        guessed: set[int] = set()
        while True:
            day = cursor.date()
            if not self.is_official(day.year):
                guessed.add(day.year)
            if self.is_working_day(day):
                for period_start, period_end in self._periods_on(day):
                    begin = max(cursor, period_start)
                    if begin >= period_end:
                        continue
                    available = period_end - begin
                    if remaining <= available:
                        return _deadline(begin + remaining, guessed)
                    remaining -= available
            next_day = day + timedelta(days=1)
            cursor = datetime.combine(next_day, time(0, 0), tzinfo=self.hours.zone)

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time that lies between two instants (zero if `end` is earlier)."""
        cursor = as_utc(start).astimezone(self.hours.zone)
        stop = as_utc(end).astimezone(self.hours.zone)
        total = timedelta(0)
        while cursor < stop:
            day = cursor.date()
            if self.is_working_day(day):
                for period_start, period_end in self._periods_on(day):
                    overlap = min(stop, period_end) - max(cursor, period_start)
                    if overlap > timedelta(0):
                        total += overlap
            cursor = datetime.combine(
                day + timedelta(days=1), time(0, 0), self.hours.zone
            )
        return total

    def _periods_on(self, day: date) -> list[tuple[datetime, datetime]]:
        zone = self.hours.zone
        return [
            (
                datetime.combine(day, s, tzinfo=zone),
                datetime.combine(day, e, tzinfo=zone),
            )
            for s, e in self.hours.periods
        ]


# The lunar and solar-term tables the computed holidays rest on cover these years.
COMPUTABLE_YEARS = range(1901, 2100)


class InvalidPeriod(InvalidInput, ValueError):
    """A period no deadline can be counted with (none, or negative)."""

    code = "invalid_period"


class YearOutOfRange(InvalidInput, ValueError):
    """A date too far from today for any working calendar to say anything about."""

    code = "year_out_of_range"


@cache
def statutory_holidays(year: int) -> frozenset[date]:
    """The statutory holidays of a year computed from their rules (no bridging)."""
    if year not in COMPUTABLE_YEARS:
        first, last = COMPUTABLE_YEARS[0], COMPUTABLE_YEARS[-1]
        raise YearOutOfRange(f"the calendar covers {first} to {last}, not {year}")
    days = {date(year, month, day) for month, day in FIXED_HOLIDAYS}
    new_year = LunarDate(year, 1, 1).to_solar_date()
    days |= {new_year + timedelta(days=offset) for offset in range(-1, 3)}
    days |= {
        LunarDate(year, 5, 5).to_solar_date(),
        LunarDate(year, 8, 15).to_solar_date(),
    }
    days |= {
        day
        for day, name in get_solar_terms(date(year, 4, 1), date(year, 4, 10))
        if name == "清明"
    }
    return frozenset(days)


def _deadline(moment: datetime, guessed: set[int]) -> Deadline:
    return Deadline(
        at=as_utc(moment),
        provisional=bool(guessed),
        provisional_years=tuple(sorted(guessed)),
    )


def chinese_calendar_years() -> dict[int, OfficialYear]:
    """Every year the `chinese-calendar` package has official data for."""
    from chinese_calendar import constants

    holidays: dict[int, set[date]] = {}
    workdays: dict[int, set[date]] = {}
    for day in constants.holidays:
        holidays.setdefault(day.year, set()).add(day)
    for day in constants.workdays:
        workdays.setdefault(day.year, set()).add(day)
    return {
        year: OfficialYear(
            year=year,
            holidays=frozenset(holidays[year]),
            makeup_workdays=frozenset(workdays.get(year, set())),
            source="chinese-calendar",
        )
        for year in sorted(holidays)
    }


def default_calendar(hours: WorkingHours | None = None) -> WorkingCalendar:
    """The calendar seeded from `chinese-calendar` with the given working hours."""
    return WorkingCalendar(
        official=chinese_calendar_years(), hours=hours or WorkingHours()
    )
