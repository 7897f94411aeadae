"""When each clock on a work order runs out: the rule edition in force when the order
was created gives the length, the working calendar counts it (rules.md §11).

Nothing here touches the store, so every period can be checked against the calendar
directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from minsheng_common import working_calendar
from minsheng_common.events import DeadlineKind
from minsheng_common.rules import AppealType, RuleBook, RuleEdition
from minsheng_common.timeutil import as_utc
from minsheng_sla.errors import NoRuleEdition

SIGN_OFF_ARTICLE = "Art. 13"
HANDLING_ARTICLE = "Art. 15"
ACCEPTANCE_NOTICE_ARTICLE = "Art. 28"
HANDLING_NOTICE_ARTICLE = "Art. 29"
STAGED_CHECK_ARTICLE = "Art. 17"
EXTENDED_HANDLING_ARTICLE = "Art. 15, 16"
# Split and parallel orders are timed from their own dispatch (Art. 19, 22).
FROM_DISPATCH_ARTICLE = "Art. 15, 19, 22"

ClockFrom = Literal["created", "dispatched"]


@dataclass(frozen=True)
class Plan:
    """A clock about to be started: its kind, start, due time and legal basis."""

    kind: DeadlineKind
    starts_at: datetime
    due: working_calendar.Deadline
    article: str
    period: str
    rules_edition: str


def edition_for(rules: RuleBook, created_at: datetime) -> RuleEdition:
    """The edition of the time limits in force when the work order was created."""
    try:
        return rules.in_force(created_at)
    except ValueError as error:
        raise NoRuleEdition(str(error), field="created_at") from error


def sign_off(
    *,
    calendar: working_calendar.WorkingCalendar,
    edition: RuleEdition,
    dispatched_at: datetime,
) -> Plan:
    """Sign or return within the edition's working hours of dispatch (Art. 13)."""
    return Plan(
        kind="sign_off",
        starts_at=dispatched_at,
        due=calendar.add_working_hours(dispatched_at, edition.sign_off),
        article=SIGN_OFF_ARTICLE,
        period=working_hours_text(edition.sign_off_working_hours),
        rules_edition=edition.id,
    )


def handling(
    *,
    calendar: working_calendar.WorkingCalendar,
    edition: RuleEdition,
    created_at: datetime,
    appeal_type: AppealType,
    dispatched_at: datetime | None = None,
    clock_from: ClockFrom = "created",
) -> Plan:
    """Handle within the working days of the appeal's type, counted from the day the
    work order was created (Art. 15), or from its dispatch for split and parallel
    orders (Art. 19, 22)."""
    days = edition.handling_days(appeal_type)
    from_dispatch = clock_from == "dispatched" and dispatched_at is not None
    starts_at = dispatched_at if from_dispatch and dispatched_at else created_at
    return Plan(
        kind="handling",
        starts_at=starts_at,
        due=calendar.add_working_days(starts_at, days),
        article=FROM_DISPATCH_ARTICLE if from_dispatch else HANDLING_ARTICLE,
        period=working_days_text(days),
        rules_edition=edition.id,
    )


def extended(
    *, calendar: working_calendar.WorkingCalendar, due_at: datetime, working_days: int
) -> working_calendar.Deadline:
    """The handling due time moved by an approved extension (Art. 16): `working_days`
    more working days counted from the day of the current due time, ending when
    business stops on the last one."""
    return calendar.add_working_days(due_at, working_days)


def handling_notice(
    *,
    calendar: working_calendar.WorkingCalendar,
    edition: RuleEdition,
    handled_at: datetime,
) -> Plan:
    """Tell the citizen the result within the edition's working days after the
    handling was completed (Art. 29)."""
    days = edition.handling_notice_working_days
    return Plan(
        kind="handling_notice",
        starts_at=handled_at,
        due=calendar.add_working_days(handled_at, days),
        article=HANDLING_NOTICE_ARTICLE,
        period=working_days_text(days),
        rules_edition=edition.id,
    )


def staged_check(
    *,
    calendar: working_calendar.WorkingCalendar,
    edition: RuleEdition,
    closed_at: datetime,
    check_date: date,
) -> Plan:
    """Check a staged closure (阶段性办结) when working hours end on its check date;
    if the handling is not done by then it counts as overdue (Art. 17). The center
    names the date, so nothing is counted and the due time is never provisional."""
    hours = calendar.hours
    end = datetime.combine(check_date, hours.day_end, tzinfo=hours.zone)
    return Plan(
        kind="staged_check",
        starts_at=closed_at,
        due=working_calendar.Deadline(at=as_utc(end), provisional=False),
        article=STAGED_CHECK_ARTICLE,
        period=f"until {check_date.isoformat()}",
        rules_edition=edition.id,
    )


def acceptance_notice(
    *,
    calendar: working_calendar.WorkingCalendar,
    edition: RuleEdition,
    signed_at: datetime,
) -> Plan:
    """Tell the citizen whether the appeal is accepted within the edition's working
    days after signing (Art. 28)."""
    days = edition.acceptance_notice_working_days
    return Plan(
        kind="acceptance_notice",
        starts_at=signed_at,
        due=calendar.add_working_days(signed_at, days),
        article=ACCEPTANCE_NOTICE_ARTICLE,
        period=working_days_text(days),
        rules_edition=edition.id,
    )


def working_days_text(days: int) -> str:
    """`1 working day`, `7 working days`."""
    return f"{days} working day" if days == 1 else f"{days} working days"


def working_hours_text(hours: float) -> str:
    """`1 working hour`, `2 working hours`, `1.5 working hours`."""
    return "1 working hour" if hours == 1 else f"{hours:g} working hours"
