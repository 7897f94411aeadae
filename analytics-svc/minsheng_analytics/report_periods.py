"""The periods of the periodic reports (Art. 40), counted in Asia/Shanghai.

- weekly (周报): Monday 00:00 to the next Monday 00:00;
- fortnightly (半月报): the 1st to the 15th, and the 16th to the month's last day, so
  the two halves of a month make the month (the combined report for the Party
  secretary's office meeting);
- monthly (月报): a calendar month;
- quarterly (季度报告): January–March (Q1) and July–September (Q3) only: the rules
  ask for the Q1 and Q3 reports, in April and October; the second and fourth
  quarters are covered by the half-year and annual reports;
- half-year (半年报): January–June and July–December;
- annual (年报): a calendar year.

A period is named by its first day. Its report is due once the period has ended
(plus the service's delay, so that events of its last minutes have arrived): a week
on the next Monday, a month at the start of the next month, Q1 in April, Q3 in
October, a half-year in July or January, a year in January.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final, Literal, get_args

from minsheng_analytics.report_errors import InvalidPeriod
from minsheng_common.timeutil import SHANGHAI, as_utc, local

ReportKind = Literal[
    "weekly", "fortnightly", "monthly", "quarterly", "half_year", "annual"
]
KINDS: Final[tuple[ReportKind, ...]] = get_args(ReportKind)

KIND_LABELS: Final[dict[ReportKind, str]] = {
    "weekly": "周报",
    "fortnightly": "半月报",
    "monthly": "月报",
    "quarterly": "季度报告",
    "half_year": "半年报",
    "annual": "年报",
}

_MONTHS_LONG: Final[dict[ReportKind, int]] = {
    "monthly": 1,
    "quarterly": 3,
    "half_year": 6,
    "annual": 12,
}
DAILY: Final[frozenset[ReportKind]] = frozenset({"weekly", "fortnightly", "monthly"})
"""Kinds whose trend is shown day by day; longer periods month by month."""
REPORTED_QUARTERS: Final = (1, 7)
"""The first months of the quarters that get a quarterly report (Q1 and Q3)."""

_QUARTER_NAMES: Final = {1: "第一季度", 4: "第二季度", 7: "第三季度", 10: "第四季度"}

# Dates whose neighbouring periods Python's calendar can still hold.
_FIRST_YEAR: Final = 2
_LAST_YEAR: Final = 9998

EARLIEST: Final = date(2000, 1, 1)
"""No report is compiled for a period starting before this day: the platform's
events are decades later, so such a period is a mistake, and its empty report would
be kept for good."""


@dataclass(frozen=True)
class Period:
    """One period of a kind: from `first_day` 00:00 Shanghai to `next_day` 00:00."""

    kind: ReportKind
    first_day: date
    next_day: date

    @property
    def last_day(self) -> date:
        return self.next_day - timedelta(days=1)

    @property
    def starts_at(self) -> datetime:
        """The period's first instant, in UTC."""
        return midnight(self.first_day)

    @property
    def ends_at(self) -> datetime:
        """The first instant after the period, in UTC."""
        return midnight(self.next_day)

    @property
    def reported(self) -> bool:
        """Whether the rules ask for a report of this period (not Q2, Q4)."""
        return self.kind != "quarterly" or self.first_day.month in REPORTED_QUARTERS

    @property
    def label(self) -> str:
        """The period in words, e.g. 2026年第10周 (the ISO week) or 2026年3月上半月."""
        first = self.first_day
        if self.kind == "weekly":
            year, week, _ = first.isocalendar()
            return f"{year}年第{week}周"
        if self.kind == "fortnightly":
            half = "上半月" if first.day == 1 else "下半月"
            return f"{first.year}年{first.month}月{half}"
        if self.kind == "monthly":
            return f"{first.year}年{first.month}月"
        if self.kind == "quarterly":
            return f"{first.year}年{_QUARTER_NAMES[first.month]}"
        if self.kind == "half_year":
            half = "上半年" if first.month == 1 else "下半年"
            return f"{first.year}年{half}"
        return f"{first.year}年"

    def previous(self) -> Period:
        """The period of the same length just before, the one trends compare with
        (for Q1 the fourth quarter before it, though that has no report of its
        own)."""
        return containing(self.kind, self.first_day - timedelta(days=1))

    def days(self) -> list[date]:
        day, found = self.first_day, []
        while day < self.next_day:
            found.append(day)
            day += timedelta(days=1)
        return found

    def months(self) -> list[date]:
        """The first day of every month the period covers."""
        day, found = self.first_day.replace(day=1), []
        while day < self.next_day:
            found.append(day)
            day = _add_months(day, 1)
        return found


def midnight(day: date) -> datetime:
    """00:00 Shanghai of `day`, in UTC."""
    return as_utc(datetime.combine(day, time(0, 0), tzinfo=SHANGHAI))


def containing(kind: ReportKind, day: date) -> Period:
    """The period of `kind` that `day` belongs to (any quarter, reported or not)."""
    _check_year(day)
    if kind == "weekly":
        first = day - timedelta(days=day.weekday())
        return Period(kind, first, first + timedelta(days=7))
    if kind == "fortnightly":
        if day.day < 16:
            return Period(kind, day.replace(day=1), day.replace(day=16))
        return Period(kind, day.replace(day=16), _add_months(day.replace(day=1), 1))
    months = _MONTHS_LONG[kind]
    month = day.month - (day.month - 1) % months
    first = date(day.year, month, 1)
    return Period(kind, first, _add_months(first, months))


def starting(kind: ReportKind, first_day: date, *, field: str = "period") -> Period:
    """The period of `kind` whose first day is `first_day`; `InvalidPeriod` (422)
    naming the right first day when it is not one, or a quarter without a report."""
    _check_year(first_day, field=field)
    if first_day < EARLIEST:
        raise InvalidPeriod(
            f"{first_day.isoformat()} is before {EARLIEST.isoformat()}, the first "
            "day a report may cover",
            field=field,
        )
    period = containing(kind, first_day)
    if period.first_day != first_day:
        raise InvalidPeriod(
            f"a {kind} period starts {_STARTS[kind]}; {first_day.isoformat()} falls "
            f"in the one starting {period.first_day.isoformat()}",
            field=field,
        )
    if not period.reported:
        raise InvalidPeriod(
            "quarterly reports cover Q1 (starting 01-01) and Q3 (starting 07-01) "
            "only (Art. 40); the other quarters are in the half-year and annual "
            "reports",
            field=field,
        )
    return period


def latest_finished(kind: ReportKind, moment: datetime) -> Period:
    """The newest reported period of `kind` that ended at or before `moment`."""
    today = local(moment).date()
    period = containing(kind, today).previous()
    while not period.reported:
        period = period.previous()
    return period


_STARTS: Final[dict[ReportKind, str]] = {
    "weekly": "on a Monday",
    "fortnightly": "on the 1st or the 16th of a month",
    "monthly": "on the 1st of a month",
    "quarterly": "on 01-01 or 07-01",
    "half_year": "on 01-01 or 07-01",
    "annual": "on 01-01",
}


def _add_months(first_of_month: date, months: int) -> date:
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _check_year(day: date, *, field: str = "period") -> None:
    if not _FIRST_YEAR <= day.year <= _LAST_YEAR:
        raise InvalidPeriod(
            f"{day.isoformat()} is outside the calendar's range for reports "
            f"(years {_FIRST_YEAR} to {_LAST_YEAR})",
            field=field,
        )
