"""Every indicator analytics reports, defined once: what it counts, over what, what it
leaves out, and the SQL condition that does exactly that (Art. 33).

The API schema, `GET /v1/kpis/definitions` and the dashboard all read their wording
from here; `repository` counts with the conditions below and `rollups` keeps their
counters by day, so the text and the arithmetic cannot drift apart.

A count indicator counts the rows of its subject where `condition` holds. A rate
indicator has a `base` (the denominator: rows where `base` holds) and counts in its
numerator the rows where both `base` and `condition` hold. Either way each row adds 0
or 1 to each counter (`Indicator.counters`), which is what lets the rollups add and
subtract one fact at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    exists,
    false,
    func,
    not_,
    or_,
    true,
)
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import Label

from minsheng_analytics.models import (
    AppealFact,
    DisputeFact,
    ReturnVisitFact,
    WorkOrderFact,
)
from minsheng_common.rules import RuleEdition

Subject = Literal["appeal", "work_order", "return_visit"]
SUBJECTS: tuple[Subject, ...] = ("appeal", "work_order", "return_visit")

WINDOW = (
    "With `from`/`to`, only appeals received in [from, to) count, and only work "
    "orders and return visits of those appeals; a work order or return visit whose "
    "appeal.* events analytics has not seen yet has no known received time and is "
    "left out of a windowed answer (it counts when no window is given)."
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

    def counters(self) -> list[tuple[str, ColumnElement[bool]]]:
        """What this indicator counts, as (name, condition on one row) pairs: the
        count itself, or a rate's numerator and denominator."""
        if self.base is None:
            return [(self.key, self.condition)]
        return [
            (self.numerator_key, and_(self.base, self.condition)),
            (self.denominator_key, self.base),
        ]

    def columns(self) -> list[Label[Any]]:
        """The aggregate columns that compute this indicator for one group."""
        return [
            func.count(case((condition, 1))).label(name)
            for name, condition in self.counters()
        ]


def _limits(edition: RuleEdition) -> dict[str, str]:
    return {
        "dispatch_hours": f"{edition.dispatch_hours:g}",
        "sign_off_working_hours": f"{edition.sign_off_working_hours:g}",
        "acceptance_notice_working_days": f"{edition.acceptance_notice_working_days}",
        "handling_notice_working_days": f"{edition.handling_notice_working_days}",
    }


# The docs are generated once at import, without a rule edition at hand: they name the
# limits by article instead of by value.
_PLACEHOLDER_LIMITS = {
    "dispatch_hours": "N",
    "sign_off_working_hours": "N",
    "acceptance_notice_working_days": "N",
    "handling_notice_working_days": "N",
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

HANDLING_NOTICES_REQUESTED = Indicator(
    key="handling_notices_requested",
    label="办理告知（已申请）",
    subject="work_order",
    article="Art. 29",
    numerator="work orders whose unit asked to tell the citizen the result "
    "(work_order.handling_notice_requested).",
    condition=WorkOrderFact.handling_notice_requested_at.is_not(None),
)

HANDLING_NOTICES_SENT = Indicator(
    key="handling_notices_sent",
    label="办理告知（已发送）",
    subject="work_order",
    article="Art. 29, 36",
    numerator="work orders with at least one handling notice sent to the citizen "
    "(notice.sent of kind handling for the order).",
    condition=WorkOrderFact.handling_notice_sent_at.is_not(None),
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

ACCEPTANCE_NOTICE_WITHIN_LIMIT = Indicator(
    key="acceptance_notice_within_limit",
    label="{acceptance_notice_working_days}个工作日内受理告知率",
    subject="work_order",
    article="Art. 28, 33",
    numerator="work orders whose unit asked for the acceptance notice at or before "
    "the deadline sla set when the order was signed (deadline.met, kind "
    "acceptance_notice, not late).",
    condition=and_(
        WorkOrderFact.acceptance_notice_met_at.is_not(None),
        WorkOrderFact.acceptance_notice_met_late.is_(false()),
    ),
    denominator="work orders whose acceptance-notice clock ended: met, on time or "
    "late (deadline.met), or run out unmet (deadline.reached): what was due.",
    base=or_(
        WorkOrderFact.acceptance_notice_met_at.is_not(None),
        WorkOrderFact.acceptance_notice_reached.is_(true()),
    ),
    exclusions="orders whose clock still runs (not told yet, not yet due) and "
    "orders whose clock never started (not signed) or was cancelled before it ran "
    "out (returned, merged).",
)

HANDLING_NOTICE_WITHIN_LIMIT = Indicator(
    key="handling_notice_within_limit",
    label="{handling_notice_working_days}个工作日内办理告知率",
    subject="work_order",
    article="Art. 29, 33",
    numerator="work orders whose handling notice reached the citizen at or before "
    "the deadline sla set from the handling time of the closure request "
    "(deadline.met, kind handling_notice, not late).",
    condition=and_(
        WorkOrderFact.handling_notice_met_at.is_not(None),
        WorkOrderFact.handling_notice_met_late.is_(false()),
    ),
    denominator="work orders whose handling-notice clock ended: met, on time or "
    "late (deadline.met), or run out unmet (deadline.reached): what was due.",
    base=or_(
        WorkOrderFact.handling_notice_met_at.is_not(None),
        WorkOrderFact.handling_notice_reached.is_(true()),
    ),
    exclusions="orders whose clock still runs (not sent yet, not yet due) and "
    "orders whose unit has not asked to close them yet (no clock).",
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

# Orders that ended without being handled by their unit: the return was approved
# (the appeal goes on in a new order), they were merged into another order, or
# replaced by split or parallel orders (Art. 19, 20), each counted on its own.
_ENDED_UNHANDLED = or_(
    WorkOrderFact.return_approved.is_(true()),
    WorkOrderFact.merged_into.is_not(None),
    WorkOrderFact.replaced_at.is_not(None),
)
_HANDLED_BY_UNIT = and_(
    WorkOrderFact.dispatched_at.is_not(None), not_(_ENDED_UNHANDLED)
)
# A staged closure whose check date came (deadline.reached, staged_check) and that
# was not closed again since counts as overdue (Art. 17).
_STAGED_CHECK_FAILED = and_(
    WorkOrderFact.staged_check_reached.is_(true()),
    WorkOrderFact.staged_check_met_at.is_(None),
)

# dispatch ends an order an ownership dispute took from its unit (Art. 24) with an
# approved return at the decision's instant, and returns a parallel group's
# candidate by default once another unit confirmed (Art. 20): neither was asked for
# by the unit, so neither is its return (Art. 33), though both end the order.
_ENDED_BY_DISPUTE = exists().where(
    DisputeFact.work_order_id == WorkOrderFact.work_order_id,
    DisputeFact.decided_at == WorkOrderFact.return_decided_at,
)
_RETURNED_BY_UNIT = and_(
    WorkOrderFact.return_approved.is_(true()),
    WorkOrderFact.return_requested_at.is_not(None),
    not_(_ENDED_BY_DISPUTE),
)

RETURN_REQUESTED = Indicator(
    key="return_requested",
    label="申请退件",
    subject="work_order",
    article="Art. 13",
    numerator="work orders whose unit asked to give them back "
    "(work_order.return_requested), whatever the decision.",
    condition=WorkOrderFact.return_requested_at.is_not(None),
)

RETURNED = Indicator(
    key="returned",
    label="退件",
    subject="work_order",
    article="Art. 13, 33",
    numerator="work orders whose unit asked to give them back "
    "(work_order.return_requested) and whose return the center approved (the "
    "latest work_order.return_decided approves); the appeal goes on in a new order.",
    condition=_RETURNED_BY_UNIT,
    exclusions="returns refused or not decided yet; orders an ownership dispute "
    "gave to another unit (work_order.dispute_decided, Art. 24) and candidates of a "
    "parallel group returned by default (Art. 20): the unit did not ask, though the "
    "order ended.",
)

EXTENDED = Indicator(
    key="extended",
    label="延期",
    subject="work_order",
    article="Art. 16",
    numerator="work orders with at least one extension approved "
    "(work_order.extension_decided, approved).",
    condition=WorkOrderFact.extensions_approved > 0,
    exclusions="extensions refused or only requested.",
)

CLOSED = Indicator(
    key="closed",
    label="已办结",
    subject="work_order",
    article="Art. 17",
    numerator="work orders the center closed, on time, overdue or staged "
    "(work_order.closed).",
    condition=WorkOrderFact.closed_at.is_not(None),
)

CLOSED_ON_TIME = Indicator(
    key="closed_on_time",
    label="按期办结",
    subject="work_order",
    article="Art. 17",
    numerator="work orders whose latest closure is on time (outcome on_time).",
    condition=WorkOrderFact.closure_outcome == "on_time",
)

CLOSED_OVERDUE = Indicator(
    key="closed_overdue",
    label="超期办结",
    subject="work_order",
    article="Art. 17",
    numerator="work orders whose latest closure is overdue (outcome overdue).",
    condition=WorkOrderFact.closure_outcome == "overdue",
)

CLOSED_STAGED = Indicator(
    key="closed_staged",
    label="阶段性办结",
    subject="work_order",
    article="Art. 17",
    numerator="work orders whose latest closure is staged (outcome staged), waiting "
    "for the check on their check date.",
    condition=WorkOrderFact.closure_outcome == "staged",
    exclusions="staged closures closed again since (the new outcome counts).",
)

CLOSURE_REJECTED = Indicator(
    key="closure_rejected",
    label="办结退回",
    subject="work_order",
    article="Art. 17",
    numerator="work orders whose closure request the center sent back at least once "
    "(work_order.closure_rejected), closed since or not.",
    condition=WorkOrderFact.closure_rejections > 0,
)

MERGED = Indicator(
    key="merged",
    label="并案",
    subject="work_order",
    article="Art. 18",
    numerator="work orders merged into another order (work_order.merged names them "
    "among the merged orders); the surviving order is not counted here.",
    condition=WorkOrderFact.merged_into.is_not(None),
)

REOPENED = Indicator(
    key="reopened",
    label="重办",
    subject="work_order",
    article="Art. 17, 30",
    numerator="work orders of a reopened round (work_order.dispatched with round 2 "
    "or more): each round is a work order of its own.",
    condition=WorkOrderFact.round > 1,
    exclusions="the first round, whose closure the reopening questioned.",
)

ON_TIME_CLOSURE = Indicator(
    key="on_time_closure",
    label="按期办结率",
    subject="work_order",
    article="Art. 17, 33",
    numerator="work orders whose latest closure is on time, or staged (阶段性办结) "
    "with its check not failed: a staged closure counts as overdue once its check "
    "date has come (deadline.reached, staged_check) and the order was not closed "
    "again since.",
    condition=or_(
        WorkOrderFact.closure_outcome == "on_time",
        and_(WorkOrderFact.closure_outcome == "staged", not_(_STAGED_CHECK_FAILED)),
    ),
    denominator="work orders closed (any outcome) plus work orders still open whose "
    "handling deadline has run out (deadline.reached, handling): what was due.",
    base=and_(
        _HANDLED_BY_UNIT,
        or_(
            WorkOrderFact.closed_at.is_not(None),
            WorkOrderFact.handling_reached.is_(true()),
        ),
    ),
    exclusions="work orders still open and not yet due (their handling deadline "
    "not reached); orders returned (approved), merged into another or replaced by "
    "split or parallel orders; an open order whose deadline was reached and later "
    "extended still counts as due.",
)

TOTAL_CLOSURE = Indicator(
    key="total_closure",
    label="总办结率",
    subject="work_order",
    article="Art. 17, 33",
    numerator="work orders closed, on time, overdue or staged (work_order.closed).",
    condition=WorkOrderFact.closed_at.is_not(None),
    denominator="work orders dispatched and handled by their unit: all "
    "work_order.dispatched, each reopened round counted as an order of its own.",
    base=_HANDLED_BY_UNIT,
    exclusions="work orders returned (approved), merged into another or replaced "
    "by split or parallel orders (work_order.replaced): they end without a closure "
    "and the appeal goes on in other orders.",
)

RETURN_RATE = Indicator(
    key="return_rate",
    label="退件率",
    subject="work_order",
    article="Art. 13, 33",
    numerator="work orders whose unit asked to give them back and whose return "
    "the center approved.",
    condition=_RETURNED_BY_UNIT,
    denominator="work orders dispatched (work_order.dispatched seen).",
    base=WorkOrderFact.dispatched_at.is_not(None),
    exclusions="returns refused or still undecided, orders an ownership dispute "
    "gave to another unit (Art. 24) and candidates returned by default (Art. 20) "
    "count in the denominator only.",
)


# On the scale of 1 (very unsatisfied) to 5 (very satisfied) of Art. 30, a rating of
# 4 (satisfied) or 5 counts as satisfied with that dimension.
_SATISFIED_RATING = 4

SATISFIED = Indicator(
    key="satisfied",
    label="满意率",
    subject="return_visit",
    article="Art. 30, 31, 33",
    numerator="answered return visits whose citizen was satisfied overall "
    "(return_visit.answered, satisfied; the latest answer of a survey stands).",
    condition=ReturnVisitFact.satisfied.is_(true()),
    denominator="answered return visits (return_visit.answered seen), one per "
    "survey, counted for the unit the survey names.",
    base=ReturnVisitFact.answered_at.is_not(None),
    exclusions="return visits not answered (no answer reaches analytics).",
)


def _satisfaction(
    dimension: str,
    label: str,
    what: str,
    rating: InstrumentedAttribute[int | None],
) -> Indicator:
    return Indicator(
        key=f"satisfaction_{dimension}",
        label=label,
        subject="return_visit",
        article="Art. 30, 33",
        numerator=f"answered return visits rating {what} {_SATISFIED_RATING} or "
        "5 (satisfied or very satisfied on the scale of 1 to 5); the latest answer "
        "of a survey stands.",
        condition=rating >= _SATISFIED_RATING,
        denominator=f"answered return visits that rated {what}.",
        base=and_(ReturnVisitFact.answered_at.is_not(None), rating.is_not(None)),
        exclusions=f"return visits that left {what} unrated.",
    )


SATISFACTION_SPEED = _satisfaction(
    "speed", "办理速度满意率", "the speed of handling", ReturnVisitFact.speed
)
SATISFACTION_EFFECT = _satisfaction(
    "effect", "办理效果满意率", "the effect of handling", ReturnVisitFact.effect
)
SATISFACTION_SERVICE = _satisfaction(
    "service", "服务体验满意率", "the service experience", ReturnVisitFact.service
)
SATISFACTION_SYSTEM = _satisfaction(
    "system", "系统体验满意率", "the system experience", ReturnVisitFact.system
)


def _urged(
    step: str, label: str, when: str, urged_at: InstrumentedAttribute[datetime | None]
) -> Indicator:
    return Indicator(
        key=f"urged_{step}",
        label=label,
        subject="work_order",
        article="Art. 39",
        numerator=f"work orders whose unit was urged {when} (deadline.urged, step "
        f"{step}), each order once however many of its clocks were urged.",
        condition=urged_at.is_not(None),
    )


URGED_HALF = _urged(
    "half",
    "催办（过半）",
    "when half of a clock's working time had passed",
    WorkOrderFact.urged_half_at,
)
URGED_TWO_THIRDS = _urged(
    "two_thirds",
    "催办（过三分之二）",
    "when two thirds of a clock's working time had passed",
    WorkOrderFact.urged_two_thirds_at,
)
URGED_OVERDUE = _urged(
    "overdue", "催办（超期）", "when a clock ran out", WorkOrderFact.urged_overdue_at
)

# Art. 43 makes the templates optional (可): these are shown and enter no rate.
_NOT_ASSESSED = "none; the templates are optional (Art. 43), so no rate counts them."

REPLY_TEMPLATES_ASKED = Indicator(
    key="reply_templates_asked",
    label="答复模板（已征集）",
    subject="work_order",
    article="Art. 43",
    numerator="work orders that were their unit's third closure of the same kind "
    "and started the reply-template clock (deadline.set, kind reply_template).",
    condition=WorkOrderFact.reply_template_deadline_at.is_not(None),
    exclusions=_NOT_ASSESSED,
)

REPLY_TEMPLATES_RECEIVED = Indicator(
    key="reply_templates_received",
    label="答复模板（已报送）",
    subject="work_order",
    article="Art. 43",
    numerator="work orders whose unit sent the reply templates asked for, at any "
    "time (deadline.met, kind reply_template).",
    condition=WorkOrderFact.reply_template_met_at.is_not(None),
    exclusions=_NOT_ASSESSED,
)

REPLY_TEMPLATES_IN_TIME = Indicator(
    key="reply_templates_in_time",
    label="答复模板（按时报送）",
    subject="work_order",
    article="Art. 43",
    numerator="work orders whose unit sent the reply templates within the working "
    "days after the third closure (deadline.met, kind reply_template, not late).",
    condition=and_(
        WorkOrderFact.reply_template_met_at.is_not(None),
        WorkOrderFact.reply_template_met_late.is_(false()),
    ),
    exclusions=_NOT_ASSESSED,
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
    HANDLING_NOTICES_REQUESTED,
    HANDLING_NOTICES_SENT,
    RETURN_REQUESTED,
    RETURNED,
    EXTENDED,
    CLOSED,
    CLOSED_ON_TIME,
    CLOSED_OVERDUE,
    CLOSED_STAGED,
    CLOSURE_REJECTED,
    MERGED,
    REOPENED,
    URGED_HALF,
    URGED_TWO_THIRDS,
    URGED_OVERDUE,
    REPLY_TEMPLATES_ASKED,
    REPLY_TEMPLATES_RECEIVED,
    REPLY_TEMPLATES_IN_TIME,
)
APPEAL_RATES: tuple[Indicator, ...] = (INSTANT_ANSWER,)
WORK_ORDER_RATES: tuple[Indicator, ...] = (
    DISPATCH_WITHIN_LIMIT,
    SIGN_OFF_WITHIN_LIMIT,
    ACCEPTANCE_NOTICE_WITHIN_LIMIT,
    HANDLING_NOTICE_WITHIN_LIMIT,
    ON_TIME_CLOSURE,
    TOTAL_CLOSURE,
    RETURN_RATE,
)
RETURN_VISIT_RATES: tuple[Indicator, ...] = (
    SATISFIED,
    SATISFACTION_SPEED,
    SATISFACTION_EFFECT,
    SATISFACTION_SERVICE,
    SATISFACTION_SYSTEM,
)
UNIT_RATES: tuple[Indicator, ...] = WORK_ORDER_RATES + RETURN_VISIT_RATES
"""The rates a unit is assessed by (Art. 33): its orders' and its return visits'."""
RATES: tuple[Indicator, ...] = APPEAL_RATES + UNIT_RATES
ALL: tuple[Indicator, ...] = APPEAL_COUNTS + WORK_ORDER_COUNTS + RATES
BY_KEY: dict[str, Indicator] = {indicator.key: indicator for indicator in ALL}


def of(subject: Subject) -> tuple[Indicator, ...]:
    """The indicators counted over one subject's rows."""
    return tuple(indicator for indicator in ALL if indicator.subject == subject)
