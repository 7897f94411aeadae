"""Rule parameters (time limits) with the date each edition took effect.

The regulation is revised from time to time, so its limits are data: an order is
judged by the edition in force when it was created, not by whatever is in force now.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from minsheng_common.timeutil import SHANGHAI, as_utc

AppealType = Literal["consultation", "complaint", "suggestion"]


class RuleEdition(BaseModel):
    """One edition of the time limits."""

    id: str
    title: str = ""
    effective_from: date
    dispatch_hours: float = Field(gt=0, description="Art. 12, natural hours")
    sign_off_working_hours: float = Field(gt=0, description="Art. 13")
    handling_working_days: dict[AppealType, int] = Field(description="Art. 15")
    acceptance_notice_working_days: int = Field(gt=0, description="Art. 28")
    handling_notice_working_days: int = Field(gt=0, description="Art. 29")
    extension_max_working_days: int = Field(gt=0, description="Art. 16")
    total_max_working_days: int = Field(gt=0, description="Art. 16")
    reply_template_working_days: int = Field(
        gt=0, description="Art. 43, after the third closure of the same kind"
    )
    project_registration_working_days: int = Field(
        gt=0, description="Art. 43, before a project's works start"
    )
    urging_fractions: list[str] = Field(
        max_length=2,
        description="Art. 39, e.g. 1/2 and 2/3: the shares of a clock's working time "
        "after which the unit is urged, in rising order; the first is urged at level "
        "1, the second at level 2, the overdue at level 3",
    )

    @field_validator("urging_fractions")
    @classmethod
    def _fractions_rising_between_0_and_1(cls, values: list[str]) -> list[str]:
        previous = Fraction(0)
        for value in values:
            # Fraction("1/0") raises ZeroDivisionError, which pydantic would not
            # turn into a validation error.
            try:
                fraction = Fraction(value)
            except ZeroDivisionError:
                raise ValueError(f"urging fraction {value} divides by zero") from None
            if not 0 < fraction < 1:
                raise ValueError(f"urging fraction {value} is not between 0 and 1")
            if fraction <= previous:
                raise ValueError(f"urging fraction {value} does not rise")
            previous = fraction
        return values

    @property
    def urging_points(self) -> list[Fraction]:
        """The urging fractions (Art. 39) as numbers, in rising order."""
        return [Fraction(value) for value in self.urging_fractions]

    @property
    def sign_off(self) -> timedelta:
        return timedelta(hours=self.sign_off_working_hours)

    @property
    def dispatch_within(self) -> timedelta:
        return timedelta(hours=self.dispatch_hours)

    def handling_days(self, appeal_type: AppealType) -> int:
        return self.handling_working_days[appeal_type]


class RuleBook(BaseModel):
    """Every edition, oldest first."""

    editions: list[RuleEdition]

    @field_validator("editions")
    @classmethod
    def _sorted_and_unique(cls, editions: list[RuleEdition]) -> list[RuleEdition]:
        if not editions:
            raise ValueError("the rule book needs at least one edition")
        ordered = sorted(editions, key=lambda edition: edition.effective_from)
        dates = [edition.effective_from for edition in ordered]
        if len(set(dates)) != len(dates):
            raise ValueError("two editions take effect on the same day")
        return ordered

    def in_force(self, at: datetime) -> RuleEdition:
        """The edition in force at `at` (local date in Asia/Shanghai)."""
        day = as_utc(at).astimezone(SHANGHAI).date()
        current = [e for e in self.editions if e.effective_from <= day]
        if not current:
            first = self.editions[0].effective_from
            raise ValueError(f"no rule edition in force on {day} (first is {first})")
        return current[-1]

    def by_id(self, edition_id: str) -> RuleEdition:
        for edition in self.editions:
            if edition.id == edition_id:
                return edition
        raise KeyError(edition_id)


def load_rule_book(path: Path | None = None) -> RuleBook:
    """Read the rule book from `path`, or the packaged default."""
    if path is None:
        text = (
            resources.files("minsheng_common.data")
            .joinpath("rules.json")
            .read_text(encoding="utf-8")
        )
    else:
        text = path.read_text(encoding="utf-8")
    return RuleBook.model_validate(json.loads(text))
