"""The limits of Art. 16 and 43 as rule parameters: the 20-working-day cap across
extensions, the reply template's 3 working days and the project registration's 15
working days before works start, each from the edition in force."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from minsheng_common.events import WorkOrderExtensionDecided
from minsheng_common.rules import RuleBook, RuleEdition
from minsheng_common.timeutil import SHANGHAI
from minsheng_common.working_calendar import WorkingCalendar
from minsheng_sla import periods

Deliver = Callable[..., Awaitable[None]]
Read = Callable[..., Awaitable[Any]]

CREATED = datetime(2026, 12, 4, 16, 30, tzinfo=SHANGHAI)


def edition(rules: RuleBook) -> RuleEdition:
    return rules.editions[-1]


def extension(days: int, event_id: str) -> WorkOrderExtensionDecided:
    return WorkOrderExtensionDecided(
        work_order_id="wo-1",
        appeal_id="appeal-of-wo-1",
        unit_id="pingshan-urban-management",
        approved=True,
        working_days=days,
        reason=f"需协调产权单位 ({event_id})",
        decided_at=CREATED + timedelta(days=1),
        decided_by="operator-1",
    )


def test_sla_an_extension_within_the_total_moves_the_due_time_in_full(
    calendar: WorkingCalendar, rules: RuleBook
) -> None:
    """Art. 16: 7 + 5 working days, under the 20 of the total."""
    due = calendar.add_working_days(CREATED, 7).at

    moved = periods.extended(
        calendar=calendar,
        edition=edition(rules),
        starts_at=CREATED,
        due_at=due,
        working_days=5,
    )

    assert not moved.capped
    assert moved.due.at == calendar.add_working_days(CREATED, 12).at


async def test_sla_extensions_never_take_handling_past_20_working_days(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_deadlines: Read,
    calendar: WorkingCalendar,
) -> None:
    """Art. 16: a complaint (7) extended by 5, then by 10 with the leader's
    approval, ends after 20 working days in total, not 22."""
    await deliver(make_dispatched(created_at=CREATED))

    await deliver(extension(5, "first"), event_id="ext-1")
    await deliver(extension(10, "second"), event_id="ext-2")

    handling = (await read_deadlines())["handling"]
    # 20 working days from Monday 7 December: 7-11, 14-18, 21-25, 28-31 December
    # and Monday 4 January 2027 (1 January is a holiday).
    assert handling.due_at == calendar.add_working_days(CREATED, 20).at
    assert handling.due_at == datetime(2027, 1, 4, 18, 0, tzinfo=SHANGHAI)
    assert handling.provisional is True


def test_sla_the_reply_template_is_due_three_working_days_after_the_third_closure(
    calendar: WorkingCalendar, rules: RuleBook
) -> None:
    """Art. 43: counted like every period that starts on a day (rules.md §11)."""
    closed_at = datetime(2026, 9, 30, 16, 0, tzinfo=SHANGHAI)

    plan = periods.reply_template(
        calendar=calendar, edition=edition(rules), closed_at=closed_at
    )

    # 1-7 October are off; 8, 9 and Saturday 10 October are the three days.
    assert plan.due.at == datetime(2026, 10, 10, 18, 0, tzinfo=SHANGHAI)
    assert (plan.kind, plan.article, plan.period) == (
        "reply_template",
        "Art. 43",
        "3 working days",
    )
    assert plan.urgings == ()


@pytest.mark.parametrize(
    ("works_start", "latest"),
    [
        # Across National Day 2026 and its make-up Saturday 10 October.
        (date(2026, 10, 20), date(2026, 9, 21)),
        # Works start on a Monday: the latest day is a Sunday.
        (date(2026, 12, 21), date(2026, 11, 29)),
        # Across Spring Festival 2026 (15-23 February off, Saturdays 14 and 28
        # February worked): 2-9 March, 28 and 24-27 February, 11-14 February.
        (date(2026, 3, 10), date(2026, 2, 10)),
    ],
)
def test_sla_project_registration_counts_back_what_dispatch_counts_forward(
    calendar: WorkingCalendar, rules: RuleBook, works_start: date, latest: date
) -> None:
    """Art. 43: registered on the latest day, the 15 working days counted from the
    next day (rules.md §11) end before works start; a day later they do not."""
    registration = periods.project_registration(
        calendar=calendar, edition=edition(rules), works_start=works_start
    )

    assert registration.latest_date == latest
    assert registration.due.at == datetime.combine(
        latest + timedelta(days=1), time(0, 0), tzinfo=SHANGHAI
    )
    for registered, in_time in ((latest, True), (latest + timedelta(days=1), False)):
        at = datetime.combine(registered, time(17, 0), tzinfo=SHANGHAI)
        end = calendar.add_working_days(at, 15).at.astimezone(SHANGHAI).date()
        assert (end < works_start) is in_time, registered


def test_sla_project_registration_into_a_provisional_year_is_marked(
    calendar: WorkingCalendar, rules: RuleBook
) -> None:
    """rules.md §11: counted on 2027, not official yet."""
    registration = periods.project_registration(
        calendar=calendar, edition=edition(rules), works_start=date(2027, 1, 20)
    )

    assert registration.due.provisional
    assert registration.due.provisional_years == (2027,)


def test_sla_limits_follow_the_edition_in_force_when_the_order_was_created(
    calendar: WorkingCalendar, rules: RuleBook
) -> None:
    """Rule parameters with an effective date: a revision from 2027 changes the
    template and registration periods only for what starts under it."""
    current = edition(rules)
    revision = current.model_copy(
        update={
            "id": "measures-v5",
            "effective_from": date(2027, 1, 1),
            "reply_template_working_days": 5,
            "project_registration_working_days": 10,
        }
    )
    book = RuleBook(editions=[current, revision])
    closed_at = datetime(2026, 12, 4, 10, 0, tzinfo=SHANGHAI)
    later = datetime(2027, 3, 1, 10, 0, tzinfo=SHANGHAI)

    old = periods.reply_template(
        calendar=calendar,
        edition=periods.edition_for(book, closed_at),
        closed_at=closed_at,
    )
    new = periods.reply_template(
        calendar=calendar, edition=periods.edition_for(book, later), closed_at=later
    )

    assert (old.rules_edition, old.period) == ("measures-v4", "3 working days")
    assert (new.rules_edition, new.period) == ("measures-v5", "5 working days")
    registration = periods.project_registration(
        calendar=calendar, edition=revision, works_start=date(2027, 3, 15)
    )
    assert registration.period == "10 working days"
