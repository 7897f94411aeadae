"""Every event type on the bus, with its schema version.

A consumer reads an event only through this catalogue: the envelope names the type and
`major.minor` version, and a major version not listed here cannot be read (it goes to
the dead-letter topic). Adding an optional field is a minor version; renaming or
removing one is a major version and a new class.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from minsheng_common.events import topics
from minsheng_common.events.envelope import Envelope, EventData, UnreadableEvent
from minsheng_common.rules import AppealType

DeadlineKind = Literal[
    "sign_off",
    "handling",
    "acceptance_notice",
    "handling_notice",
    "staged_check",
    "reply_template",
]
Level = Literal[1, 2, 3]
OrderRole = Literal["sole", "lead", "cooperating", "candidate"]
SignMode = Literal["manual", "auto"]
WarningKind = Literal["hotspot", "high_frequency", "safety_hazard", "sensitive"]
UrgingStep = Literal["half", "two_thirds", "overdue"]
DisputeLevel = Literal["center", "bureau_leadership", "district_meeting"]


class AppealReceived(EventData):
    """An appeal arrived from a channel (before the filing decision)."""

    event_type = "appeal.received"
    topic = topics.APPEALS

    appeal_id: str
    tracking_code: str
    channel: str
    channel_ref: str
    appeal_type: AppealType
    category_hint: str | None = None
    received_at: AwareDatetime


class AppealFiled(EventData):
    """The appeal meets the filing requirements (立案, Art. 11).

    The citizen's contact and name travel only encrypted, readable by notify; title,
    content and address have phone numbers, ID numbers and emails masked. A second
    contact of another kind (1.3), also encrypted, is where notify falls back to
    when the first cannot be reached.
    """

    event_type = "appeal.filed"
    schema_version = "1.3"
    topic = topics.APPEALS

    appeal_id: str
    tracking_code: str
    channel: str
    appeal_type: AppealType
    category_id: str | None = None
    subdistrict_id: str | None = None
    community: str | None = None
    title: str
    content: str
    address: str | None = None
    received_at: AwareDatetime
    filed_at: AwareDatetime
    contact_kind: str
    contact_encrypted: str
    name_encrypted: str | None = None
    consent_to_disclose: bool = False
    attachments: list[str] = Field(default_factory=list)
    level: Level = 3
    cluster_id: str | None = None
    second_contact_kind: str | None = None
    second_contact_encrypted: str | None = None


class AppealRejected(EventData):
    """The appeal is not filed (不予立案, Art. 11), with the reason and its article."""

    event_type = "appeal.rejected"
    schema_version = "1.1"
    topic = topics.APPEALS

    appeal_id: str
    tracking_code: str
    channel: str
    appeal_type: AppealType
    reason_code: str
    article: str
    detail: str
    received_at: AwareDatetime
    rejected_at: AwareDatetime
    contact_kind: str | None = None
    contact_encrypted: str | None = None
    repeat_of: str | None = Field(
        default=None, description="the earlier appeal this one repeats (Art. 11(3)5)"
    )
    advice: str | None = Field(
        default=None, description="where the citizen can turn instead, for the notice"
    )


class AppealHeld(EventData):
    """The appeal waits before its filing decision: for a grid worker's on-site
    verification (Art. 11), or for an operator to classify it."""

    event_type = "appeal.held"
    topic = topics.APPEALS

    appeal_id: str
    tracking_code: str
    channel: str
    reason: Literal["verification", "classification"]
    held_at: AwareDatetime


class AppealGraded(EventData):
    """The appeal's level (Art. 9): 1 may endanger public safety or cause major
    social impact, 2 a possible hazard, high-frequency or hotspot, 3 ordinary."""

    event_type = "appeal.graded"
    topic = topics.APPEALS

    appeal_id: str
    tracking_code: str
    level: Level
    previous_level: Level | None = None
    basis: str
    graded_at: AwareDatetime
    graded_by: str


class AppealAnswered(EventData):
    """A consultation answered at once from the knowledge base (秒回, Art. 44); the
    citizen gets the answer as a notice too."""

    event_type = "appeal.answered"
    topic = topics.APPEALS

    appeal_id: str
    tracking_code: str
    channel: str
    knowledge_entry_id: str
    answer: str
    confidence: float
    answered_at: AwareDatetime
    contact_kind: str | None = None
    contact_encrypted: str | None = None


class WorkOrderDispatched(EventData):
    """A work order was created for a filed appeal and sent to its unit (分拨,
    Art. 12)."""

    event_type = "work_order.dispatched"
    schema_version = "1.1"
    topic = topics.WORK_ORDERS

    work_order_id: str
    appeal_id: str
    tracking_code: str
    unit_id: str
    appeal_type: AppealType
    category_id: str | None = None
    subdistrict_id: str | None = None
    filed_at: AwareDatetime
    created_at: AwareDatetime
    dispatched_at: AwareDatetime
    route_basis: str
    rules_edition: str
    round: int = Field(default=1, ge=1, description="reopened orders count up (重办)")
    role: OrderRole = "sole"
    parallel_group_id: str | None = None
    split_from: str | None = Field(
        default=None, description="the appeal's first order when it was split"
    )
    clock_from: Literal["created", "dispatched"] = Field(
        default="created",
        description="where the handling period starts: creation for ordinary orders "
        "(Art. 15), dispatch for split and parallel ones (Art. 19, 22)",
    )


class WorkOrderReturnRequested(EventData):
    """The unit asks to give the order back (申请退件, Art. 13), before signing."""

    event_type = "work_order.return_requested"
    topic = topics.WORK_ORDERS

    work_order_id: str
    appeal_id: str
    unit_id: str
    reason: str
    requested_at: AwareDatetime
    requested_by: str


class WorkOrderReturnDecided(EventData):
    """The center approved a return (the order ends; `redispatched_to` is the new
    order) or refused it (the unit keeps it)."""

    event_type = "work_order.return_decided"
    topic = topics.WORK_ORDERS

    work_order_id: str
    appeal_id: str
    unit_id: str
    approved: bool
    reason: str
    decided_at: AwareDatetime
    decided_by: str
    redispatched_to: str | None = None


class WorkOrderProgressAdded(EventData):
    """The unit recorded how the handling is going."""

    event_type = "work_order.progress_added"
    topic = topics.WORK_ORDERS

    work_order_id: str
    appeal_id: str
    unit_id: str
    note: str
    added_at: AwareDatetime
    added_by: str


class WorkOrderExtensionRequested(EventData):
    """The unit asks for more time (Art. 16): once, at most 5 working days; more
    only with the district leader's written approval."""

    event_type = "work_order.extension_requested"
    topic = topics.WORK_ORDERS

    work_order_id: str
    appeal_id: str
    unit_id: str
    working_days: int = Field(ge=1)
    reason: str
    leader_approval: str | None = None
    requested_at: AwareDatetime
    requested_by: str


class WorkOrderExtensionDecided(EventData):
    """The center approved or refused an extension; sla moves the handling deadline
    by `working_days` when approved."""

    event_type = "work_order.extension_decided"
    topic = topics.WORK_ORDERS

    work_order_id: str
    appeal_id: str
    unit_id: str
    approved: bool
    working_days: int = Field(ge=0)
    reason: str
    decided_at: AwareDatetime
    decided_by: str


class HandlingNoticeRequested(EventData):
    """The unit tells the citizen the result (办理告知, Art. 29); the platform sends
    it, and closure waits until it is sent."""

    event_type = "work_order.handling_notice_requested"
    topic = topics.WORK_ORDERS

    request_id: str
    work_order_id: str
    appeal_id: str
    unit_id: str
    tracking_code: str
    message: str
    requested_at: AwareDatetime
    requested_by: str


class WorkOrderClosureRequested(EventData):
    """The unit asks the center to close the order (Art. 17) with its reply."""

    event_type = "work_order.closure_requested"
    topic = topics.WORK_ORDERS

    work_order_id: str
    appeal_id: str
    unit_id: str
    handled_at: AwareDatetime
    staged: bool = False
    check_date: date | None = None
    attachments: list[str] = Field(default_factory=list)
    requested_at: AwareDatetime
    requested_by: str


class WorkOrderClosed(EventData):
    """The center closed the order: on time, overdue, or staged (阶段性办结) with a
    date when the handling is checked again (Art. 17)."""

    event_type = "work_order.closed"
    topic = topics.WORK_ORDERS

    work_order_id: str
    appeal_id: str
    unit_id: str
    outcome: Literal["on_time", "overdue", "staged"]
    handled_at: AwareDatetime
    closed_at: AwareDatetime
    closed_by: str
    check_date: date | None = None
    appeal_closed: bool = Field(
        default=True, description="false while other orders of the appeal are open"
    )


class WorkOrderClosureRejected(EventData):
    """The center sent the closure request back to the unit with the reason."""

    event_type = "work_order.closure_rejected"
    topic = topics.WORK_ORDERS

    work_order_id: str
    appeal_id: str
    unit_id: str
    reason: str
    rejected_at: AwareDatetime
    rejected_by: str


class WorkOrderReopened(EventData):
    """A closed order is handled again (重办) as a new round with its own clock."""

    event_type = "work_order.reopened"
    topic = topics.WORK_ORDERS

    work_order_id: str
    appeal_id: str
    unit_id: str
    round: int = Field(ge=2)
    reason: str
    reopened_at: AwareDatetime
    reopened_by: str


class WorkOrderMerged(EventData):
    """Orders about the same event became one (并案, Art. 18); the merged ones end and
    every citizen is told the surviving order's result."""

    event_type = "work_order.merged"
    topic = topics.WORK_ORDERS

    work_order_id: str
    appeal_id: str
    merged_work_order_ids: list[str]
    merged_appeal_ids: list[str]
    merged_at: AwareDatetime
    merged_by: str


class WorkOrderSigned(EventData):
    """The unit signed for the order (签收), or it was signed by default (默认签收,
    Art. 13) when the sign-off time passed."""

    event_type = "work_order.signed"
    topic = topics.WORK_ORDERS

    work_order_id: str
    appeal_id: str
    unit_id: str
    signed_at: AwareDatetime
    mode: SignMode
    signed_by: str | None = None


class AcceptanceNoticeRequested(EventData):
    """The unit asks the platform to tell the citizen the appeal is accepted
    (受理告知, Art. 28)."""

    event_type = "work_order.acceptance_notice_requested"
    topic = topics.WORK_ORDERS

    request_id: str
    work_order_id: str
    appeal_id: str
    unit_id: str
    tracking_code: str
    accepted: bool
    message: str
    requested_at: AwareDatetime
    requested_by: str


class DeadlineSet(EventData):
    """A clock was started on a work order."""

    event_type = "deadline.set"
    topic = topics.DEADLINES

    deadline_id: str
    work_order_id: str
    appeal_id: str
    unit_id: str
    kind: DeadlineKind
    starts_at: AwareDatetime
    due_at: AwareDatetime
    provisional: bool
    article: str
    period: str
    rules_edition: str


class DeadlineReached(EventData):
    """A clock ran out before what it measures happened."""

    event_type = "deadline.reached"
    topic = topics.DEADLINES

    deadline_id: str
    work_order_id: str
    appeal_id: str
    unit_id: str
    kind: DeadlineKind
    due_at: AwareDatetime
    reached_at: AwareDatetime


class DeadlineMet(EventData):
    """What a clock measures happened; `late` when after the due time."""

    event_type = "deadline.met"
    topic = topics.DEADLINES

    deadline_id: str
    work_order_id: str
    appeal_id: str
    unit_id: str
    kind: DeadlineKind
    due_at: AwareDatetime
    met_at: AwareDatetime
    late: bool


class NoticeSent(EventData):
    """A message left for its recipient; the evidence of Art. 36."""

    event_type = "notice.sent"
    topic = topics.NOTICES

    notice_id: str
    request_id: str
    appeal_id: str
    work_order_id: str | None = None
    kind: str
    channel: str
    recipient_masked: str
    sent_at: AwareDatetime
    provider_ref: str
    attempts: int


class NoticeFailed(EventData):
    """A message could not be delivered after every retry."""

    event_type = "notice.failed"
    topic = topics.NOTICES

    notice_id: str
    request_id: str
    appeal_id: str
    work_order_id: str | None = None
    kind: str
    channel: str
    failed_at: AwareDatetime
    reason: str
    attempts: int


class WorkOrderDisputeEscalated(EventData):
    """Units dispute who owns an order (Art. 24); the dispute goes up one level:
    the center, then the bureau's leadership, then the district leader's meeting."""

    event_type = "work_order.dispute_escalated"
    topic = topics.WORK_ORDERS

    dispute_id: str
    work_order_id: str
    appeal_id: str
    level: DisputeLevel
    unit_ids: list[str]
    reason: str
    escalated_at: AwareDatetime
    escalated_by: str


class WorkOrderDisputeDecided(EventData):
    """A level of Art. 24 decided a dispute: the unit that owns the order."""

    event_type = "work_order.dispute_decided"
    topic = topics.WORK_ORDERS

    dispute_id: str
    work_order_id: str
    appeal_id: str
    level: DisputeLevel
    owner_unit_id: str
    decision: str
    decided_at: AwareDatetime
    decided_by: str


class WarningRaised(EventData):
    """Analytics found a hotspot, a high-frequency event, a safety hazard or a
    sensitive topic (Art. 9, 23); the appeals that make it up are its evidence.
    Intake raises the appeals of a hotspot or high-frequency cluster to level 2."""

    event_type = "warning.raised"
    topic = topics.ALERTS

    warning_id: str
    kind: WarningKind
    cluster_id: str | None = None
    appeal_ids: list[str]
    subdistrict_id: str | None = None
    count: int = Field(ge=1)
    window_hours: int | None = None
    raised_at: AwareDatetime

    def key(self) -> str:
        # One cluster's warnings stay in order; a warning without a cluster (a
        # sensitive topic in one appeal) is keyed by itself.
        return self.cluster_id or self.warning_id


class ReplyTemplateRequested(EventData):
    """A unit closed the third appeal of the same kind (Art. 43): it may send the
    center a handling-notice and a handling-feedback template within 3 working days
    of that closure. `work_order_id` is the third closed order, where the clock
    starts."""

    event_type = "knowledge.reply_template_requested"
    topic = topics.APPEALS

    request_id: str
    unit_id: str
    category_id: str
    work_order_id: str
    appeal_id: str
    closed_work_order_ids: list[str]
    closed_at: AwareDatetime
    requested_at: AwareDatetime


class DeadlineUrged(EventData):
    """A unit is urged (催办, Art. 39): half or two thirds of a clock's working time
    has passed, or the clock ran out; the urging level rises at each step."""

    event_type = "deadline.urged"
    topic = topics.DEADLINES

    deadline_id: str
    work_order_id: str
    appeal_id: str
    unit_id: str
    kind: DeadlineKind
    step: UrgingStep
    level: int = Field(ge=1, le=3)
    due_at: AwareDatetime
    urged_at: AwareDatetime


class OverdueOrder(BaseModel):
    """One overdue order in a supervision list."""

    work_order_id: str
    appeal_id: str
    kind: DeadlineKind
    due_at: AwareDatetime


class OverdueSupervised(EventData):
    """The weekly overdue supervision (督办, Art. 40) of one unit: its orders past
    their due time, listed every Monday morning."""

    event_type = "supervision.overdue_listed"
    topic = topics.DEADLINES

    supervision_id: str
    unit_id: str
    week_of: date
    orders: list[OverdueOrder]
    listed_at: AwareDatetime

    def key(self) -> str:
        # One unit's lists stay in order.
        return self.unit_id


class CalendarYearMissing(EventData):
    """Next year's official holiday schedule is not loaded yet (from 1 November):
    deadlines reaching into it are provisional until it is."""

    event_type = "calendar.year_missing"
    topic = topics.ALERTS

    year: int
    provisional_deadlines: int = Field(ge=0)
    raised_at: AwareDatetime

    def key(self) -> str:
        return f"calendar-{self.year}"


class ReplyTemplateReceived(EventData):
    """A unit sent the handling-notice and handling-feedback templates the center
    asked for after its third closure of the same kind (Art. 43); the clock that
    started at that closure is met. `closed_at` repeats the request's, so the clock
    can be started here if the request has not been seen."""

    event_type = "knowledge.reply_template_received"
    topic = topics.APPEALS

    request_id: str
    unit_id: str
    category_id: str
    work_order_id: str
    appeal_id: str
    closed_at: AwareDatetime
    received_at: AwareDatetime
    received_by: str


class WorkOrderReplaced(EventData):
    """The center ended an order before it was finished and sent its event on as
    other orders: split into several event numbers for different units (拆分,
    Art. 19), or to several units at once under one event number (并行, Art. 20,
    22). The ended order's clocks stop; each new order brings its own clock, from
    its own dispatch, in its work_order.dispatched."""

    event_type = "work_order.replaced"
    topic = topics.WORK_ORDERS

    work_order_id: str
    appeal_id: str
    unit_id: str
    kind: Literal["split", "parallel"]
    replacement_ids: list[str]
    parallel_group_id: str | None = None
    reason: str
    replaced_at: AwareDatetime
    replaced_by: str


class WorkOrderOpinionSubmitted(EventData):
    """A cooperating unit (协同单位) of a parallel group gave the lead unit (牵头单位)
    its opinion (Art. 20); the lead gathers them and gives the citizen the single
    reply. `on_time` says whether it came within the cooperating order's own
    handling period (Art. 22)."""

    event_type = "work_order.opinion_submitted"
    topic = topics.WORK_ORDERS

    work_order_id: str
    appeal_id: str
    unit_id: str
    parallel_group_id: str
    lead_work_order_id: str | None = None
    submitted_at: AwareDatetime
    submitted_by: str
    due_at: AwareDatetime | None = None
    on_time: bool


class ReturnVisitAnswered(EventData):
    """The citizen answered the return visit (回访, Art. 30): speed, effect, service
    and system experience, each rated 1 (very unsatisfied) to 5 (very satisfied).
    An unsatisfied answer makes the order a reopening candidate for the center
    (Art. 31)."""

    event_type = "return_visit.answered"
    topic = topics.NOTICES

    survey_id: str
    work_order_id: str
    appeal_id: str
    unit_id: str
    channel: str
    speed: int | None = Field(default=None, ge=1, le=5)
    effect: int | None = Field(default=None, ge=1, le=5)
    service: int | None = Field(default=None, ge=1, le=5)
    system: int | None = Field(default=None, ge=1, le=5)
    satisfied: bool
    solved: bool | None = None
    answered_at: AwareDatetime


EVENT_TYPES: tuple[type[EventData], ...] = (
    AppealReceived,
    AppealFiled,
    AppealRejected,
    AppealHeld,
    AppealGraded,
    AppealAnswered,
    WorkOrderDispatched,
    WorkOrderSigned,
    AcceptanceNoticeRequested,
    WorkOrderReturnRequested,
    WorkOrderReturnDecided,
    WorkOrderProgressAdded,
    WorkOrderExtensionRequested,
    WorkOrderExtensionDecided,
    HandlingNoticeRequested,
    WorkOrderClosureRequested,
    WorkOrderClosed,
    WorkOrderClosureRejected,
    WorkOrderReopened,
    WorkOrderMerged,
    WorkOrderReplaced,
    WorkOrderOpinionSubmitted,
    WorkOrderDisputeEscalated,
    WorkOrderDisputeDecided,
    WarningRaised,
    ReplyTemplateRequested,
    ReplyTemplateReceived,
    DeadlineSet,
    DeadlineReached,
    DeadlineMet,
    DeadlineUrged,
    OverdueSupervised,
    CalendarYearMissing,
    NoticeSent,
    NoticeFailed,
    ReturnVisitAnswered,
)

_BY_TYPE_AND_MAJOR: dict[tuple[str, int], type[EventData]] = {
    (cls.event_type, int(cls.schema_version.split(".")[0])): cls for cls in EVENT_TYPES
}


def model_for(event_type: str, major: int) -> type[EventData]:
    """The contract for a type and major version, or `UnreadableEvent`."""
    try:
        return _BY_TYPE_AND_MAJOR[(event_type, major)]
    except KeyError:
        raise UnreadableEvent(
            f"no contract for {event_type} major version {major}"
        ) from None


def read(envelope: Envelope) -> EventData:
    """The typed body of an envelope, or `UnreadableEvent`."""
    model = model_for(envelope.type, envelope.major_version)
    try:
        return model.model_validate(envelope.data)
    except ValueError as error:
        raise UnreadableEvent(
            f"{envelope.type} body breaks its contract: {error}"
        ) from error
