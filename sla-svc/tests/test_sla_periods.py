"""Deadline arithmetic: each clock's due time is the calendar's answer for the period
the rule edition in force at creation sets (Art. 13, 15, 28; rules.md §11)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from minsheng_common.rules import RuleBook, RuleEdition
from minsheng_common.timeutil import SHANGHAI
from minsheng_common.working_calendar import WorkingCalendar
from minsheng_sla import periods
from minsheng_sla.errors import NoRuleEdition


def edition(rules: RuleBook) -> RuleEdition:
    return rules.editions[-1]


def test_sla_sign_off_on_friday_afternoon_runs_into_monday_morning(
    calendar: WorkingCalendar, rules: RuleBook
) -> None:
    dispatched_at = datetime(2026, 12, 4, 17, 0, tzinfo=SHANGHAI)

    plan = periods.sign_off(
        calendar=calendar, edition=edition(rules), dispatched_at=dispatched_at
    )

    # One working hour left on Friday, the second from 09:00 on Monday (Art. 13).
    assert plan.due.at == datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)
    assert (
        plan.due.at
        == calendar.add_working_hours(dispatched_at, edition(rules).sign_off).at
    )
    assert not plan.due.provisional
    assert plan.starts_at == dispatched_at
    assert (plan.kind, plan.article, plan.period) == (
        "sign_off",
        "Art. 13",
        "2 working hours",
    )
    assert plan.rules_edition == "measures-v4"


def test_sla_complaint_handling_counts_across_national_day_2026(
    calendar: WorkingCalendar, rules: RuleBook
) -> None:
    created_at = datetime(2026, 9, 29, 10, 0, tzinfo=SHANGHAI)

    plan = periods.handling(
        calendar=calendar,
        edition=edition(rules),
        created_at=created_at,
        appeal_type="complaint",
    )

    # Day 1 is 30 Sep; 1-7 Oct are off; 8, 9, 10 (make-up Saturday), 12, 13, 14 Oct
    # are days 2 to 7, and the period ends when business stops on the 14th (Art. 15).
    assert plan.due.at == datetime(2026, 10, 14, 18, 0, tzinfo=SHANGHAI)
    assert plan.due.at == calendar.add_working_days(created_at, 7).at
    assert not plan.due.provisional
    assert (plan.article, plan.period) == ("Art. 15", "7 working days")


@pytest.mark.parametrize(
    ("appeal_type", "period", "due_day"),
    [
        ("consultation", "1 working day", date(2026, 12, 7)),
        ("suggestion", "3 working days", date(2026, 12, 9)),
        ("complaint", "7 working days", date(2026, 12, 15)),
    ],
)
def test_sla_handling_period_follows_the_appeal_type(
    calendar: WorkingCalendar,
    rules: RuleBook,
    appeal_type: str,
    period: str,
    due_day: date,
) -> None:
    created_at = datetime(2026, 12, 4, 16, 0, tzinfo=SHANGHAI)

    plan = periods.handling(
        calendar=calendar,
        edition=edition(rules),
        created_at=created_at,
        appeal_type=appeal_type,  # type: ignore[arg-type]
    )

    assert plan.period == period
    assert plan.due.at.astimezone(SHANGHAI).date() == due_day
    assert plan.due.at.astimezone(SHANGHAI).hour == 18


def test_sla_complaint_created_late_december_2026_is_provisional_and_computed(
    calendar: WorkingCalendar, rules: RuleBook
) -> None:
    created_at = datetime(2026, 12, 28, 10, 0, tzinfo=SHANGHAI)

    plan = periods.handling(
        calendar=calendar,
        edition=edition(rules),
        created_at=created_at,
        appeal_type="complaint",
    )

    # 29, 30, 31 Dec; 1 Jan 2027 is a fixed holiday; 4-7 Jan are days 4 to 7.
    assert plan.due.at == datetime(2027, 1, 7, 18, 0, tzinfo=SHANGHAI)
    assert plan.due.provisional
    assert plan.due.provisional_years == (2027,)


def test_sla_acceptance_notice_is_due_the_next_working_day_after_signing(
    calendar: WorkingCalendar, rules: RuleBook
) -> None:
    signed_at = datetime(2026, 12, 4, 17, 45, tzinfo=SHANGHAI)

    plan = periods.acceptance_notice(
        calendar=calendar, edition=edition(rules), signed_at=signed_at
    )

    assert plan.due.at == datetime(2026, 12, 7, 18, 0, tzinfo=SHANGHAI)
    assert (plan.kind, plan.article, plan.period) == (
        "acceptance_notice",
        "Art. 28",
        "1 working day",
    )


def revised_book(rules: RuleBook) -> RuleBook:
    """The packaged edition plus a revision from 2026-12-01 with other limits."""
    current = edition(rules)
    revision = current.model_copy(
        update={
            "id": "measures-v5",
            "effective_from": date(2026, 12, 1),
            "sign_off_working_hours": 1.5,
            "handling_working_days": {
                "consultation": 2,
                "suggestion": 4,
                "complaint": 5,
            },
        }
    )
    return RuleBook(editions=[current, revision])


def test_sla_an_order_keeps_the_edition_in_force_when_it_was_created(
    calendar: WorkingCalendar, rules: RuleBook
) -> None:
    book = revised_book(rules)
    before = datetime(2026, 11, 30, 17, 0, tzinfo=SHANGHAI)
    after = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)

    old = periods.edition_for(book, before)
    new = periods.edition_for(book, after)
    plan = periods.sign_off(calendar=calendar, edition=new, dispatched_at=after)

    assert (old.id, new.id) == ("measures-v4", "measures-v5")
    assert plan.period == "1.5 working hours"
    assert plan.due.at == after + timedelta(hours=1, minutes=30)
    assert plan.rules_edition == "measures-v5"


def test_sla_an_order_older_than_every_edition_is_refused(rules: RuleBook) -> None:
    with pytest.raises(NoRuleEdition) as refused:
        periods.edition_for(rules, datetime(2019, 5, 6, 10, 0, tzinfo=SHANGHAI))

    assert refused.value.code == "no_rule_edition"
    assert not refused.value.retriable
