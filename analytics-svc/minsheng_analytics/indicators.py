"""Every indicator analytics reports, defined once: what it counts, over what, what it
leaves out, and the SQL condition that does exactly that (Art. 33).

The API schema, `GET /v1/kpis/definitions` and the dashboard all read their wording
from here, and `repository.kpi_rows` counts with the conditions below, so the text and
the arithmetic cannot drift apart.

A count indicator counts the rows of its subject where `condition` holds. A rate
indicator has a `base` (the denominator: rows where `base` holds) and counts in its
numerator the rows where both `base` and `condition` hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, case, func, true
from sqlalchemy.sql.elements import Label

from minsheng_analytics.models import AppealFact, WorkOrderFact
from minsheng_common.rules import RuleEdition

Subject = Literal["appeal", "work_order"]

WINDOW = (
    "With `from`/`to`, only appeals received in [from, to) count, and only work "
    "orders of those appeals; a work order whose appeal.* events analytics has not "
    "seen yet has no known received time and is left out of a windowed answer (it "
    "counts when no window is given)."
)


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    subject: Subject
    numerator: str
    condition: ColumnElement[bool]
    article: str | None = None
    denominator: str | None = None
    base: ColumnElement[bool] | None = None
    exclusions: str = "none"
    target: float | None = None

    @property
    def is_rate(self) -> bool:
        return self.base is not None

    @property
    def numerator_key(self) -> str:
        return f"{self.key}__numerator"

    @property
    def denominator_key(self) -> str:
        return f"{self.key}__denominator"

    def label_under(self, edition: RuleEdition) -> str:
        """The Chinese label with the time limits of `edition` filled in."""
        return self.label.format(**_limits(edition))

    def describe(self) -> str:
        """One paragraph for the API docs."""
        parts = [f"{self.label.format(**_PLACEHOLDER_LIMITS)}."]
        if self.article:
            parts.append(f"({self.article})")
        if self.is_rate:
            parts.append(f"Numerator: {self.numerator}")
            parts.append(f"Denominator: {self.denominator}")
        else:
            parts.append(f"Counts: {self.numerator}")
        parts.append(f"Exclusions: {self.exclusions}")
        if self.target is not None:
            parts.append(f"Target: at least {self.target:.0%}.")
        return " ".join(parts)

    def columns(self) -> list[Label[Any]]:
        """The aggregate columns that compute this indicator for one group."""
        if self.base is None:
            return [func.count(case((self.condition, 1))).label(self.key)]
        return [
            func.count(case((and_(self.base, self.condition), 1))).label(
                self.numerator_key
            ),
            func.count(case((self.base, 1))).label(self.denominator_key),
        ]


def _limits(edition: RuleEdition) -> dict[str, str]:
    return {
        "dispatch_hours": f"{edition.dispatch_hours:g}",
        "sign_off_working_hours": f"{edition.sign_off_working_hours:g}",
    }


# The docs are generated once at import, without a rule edition at hand: they name the
# limits by article instead of by value.
_PLACEHOLDER_LIMITS = {
    "dispatch_hours": "N",
    "sign_off_working_hours": "N",
}

RECEIVED = Indicator(
    key="received",
    label="受理总数",
    subject="appeal",
    article="Art. 4–5",
    numerator="appeals received from any channel (any appeal.* event seen), "
    "whatever the filing decision.",
    condition=AppealFact.received_at.is_not(None),
)

FILED = Indicator(
    key="filed",
    label="立案",
    subject="appeal",
    article="Art. 11",
    numerator="appeals filed (appeal.filed).",
    condition=AppealFact.decision == "filed",
)

REJECTED = Indicator(
    key="rejected",
    label="不予立案",
    subject="appeal",
    article="Art. 11",
    numerator="appeals not filed (appeal.rejected), each with its reason code.",
    condition=AppealFact.decision == "rejected",
)

HELD_VERIFICATION = Indicator(
    key="held_verification",
    label="待核实",
    subject="appeal",
    article="Art. 11",
    numerator="appeals waiting for a grid worker's on-site verification before "
    "their filing decision (appeal.held, reason verification; latest hold).",
    condition=and_(
        AppealFact.decision == "held", AppealFact.held_reason == "verification"
    ),
    exclusions="held appeals filed or rejected since (the decision replaces the hold).",
)

HELD_CLASSIFICATION = Indicator(
    key="held_classification",
    label="待分类",
    subject="appeal",
    article="Art. 8",
    numerator="appeals waiting for a center operator to classify them before their "
    "filing decision (appeal.held, reason classification; latest hold).",
    condition=and_(
        AppealFact.decision == "held", AppealFact.held_reason == "classification"
    ),
    exclusions="held appeals filed or rejected since (the decision replaces the hold).",
)


def _level(number: int, label: str, meaning: str) -> Indicator:
    return Indicator(
        key=f"level_{number}",
        label=label,
        subject="appeal",
        article="Art. 9",
        numerator=f"appeals whose level is {number} ({meaning}): the latest "
        "appeal.graded, else the level appeal.filed carried.",
        condition=AppealFact.level == number,
        exclusions="appeals not filed and never graded (no level).",
    )


LEVEL_1 = _level(1, "一级", "may endanger public safety or cause major social impact")
LEVEL_2 = _level(2, "二级", "possible safety hazard, high-frequency or hotspot")
LEVEL_3 = _level(3, "三级", "ordinary")

DISPATCHED = Indicator(
    key="dispatched",
    label="已派单",
    subject="work_order",
    article="Art. 12",
    numerator="work orders dispatched to a unit (work_order.dispatched).",
    condition=WorkOrderFact.dispatched_at.is_not(None),
    exclusions="a work order known only from later events (signed, deadlines) "
    "until its work_order.dispatched arrives.",
)

SIGNED = Indicator(
    key="signed",
    label="已签收",
    subject="work_order",
    article="Art. 13",
    numerator="work orders signed, by the unit or by default (work_order.signed).",
    condition=WorkOrderFact.signed_at.is_not(None),
)

SIGNED_MANUAL = Indicator(
    key="signed_manual",
    label="单位签收",
    subject="work_order",
    article="Art. 13",
    numerator="work orders the unit signed itself (mode manual).",
    condition=WorkOrderFact.sign_mode == "manual",
)

SIGNED_AUTO = Indicator(
    key="signed_auto",
    label="默认签收",
    subject="work_order",
    article="Art. 13",
    numerator="work orders signed by default because the sign-off time passed "
    "unsigned (mode auto).",
    condition=WorkOrderFact.sign_mode == "auto",
)

ACCEPTANCE_NOTICES_REQUESTED = Indicator(
    key="acceptance_notices_requested",
    label="受理告知（已申请）",
    subject="work_order",
    article="Art. 28",
    numerator="work orders whose unit asked for at least one acceptance notice "
    "(work_order.acceptance_notice_requested).",
    condition=WorkOrderFact.acceptance_notice_requested_at.is_not(None),
)

ACCEPTANCE_NOTICES_SENT = Indicator(
    key="acceptance_notices_sent",
    label="受理告知（已发送）",
    subject="work_order",
    article="Art. 28, 36",
    numerator="work orders with at least one acceptance notice sent to the citizen "
    "(notice.sent for one of the order's acceptance requests).",
    condition=WorkOrderFact.acceptance_notice_sent_at.is_not(None),
    exclusions="notices that failed after every retry (notice.failed).",
)

DISPATCH_WITHIN_LIMIT = Indicator(
    key="dispatch_within_limit",
    label="{dispatch_hours}小时内派单率",
    subject="work_order",
    article="Art. 12",
    numerator="dispatched work orders whose dispatch came within the dispatch limit "
    "of the rule edition the order was created under, counted in natural time from "
    "the appeal's filing (dispatched_at - filed_at <= limit).",
    condition=WorkOrderFact.dispatch_within_limit.is_(true()),
    denominator="work orders dispatched (work_order.dispatched seen).",
    base=WorkOrderFact.dispatched_at.is_not(None),
    exclusions="work orders not dispatched yet.",
)

SIGN_OFF_WITHIN_LIMIT = Indicator(
    key="sign_off_within_limit",
    label="{sign_off_working_hours}个工作小时内签收率",
    subject="work_order",
    article="Art. 13",
    numerator="signed work orders that the unit signed itself (mode manual) at or "
    "before the sign-off deadline sla set (working hours of the edition in force "
    "when the order was created). A default sign never counts, nor a manual sign "
    "whose sign-off deadline analytics has not seen yet.",
    condition=and_(
        WorkOrderFact.sign_mode == "manual",
        WorkOrderFact.sign_off_deadline_at.is_not(None),
        WorkOrderFact.signed_at <= WorkOrderFact.sign_off_deadline_at,
    ),
    denominator="work orders signed, by the unit or by default.",
    base=WorkOrderFact.signed_at.is_not(None),
    exclusions="work orders not signed yet.",
)

INSTANT_ANSWER = Indicator(
    key="instant_answer",
    label="秒回率",
    subject="appeal",
    article="Art. 43–44",
    numerator="consultations answered at once from the knowledge base "
    "(appeal.answered seen).",
    condition=AppealFact.answered_at.is_not(None),
    denominator="consultations (appeal type consultation, from any appeal.* event; "
    "appeal.answered implies it), whatever their filing decision.",
    base=AppealFact.appeal_type == "consultation",
    exclusions="complaints and suggestions; consultations answered later by a unit "
    "are in the denominator only.",
    # Art. 43: the one-time answer rate for consultations is at least 90%.
    target=0.9,
)

APPEAL_COUNTS: tuple[Indicator, ...] = (
    RECEIVED,
    FILED,
    REJECTED,
    HELD_VERIFICATION,
    HELD_CLASSIFICATION,
    LEVEL_1,
    LEVEL_2,
    LEVEL_3,
)
WORK_ORDER_COUNTS: tuple[Indicator, ...] = (
    DISPATCHED,
    SIGNED,
    SIGNED_MANUAL,
    SIGNED_AUTO,
    ACCEPTANCE_NOTICES_REQUESTED,
    ACCEPTANCE_NOTICES_SENT,
)
APPEAL_RATES: tuple[Indicator, ...] = (INSTANT_ANSWER,)
WORK_ORDER_RATES: tuple[Indicator, ...] = (DISPATCH_WITHIN_LIMIT, SIGN_OFF_WITHIN_LIMIT)
RATES: tuple[Indicator, ...] = APPEAL_RATES + WORK_ORDER_RATES
ALL: tuple[Indicator, ...] = APPEAL_COUNTS + WORK_ORDER_COUNTS + RATES
BY_KEY: dict[str, Indicator] = {indicator.key: indicator for indicator in ALL}


def of(subject: Subject) -> tuple[Indicator, ...]:
    """The indicators counted over one subject's rows."""
    return tuple(indicator for indicator in ALL if indicator.subject == subject)
