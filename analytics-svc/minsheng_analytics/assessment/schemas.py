"""API bodies of the unit assessment. Points are numbers rounded to hundredths.

Free text sent in (reasons, notes, references) loses its control and format
characters (NUL, escapes, zero-width and bidirectional marks) before it is checked or
kept: no one can see them, and some no store can hold."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from minsheng_analytics.assessment.periods import PeriodKind
from minsheng_common.text import strip_invisible

WORK_ORDER_ID = r"^[A-Za-z0-9_.:-]{1,36}$"
UNIT_ID = r"^[A-Za-z0-9_.-]{1,50}$"
KEY = r"^[a-z][a-z0-9_]{0,39}$"


def _visible(value: Any) -> Any:
    return strip_invisible(value) if isinstance(value, str) else value


Visible = BeforeValidator(_visible)
"""Runs before the length and pattern checks, so text of invisible characters only
is as empty as it looks."""

Reason = Annotated[str, Visible, Field(min_length=1, max_length=2000)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class EvidenceRef(_In):
    """A piece of evidence an appeal rests on (Art. 35, 36)."""

    kind: Literal["notice", "evidence_export", "attachment", "document"] = Field(
        description="notice: a notice id of notify (GET /v1/evidence lists them with "
        "every delivery attempt); evidence_export: the file GET /v1/evidence/export "
        "gave for a work order, `ref` being that work order's id; attachment: an "
        "attachment id of the work order in dispatch; document: any other paper, by "
        "its number"
    )
    ref: Annotated[str, Visible] = Field(
        min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$"
    )
    sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="the SHA-256 of the file handed over, so it can be checked later",
    )
    note: Annotated[str, Visible] | None = Field(default=None, max_length=500)


class AppealIn(_In):
    """A unit contests one deduction (申诉, Art. 35): the work orders it says were
    not its doing, why, and the evidence."""

    deduction: str = Field(
        pattern=KEY, description="the key of the deduction, as the score lists it"
    )
    work_order_ids: list[Annotated[str, Field(pattern=WORK_ORDER_ID)]] = Field(
        min_length=1,
        max_length=200,
        description="orders among those the deduction lists for the unit",
    )
    reason: Reason
    evidence: list[EvidenceRef] = Field(min_length=1, max_length=50)


class DecisionIn(_In):
    """The center's decision on an appeal (Art. 35)."""

    outcome: Literal["accepted", "refused"]
    reason: Reason


class CommendationIn(_In):
    """A commendation of a unit (表扬, Art. 34), recorded by the center."""

    unit_id: str = Field(pattern=UNIT_ID)
    level: str = Field(
        pattern=KEY,
        description="one of the commendation levels of the plan in force on "
        "`awarded_on` (GET /v1/assessment/plan)",
    )
    awarded_on: date | None = Field(
        default=None, description="the day it was given; today (Shanghai) if absent"
    )
    reason: Reason
    reference: Annotated[str, Visible] | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="the commendation's document number, if it has one",
    )


class FallbackIn(_In):
    """A hard event a unit took on as fallback (兜底, Art. 21, 34), recorded by the
    center."""

    unit_id: str = Field(pattern=UNIT_ID)
    work_order_id: str = Field(pattern=WORK_ORDER_ID)
    kind: str = Field(
        pattern=KEY,
        description="first_asked (首问负责), first_handler (首办负责), territorial "
        "(属地兜底) or third_party (第三方兜底), as the plan names them",
    )
    awarded_on: date | None = Field(
        default=None, description="the day it counts on; today (Shanghai) if absent"
    )
    reason: Reason


class PeriodOut(BaseModel):
    key: str
    kind: PeriodKind
    first_day: date
    last_day: date = Field(description="the period's last day, included")
    start: AwareDatetime = Field(description="appeals received from this instant")
    end: AwareDatetime = Field(description="up to (not including) this instant")


class EditionOut(BaseModel):
    id: str
    title: str
    effective_from: date


class DeductedOrder(BaseModel):
    """An order behind a deduction, and the appeal that names it, if any."""

    work_order_id: str
    appeal_id: str | None = None
    appeal_status: str | None = None
    appeal_until: AwareDatetime | None = Field(
        default=None,
        description="a month's score: the order may be appealed on this deduction "
        "until this instant, the month's `appeal_until` or, for an order whose "
        "facts changed after that (a deadline reached, a closure, a return visit), "
        "the end of the appeal period's length of days after the day it changed "
        "(Art. 35); null for other periods",
    )


class DeductionOut(BaseModel):
    """What one deduction cost the unit, how, and the orders behind it."""

    key: str = Field(description="what an appeal names")
    label: str
    article: str
    indicator: str = Field(description="the indicator of GET /v1/kpis/definitions")
    kind: Literal["rate", "count"]
    weight: float | None = Field(default=None, description="rate: points at stake")
    better: Literal["higher", "lower"] | None = None
    target: float | None = Field(
        default=None, description="rate: the rate that loses nothing"
    )
    points_per_order: float | None = None
    cap: float | None = None
    numerator: int | None = None
    denominator: int | None = None
    rate: float | None = Field(default=None, description="numerator / denominator")
    count: int | None = None
    points: float = Field(description="points deducted")
    orders: list[DeductedOrder] = Field(
        description="the orders the deduction counts against the unit"
    )
    excluded_orders: list[DeductedOrder] = Field(
        description="orders an accepted appeal took out of the indicator"
    )


class AwardOut(BaseModel):
    """A bonus the center recorded."""

    model_config = ConfigDict(from_attributes=True)

    award_id: str
    kind: Literal["commendation", "fallback"]
    unit_id: str
    level: str = Field(description="the commendation level or the fallback kind")
    awarded_on: date
    work_order_id: str | None
    reference: str | None
    reason: str
    recorded_at: AwareDatetime
    recorded_by: str


class BonusOut(BaseModel):
    """One kind of bonus (Art. 34) and what earned it."""

    key: Literal["fallback", "top_volume", "commendation"]
    article: str
    points: float = Field(description="after this bonus's own cap")
    awards: list[AwardOut] = Field(default_factory=list)
    volume_rank: int | None = Field(
        default=None, description="top_volume: the unit's rank by events handled"
    )


class UnitScoreOut(BaseModel):
    """A unit's score for a period: base, every deduction with its article and its
    orders, every bonus, the total and the rank."""

    unit_id: str
    unit_name: str
    period: PeriodOut
    edition: EditionOut
    as_of: AwareDatetime | None = Field(
        description="occurred_at of the newest event applied to the projection"
    )
    rank: int = Field(description="1 + the number of units with a higher total")
    units: int = Field(description="how many units were ranked")
    base: float
    deducted: float
    bonus: float = Field(description="the bonuses after the overall cap")
    bonus_before_cap: float
    bonus_cap: float
    total: float = Field(description="max(0, base − deducted + bonus)")
    volume: int = Field(description="events handled, as the plan measures them")
    volume_rank: int | None
    deductions: list[DeductionOut]
    bonuses: list[BonusOut]
    appeal_until: AwareDatetime | None = Field(
        default=None,
        description="a month's deductions may be appealed until this instant, the "
        "end of the plan's `appeal_days`-th day after the month (Art. 35); an order "
        "that changed later has its own, later `appeal_until`. Null for a quarter, "
        "half-year, year or span: appeals are filed on the month an order belongs "
        "to, and the longer periods follow the decisions",
    )
    latest_version: int | None = Field(
        default=None, description="the newest version kept of this score, if any"
    )
    latest_version_current: bool | None = Field(
        default=None,
        description="whether the score as computed now is that version",
    )


class ScoreLine(BaseModel):
    """A unit's line in the ranking."""

    rank: int
    unit_id: str
    unit_name: str
    total: float
    base: float
    deducted: float
    bonus: float
    volume: int
    volume_rank: int | None
    top_volume: bool = Field(description="among the units handling the most events")


class AssessmentOut(BaseModel):
    """The scores of a period, best first (ties by unit id)."""

    period: PeriodOut
    edition: EditionOut
    as_of: AwareDatetime | None
    units: int = Field(description="how many units were ranked")
    items: list[ScoreLine]


class VersionOut(BaseModel):
    """One kept version of a score, and what fixed it."""

    version: int
    recorded_at: AwareDatetime
    recorded_by: str
    trigger: Literal[
        "published",
        "appeal_filed",
        "appeal_accepted",
        "appeal_refused",
        "commendation",
        "fallback",
    ]
    trigger_ref: str | None = Field(description="the appeal or award id")
    total: float
    score: UnitScoreOut


class AppealOut(BaseModel):
    """An appeal against a deduction and, once decided, the center's decision."""

    appeal_id: str
    unit_id: str
    period: str
    deduction: str
    indicator: str
    article: str
    work_order_ids: list[str]
    reason: str
    evidence: list[dict[str, Any]]
    status: Literal["pending", "accepted", "refused"]
    filed_at: AwareDatetime
    filed_by: str
    contested_version: int = Field(description="the score version it contests")
    contested_points: float = Field(description="what the deduction cost then")
    decided_at: AwareDatetime | None
    decided_by: str | None
    decision_reason: str | None
    resulting_version: int | None = Field(
        description="the score version after the decision"
    )


class AppealPage(BaseModel):
    items: list[AppealOut]
    total: int


class HistoryOut(BaseModel):
    """Every kept version of a unit's score for a period, oldest first, and every
    appeal of that period with its decision."""

    unit_id: str
    period: PeriodOut
    versions: list[VersionOut]
    appeals: list[AppealOut]


class PublishedLine(BaseModel):
    unit_id: str
    version: int
    new: bool = Field(description="false when the score had not changed")


class PublishedOut(BaseModel):
    """The versions the publication fixed, one per unit."""

    period: PeriodOut
    items: list[PublishedLine]
