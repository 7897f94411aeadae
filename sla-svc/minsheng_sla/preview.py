"""When a clock would run out if it started at a given instant, and when its unit
would be urged: the same counting the clocks on work orders use, for operators who
want to check a date and for tests.

Nothing here touches the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from minsheng_common import working_calendar
from minsheng_common.rules import AppealType, RuleBook, RuleEdition
from minsheng_common.timeutil import as_utc, local
from minsheng_sla import periods
from minsheng_sla.errors import InvalidPreview

PreviewKind = Literal[
    "dispatch",
    "sign_off",
    "handling",
    "acceptance_notice",
    "handling_notice",
    "reply_template",
    "project_registration",
]

NEEDS_APPEAL_TYPE: frozenset[PreviewKind] = frozenset({"handling"})


@dataclass(frozen=True)
class Preview:
    """A clock's due instant, its urging points and what they rest on."""

    kind: PreviewKind
    start: datetime
    due: working_calendar.Deadline
    article: str
    period: str
    rules_edition: str
    urgings: tuple[periods.UrgingPoint, ...] = ()
    latest_date: date | None = None


def preview(
    *,
    calendar: working_calendar.WorkingCalendar,
    rules: RuleBook,
    kind: PreviewKind,
    start: datetime,
    appeal_type: AppealType | None = None,
    rules_edition: str | None = None,
) -> Preview:
    """The clock of `kind` started at `start` (a time without offset is read as
    Asia/Shanghai), counted with the named edition or the one in force at `start`.

    For a project registration (Art. 43) `start` is when its works start and the
    answer counts backwards: the latest day to register it."""
    _check_appeal_type(kind, appeal_type)
    moment = as_utc(start)
    edition = _edition(rules, moment, rules_edition)
    try:
        return _count(calendar, edition, kind, moment, appeal_type)
    except (working_calendar.YearOutOfRange, OverflowError) as error:
        raise InvalidPreview(
            f"no clock can be counted from {start.isoformat()}: {error}", field="start"
        ) from None


def _count(
    calendar: working_calendar.WorkingCalendar,
    edition: RuleEdition,
    kind: PreviewKind,
    start: datetime,
    appeal_type: AppealType | None,
) -> Preview:
    if kind == "dispatch":
        return Preview(
            kind=kind,
            start=start,
            due=working_calendar.Deadline(
                at=periods.dispatch_due(edition=edition, filed_at=start),
                provisional=False,
            ),
            article=periods.DISPATCH_ARTICLE,
            period=_natural_hours(edition.dispatch_hours),
            rules_edition=edition.id,
        )
    if kind == "project_registration":
        registration = periods.project_registration(
            calendar=calendar, edition=edition, works_start=local(start).date()
        )
        return Preview(
            kind=kind,
            start=start,
            due=registration.due,
            article=periods.PROJECT_REGISTRATION_ARTICLE,
            period=f"{registration.period} before works start",
            rules_edition=edition.id,
            latest_date=registration.latest_date,
        )

    plan = _plan(calendar, edition, kind, start, appeal_type)
    return Preview(
        kind=kind,
        start=start,
        due=plan.due,
        article=plan.article,
        period=plan.period,
        rules_edition=plan.rules_edition,
        urgings=plan.urgings,
    )


def _plan(
    calendar: working_calendar.WorkingCalendar,
    edition: RuleEdition,
    kind: PreviewKind,
    start: datetime,
    appeal_type: AppealType | None,
) -> periods.Plan:
    if kind == "sign_off":
        return periods.sign_off(calendar=calendar, edition=edition, dispatched_at=start)
    if kind == "handling" and appeal_type is not None:
        return periods.handling(
            calendar=calendar,
            edition=edition,
            created_at=start,
            appeal_type=appeal_type,
        )
    if kind == "acceptance_notice":
        return periods.acceptance_notice(
            calendar=calendar, edition=edition, signed_at=start
        )
    if kind == "handling_notice":
        return periods.handling_notice(
            calendar=calendar, edition=edition, handled_at=start
        )
    if kind == "reply_template":
        return periods.reply_template(
            calendar=calendar, edition=edition, closed_at=start
        )
    raise InvalidPreview(f"no clock of kind {kind} can be previewed", field="kind")


def _check_appeal_type(kind: PreviewKind, appeal_type: AppealType | None) -> None:
    if kind in NEEDS_APPEAL_TYPE and appeal_type is None:
        raise InvalidPreview(
            f"a {kind} clock depends on the appeal type (Art. 15): give "
            "consultation, suggestion or complaint",
            field="appeal_type",
        )
    if kind not in NEEDS_APPEAL_TYPE and appeal_type is not None:
        raise InvalidPreview(
            f"a {kind} clock does not depend on the appeal type; leave it out",
            field="appeal_type",
        )


def _edition(rules: RuleBook, start: datetime, edition_id: str | None) -> RuleEdition:
    if edition_id is not None:
        try:
            return rules.by_id(edition_id)
        except KeyError:
            raise InvalidPreview(
                f"no rules edition {edition_id}; the rule book has "
                + ", ".join(edition.id for edition in rules.editions),
                field="rules_edition",
            ) from None
    try:
        return rules.in_force(start)
    except ValueError as error:
        raise InvalidPreview(str(error), field="start") from None


def _natural_hours(hours: float) -> str:
    return f"{hours:g} natural hour" + ("" if hours == 1 else "s")
