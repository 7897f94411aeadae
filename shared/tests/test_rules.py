"""Rule editions: the packaged time limits and which edition judges an order."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from minsheng_common.rules import RuleBook, RuleEdition, load_rule_book


def edition(**changes: Any) -> dict[str, Any]:
    """A valid edition as the rules file has it, with `changes` applied."""
    values: dict[str, Any] = {
        "id": "measures-v4",
        "effective_from": "2020-12-01",
        "dispatch_hours": 1,
        "sign_off_working_hours": 2,
        "handling_working_days": {"consultation": 1, "suggestion": 3, "complaint": 7},
        "acceptance_notice_working_days": 1,
        "handling_notice_working_days": 1,
        "extension_max_working_days": 5,
        "total_max_working_days": 20,
        "reply_template_working_days": 3,
        "project_registration_working_days": 15,
        "urging_fractions": ["1/2", "2/3"],
    }
    values.update(changes)
    return values


def two_editions() -> RuleBook:
    # Given newest first on purpose: the book orders them itself.
    return RuleBook.model_validate(
        {
            "editions": [
                edition(
                    id="measures-v5",
                    effective_from="2026-07-01",
                    handling_working_days={
                        "consultation": 2,
                        "suggestion": 5,
                        "complaint": 10,
                    },
                ),
                edition(),
            ]
        }
    )


def test_default_rule_book_has_the_fourth_edition_limits() -> None:
    book = load_rule_book()

    current = book.in_force(datetime(2026, 3, 9, 2, 0, tzinfo=UTC))

    assert [e.id for e in book.editions] == ["measures-v4"]
    assert current.id == "measures-v4"
    assert current.effective_from == date(2020, 12, 1)
    assert current.dispatch_within == timedelta(hours=1)
    assert current.sign_off == timedelta(hours=2)
    assert current.handling_days("consultation") == 1
    assert current.handling_days("suggestion") == 3
    assert current.handling_days("complaint") == 7
    assert current.acceptance_notice_working_days == 1
    assert current.handling_notice_working_days == 1
    assert current.extension_max_working_days == 5
    assert current.total_max_working_days == 20
    assert current.reply_template_working_days == 3
    assert current.project_registration_working_days == 15
    assert current.urging_fractions == ["1/2", "2/3"]
    assert current.urging_points == [Fraction(1, 2), Fraction(2, 3)]


def test_load_rule_book_reads_a_given_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text(
        json.dumps({"editions": [edition(id="local", dispatch_hours=0.5)]}),
        encoding="utf-8",
    )

    book = load_rule_book(path)

    assert book.by_id("local").dispatch_within == timedelta(minutes=30)


def test_editions_are_ordered_oldest_first() -> None:
    book = two_editions()

    assert [e.id for e in book.editions] == ["measures-v4", "measures-v5"]


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        # 23:59 on 06-30 in Shanghai: the old edition still applies.
        (datetime(2026, 6, 30, 15, 59, tzinfo=UTC), "measures-v4"),
        # 00:00 on 07-01 in Shanghai, still 06-30 in UTC: the new edition.
        (datetime(2026, 6, 30, 16, 0, tzinfo=UTC), "measures-v5"),
        (datetime(2027, 1, 1, tzinfo=UTC), "measures-v5"),
        (datetime(2020, 11, 30, 16, 0, tzinfo=UTC), "measures-v4"),
    ],
)
def test_in_force_picks_the_edition_by_the_local_date(
    at: datetime, expected: str
) -> None:
    assert two_editions().in_force(at).id == expected


def test_in_force_judges_by_the_given_creation_time() -> None:
    book = two_editions()

    created = book.in_force(datetime(2026, 6, 1, tzinfo=UTC))

    assert created.handling_days("complaint") == 7
    assert book.by_id("measures-v5").handling_days("complaint") == 10


def test_order_created_before_the_first_edition_is_refused() -> None:
    # 23:59 on 2020-11-30 in Shanghai.
    with pytest.raises(ValueError, match="no rule edition in force on 2020-11-30"):
        two_editions().in_force(datetime(2020, 11, 30, 15, 59, tzinfo=UTC))


def test_by_id_of_an_unknown_edition_raises_key_error() -> None:
    with pytest.raises(KeyError):
        two_editions().by_id("measures-v9")


def test_rule_book_refuses_two_editions_on_the_same_day() -> None:
    with pytest.raises(ValidationError, match="same day"):
        RuleBook.model_validate({"editions": [edition(), edition(id="other")]})


def test_rule_book_refuses_no_edition() -> None:
    with pytest.raises(ValidationError, match="at least one edition"):
        RuleBook.model_validate({"editions": []})


@pytest.mark.parametrize("fractions", [["1/2", "2/3"], ["1/3"], ["0.5", "0.9"], []])
def test_urging_fractions_between_0_and_1_are_accepted(fractions: list[str]) -> None:
    parsed = RuleEdition.model_validate(edition(urging_fractions=fractions))

    assert parsed.urging_fractions == fractions


@pytest.mark.parametrize(
    "fraction", ["0", "1", "3/2", "-1/2", "0/5", "half", "1/0", ""]
)
def test_urging_fractions_outside_0_and_1_are_refused(fraction: str) -> None:
    with pytest.raises(ValidationError, match="urging_fractions"):
        RuleEdition.model_validate(edition(urging_fractions=["1/2", fraction]))


@pytest.mark.parametrize(
    ("fractions", "reason"),
    [
        (["2/3", "1/2"], "does not rise"),
        (["1/2", "0.5"], "does not rise"),
        (["1/4", "1/2", "3/4"], "at most 2"),
    ],
)
def test_urging_fractions_rise_and_name_at_most_two_steps(
    fractions: list[str], reason: str
) -> None:
    """Art. 39: urged at half, then two thirds; the level rises with each step, and
    the catalogue names two steps before the overdue one."""
    with pytest.raises(ValidationError, match=reason):
        RuleEdition.model_validate(edition(urging_fractions=fractions))


@pytest.mark.parametrize(
    "changes",
    [
        {"dispatch_hours": 0},
        {"sign_off_working_hours": -1},
        {"total_max_working_days": 0},
        {"reply_template_working_days": 0},
        {"project_registration_working_days": -15},
        {"handling_working_days": {"petition": 3}},
    ],
)
def test_rule_edition_refuses_impossible_limits(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        RuleEdition.model_validate(edition(**changes))
