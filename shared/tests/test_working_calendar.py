"""The working calendar: periods in working days and hours (rules.md §11)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minsheng_common.timeutil import SHANGHAI
from minsheng_common.working_calendar import (
    Deadline,
    WorkingCalendar,
    WorkingHours,
    default_calendar,
    statutory_holidays,
)

CALENDAR = default_calendar()


def shanghai(day: str, clock: str = "10:00") -> datetime:
    """An instant given as wall-clock time in Asia/Shanghai."""
    return datetime.combine(
        date.fromisoformat(day), time.fromisoformat(clock), tzinfo=SHANGHAI
    )


def end_of_day(day: str) -> datetime:
    """18:00 Asia/Shanghai on `day`, in UTC as the calendar answers."""
    return shanghai(day, "18:00").astimezone(UTC)


def days_after(start: datetime, days: int) -> Deadline:
    return CALENDAR.add_working_days(start, days)


def hours_after(start: datetime, hours: float) -> Deadline:
    return CALENDAR.add_working_hours(start, timedelta(hours=hours))


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2026-10-01", False),  # National Day
        ("2026-10-07", False),
        ("2026-10-08", True),
        ("2026-10-10", True),  # Saturday, make-up working day
        ("2026-10-11", False),  # an ordinary Sunday
        ("2026-02-14", True),  # Saturday, make-up working day
        ("2026-02-15", False),  # Spring Festival
        ("2026-02-23", False),
        ("2026-02-24", True),
        ("2026-02-28", True),  # Saturday, make-up working day
        ("2026-03-07", False),  # an ordinary Saturday
        ("2026-03-09", True),  # an ordinary Monday
    ],
)
def test_is_working_day_follows_the_official_2026_schedule(
    day: str, working: bool
) -> None:
    assert CALENDAR.is_working_day(date.fromisoformat(day)) is working


# --- add_working_days -----------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # Day 1 is the first working day after the start day, not the start day.
        ("2026-03-09", 1, "2026-03-10"),
        ("2026-03-09", 3, "2026-03-12"),
        ("2026-03-12", 3, "2026-03-17"),  # Thursday: skips the weekend
    ],
)
def test_add_working_days_counts_from_the_day_after_the_start(
    start: str, days: int, due: str
) -> None:
    deadline = days_after(shanghai(start), days)

    assert deadline.at == end_of_day(due)
    assert not deadline.provisional


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        ("2026-09-30", 1, "2026-10-08"),  # the whole Golden Week is skipped
        ("2026-09-30", 3, "2026-10-10"),  # Saturday 10-10 is a make-up day
        ("2026-09-30", 4, "2026-10-12"),  # Sunday 10-11 is not
        ("2026-09-30", 7, "2026-10-15"),
        ("2026-10-09", 1, "2026-10-10"),
    ],
)
def test_add_working_days_across_national_day_2026(
    start: str, days: int, due: str
) -> None:
    assert days_after(shanghai(start), days).at == end_of_day(due)


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        ("2026-02-13", 1, "2026-02-14"),  # Saturday 02-14 is a make-up day
        ("2026-02-13", 2, "2026-02-24"),  # 02-15..23 off
        ("2026-02-12", 3, "2026-02-24"),
        ("2026-02-14", 1, "2026-02-24"),  # start on the make-up Saturday itself
        ("2026-02-27", 1, "2026-02-28"),  # Saturday 02-28 is a make-up day
        ("2026-02-27", 2, "2026-03-02"),
        ("2026-02-11", 8, "2026-02-28"),
    ],
)
def test_add_working_days_across_spring_festival_2026(
    start: str, days: int, due: str
) -> None:
    assert days_after(shanghai(start), days).at == end_of_day(due)


@pytest.mark.parametrize(
    ("start", "due"),
    [
        ("2026-03-07", "2026-03-09"),  # Saturday
        ("2026-03-08", "2026-03-09"),  # Sunday
        ("2026-10-03", "2026-10-08"),  # inside National Day
        ("2026-02-17", "2026-02-24"),  # inside Spring Festival
    ],
)
def test_add_working_days_from_a_day_off_starts_at_the_next_working_day(
    start: str, due: str
) -> None:
    assert days_after(shanghai(start, "11:00"), 1).at == end_of_day(due)


def test_add_working_days_uses_the_shanghai_date_of_the_start() -> None:
    # 17:00 UTC on 12-03 is already 01:00 on Friday 12-04 in Shanghai, so day 1 is
    # Monday 12-07 (a UTC reading would say Friday 12-04).
    late_utc = datetime(2026, 12, 3, 17, 0, tzinfo=UTC)

    deadline = days_after(late_utc, 1)

    assert deadline.at == end_of_day("2026-12-07")
    assert deadline.at == datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def test_add_working_days_late_evening_still_counts_from_that_day() -> None:
    # 23:59 in Shanghai (15:59 UTC) is still Thursday 12-03 there.
    deadline = days_after(datetime(2026, 12, 3, 15, 59, tzinfo=UTC), 1)

    assert deadline.at == end_of_day("2026-12-04")


def test_add_working_days_reads_a_naive_start_as_shanghai_time() -> None:
    naive = datetime(2026, 12, 4, 1, 0)  # noqa: DTZ001 - naive on purpose

    assert days_after(naive, 1).at == end_of_day("2026-12-07")


def test_add_working_days_answers_in_utc() -> None:
    assert days_after(shanghai("2026-03-09"), 1).at.tzinfo is UTC


@pytest.mark.parametrize("days", [0, -1])
def test_add_working_days_refuses_a_period_shorter_than_a_day(days: int) -> None:
    with pytest.raises(ValueError, match="at least one day"):
        days_after(shanghai("2026-03-09"), days)


# --- add_working_hours ----------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (shanghai("2026-03-09", "09:30"), 2, shanghai("2026-03-09", "11:30")),
        (shanghai("2026-03-09", "14:30"), 2, shanghai("2026-03-09", "16:30")),
        (shanghai("2026-03-09", "10:00"), 2, shanghai("2026-03-09", "12:00")),
    ],
    ids=["morning", "afternoon", "ends-at-lunch"],
)
def test_add_working_hours_inside_one_period(
    start: datetime, hours: float, due: datetime
) -> None:
    assert hours_after(start, hours).at == due


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (shanghai("2026-03-09", "11:00"), 2, shanghai("2026-03-09", "15:00")),
        (shanghai("2026-03-09", "12:30"), 1, shanghai("2026-03-09", "15:00")),
        (shanghai("2026-03-09", "11:59"), 0.5, shanghai("2026-03-09", "14:29")),
    ],
    ids=["from-morning", "from-inside-lunch", "minute-before-lunch"],
)
def test_add_working_hours_skips_lunch(
    start: datetime, hours: float, due: datetime
) -> None:
    assert hours_after(start, hours).at == due


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (shanghai("2026-03-09", "17:00"), 2, shanghai("2026-03-10", "10:00")),
        (shanghai("2026-03-13", "17:30"), 2, shanghai("2026-03-16", "10:30")),
        (shanghai("2026-03-09", "16:00"), 7, shanghai("2026-03-10", "16:00")),
    ],
    ids=["overnight", "over-the-weekend", "a-full-day"],
)
def test_add_working_hours_across_the_night(
    start: datetime, hours: float, due: datetime
) -> None:
    assert hours_after(start, hours).at == due


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (shanghai("2026-03-09", "07:00"), 2, shanghai("2026-03-09", "11:00")),
        (shanghai("2026-03-09", "00:00"), 1, shanghai("2026-03-09", "10:00")),
        (shanghai("2026-03-09", "19:00"), 2, shanghai("2026-03-10", "11:00")),
        (shanghai("2026-03-09", "18:00"), 1, shanghai("2026-03-10", "10:00")),
        (shanghai("2026-03-13", "20:00"), 2, shanghai("2026-03-16", "11:00")),
    ],
    ids=["early-morning", "midnight", "evening", "at-closing", "friday-evening"],
)
def test_add_working_hours_outside_working_hours_starts_at_the_next_period(
    start: datetime, hours: float, due: datetime
) -> None:
    assert hours_after(start, hours).at == due


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (shanghai("2026-10-03", "10:00"), 2, shanghai("2026-10-08", "11:00")),
        (shanghai("2026-09-30", "17:00"), 2, shanghai("2026-10-08", "10:00")),
        (shanghai("2026-02-14", "10:00"), 2, shanghai("2026-02-14", "12:00")),
        (shanghai("2026-02-14", "17:00"), 2, shanghai("2026-02-24", "10:00")),
    ],
    ids=[
        "on-national-day",
        "into-national-day",
        "on-makeup-saturday",
        "into-spring-festival",
    ],
)
def test_add_working_hours_on_and_around_holidays(
    start: datetime, hours: float, due: datetime
) -> None:
    assert hours_after(start, hours).at == due


@pytest.mark.parametrize("duration", [timedelta(0), timedelta(minutes=-5)])
def test_add_working_hours_refuses_a_period_that_is_not_positive(
    duration: timedelta,
) -> None:
    with pytest.raises(ValueError, match="positive"):
        CALENDAR.add_working_hours(shanghai("2026-03-09"), duration)


# --- years without an official schedule -----------------------------------------


def test_deadline_reaching_into_2027_is_computed_and_provisional() -> None:
    # Mon 12-28: 29, 30, 31 (3 days), 2027-01-01 is a fixed holiday, then the weekend,
    # then Mon 01-04 .. Thu 01-07 (days 4 to 7).
    deadline = days_after(shanghai("2026-12-28"), 7)

    assert deadline.at == end_of_day("2027-01-07")
    assert deadline.provisional
    assert deadline.provisional_years == (2027,)


def test_new_years_day_2027_is_skipped_as_a_fixed_holiday() -> None:
    assert not CALENDAR.is_official(2027)
    assert not CALENDAR.is_working_day(date(2027, 1, 1))
    assert days_after(shanghai("2026-12-31"), 1).at == end_of_day("2027-01-04")


def test_working_hours_reaching_into_2027_are_provisional() -> None:
    deadline = hours_after(shanghai("2026-12-31", "17:00"), 2)

    assert deadline.at == shanghai("2027-01-04", "10:00")
    assert deadline.provisional_years == (2027,)


def test_deadline_inside_2026_is_not_provisional() -> None:
    by_days = days_after(shanghai("2026-12-21"), 7)
    by_hours = hours_after(shanghai("2026-12-31", "09:00"), 2)

    assert by_days.at == end_of_day("2026-12-30")
    assert (by_days.provisional, by_days.provisional_years) == (False, ())
    assert (by_hours.provisional, by_hours.provisional_years) == (False, ())


def test_calendar_without_official_years_marks_every_year_it_looked_at() -> None:
    guessed = WorkingCalendar()

    deadline = guessed.add_working_days(shanghai("2026-12-30"), 3)

    assert deadline.at == end_of_day("2027-01-05")
    assert deadline.provisional_years == (2026, 2027)


# --- working hours configuration ------------------------------------------------


def test_working_hours_parse_and_day_end() -> None:
    hours = WorkingHours.parse([["08:30", "12:00"], ["13:30", "17:30"]])

    assert hours.periods == ((time(8, 30), time(12, 0)), (time(13, 30), time(17, 30)))
    assert hours.day_end == time(17, 30)


@pytest.mark.parametrize(
    "spans",
    [
        [],
        [["14:00", "18:00"], ["09:00", "12:00"]],
        [["09:00", "12:00"], ["11:00", "18:00"]],
        [["12:00", "09:00"]],
    ],
    ids=["empty", "out-of-order", "overlapping", "backwards"],
)
def test_working_hours_refuse_bad_periods(spans: list[list[str]]) -> None:
    with pytest.raises(ValueError, match="period"):
        WorkingHours.parse(spans)


def test_custom_working_hours_move_the_end_of_day() -> None:
    calendar = default_calendar(WorkingHours.parse([["08:30", "17:30"]]))

    deadline = calendar.add_working_days(shanghai("2026-03-09"), 1)

    assert deadline.at == shanghai("2026-03-10", "17:30")


# --- properties -----------------------------------------------------------------

starts = st.datetimes(
    min_value=datetime(2024, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
    max_value=datetime(2027, 6, 30),  # noqa: DTZ001
    timezones=st.just(UTC),
)
working_durations = st.integers(min_value=1, max_value=60 * 7 * 30).map(
    lambda minutes: timedelta(minutes=minutes)
)
property_settings = settings(max_examples=150, deadline=None, database=None)


@property_settings
@given(start=starts, days=st.integers(min_value=1, max_value=30))
def test_add_working_days_ends_at_closing_time_on_a_working_day(
    start: datetime, days: int
) -> None:
    due = CALENDAR.add_working_days(start, days).at.astimezone(SHANGHAI)

    assert due.time() == time(18, 0)
    assert CALENDAR.is_working_day(due.date())
    assert due.date() > start.astimezone(SHANGHAI).date()


@property_settings
@given(start=starts, days=st.integers(min_value=1, max_value=30))
def test_add_working_days_is_strictly_increasing(start: datetime, days: int) -> None:
    shorter = CALENDAR.add_working_days(start, days).at
    longer = CALENDAR.add_working_days(start, days + 1).at

    assert shorter < longer


@property_settings
@given(start=starts, duration=working_durations)
def test_working_time_between_undoes_add_working_hours(
    start: datetime, duration: timedelta
) -> None:
    end = CALENDAR.add_working_hours(start, duration).at

    assert CALENDAR.working_time_between(start, end) == duration


@property_settings
@given(start=starts, duration=working_durations)
def test_add_working_hours_ends_inside_a_working_period(
    start: datetime, duration: timedelta
) -> None:
    due = CALENDAR.add_working_hours(start, duration).at.astimezone(SHANGHAI)

    assert CALENDAR.is_working_day(due.date())
    assert any(begin < due.time() <= end for begin, end in CALENDAR.hours.periods), due


@property_settings
@given(start=starts, end=starts)
def test_working_time_between_is_never_negative(start: datetime, end: datetime) -> None:
    between = CALENDAR.working_time_between(start, end)

    assert between >= timedelta(0)
    if end <= start:
        assert between == timedelta(0)


# --- statutory holidays computed for years without an official schedule ----------


@pytest.mark.parametrize("year", [2025, 2026])
def test_computed_statutory_holidays_are_all_official_holidays(year: int) -> None:
    from minsheng_common.working_calendar import chinese_calendar_years

    official = chinese_calendar_years()[year].holidays
    assert statutory_holidays(year) <= official


def test_2027_computed_holidays_include_the_lunar_and_solar_term_ones() -> None:
    holidays = statutory_holidays(2027)

    assert {
        date(2027, 2, 5),  # Spring Festival eve
        date(2027, 2, 6),  # Spring Festival
        date(2027, 2, 8),
        date(2027, 4, 5),  # Qingming
        date(2027, 6, 9),  # Dragon Boat
        date(2027, 9, 15),  # Mid-Autumn
    } <= holidays
    assert len(holidays) == 13


def test_a_provisional_deadline_skips_the_2027_spring_festival() -> None:
    calendar = default_calendar()
    created = datetime(2027, 2, 3, 10, 0, tzinfo=SHANGHAI)  # Wednesday

    deadline = calendar.add_working_days(created, 3)

    # Thu 4 Feb, then Fri 5 (eve) to Mon 8 are off: Tue 9, Wed 10.
    assert deadline.at == datetime(2027, 2, 10, 18, 0, tzinfo=SHANGHAI)
    assert deadline.provisional


@pytest.mark.parametrize("year", [1, 1900, 2100, 9999])
def test_a_year_beyond_the_tables_is_a_clear_error_not_a_crash(year: int) -> None:
    from minsheng_common.working_calendar import YearOutOfRange

    with pytest.raises(YearOutOfRange):
        default_calendar().is_working_day(date(year, 6, 1))
