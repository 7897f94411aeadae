"""When each clock on a work order runs out: the rule edition in force when the order
was created gives the length, the working calendar counts it (rules.md §11).

Nothing here touches the store, so every period can be checked against the calendar
directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from functools import cache
from typing import Literal

from minsheng_common import working_calendar
from minsheng_common.events import DeadlineKind
from minsheng_common.events.catalogue import UrgingStep
from minsheng_common.rules import AppealType, RuleBook, RuleEdition
from minsheng_common.timeutil import as_utc
from minsheng_sla.errors import NoRuleEdition

SIGN_OFF_ARTICLE = "Art. 13"
HANDLING_ARTICLE = "Art. 15"
ACCEPTANCE_NOTICE_ARTICLE = "Art. 28"
HANDLING_NOTICE_ARTICLE = "Art. 29"
STAGED_CHECK_ARTICLE = "Art. 17"
EXTENDED_HANDLING_ARTICLE = "Art. 15, 16"
REPLY_TEMPLATE_ARTICLE = "Art. 43"
PROJECT_REGISTRATION_ARTICLE = "Art. 43"
DISPATCH_ARTICLE = "Art. 12"
URGING_ARTICLE = "Art. 39"
# Split and parallel orders are timed from their own dispatch (Art. 19, 22).
FROM_DISPATCH_ARTICLE = "Art. 15, 19, 22"

ClockFrom = Literal["created", "dispatched"]

URGED_KINDS: frozenset[DeadlineKind] = frozenset({"handling"})
"""The clocks whose unit is urged (催办, Art. 39): the handling period, whose working
time the urging fractions divide (rules.md §11). Sign-off ends in a default signature
rather than an overdue order (Art. 13), and the notices and the reply template are
judged in assessment (Art. 33, 43), not urged."""

URGING_STEPS: tuple[UrgingStep, ...] = ("half", "two_thirds")
"""The steps before overdue, in the order of the edition's urging fractions."""

OVERDUE_LEVEL = 3
"""The urging level when the clock runs out; the fractions are levels 1 and 2."""


@dataclass(frozen=True)
class UrgingPoint:
    """When a unit is urged (催办, Art. 39) before its clock runs out."""

    step: UrgingStep
    level: int
    at: datetime


@dataclass(frozen=True)
class Plan:
    """A clock about to be started: its kind, start, due time and legal basis."""

    kind: DeadlineKind
    starts_at: datetime
    due: working_calendar.Deadline
    article: str
    period: str
    rules_edition: str
    urgings: tuple[UrgingPoint, ...] = ()


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
    due = calendar.add_working_days(starts_at, days)
    return Plan(
        kind="handling",
        starts_at=starts_at,
        due=due,
        article=FROM_DISPATCH_ARTICLE if from_dispatch else HANDLING_ARTICLE,
        period=working_days_text(days),
        rules_edition=edition.id,
        urgings=tuple(
            urging_points(
                calendar=calendar,
                edition=edition,
                kind="handling",
                starts_at=starts_at,
                due_at=due.at,
                working_days=days,
            )
        ),
    )


@dataclass(frozen=True)
class Extension:
    """A handling due time moved by an extension, and whether the total cap cut it."""

    due: working_calendar.Deadline
    capped: bool


def extended(
    *,
    calendar: working_calendar.WorkingCalendar,
    edition: RuleEdition,
    starts_at: datetime,
    due_at: datetime,
    working_days: int,
) -> Extension:
    """The handling due time moved by an approved extension (Art. 16): `working_days`
    more working days counted from the day of the current due time, ending when
    business stops on the last one; never later than the edition's total (20 working
    days) counted from where the handling period starts. Dispatch refuses longer
    extensions, so the cap only guards against a decision that broke the rules."""
    moved = calendar.add_working_days(due_at, working_days)
    cap = calendar.add_working_days(starts_at, edition.total_max_working_days)
    if moved.at <= cap.at:
        return Extension(due=moved, capped=False)
    return Extension(due=cap, capped=True)


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


def reply_template(
    *,
    calendar: working_calendar.WorkingCalendar,
    edition: RuleEdition,
    closed_at: datetime,
) -> Plan:
    """Send the center a handling-notice and a handling-feedback template within the
    edition's working days after the third closure of the same kind (Art. 43)."""
    days = edition.reply_template_working_days
    return Plan(
        kind="reply_template",
        starts_at=closed_at,
        due=calendar.add_working_days(closed_at, days),
        article=REPLY_TEMPLATE_ARTICLE,
        period=working_days_text(days),
        rules_edition=edition.id,
    )


def dispatch_due(*, edition: RuleEdition, filed_at: datetime) -> datetime:
    """Dispatch within the edition's hours of filing, in natural time (Art. 12,
    rules.md §11): nights and holidays count."""
    return as_utc(filed_at) + edition.dispatch_within


@dataclass(frozen=True)
class Registration:
    """The latest day a project may be registered for the day its works start."""

    latest_date: date
    due: working_calendar.Deadline
    period: str


def project_registration(
    *,
    calendar: working_calendar.WorkingCalendar,
    edition: RuleEdition,
    works_start: date,
) -> Registration:
    """The latest day to register a construction, rail or road project so that the
    edition's working days (15) lie between the day of registration and the day its
    works start (Art. 43), counted backwards from the day before the start.

    Counted forwards this is the period of rules.md §11: day 1 is the first working
    day after registration, and works may start the day after the last one. `due`
    is the end of the latest day (midnight, Asia/Shanghai).
    """
    days = edition.project_registration_working_days
    day = works_start
    counted = 0
    guessed: set[int] = set()
    while counted < days:
        day -= timedelta(days=1)
        if not calendar.is_official(day.year):
            guessed.add(day.year)
        if calendar.is_working_day(day):
            counted += 1
    end = datetime.combine(day, time(0, 0), tzinfo=calendar.hours.zone)
    return Registration(
        latest_date=day - timedelta(days=1),
        due=working_calendar.Deadline(
            at=as_utc(end),
            provisional=bool(guessed),
            provisional_years=tuple(sorted(guessed)),
        ),
        period=working_days_text(days),
    )


def urging_points(
    *,
    calendar: working_calendar.WorkingCalendar,
    edition: RuleEdition,
    kind: str,
    starts_at: datetime,
    due_at: datetime,
    working_days: int | None = None,
) -> list[UrgingPoint]:
    """The instants when the edition's urging fractions (1/2, 2/3) of a clock's
    working time have passed (Art. 39), for the kinds that are urged; none for the
    others.

    The working time is counted from where the period starts: the day after the day
    of `starts_at`, as its working days are (rules.md §11), up to `due_at`; a caller
    who knows the period's `working_days` saves counting it. Each point is that
    share of working time added on the working calendar, so it always falls inside
    working hours, never at night, on a weekend or on a holiday.
    """
    if kind not in URGED_KINDS:
        return []
    per_day = _working_day_length(calendar.hours.periods)
    if working_days is not None:
        total = per_day * working_days
    else:
        total = calendar.working_time_between(period_start(calendar, starts_at), due_at)
    points = []
    for position, (numerator, denominator) in enumerate(
        _fractions(tuple(edition.urging_fractions))
    ):
        share = _share(total, numerator, denominator)
        if share < timedelta(seconds=1):
            continue
        points.append(
            UrgingPoint(
                step=URGING_STEPS[position],
                level=position + 1,
                at=_after_working_time(calendar, starts_at, share, per_day),
            )
        )
    return points


def period_start(
    calendar: working_calendar.WorkingCalendar, starts_at: datetime
) -> datetime:
    """Where a period counted in working days starts: midnight after the day of
    `starts_at` (Asia/Shanghai), since day 1 is the next working day (rules.md §11)."""
    zone = calendar.hours.zone
    day = as_utc(starts_at).astimezone(zone).date() + timedelta(days=1)
    return as_utc(datetime.combine(day, time(0, 0), tzinfo=zone))


def _after_working_time(
    calendar: working_calendar.WorkingCalendar,
    starts_at: datetime,
    share: timedelta,
    per_day: timedelta,
) -> datetime:
    """The instant `share` of working time into a period that starts the day after
    `starts_at`: on its working day ceil(share / day), that far into its hours.
    (The same instant as adding `share` of working hours from the period's start,
    counted in whole working days, which the calendar finds fastest.)"""
    whole, rest = divmod(share, per_day)
    if not rest:
        return calendar.add_working_days(starts_at, whole).at
    zone = calendar.hours.zone
    day = calendar.add_working_days(starts_at, whole + 1).at.astimezone(zone).date()
    for opening, closing in calendar.hours.periods:
        begin = datetime.combine(day, opening, tzinfo=zone)
        span = datetime.combine(day, closing, tzinfo=zone) - begin
        if rest <= span:
            return as_utc(begin + rest)
        rest -= span
    raise AssertionError("a remainder of a working day fits in its hours")


@cache
def _working_day_length(spans: tuple[tuple[time, time], ...]) -> timedelta:
    today = date(2000, 1, 1)
    return sum(
        (
            datetime.combine(today, closing) - datetime.combine(today, opening)
            for opening, closing in spans
        ),
        timedelta(0),
    )


@cache
def _fractions(values: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    fractions = (Fraction(value) for value in values)
    return tuple((value.numerator, value.denominator) for value in fractions)


def _share(total: timedelta, numerator: int, denominator: int) -> timedelta:
    # Exact to the microsecond: a timedelta cannot be multiplied by a Fraction.
    microseconds = total // timedelta(microseconds=1)
    return timedelta(microseconds=microseconds * numerator // denominator)


def working_days_text(days: int) -> str:
    """`1 working day`, `7 working days`."""
    return f"{days} working day" if days == 1 else f"{days} working days"


def working_hours_text(hours: float) -> str:
    """`1 working hour`, `2 working hours`, `1.5 working hours`."""
    return "1 working hour" if hours == 1 else f"{hours:g} working hours"
