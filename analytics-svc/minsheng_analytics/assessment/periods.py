"""Assessment periods, named by a key and counted in Asia/Shanghai days.

- `2026` a year, `2026-H1` / `2026-H2` a half-year, `2026-Q1` … `2026-Q4` a quarter,
  `2026-03` a month: the calendar periods units are assessed for (Art. 32–35; the
  quarterly assessment notices of Art. 40);
- `2026-03-01..2026-03-16` any other span of days, from its first day up to (not
  including) its last: a window to look at, never appealed.

A period covers the appeals received from its first day 00:00 to the day after it
00:00 (Shanghai), as the KPI window does.

Keys are read with full-width digits, letters and hyphens made ASCII (２０２６－０３ is
2026-03), as the rest of the project reads what people type; digits of other scripts
are refused. A period is always known by its ASCII key.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from minsheng_analytics.assessment.errors import InvalidPeriod
from minsheng_common.timeutil import SHANGHAI, as_utc, local

PeriodKind = Literal["year", "half", "quarter", "month", "span"]

# Years whose neighbouring days Python's calendar can still hold.
_FIRST_YEAR = 2
_LAST_YEAR = 9998
_SPAN_DAYS = 3 * 366

_YEAR = re.compile(r"(?P<year>[0-9]{4})")
_HALF = re.compile(r"(?P<year>[0-9]{4})-H(?P<half>[12])")
_QUARTER = re.compile(r"(?P<year>[0-9]{4})-Q(?P<quarter>[1-4])")
_MONTH = re.compile(r"(?P<year>[0-9]{4})-(?P<month>0[1-9]|1[0-2])")
_SPAN = re.compile(
    r"(?P<first>[0-9]{4}-[0-9]{2}-[0-9]{2})\.\.(?P<end>[0-9]{4}-[0-9]{2}-[0-9]{2})"
)
# The full-width forms of ASCII's printable characters (！ to ～).
_FULL_WIDTH = re.compile("[\uff01-\uff5e]")

FORMATS = (
    "a year (2026), half-year (2026-H1), quarter (2026-Q1), month (2026-03) or a "
    "span of days, the last excluded (2026-03-01..2026-03-16)"
)


@dataclass(frozen=True)
class Period:
    """The days from `first_day` up to, not including, `end_day`."""

    key: str
    kind: PeriodKind
    first_day: date
    end_day: date

    @property
    def start(self) -> datetime:
        """The period's first instant, in UTC."""
        return midnight(self.first_day)

    @property
    def end(self) -> datetime:
        """The first instant after the period, in UTC."""
        return midnight(self.end_day)

    @property
    def assessed(self) -> bool:
        """A calendar period units are assessed for; a span is only looked at."""
        return self.kind != "span"

    @property
    def appealed(self) -> bool:
        """Deductions are appealed on a month's score (Art. 35): every order belongs
        to one month, whose appeal period is the one that applies to it; a
        quarter, half-year or year follows its months' decisions."""
        return self.kind == "month"

    def covers(self, day: date) -> bool:
        return self.first_day <= day < self.end_day


def midnight(day: date) -> datetime:
    """00:00 of `day` in Shanghai, in UTC."""
    return as_utc(datetime.combine(day, time.min, tzinfo=SHANGHAI))


def today(now: datetime) -> date:
    """The day it is in Shanghai at `now`."""
    return local(now).date()


def parse(key: str, *, field: str = "period") -> Period:
    """The period named `key`, full-width forms read as ASCII; 422 `invalid_period`
    for anything else."""
    given = key
    key = _FULL_WIDTH.sub(lambda m: unicodedata.normalize("NFKC", m.group()), key)
    if match := _YEAR.fullmatch(key):
        year = _year(match, field)
        return Period(key, "year", date(year, 1, 1), date(year + 1, 1, 1))
    if match := _HALF.fullmatch(key):
        year = _year(match, field)
        first = date(year, 1 + 6 * (int(match["half"]) - 1), 1)
        return Period(key, "half", first, _months_after(first, 6))
    if match := _QUARTER.fullmatch(key):
        year = _year(match, field)
        first = date(year, 1 + 3 * (int(match["quarter"]) - 1), 1)
        return Period(key, "quarter", first, _months_after(first, 3))
    if match := _MONTH.fullmatch(key):
        year = _year(match, field)
        first = date(year, int(match["month"]), 1)
        return Period(key, "month", first, _months_after(first, 1))
    if match := _SPAN.fullmatch(key):
        return span(_day(match["first"], field), _day(match["end"], field), field=field)
    raise InvalidPeriod(f"{given!r} is not a period: give {FORMATS}", field=field)


def span(first_day: date, end_day: date, *, field: str = "period") -> Period:
    """The days from `first_day` up to `end_day` (excluded): the calendar period
    they make when they make one, else a span."""
    if end_day <= first_day:
        raise InvalidPeriod("a period ends after it starts", field=field)
    if (end_day - first_day).days > _SPAN_DAYS:
        raise InvalidPeriod(
            f"a span of days is at most {_SPAN_DAYS} days long", field=field
        )
    if not _FIRST_YEAR <= first_day.year <= _LAST_YEAR:
        raise InvalidPeriod("the year is out of range", field=field)
    for calendar in containing(first_day):
        if calendar.end_day == end_day:
            return calendar
    key = f"{first_day.isoformat()}..{end_day.isoformat()}"
    return Period(key, "span", first_day, end_day)


def containing(day: date) -> list[Period]:
    """The month, quarter, half-year and year `day` falls in, shortest first."""
    quarter = (day.month - 1) // 3 + 1
    half = (day.month - 1) // 6 + 1
    return [
        parse(f"{day.year:04d}-{day.month:02d}"),
        parse(f"{day.year:04d}-Q{quarter}"),
        parse(f"{day.year:04d}-H{half}"),
        parse(f"{day.year:04d}"),
    ]


def _year(match: re.Match[str], field: str) -> int:
    year = int(match["year"])
    if not _FIRST_YEAR <= year <= _LAST_YEAR:
        raise InvalidPeriod(f"the year {year} is out of range", field=field)
    return year


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidPeriod(f"{text} is not a date", field=field) from None


def _months_after(first: date, months: int) -> date:
    index = first.month - 1 + months
    return date(first.year + index // 12, index % 12 + 1, 1)


def appeal_deadline(period: Period, days: int) -> datetime:
    """The first instant at which the period's deductions may no longer be appealed:
    the end of the `days`-th day after the period (Art. 35)."""
    return midnight(period.end_day + timedelta(days=days))


def order_appeal_deadline(
    period: Period, days: int, changed_at: datetime | None
) -> datetime:
    """Until when an order's deduction in the period may be appealed: the period's
    appeal deadline, or, for an order whose facts changed later (a deadline reached,
    a closure or a return visit after the period's appeal period), the end of the
    `days`-th day after the day it changed, so that no deduction is beyond appeal
    from the moment it appears."""
    deadline = appeal_deadline(period, days)
    if changed_at is None:
        return deadline
    own = midnight(today(changed_at) + timedelta(days=days + 1))
    return max(deadline, own)
