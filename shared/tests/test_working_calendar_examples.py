"""The working calendar on the cases rules.md §11 names: make-up weekends, appeals
received on a holiday, instants given in UTC, half-day observances, a year without
an official schedule and then with one, and the 20-working-day total of Art. 16."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from minsheng_common.timeutil import SHANGHAI
from minsheng_common.working_calendar import (
    OfficialYear,
    YearOutOfRange,
    default_calendar,
    statutory_holiday_names,
    statutory_holidays,
)

CALENDAR = default_calendar()


def shanghai(day: str, clock: str = "10:00") -> datetime:
    return datetime.combine(
        date.fromisoformat(day), time.fromisoformat(clock), tzinfo=SHANGHAI
    )


def closing(day: str) -> datetime:
    """When business stops on `day` (18:00 Asia/Shanghai)."""
    return shanghai(day, "18:00")


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2026-01-04", True),  # Sunday, worked for New Year's Day
        ("2026-02-14", True),  # Saturday, worked for the Spring Festival
        ("2026-02-28", True),  # Saturday, worked for the Spring Festival
        ("2026-02-16", False),  # Monday, Spring Festival eve
        ("2026-10-01", False),  # Thursday, National Day
    ],
)
def test_make_up_weekends_work_and_holidays_rest_in_2026(
    day: str, working: bool
) -> None:
    assert CALENDAR.is_working_day(date.fromisoformat(day)) is working


def test_sunday_4_january_2026_counts_as_a_working_day() -> None:
    # Created Friday 2 January (a holiday): Sunday 4 January is day 1.
    assert CALENDAR.add_working_days(shanghai("2026-01-02"), 1).at == closing(
        "2026-01-04"
    )
    # Saturday 3 January is off, so a sign-off started then runs on the Sunday.
    assert CALENDAR.add_working_hours(
        shanghai("2026-01-03", "15:00"), timedelta(hours=2)
    ).at == shanghai("2026-01-04", "11:00")


@pytest.mark.parametrize(
    ("received", "days", "due"),
    [
        # Received on the first day of National Day: day 1 is Thursday 8 October.
        ("2026-10-01", 1, "2026-10-08"),
        ("2026-10-01", 3, "2026-10-10"),  # Friday 9, Saturday 10 (make-up day)
        # Received on Spring Festival eve, a Monday: 17-23 February off too.
        ("2026-02-16", 1, "2026-02-24"),
        ("2026-02-16", 3, "2026-02-26"),
    ],
)
def test_an_appeal_received_on_a_holiday_starts_counting_on_the_next_working_day(
    received: str, days: int, due: str
) -> None:
    assert CALENDAR.add_working_days(shanghai(received, "09:30"), days).at == closing(
        due
    )


def test_working_hours_from_a_holiday_start_when_the_next_working_day_opens() -> None:
    due = CALENDAR.add_working_hours(
        shanghai("2026-10-01", "10:00"), timedelta(hours=2)
    )

    assert due.at == shanghai("2026-10-08", "11:00")


def test_an_instant_in_utc_that_is_already_the_next_day_in_shanghai() -> None:
    # 2026-12-03 17:30 UTC is Friday 12-04 01:30 in Shanghai.
    late_utc = datetime(2026, 12, 3, 17, 30, tzinfo=UTC)

    by_hours = CALENDAR.add_working_hours(late_utc, timedelta(hours=2))
    by_days = CALENDAR.add_working_days(late_utc, 1)

    # Two working hours from Friday's opening; day 1 is Monday, not Friday.
    assert by_hours.at == shanghai("2026-12-04", "11:00")
    assert by_days.at == closing("2026-12-07")


def test_midnight_in_shanghai_given_in_utc_belongs_to_the_new_day() -> None:
    midnight = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)  # 12-04 00:00 in Shanghai
    just_before = midnight - timedelta(microseconds=1)

    assert CALENDAR.add_working_days(midnight, 1).at == closing("2026-12-07")
    assert CALENDAR.add_working_days(just_before, 1).at == closing("2026-12-04")


@pytest.mark.parametrize(
    "day",
    [
        "2024-03-08",  # Women's Day, a Friday
        "2023-05-04",  # Youth Day, a Thursday
        "2026-06-01",  # Children's Day, a Monday
        "2025-08-01",  # Army Day, a Friday
        "2027-03-08",  # Women's Day in a year without an official schedule
    ],
)
def test_half_day_observances_are_working_days(day: str) -> None:
    observance = date.fromisoformat(day)
    assert observance.weekday() < 5

    assert CALENDAR.is_working_day(observance)
    assert CALENDAR.add_working_days(
        datetime.combine(observance - timedelta(days=1), time(10), tzinfo=SHANGHAI), 1
    ).at == datetime.combine(observance, time(18), tzinfo=SHANGHAI)


def test_the_computed_statutory_holidays_have_their_names() -> None:
    names = statutory_holiday_names(2027)

    assert names[date(2027, 1, 1)] == "元旦"
    assert names[date(2027, 2, 6)] == "春节"
    assert names[date(2027, 4, 5)] == "清明节"
    assert names[date(2027, 6, 9)] == "端午节"
    assert names[date(2027, 9, 15)] == "中秋节"
    assert names[date(2027, 10, 3)] == "国庆节"
    assert set(names) == statutory_holidays(2027)
    assert list(names) == sorted(names)


def test_a_december_2026_complaint_is_provisional_until_2027_is_loaded() -> None:
    calendar = default_calendar()
    created = shanghai("2026-12-28", "15:00")  # Monday

    guessed = calendar.add_working_days(created, 7)
    # 29, 30, 31 December; 1 January is a statutory holiday; 4-7 January.
    assert guessed.at == closing("2027-01-07")
    assert (guessed.provisional, guessed.provisional_years) == (True, (2027,))

    calendar.load_official({2027: new_year_bridged_2027()})

    official = calendar.add_working_days(created, 7)
    # Now 1-3 January are off and Saturday 9 January is a make-up working day:
    # 29, 30, 31 December, 4, 5, 6, 7 January.
    assert official.at == closing("2027-01-07")
    assert (official.provisional, official.provisional_years) == (False, ())
    # Two days more reach the make-up Saturday.
    assert calendar.add_working_days(created, 9).at == closing("2027-01-09")


@pytest.mark.parametrize(
    ("created", "due"),
    [
        # Across Mid-Autumn (25 September), National Day (1-7 October) and the
        # make-up Saturday 10 October.
        ("2026-09-21", "2026-10-26"),
        # Across the Spring Festival (15-23 February) and both make-up Saturdays.
        ("2026-02-02", "2026-03-06"),
    ],
)
def test_twenty_working_days_end_where_the_handling_period_plus_extensions_end(
    created: str, due: str
) -> None:
    """The total of Art. 16: seven working days, extended by five and then, with
    the leader's written approval, by eight more, end on the twentieth working
    day, whatever holidays lie between."""
    start = shanghai(created)

    handling = CALENDAR.add_working_days(start, 7)
    extended = CALENDAR.add_working_days(handling.at, 5)
    approved = CALENDAR.add_working_days(extended.at, 8)

    assert approved.at == CALENDAR.add_working_days(start, 20).at == closing(due)


def new_year_bridged_2027() -> OfficialYear:
    """An illustrative 2027 schedule (not the State Council's): 1-3 January off,
    Saturday 9 January worked."""
    return OfficialYear(
        year=2027,
        holidays=frozenset({date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3)}),
        makeup_workdays=frozenset({date(2027, 1, 9)}),
        source="test",
    )


@pytest.mark.parametrize(
    "start",
    [
        datetime(9999, 12, 31, 23, 0, tzinfo=SHANGHAI),
        datetime(9999, 12, 31, 20, 0, tzinfo=SHANGHAI),
    ],
)
def test_a_period_starting_on_the_last_day_python_knows_is_out_of_range(
    start: datetime,
) -> None:
    with pytest.raises(YearOutOfRange):
        CALENDAR.add_working_days(start, 5)
    with pytest.raises(YearOutOfRange):
        CALENDAR.add_working_hours(start, timedelta(hours=2))
