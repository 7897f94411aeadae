"""The arithmetic of a score, apart from the store: deductions from a unit's counts,
bonuses from its volume rank and the awards the center recorded, the total and the
ranking (Art. 33, 34).

Points are decimals rounded half up to hundredths item by item, so the items a unit
reads always add up to its total:

    total = max(0, base − Σ deductions + min(bonus cap, Σ bonuses))
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from minsheng_analytics import indicators
from minsheng_analytics.assessment.models import COMMENDATION, FALLBACK, AssessmentAward
from minsheng_analytics.assessment.plan import (
    CountDeduction,
    Deduction,
    PlanEdition,
    RateDeduction,
)

CENT = Decimal("0.01")
ZERO = Decimal(0)

TOP_VOLUME = "top_volume"


def rounded(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class DeductionScore:
    """What one deduction cost a unit, and the counts it was computed from."""

    rule: Deduction
    points: Decimal
    numerator: int | None = None
    denominator: int | None = None
    count: int | None = None

    @property
    def rate(self) -> Decimal | None:
        if self.numerator is None or not self.denominator:
            return None
        return Decimal(self.numerator) / Decimal(self.denominator)


@dataclass(frozen=True)
class BonusScore:
    """One kind of bonus (Art. 34): its points after its own cap, and what earned
    them."""

    key: str
    article: str
    points: Decimal
    awards: tuple[AssessmentAward, ...] = ()
    volume_rank: int | None = None


@dataclass(frozen=True)
class UnitScore:
    """A unit's score for a period, ranked among the units assessed."""

    unit_id: str
    base: Decimal
    bonus_cap: Decimal
    volume: int
    volume_rank: int | None
    deductions: tuple[DeductionScore, ...]
    bonuses: tuple[BonusScore, ...]
    rank: int = 0
    units: int = 0

    @property
    def deducted(self) -> Decimal:
        return sum((item.points for item in self.deductions), ZERO)

    @property
    def bonus_before_cap(self) -> Decimal:
        return sum((item.points for item in self.bonuses), ZERO)

    @property
    def bonus(self) -> Decimal:
        return min(self.bonus_cap, self.bonus_before_cap)

    @property
    def total(self) -> Decimal:
        return max(ZERO, self.base - self.deducted + self.bonus)


def deduct(rule: Deduction, tally: Mapping[str, int]) -> DeductionScore:
    """The points `rule` costs a unit with these counts."""
    indicator = indicators.BY_KEY[rule.indicator]
    if isinstance(rule, CountDeduction):
        count = tally.get(indicator.key, 0)
        points = min(rule.cap, rule.points_per_order * count)
        return DeductionScore(rule=rule, points=rounded(points), count=count)
    numerator = tally.get(indicator.numerator_key, 0)
    denominator = tally.get(indicator.denominator_key, 0)
    return DeductionScore(
        rule=rule,
        points=rounded(_rate_points(rule, numerator, denominator)),
        numerator=numerator,
        denominator=denominator,
    )


def _rate_points(rule: RateDeduction, numerator: int, denominator: int) -> Decimal:
    if not denominator:
        return ZERO
    rate = Decimal(numerator) / Decimal(denominator)
    goal = rule.goal
    if rule.better == "higher":
        shortfall = max(ZERO, goal - rate) / goal
    else:
        shortfall = max(ZERO, rate - goal) / (1 - goal)
    return rule.weight * min(Decimal(1), shortfall)


def volume_ranks(volumes: Mapping[str, int]) -> dict[str, int]:
    """The rank by volume of every unit that handled anything: one more than the
    number of units that handled more, so tied units share a rank."""
    handled = [volume for volume in volumes.values() if volume > 0]
    return {
        unit_id: 1 + sum(1 for other in handled if other > volume)
        for unit_id, volume in volumes.items()
        if volume > 0
    }


def score_units(
    *,
    edition: PlanEdition,
    unit_ids: Iterable[str],
    tallies: Mapping[str, Mapping[str, int]],
    volumes: Mapping[str, int],
    awards: Mapping[str, Sequence[AssessmentAward]],
) -> list[UnitScore]:
    """Every unit's score, best first (ties by unit id), each with its rank among
    `unit_ids`; `volumes` are the events each unit handled (Art. 34)."""
    chosen = sorted(set(unit_ids))
    ranks = volume_ranks({unit_id: volumes.get(unit_id, 0) for unit_id in chosen})
    scores = [
        UnitScore(
            unit_id=unit_id,
            base=edition.base_score,
            bonus_cap=edition.bonuses.cap,
            volume=volumes.get(unit_id, 0),
            volume_rank=ranks.get(unit_id),
            deductions=tuple(
                deduct(rule, tallies.get(unit_id, {})) for rule in edition.deductions
            ),
            bonuses=_bonuses(edition, ranks.get(unit_id), awards.get(unit_id, ())),
        )
        for unit_id in chosen
    ]
    return rank(scores)


def rank(scores: Sequence[UnitScore]) -> list[UnitScore]:
    """The scores best first, ties by unit id, each with its rank: one more than
    the number of units with a higher total."""
    ordered = sorted(scores, key=lambda score: (-score.total, score.unit_id))
    totals = [score.total for score in ordered]
    return [
        _with_rank(
            score, 1 + sum(1 for other in totals if other > score.total), len(ordered)
        )
        for score in ordered
    ]


def _with_rank(score: UnitScore, position: int, units: int) -> UnitScore:
    return UnitScore(
        unit_id=score.unit_id,
        base=score.base,
        bonus_cap=score.bonus_cap,
        volume=score.volume,
        volume_rank=score.volume_rank,
        deductions=score.deductions,
        bonuses=score.bonuses,
        rank=position,
        units=units,
    )


def _bonuses(
    edition: PlanEdition,
    volume_rank: int | None,
    awards: Sequence[AssessmentAward],
) -> tuple[BonusScore, ...]:
    plan = edition.bonuses
    fallbacks = tuple(
        award
        for award in awards
        if award.kind == FALLBACK and award.level in plan.fallback.kinds
    )
    commendations = tuple(
        award
        for award in awards
        if award.kind == COMMENDATION and award.level in plan.commendation.levels
    )
    top = volume_rank is not None and volume_rank <= plan.top_volume.ranks
    return (
        BonusScore(
            key=FALLBACK,
            article=plan.fallback.article,
            points=rounded(
                min(plan.fallback.cap, plan.fallback.points_per_event * len(fallbacks))
            ),
            awards=fallbacks,
        ),
        BonusScore(
            key=TOP_VOLUME,
            article=plan.top_volume.article,
            points=rounded(plan.top_volume.points if top else ZERO),
            volume_rank=volume_rank,
        ),
        BonusScore(
            key=COMMENDATION,
            article=plan.commendation.article,
            points=rounded(
                min(
                    plan.commendation.cap,
                    sum(
                        (plan.commendation.levels[a.level] for a in commendations),
                        ZERO,
                    ),
                )
            ),
            awards=commendations,
        ),
    )
