"""What is wrong with a holiday schedule the center loads, each with its own code."""

from __future__ import annotations

from minsheng_common.errors import Conflict, InvalidInput


class InvalidSchedule(InvalidInput):
    """A holiday schedule that cannot be the State Council's for that year."""

    code = "invalid_schedule"


class DateOutsideYear(InvalidSchedule):
    """A holiday or make-up working day that is not in the year being loaded."""

    code = "date_outside_year"


class DuplicateDate(InvalidSchedule):
    """The same day listed twice in one list."""

    code = "duplicate_date"


class HolidayAndWorkday(InvalidSchedule):
    """A day listed both as a holiday and as a make-up working day."""

    code = "holiday_and_workday"


class WorkdayNotWeekend(InvalidSchedule):
    """A make-up working day (调休) on a weekday, which is a working day anyway: most
    likely a typing error."""

    code = "workday_not_weekend"


class CalendarVersionConflict(Conflict):
    """The year gained a version since the one the request was based on."""

    code = "calendar_version_conflict"
