"""The table of working days gives the answers counting day by day gives (rules.md
§11): property tests against a day-by-day count, on the official calendar, on a
calendar with no official year, and with other working hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minsheng_common.timeutil import SHANGHAI, as_utc
from minsheng_common.working_calendar import (
    Deadline,
    OfficialYear,
    WorkingCalendar,
    WorkingHours,
    default_calendar,
)

OFFICIAL = default_calendar()
GUESSED = WorkingCalendar()
# Three periods with odd minutes, and one period without a lunch break.
SPLIT = default_calendar(
    WorkingHours.parse([["08:15", "11:45"], ["13:10", "15:00"], ["15:30", "17:20"]])
)
STRAIGHT = default_calendar(WorkingHours.parse([["08:30", "17:30"]]))
CALENDARS = {
    "official": OFFICIAL,
    "guessed": GUESSED,
    "split": SPLIT,
    "straight": STRAIGHT,
}


# --- the day-by-day count the table must agree with ----------------------------


def count_days(calendar: WorkingCalendar, start: datetime, days: int) -> Deadline:
    """Walk day by day from the day after the start day, as rules.md §11 reads."""
    day = as_utc(start).astimezone(calendar.hours.zone).date()
    counted = 0
    guessed: set[int] = set()
    while counted < days:
        day += timedelta(days=1)
        if not calendar.is_official(day.year):
            guessed.add(day.year)
        if calendar.is_working_day(day):
            counted += 1
    end = datetime.combine(day, calendar.hours.day_end, tzinfo=calendar.hours.zone)
    return answer(end, guessed)


def count_hours(
    calendar: WorkingCalendar, start: datetime, span: timedelta
) -> Deadline:
    """Walk period by period, day by day, until `span` of working time has passed."""
    zone = calendar.hours.zone
    cursor = as_utc(start).astimezone(zone)
    remaining = span
    guessed: set[int] = set()
    while True:
        day = cursor.date()
        if not calendar.is_official(day.year):
            guessed.add(day.year)
        if calendar.is_working_day(day):
            for begin_at, end_at in periods_on(calendar, day):
                begin = max(cursor, begin_at)
                if begin >= end_at:
                    continue
                if remaining <= end_at - begin:
                    return answer(begin + remaining, guessed)
                remaining -= end_at - begin
        cursor = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=zone)


def count_between(
    calendar: WorkingCalendar, start: datetime, end: datetime
) -> timedelta:
    """Add up the working periods overlapping [start, end), day by day."""
    zone = calendar.hours.zone
    cursor = as_utc(start).astimezone(zone)
    stop = as_utc(end).astimezone(zone)
    total = timedelta(0)
    while cursor < stop:
        day = cursor.date()
        if calendar.is_working_day(day):
            for begin_at, end_at in periods_on(calendar, day):
                overlap = min(stop, end_at) - max(cursor, begin_at)
                if overlap > timedelta(0):
                    total += overlap
        cursor = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=zone)
    return total


def periods_on(calendar: WorkingCalendar, day: date) -> list[tuple[datetime, datetime]]:
    zone = calendar.hours.zone
    return [
        (
            datetime.combine(day, begin, tzinfo=zone),
            datetime.combine(day, end, tzinfo=zone),
        )
        for begin, end in calendar.hours.periods
    ]


def answer(moment: datetime, guessed: set[int]) -> Deadline:
    return Deadline(
        at=as_utc(moment),
        provisional=bool(guessed),
        provisional_years=tuple(sorted(guessed)),
    )


# --- strategies -----------------------------------------------------------------

starts = st.datetimes(
    min_value=datetime(2004, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
    max_value=datetime(2028, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
# Starts near the edges that matter: midnight, the periods' ends, New Year.
edge_starts = st.builds(
    lambda day, clock: datetime.combine(day, clock, tzinfo=SHANGHAI),
    st.dates(min_value=date(2025, 12, 20), max_value=date(2027, 1, 10)),
    st.sampled_from(
        [
            time(0, 0),
            time(8, 30),
            time(9, 0),
            time(11, 45),
            time(12, 0),
            time(14, 0),
            time(17, 20),
            time(17, 30),
            time(18, 0),
            time(23, 59, 59),
        ]
    ),
)
any_start = st.one_of(starts, edge_starts)
spans = st.one_of(
    st.integers(min_value=1, max_value=60 * 7 * 60).map(
        lambda minutes: timedelta(minutes=minutes)
    ),
    st.integers(min_value=1, max_value=3600 * 7 * 30).map(
        lambda seconds: timedelta(seconds=seconds)
    ),
    st.integers(min_value=1, max_value=40).map(lambda days: timedelta(hours=7 * days)),
    # Round spans land exactly on the end of a period, where off-by-one errors hide.
    st.integers(min_value=1, max_value=2000).map(
        lambda tens: timedelta(minutes=10 * tens)
    ),
)
calendars = st.sampled_from(sorted(CALENDARS))
property_settings = settings(max_examples=300, deadline=None, database=None)


# --- the table agrees with the day-by-day count ---------------------------------


@property_settings
@given(name=calendars, start=any_start, days=st.integers(min_value=1, max_value=400))
def test_add_working_days_agrees_with_counting_day_by_day(
    name: str, start: datetime, days: int
) -> None:
    calendar = CALENDARS[name]

    assert calendar.add_working_days(start, days) == count_days(calendar, start, days)


@property_settings
@given(name=calendars, start=any_start, span=spans)
def test_add_working_hours_agrees_with_counting_day_by_day(
    name: str, start: datetime, span: timedelta
) -> None:
    calendar = CALENDARS[name]

    assert calendar.add_working_hours(start, span) == count_hours(calendar, start, span)


@property_settings
@given(name=calendars, start=any_start, end=any_start)
def test_working_time_between_agrees_with_counting_day_by_day(
    name: str, start: datetime, end: datetime
) -> None:
    calendar = CALENDARS[name]

    assert calendar.working_time_between(start, end) == count_between(
        calendar, start, end
    )


@property_settings
@given(start=any_start, days=st.integers(min_value=1, max_value=60))
def test_a_naive_start_counts_as_the_same_wall_clock_time_in_shanghai(
    start: datetime, days: int
) -> None:
    naive = start.astimezone(SHANGHAI).replace(tzinfo=None)

    assert OFFICIAL.add_working_days(naive, days) == OFFICIAL.add_working_days(
        start, days
    )
    assert OFFICIAL.add_working_hours(naive, timedelta(hours=days)) == (
        OFFICIAL.add_working_hours(start, timedelta(hours=days))
    )


# --- properties of working time -------------------------------------------------


@property_settings
@given(name=calendars, start=any_start, span=spans)
def test_adding_working_hours_never_lands_outside_working_hours(
    name: str, start: datetime, span: timedelta
) -> None:
    calendar = CALENDARS[name]

    due = calendar.add_working_hours(start, span).at.astimezone(SHANGHAI)

    assert calendar.is_working_day(due.date()), due
    assert any(begin < due.time() <= end for begin, end in calendar.hours.periods), due


@property_settings
@given(
    name=calendars,
    start=any_start,
    shorter=spans,
    more=st.integers(min_value=0, max_value=3600 * 30).map(
        lambda seconds: timedelta(seconds=seconds)
    ),
)
def test_adding_working_hours_is_monotonic_in_the_span(
    name: str, start: datetime, shorter: timedelta, more: timedelta
) -> None:
    calendar = CALENDARS[name]

    first = calendar.add_working_hours(start, shorter).at
    second = calendar.add_working_hours(start, shorter + more).at

    assert first <= second
    if more:
        assert first < second


@property_settings
@given(
    name=calendars,
    start=any_start,
    later_by=st.integers(min_value=0, max_value=86_400 * 20).map(
        lambda seconds: timedelta(seconds=seconds)
    ),
    span=spans,
    days=st.integers(min_value=1, max_value=30),
)
def test_adding_working_time_is_monotonic_in_the_start(
    name: str, start: datetime, later_by: timedelta, span: timedelta, days: int
) -> None:
    calendar = CALENDARS[name]
    later = start + later_by

    assert calendar.add_working_hours(start, span).at <= (
        calendar.add_working_hours(later, span).at
    )
    assert calendar.add_working_days(start, days).at <= (
        calendar.add_working_days(later, days).at
    )


@property_settings
@given(
    start=any_start,
    first=st.integers(min_value=1, max_value=20),
    then=st.integers(min_value=1, max_value=20),
)
def test_days_counted_in_two_steps_end_where_one_count_ends(
    start: datetime, first: int, then: int
) -> None:
    """An extension (Art. 16) counts on from the due time it moves; that ends where
    counting the whole period from the start would, which is what the 20-day cap
    is measured against."""
    step = OFFICIAL.add_working_days(start, first)

    assert OFFICIAL.add_working_days(step.at, then).at == (
        OFFICIAL.add_working_days(start, first + then).at
    )


@property_settings
@given(start=any_start, span=spans)
def test_working_time_between_undoes_adding_it_on_every_calendar(
    start: datetime, span: timedelta
) -> None:
    for calendar in CALENDARS.values():
        due = calendar.add_working_hours(start, span).at

        assert calendar.working_time_between(start, due) == span


@property_settings
@given(
    day=st.dates(min_value=date(2004, 1, 1), max_value=date(2028, 12, 31)),
    count=st.integers(min_value=1, max_value=300),
)
def test_the_nth_working_day_after_has_n_working_days_up_to_it(
    day: date, count: int
) -> None:
    nth = OFFICIAL.nth_working_day_after(day, count)

    assert OFFICIAL.is_working_day(nth)
    assert OFFICIAL.working_days_between(day, nth) == count - 1


# --- the table follows the schedules it is built from ---------------------------


def test_loading_a_year_rebuilds_its_table() -> None:
    calendar = default_calendar()
    start = datetime(2027, 2, 3, 10, 0, tzinfo=SHANGHAI)  # Wednesday
    before = calendar.add_working_days(start, 3)
    assert before.at == datetime(2027, 2, 10, 18, 0, tzinfo=SHANGHAI)

    calendar.load_official({2027: schedule_2027()})

    after = calendar.add_working_days(start, 3)
    # Thursday 4 Feb; 5-13 Feb off and Sunday the 14th: Monday 15, Tuesday 16.
    assert after.at == datetime(2027, 2, 16, 18, 0, tzinfo=SHANGHAI)
    assert not after.provisional


def test_a_calendar_with_a_year_added_leaves_the_original_alone() -> None:
    calendar = default_calendar()
    start = datetime(2027, 2, 3, 10, 0, tzinfo=SHANGHAI)
    assert calendar.add_working_days(start, 1).provisional

    copy = calendar.with_official({2027: schedule_2027()})

    assert not copy.add_working_days(start, 3).provisional
    assert calendar.add_working_days(start, 3).provisional
    assert not calendar.is_official(2027)


def test_assigning_a_schedule_directly_is_seen_too() -> None:
    calendar = WorkingCalendar(official={})
    assert calendar.is_working_day(date(2027, 2, 10))
    start = datetime(2027, 2, 9, 10, 0, tzinfo=SHANGHAI)
    assert calendar.add_working_days(start, 1).at == datetime(
        2027, 2, 10, 18, 0, tzinfo=SHANGHAI
    )

    calendar.official = {2027: schedule_2027()}

    # 10-13 February are holidays now, Sunday the 14th is off: Monday the 15th.
    assert calendar.add_working_days(start, 1).at == datetime(
        2027, 2, 15, 18, 0, tzinfo=SHANGHAI
    )


@pytest.mark.parametrize("count", [0, -3])
def test_the_nth_working_day_needs_a_positive_count(count: int) -> None:
    with pytest.raises(ValueError, match="at least one day"):
        OFFICIAL.nth_working_day_after(date(2026, 3, 9), count)


def schedule_2027() -> OfficialYear:
    """An illustrative 2027 schedule (not the State Council's): New Year 1-3 Jan,
    Spring Festival 5-13 Feb with Saturday 20 Feb worked."""
    holidays = {date(2027, 1, day) for day in (1, 2, 3)}
    holidays |= {date(2027, 2, day) for day in range(5, 14)}
    return OfficialYear(
        year=2027,
        holidays=frozenset(holidays),
        makeup_workdays=frozenset({date(2027, 2, 20)}),
        source="test",
    )
