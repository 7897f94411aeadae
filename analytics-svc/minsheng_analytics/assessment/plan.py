"""The assessment plan (考核方案): base score, deduction weights and bonus points, one
edition per date it took effect.

Art. 34 leaves the items and bonuses to each year's district assessment plan, so they
are data: the packaged `data/assessment.json` holds the defaults and
`ANALYTICS_ASSESSMENT_FILE` points at a district's own file of the same shape. A period
is scored by the edition in force on its first day, whatever changed since.

Every deduction names an indicator of `indicators` (its numerator, denominator and
exclusions are written there once) over a unit's work orders or their return visits,
and is one of two kinds:

- `rate`: `weight` points are at stake. With `better` = higher, a rate at or above
  `target` loses nothing and a rate below loses `weight × (target − rate) / target`;
  with `better` = lower (e.g. the return rate), a rate at or below `target` loses
  nothing and one above loses `weight × (rate − target) / (1 − target)`. A unit with
  nothing in the denominator loses nothing.
- `count`: every order the indicator counts loses `points_per_order`, at most `cap`.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)
from sqlalchemy import ColumnElement, and_

from minsheng_analytics import indicators

UNIT_SUBJECTS = ("work_order", "return_visit")
"""What a unit's deductions may count: its work orders, and the return visits of its
work orders (satisfaction)."""

Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
# Read exactly, shown as plain JSON numbers.
Number = PlainSerializer(float, return_type=float, when_used="json")
Points = Annotated[Decimal, Field(ge=0, le=1000, decimal_places=2), Number]


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: Key = Field(description="what an appeal names to contest this deduction")
    label: str = Field(min_length=1, max_length=50, description="the Chinese name")
    indicator: str = Field(description="the key of an indicator in `indicators`")
    article: str = Field(min_length=1, max_length=30)


class RateDeduction(_Rule):
    """Points lost as a rate falls short of its target (see the module text)."""

    kind: Literal["rate"] = "rate"
    weight: Points
    better: Literal["higher", "lower"] = "higher"
    target: Annotated[Decimal, Number] | None = Field(
        default=None,
        ge=0,
        le=1,
        description="the rate that loses nothing: 1 for `higher`, 0 for `lower` "
        "unless given",
    )

    @property
    def goal(self) -> Decimal:
        if self.target is not None:
            return self.target
        return Decimal(1) if self.better == "higher" else Decimal(0)

    @model_validator(mode="after")
    def _target_leaves_room(self) -> RateDeduction:
        if self.better == "higher" and self.goal == 0:
            raise ValueError(f"deduction {self.key}: a target of 0 can never be missed")
        if self.better == "lower" and self.goal == 1:
            raise ValueError(f"deduction {self.key}: a target of 1 can never be missed")
        return self


class CountDeduction(_Rule):
    """Points lost for every order the indicator counts, up to a cap."""

    kind: Literal["count"]
    points_per_order: Annotated[Decimal, Field(gt=0, le=1000, decimal_places=2), Number]
    cap: Points


Deduction = Annotated[RateDeduction | CountDeduction, Field(discriminator="kind")]


class FallbackBonus(BaseModel):
    """Taking on hard events as fallback (兜底, Art. 21, 34), as the center records
    them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    article: str = "Art. 21, 34"
    points_per_event: Points
    cap: Points
    kinds: list[Key] = Field(
        default=["first_asked", "first_handler", "territorial", "third_party"],
        min_length=1,
        description="the kinds of fallback of Art. 21 (首问, 首办, 属地, 第三方)",
    )


class TopVolumeBonus(BaseModel):
    """Being among the units handling the most events (Art. 34). Units tied at the
    last place all get it; a unit that handled nothing never does."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    article: str = "Art. 34"
    ranks: int = Field(default=10, ge=0, le=100)
    points: Points
    indicator: str = Field(
        default=indicators.TOTAL_CLOSURE.key,
        description="whose count measures the volume handled",
    )
    measure: Literal["count", "numerator", "denominator"] = Field(
        default="denominator",
        description="which number of the indicator: the count of a count indicator, "
        "the numerator or denominator of a rate",
    )

    def condition(self) -> ColumnElement[bool]:
        """Which work orders count towards the volume."""
        indicator = indicators.BY_KEY[self.indicator]
        if self.measure == "denominator" and indicator.base is not None:
            return indicator.base
        if self.measure == "numerator" and indicator.base is not None:
            return and_(indicator.base, indicator.condition)
        return indicator.condition


class CommendationBonus(BaseModel):
    """Commendations (表扬, Art. 34) the center records, by level."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    article: str = "Art. 34"
    levels: dict[Key, Points] = Field(min_length=1)
    cap: Points


class Bonuses(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    cap: Points = Field(description="the most bonus points a unit gets in a period")
    fallback: FallbackBonus
    top_volume: TopVolumeBonus
    commendation: CommendationBonus


class PlanEdition(BaseModel):
    """One edition of the assessment plan."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=50)
    title: str = ""
    effective_from: date
    base_score: Points = Decimal(100)
    assessed_unit_kinds: list[str] = Field(
        default=["district_unit", "subdistrict"],
        min_length=1,
        description="the kinds of unit in the reference data that are assessed",
    )
    appeal_days: int = Field(
        default=10,
        ge=0,
        le=366,
        description="natural days after a period ends during which its deductions "
        "may be appealed (Art. 35: the appeal period the center sets)",
    )
    deductions: list[Deduction] = Field(min_length=1)
    bonuses: Bonuses

    @field_validator("deductions")
    @classmethod
    def _deductions_name_known_indicators(
        cls, deductions: list[Deduction]
    ) -> list[Deduction]:
        keys: set[str] = set()
        used: set[str] = set()
        for deduction in deductions:
            _check_indicator(deduction)
            if deduction.key in keys:
                raise ValueError(f"two deductions are keyed {deduction.key}")
            if deduction.indicator in used:
                raise ValueError(f"two deductions count {deduction.indicator}")
            keys.add(deduction.key)
            used.add(deduction.indicator)
        return deductions

    @field_validator("bonuses")
    @classmethod
    def _volume_is_a_known_count(cls, bonuses: Bonuses) -> Bonuses:
        volume = bonuses.top_volume
        indicator = indicators.BY_KEY.get(volume.indicator)
        if indicator is None or indicator.subject != "work_order":
            raise ValueError(f"volume: {volume.indicator} is no work-order indicator")
        if indicator.is_rate == (volume.measure == "count"):
            raise ValueError(
                f"volume: {volume.indicator} has no {volume.measure}; a rate has a "
                "numerator and denominator, a count a count"
            )
        return bonuses

    def deduction(self, key: str) -> Deduction | None:
        for deduction in self.deductions:
            if deduction.key == key:
                return deduction
        return None


def _check_indicator(deduction: Deduction) -> None:
    indicator = indicators.BY_KEY.get(deduction.indicator)
    if indicator is None:
        raise ValueError(
            f"deduction {deduction.key}: no indicator {deduction.indicator}"
        )
    # Units are assessed on their work orders and the return visits of those: an
    # appeal-level indicator (such as the instant-answer rate) belongs to no unit.
    if indicator.subject not in UNIT_SUBJECTS:
        raise ValueError(
            f"deduction {deduction.key}: {deduction.indicator} counts "
            f"{indicator.subject}s, not a unit's work orders or return visits"
        )
    if indicator.is_rate != (deduction.kind == "rate"):
        wanted = "rate" if indicator.is_rate else "count"
        raise ValueError(
            f"deduction {deduction.key}: {deduction.indicator} is a {wanted} "
            f"indicator, so the deduction is of kind {wanted}"
        )


class AssessmentPlan(BaseModel):
    """Every edition of the plan, oldest first."""

    model_config = ConfigDict(frozen=True)

    about: str = ""
    editions: list[PlanEdition]

    @field_validator("editions")
    @classmethod
    def _sorted_and_unique(cls, editions: list[PlanEdition]) -> list[PlanEdition]:
        if not editions:
            raise ValueError("the assessment plan needs at least one edition")
        ordered = sorted(editions, key=lambda edition: edition.effective_from)
        dates = [edition.effective_from for edition in ordered]
        if len(set(dates)) != len(dates):
            raise ValueError("two editions take effect on the same day")
        if len({edition.id for edition in ordered}) != len(ordered):
            raise ValueError("two editions share an id")
        return ordered

    def in_force(self, day: date) -> PlanEdition | None:
        """The edition in force on `day`, or None before the first."""
        current = [e for e in self.editions if e.effective_from <= day]
        return current[-1] if current else None


def load_plan(path: Path | None = None) -> AssessmentPlan:
    """Read the plan from `path`, or the packaged default."""
    if path is None:
        text = (
            resources.files("minsheng_analytics")
            .joinpath("data", "assessment.json")
            .read_text(encoding="utf-8")
        )
    else:
        text = path.read_text(encoding="utf-8")
    return AssessmentPlan.model_validate(json.loads(text))
