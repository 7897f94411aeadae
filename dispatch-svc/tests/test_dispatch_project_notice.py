"""Art. 43: how long before its works a project is registered is a rule parameter,
taken from the edition in force when the project is registered."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from minsheng_common.clock import SystemClock
from minsheng_common.rules import RuleBook, load_rule_book
from minsheng_dispatch.admin import context as admin_context
from minsheng_dispatch.admin.errors import RegisteredTooLate
from minsheng_dispatch.admin.projects import _check_notice

# Monday 2 November 2026, 10:00 in Shanghai.
REGISTERED = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


def book_with_a_shorter_period_from(day: date) -> RuleBook:
    book = load_rule_book()
    last = book.editions[-1]
    shorter = last.model_copy(
        update={
            "id": "test-shorter-registration",
            "effective_from": day,
            "project_registration_working_days": 5,
        }
    )
    return RuleBook(editions=[*book.editions, shorter])


def context_of(book: RuleBook) -> admin_context.AdminContext:
    return admin_context.build(
        clock=SystemClock(), rule_book=book, fallback_unit_id="center"
    )


def test_the_period_comes_from_the_edition_in_force_at_registration() -> None:
    before = context_of(book_with_a_shorter_period_from(date(2026, 12, 1)))
    after = context_of(book_with_a_shorter_period_from(date(2026, 10, 1)))

    assert before.registration_working_days(REGISTERED) == 15
    assert after.registration_working_days(REGISTERED) == 5


def test_a_start_the_shorter_edition_allows_is_refused_under_the_longer() -> None:
    # Five working days after Monday 2 November end on Monday 9 November.
    starts_on = date(2026, 11, 10)
    shorter = context_of(book_with_a_shorter_period_from(date(2026, 10, 1)))
    longer = context_of(book_with_a_shorter_period_from(date(2026, 12, 1)))

    _check_notice(shorter, registered_at=REGISTERED, starts_on=starts_on)
    with pytest.raises(RegisteredTooLate):
        _check_notice(longer, registered_at=REGISTERED, starts_on=starts_on)
