"""The working calendar: which days are working days and when working hours run.

Official years come from the State Council's schedule (seeded from the
`chinese-calendar` package, correctable by dated overrides). A year with no official
data is computed from weekends and the fixed-date statutory holidays, and every answer
that looked at such a year is marked provisional (rules.md §11), never an error:
its statutory holidays are computed from their rules (lunar and solar-term dates
included), but bridging days and make-up working days are not known yet.

Half-day observances (Women's Day on 8 March, Youth Day on 4 May, Children's Day on
1 June, Army Day on 1 August) give some groups a half day off; offices stay open, so
they are working days here.

Periods are counted on a table of working days built once per year (sorted day
ordinals), so adding N working days or hours costs a binary search, not a walk
through the calendar day by day.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, cached_property
from types import MappingProxyType
from typing import NamedTuple
from zoneinfo import ZoneInfo

from chinese_calendar import get_solar_terms
from lunardate import LunarDate

from minsheng_common.errors import InvalidInput
from minsheng_common.timeutil import SHANGHAI

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

FIXED_HOLIDAY_NAMES: dict[tuple[int, int], str] = {
    (1, 1): "元旦",
    (5, 1): "劳动节",
    (5, 2): "劳动节",
    (10, 1): "国庆节",
    (10, 2): "国庆节",
    (10, 3): "国庆节",
}

DEFAULT_WORKING_HOURS: tuple[tuple[time, time], ...] = (
    (time(9, 0), time(12, 0)),
    (time(14, 0), time(18, 0)),
)

# The lunar and solar-term tables the computed holidays rest on cover these years.
COMPUTABLE_YEARS = range(1901, 2100)


@dataclass(frozen=True)
class OfficialYear:
    """One year's official schedule: days off and make-up working days (调休)."""

    year: int
    holidays: frozenset[date]
    makeup_workdays: frozenset[date]
    source: str


class Deadline(NamedTuple):
    """An instant computed by the calendar, and whether it rests on a guessed year.

    A named tuple rather than a frozen dataclass: it is built for every clock
    computed, and a frozen dataclass takes several times longer to build.
    """

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

    @cached_property
    def offsets(self) -> tuple[tuple[timedelta, timedelta], ...]:
        """Each period as (start, end) after local midnight."""
        return tuple(
            (_since_midnight(start), _since_midnight(end))
            for start, end in self.periods
        )

    @cached_property
    def per_day(self) -> timedelta:
        """The working time of one whole working day (7 hours by default)."""
        return sum((end - start for start, end in self.offsets), timedelta(0))

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
    """Working days and hours, with official years and a provisional fallback.

    Change `official` through `load_official` (or by assigning whole `OfficialYear`
    values): the working-day table of a year is rebuilt when its schedule object
    changes.
    """

    official: Mapping[int, OfficialYear] = field(default_factory=dict)
    hours: WorkingHours = field(default_factory=WorkingHours)
    _tables: dict[int, _YearTable] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def is_official(self, year: int) -> bool:
        """Whether the year's schedule is known rather than computed."""
        return year in self.official

    def load_official(self, years: Mapping[int, OfficialYear]) -> None:
        """Take these years' official schedules, replacing what was known of them;
        every clock computed from now on counts with them."""
        merged = dict(self.official)
        merged.update(years)
        self.official = merged
        for year in years:
            self._tables.pop(year, None)

    def with_official(self, years: Mapping[int, OfficialYear]) -> WorkingCalendar:
        """A copy of this calendar that also knows these years' schedules."""
        copy = WorkingCalendar(official=dict(self.official), hours=self.hours)
        # Tables are checked against their schedule on use, so sharing is safe.
        copy._tables = dict(self._tables)
        copy.load_official(years)
        return copy

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

    def nth_working_day_after(self, day: date, count: int) -> date:
        """The `count`-th working day after `day` (1: the next working day)."""
        if count < 1:
            raise InvalidPeriod("a period in working days is at least one day")
        return date.fromordinal(self._nth_after(day.toordinal(), count))

    def working_days_between(self, first: date, last: date) -> int:
        """How many working days lie strictly after `first` and strictly before
        `last` (zero when there is no day between them)."""
        return self._count_between(first.toordinal(), last.toordinal())

    def add_working_days(self, start: datetime, days: int) -> Deadline:
        """The end of the `days`-th working day after the day of `start`.

        Day 1 is the first working day after the start day, whatever kind of day the
        start day is, and the period ends when business stops that day (rules.md §11).
        """
        if days < 1:
            raise InvalidPeriod("a period in working days is at least one day")
        zone = self.hours.zone
        start_day = _in_zone(start, zone).toordinal()

        last_day = date.fromordinal(self._nth_after(start_day, days))

        end = datetime.combine(last_day, self.hours.day_end, tzinfo=zone)
        first_counted = date.fromordinal(start_day + 1).year
        return self._deadline(end, first_counted, last_day.year)

    def add_working_hours(self, start: datetime, duration: timedelta) -> Deadline:
        """The instant when `duration` of working time has passed since `start`."""
        if duration < timedelta(seconds=1):
            raise InvalidPeriod(
                "a period in working hours must be positive, at least a second"
            )
        hours = self.hours
        cursor = _in_zone(start, hours.zone)
        day = cursor.date()
        midnight = datetime.combine(day, time(0, 0), tzinfo=hours.zone)
        remaining = duration

        # What is left of the start day's working time, if it is a working day
        # and business has not stopped yet.
        if cursor - midnight < hours.offsets[-1][1] and self._is_working(day):
            for period_start, period_end in hours.offsets:
                begin = midnight + period_start
                if cursor > begin:
                    begin = cursor
                end = midnight + period_end
                if begin >= end:
                    continue
                if remaining <= end - begin:
                    return self._deadline(begin + remaining, day.year, day.year)
                remaining -= end - begin

        # Whole working days, then the part of the last one: the n-th working day
        # after the start day is the one on which `remaining` runs out.
        whole, rest = divmod(remaining, hours.per_day)
        if not rest:
            whole, rest = whole - 1, hours.per_day
        last_day = date.fromordinal(self._nth_after(day.toordinal(), whole + 1))
        last_midnight = datetime.combine(last_day, time(0, 0), tzinfo=hours.zone)
        for period_start, period_end in hours.offsets:
            if rest <= period_end - period_start:
                moment = last_midnight + period_start + rest
                return self._deadline(moment, day.year, last_day.year)
            rest -= period_end - period_start
        raise AssertionError("the rest of a period is at most one working day")

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time that lies between two instants (zero if `end` is earlier)."""
        zone = self.hours.zone
        cursor = _in_zone(start, zone)
        stop = _in_zone(end, zone)
        if stop <= cursor:
            return timedelta(0)
        first, last = cursor.date(), stop.date()
        if first == last:
            return self._worked_on(first, cursor, stop)

        total = self._worked_on(first, cursor, stop)
        total += self.hours.per_day * self._count_between(
            first.toordinal(), last.toordinal()
        )
        # An end at midnight takes nothing from its own day.
        if stop.time() != time(0, 0):
            total += self._worked_on(last, cursor, stop)
        return total

    def _worked_on(self, day: date, start: datetime, stop: datetime) -> timedelta:
        """Working time on `day` between two local instants."""
        if not self._is_working(day):
            return timedelta(0)
        midnight = datetime.combine(day, time(0, 0), tzinfo=self.hours.zone)
        total = timedelta(0)
        for period_start, period_end in self.hours.offsets:
            overlap = min(stop, midnight + period_end) - max(
                start, midnight + period_start
            )
            if overlap > timedelta(0):
                total += overlap
        return total

    def _is_working(self, day: date) -> bool:
        ordinals = self._table(day.year).ordinals
        ordinal = day.toordinal()
        index = bisect_left(ordinals, ordinal)
        return index < len(ordinals) and ordinals[index] == ordinal

    def _nth_after(self, ordinal: int, count: int) -> int:
        """The ordinal of the `count`-th working day after the day `ordinal`."""
        year = _year_of(ordinal + 1)
        ordinals = self._table(year).ordinals
        index = bisect_right(ordinals, ordinal)
        while count > len(ordinals) - index:
            count -= len(ordinals) - index
            year += 1
            ordinals = self._table(year).ordinals
            index = 0
        return ordinals[index + count - 1]

    def _count_between(self, first: int, last: int) -> int:
        """Working days with an ordinal strictly between `first` and `last`."""
        if last - first < 2:
            return 0
        count = 0
        first_year = _year_of(first + 1)
        last_year = _year_of(last - 1)
        for year in range(first_year, last_year + 1):
            ordinals = self._table(year).ordinals
            count += bisect_left(ordinals, last) - bisect_right(ordinals, first)
        return count

    def _table(self, year: int) -> _YearTable:
        schedule = self.official.get(year)
        table = self._tables.get(year)
        if table is None or table.schedule is not schedule:
            table = _YearTable.build(self, year, schedule)
            self._tables[year] = table
        return table

    def _deadline(self, moment: datetime, first_year: int, last_year: int) -> Deadline:
        """The answer, provisional for each year counted that has no schedule."""
        official = self.official
        if first_year == last_year:
            guessed: tuple[int, ...] = () if first_year in official else (first_year,)
        else:
            guessed = tuple(
                year
                for year in range(first_year, last_year + 1)
                if year not in official
            )
        return Deadline(
            at=moment.astimezone(UTC),
            provisional=bool(guessed),
            provisional_years=guessed,
        )


@dataclass(frozen=True)
class _YearTable:
    """A year's working days as sorted day ordinals, for the schedule it was built
    from (None: computed from weekends and statutory holidays)."""

    schedule: OfficialYear | None
    ordinals: tuple[int, ...]

    @classmethod
    def build(
        cls, calendar: WorkingCalendar, year: int, schedule: OfficialYear | None
    ) -> _YearTable:
        first = date(year, 1, 1).toordinal()
        last = date(year, 12, 31).toordinal()
        ordinals = tuple(
            ordinal
            for ordinal in range(first, last + 1)
            if calendar.is_working_day(date.fromordinal(ordinal))
        )
        return cls(schedule=schedule, ordinals=ordinals)


class InvalidPeriod(InvalidInput, ValueError):
    """A period no deadline can be counted with (none, or negative)."""

    code = "invalid_period"


class YearOutOfRange(InvalidInput, ValueError):
    """A date too far from today for any working calendar to say anything about."""

    code = "year_out_of_range"


def _year_of(ordinal: int) -> int:
    """The year of a day ordinal; `YearOutOfRange` past the last day Python knows
    (a period starting on 31 December 9999 has no next day)."""
    if not 1 <= ordinal <= date.max.toordinal():
        check_computable(date.max.year + 1 if ordinal > 1 else 0)
    return date.fromordinal(ordinal).year


def check_computable(year: int) -> None:
    """Raise `YearOutOfRange` for a year no calendar table covers."""
    if year not in COMPUTABLE_YEARS:
        first, last = COMPUTABLE_YEARS[0], COMPUTABLE_YEARS[-1]
        raise YearOutOfRange(f"the calendar covers {first} to {last}, not {year}")


@cache
def statutory_holidays(year: int) -> frozenset[date]:
    """The statutory holidays of a year computed from their rules (no bridging)."""
    return frozenset(statutory_holiday_names(year))


@cache
def statutory_holiday_names(year: int) -> Mapping[date, str]:
    """The statutory holidays of a year computed from their rules, each with its
    name; what a year without an official schedule is assumed to have."""
    check_computable(year)
    names = {
        date(year, month, day): FIXED_HOLIDAY_NAMES[(month, day)]
        for month, day in FIXED_HOLIDAYS
    }
    new_year = LunarDate(year, 1, 1).to_solar_date()
    for offset in range(-1, 3):
        names[new_year + timedelta(days=offset)] = "春节"
    names[LunarDate(year, 5, 5).to_solar_date()] = "端午节"
    names[LunarDate(year, 8, 15).to_solar_date()] = "中秋节"
    for day, name in get_solar_terms(date(year, 4, 1), date(year, 4, 10)):
        if name == "清明":
            names[day] = "清明节"
    return MappingProxyType(dict(sorted(names.items())))


def chinese_calendar_years() -> dict[int, OfficialYear]:
    """Every year the `chinese-calendar` package has official data for."""
    return {
        year: OfficialYear(
            year=year,
            holidays=frozenset(holidays),
            makeup_workdays=frozenset(workdays),
            source="chinese-calendar",
        )
        for year, (holidays, workdays) in chinese_calendar_schedules().items()
    }


def chinese_calendar_schedules() -> dict[int, tuple[dict[date, str], dict[date, str]]]:
    """Per year of the `chinese-calendar` package: its holidays and its make-up
    working days, each with the name of the festival it belongs to."""
    from chinese_calendar import constants

    holidays: dict[int, dict[date, str]] = {}
    workdays: dict[int, dict[date, str]] = {}
    for day, name in constants.holidays.items():
        holidays.setdefault(day.year, {})[day] = str(name)
    for day, name in constants.workdays.items():
        workdays.setdefault(day.year, {})[day] = str(name)
    return {year: (holidays[year], workdays.get(year, {})) for year in sorted(holidays)}


def default_calendar(hours: WorkingHours | None = None) -> WorkingCalendar:
    """The calendar seeded from `chinese-calendar` with the given working hours."""
    return WorkingCalendar(
        official=chinese_calendar_years(), hours=hours or WorkingHours()
    )


def _in_zone(moment: datetime, zone: ZoneInfo) -> datetime:
    """`moment` as wall-clock time in `zone`; a naive time is read as Asia/Shanghai
    (as `timeutil.as_utc` reads it), without a detour through UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(zone)


def _since_midnight(moment: time) -> timedelta:
    return timedelta(
        hours=moment.hour,
        minutes=moment.minute,
        seconds=moment.second,
        microseconds=moment.microsecond,
    )
