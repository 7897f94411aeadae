"""Analytics' projection: one row per appeal, work order, acceptance request and
notice, and the rows of what happens around them (warnings, ownership disputes, weekly
overdue lists, reply-template requests, return visits, calendar alerts), built only
from events.

Every column is filled by the events that carry it, in whatever order they arrive, so
the final row is the same for every order (see `consumers`). `last_event_at` is the
newest `occurred_at` applied to the row; the newest of them is the projection's
"as of". No contact data is ever stored: the encrypted contact in `appeal.filed` and
the masked recipient in `notice.sent` are left out on purpose.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from minsheng_common.db import UTCDateTime


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


CLOCK_KINDS: tuple[str, ...] = (
    "sign_off",
    "handling",
    "acceptance_notice",
    "handling_notice",
    "staged_check",
    "reply_template",
)
"""The deadline kinds whose clock `WorkOrderFact` keeps, each in six columns named
after it (`<kind>_deadline_at`, `_provisional`, `_deadline_version`, `_reached`,
`_met_at`, `_met_late`)."""


class AppealFact(Base):
    """An appeal as the appeals topic told it: received, perhaps held for
    verification or classification (待核实/待分类), then filed (立案) or rejected
    (不予立案); its level (Art. 9) and whether it was answered at once (秒回,
    Art. 44)."""

    __tablename__ = "appeal_facts"
    __table_args__ = (
        Index("ix_appeal_facts_received_at", "received_at"),
        Index("ix_appeal_facts_decision", "decision"),
    )

    appeal_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tracking_code: Mapped[str | None] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(50))
    appeal_type: Mapped[str | None] = mapped_column(String(20))
    category_id: Mapped[str | None] = mapped_column(String(50))
    subdistrict_id: Mapped[str | None] = mapped_column(String(50))
    title: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime | None]
    decision: Mapped[str | None] = mapped_column(String(20))
    reason_code: Mapped[str | None] = mapped_column(String(50))
    reason_article: Mapped[str | None] = mapped_column(String(30))
    filed_at: Mapped[datetime | None]
    rejected_at: Mapped[datetime | None]
    level: Mapped[int | None] = mapped_column(SmallInteger)
    level_graded_at: Mapped[datetime | None]
    cluster_id: Mapped[str | None] = mapped_column(String(64))
    held_reason: Mapped[str | None] = mapped_column(String(20))
    held_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    last_event_at: Mapped[datetime | None]


class WorkOrderFact(Base):
    """A work order: dispatched (已派单), signed (已签收, by hand or by default), its
    acceptance notice (受理告知) and its deadlines; returned (退件), extended (延期),
    handled and told (办理告知), closed on time, overdue or staged (办结, Art. 17),
    its closures rejected, merged into another order (并案) or a reopened round
    (重办); replaced by split or parallel orders (拆分/并行), a cooperating unit's
    opinion, its urgings (催办, Art. 39), its ownership disputes (Art. 24) and the
    reply-template clock when it was a unit's third closure of a kind (Art. 43)."""

    __tablename__ = "work_order_facts"
    __table_args__ = (
        Index("ix_work_order_facts_appeal_id", "appeal_id"),
        Index("ix_work_order_facts_unit_id", "unit_id"),
    )

    work_order_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    appeal_id: Mapped[str | None] = mapped_column(String(36))
    unit_id: Mapped[str | None] = mapped_column(String(50))
    appeal_type: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime | None]
    dispatched_at: Mapped[datetime | None]
    dispatch_seconds: Mapped[int | None] = mapped_column(Integer)
    dispatch_within_limit: Mapped[bool | None] = mapped_column(Boolean)
    rules_edition: Mapped[str | None] = mapped_column(String(50))
    signed_at: Mapped[datetime | None]
    sign_mode: Mapped[str | None] = mapped_column(String(20))
    acceptance_notice_requested_at: Mapped[datetime | None]
    acceptance_notice_sent_at: Mapped[datetime | None]

    sign_off_deadline_at: Mapped[datetime | None]
    sign_off_provisional: Mapped[bool | None] = mapped_column(Boolean)
    sign_off_deadline_version: Mapped[datetime | None]
    sign_off_reached: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    sign_off_met_at: Mapped[datetime | None]
    sign_off_met_late: Mapped[bool | None] = mapped_column(Boolean)

    handling_deadline_at: Mapped[datetime | None]
    handling_provisional: Mapped[bool | None] = mapped_column(Boolean)
    handling_deadline_version: Mapped[datetime | None]
    handling_reached: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    handling_met_at: Mapped[datetime | None]
    handling_met_late: Mapped[bool | None] = mapped_column(Boolean)

    acceptance_notice_deadline_at: Mapped[datetime | None]
    acceptance_notice_provisional: Mapped[bool | None] = mapped_column(Boolean)
    acceptance_notice_deadline_version: Mapped[datetime | None]
    acceptance_notice_reached: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    acceptance_notice_met_at: Mapped[datetime | None]
    acceptance_notice_met_late: Mapped[bool | None] = mapped_column(Boolean)

    handling_notice_deadline_at: Mapped[datetime | None]
    handling_notice_provisional: Mapped[bool | None] = mapped_column(Boolean)
    handling_notice_deadline_version: Mapped[datetime | None]
    handling_notice_reached: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    handling_notice_met_at: Mapped[datetime | None]
    handling_notice_met_late: Mapped[bool | None] = mapped_column(Boolean)

    staged_check_deadline_at: Mapped[datetime | None]
    staged_check_provisional: Mapped[bool | None] = mapped_column(Boolean)
    staged_check_deadline_version: Mapped[datetime | None]
    staged_check_reached: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    staged_check_met_at: Mapped[datetime | None]
    staged_check_met_late: Mapped[bool | None] = mapped_column(Boolean)

    # The templates are optional (Art. 43: 可): the clock is shown, never penalised.
    reply_template_deadline_at: Mapped[datetime | None]
    reply_template_provisional: Mapped[bool | None] = mapped_column(Boolean)
    reply_template_deadline_version: Mapped[datetime | None]
    reply_template_reached: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    reply_template_met_at: Mapped[datetime | None]
    reply_template_met_late: Mapped[bool | None] = mapped_column(Boolean)

    # How it was dispatched (work_order.dispatched 1.1).
    round: Mapped[int | None] = mapped_column(SmallInteger)
    role: Mapped[str | None] = mapped_column(String(20))
    parallel_group_id: Mapped[str | None] = mapped_column(String(36))
    split_from: Mapped[str | None] = mapped_column(String(36))
    clock_from: Mapped[str | None] = mapped_column(String(20))

    # Return (退件, Art. 13): the latest decision stands.
    return_requested_at: Mapped[datetime | None]
    return_decided_at: Mapped[datetime | None]
    return_approved: Mapped[bool | None] = mapped_column(Boolean)
    redispatched_to: Mapped[str | None] = mapped_column(String(36))

    # Handling: progress notes and extensions (Art. 16) are counted.
    progress_notes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_progress_at: Mapped[datetime | None]
    extension_requested_at: Mapped[datetime | None]
    extensions_approved: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0"
    )
    extensions_refused: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0"
    )
    extension_working_days: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0"
    )
    handling_notice_requested_at: Mapped[datetime | None]
    handling_notice_sent_at: Mapped[datetime | None]

    # Closure (Art. 17): the latest request and rejection, and the latest closure.
    closure_requested_at: Mapped[datetime | None]
    handled_at: Mapped[datetime | None]
    closure_rejections: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0"
    )
    closure_rejected_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closure_outcome: Mapped[str | None] = mapped_column(String(20))
    check_date: Mapped[date | None] = mapped_column(Date)

    # Reopened (重办) and merged (并案, Art. 18).
    reopened_at: Mapped[datetime | None]
    merged_into: Mapped[str | None] = mapped_column(String(36))
    merged_at: Mapped[datetime | None]
    absorbed_appeals: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0"
    )

    # Replaced by split (拆分, Art. 19) or parallel (并行, Art. 20) orders.
    replaced_at: Mapped[datetime | None]
    replaced_kind: Mapped[str | None] = mapped_column(String(20))
    replacements: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    # A cooperating unit's opinion to the lead unit (Art. 20, 22).
    opinion_submitted_at: Mapped[datetime | None]
    opinion_on_time: Mapped[bool | None] = mapped_column(Boolean)

    # Urging (催办, Art. 39): when the order was first urged at each step.
    urged_half_at: Mapped[datetime | None]
    urged_two_thirds_at: Mapped[datetime | None]
    urged_overdue_at: Mapped[datetime | None]

    # Ownership disputes (Art. 24), counted from `DisputeFact`.
    disputes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    disputes_to_district_meeting: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0"
    )

    last_event_at: Mapped[datetime | None]


class AcceptanceRequestFact(Base):
    """A unit's request that the citizen be told the appeal is accepted (Art. 28);
    links a sent notice (by its `request_id`) back to its work order."""

    __tablename__ = "acceptance_request_facts"
    __table_args__ = (
        Index("ix_acceptance_request_facts_work_order_id", "work_order_id"),
    )

    # notify's request ids reach 100 characters ("<request>:<merged appeal>").
    request_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    work_order_id: Mapped[str | None] = mapped_column(String(36))
    appeal_id: Mapped[str | None] = mapped_column(String(36))
    unit_id: Mapped[str | None] = mapped_column(String(50))
    accepted: Mapped[bool | None] = mapped_column(Boolean)
    requested_at: Mapped[datetime | None]
    last_event_at: Mapped[datetime | None]


class NoticeFact(Base):
    """A notice to a citizen and what became of it (Art. 36 evidence, without the
    recipient)."""

    __tablename__ = "notice_facts"
    __table_args__ = (Index("ix_notice_facts_request_id", "request_id"),)

    notice_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str | None] = mapped_column(String(100))
    appeal_id: Mapped[str | None] = mapped_column(String(36))
    work_order_id: Mapped[str | None] = mapped_column(String(36))
    kind: Mapped[str | None] = mapped_column(String(50))
    channel: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str | None] = mapped_column(String(20))
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    attempts: Mapped[int | None] = mapped_column(Integer)
    provider_ref: Mapped[str | None] = mapped_column(String(200))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    last_event_at: Mapped[datetime | None]


class WarningFact(Base):
    """A warning (预警, Art. 23): a hotspot, a high-frequency event, a safety hazard or
    a sensitive topic, with its event cluster, size and window; the appeals that make
    it up are its `WarningAppealFact` rows."""

    __tablename__ = "warning_facts"
    __table_args__ = (
        Index("ix_warning_facts_raised_at", "raised_at"),
        Index("ix_warning_facts_cluster_id_kind", "cluster_id", "kind"),
    )

    warning_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str | None] = mapped_column(String(30))
    cluster_id: Mapped[str | None] = mapped_column(String(64))
    subdistrict_id: Mapped[str | None] = mapped_column(String(50))
    count: Mapped[int | None] = mapped_column(Integer)
    window_hours: Mapped[int | None] = mapped_column(Integer)
    raised_at: Mapped[datetime | None]
    last_event_at: Mapped[datetime | None]


class WarningAppealFact(Base):
    """One appeal among the evidence of a warning."""

    __tablename__ = "warning_appeal_facts"
    __table_args__ = (Index("ix_warning_appeal_facts_appeal_id", "appeal_id"),)

    warning_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    appeal_id: Mapped[str] = mapped_column(String(36), primary_key=True)


class DisputeFact(Base):
    """An ownership dispute on a work order (争议, Art. 24): the highest level it went
    to (center, bureau leadership, district leader's meeting) and its decision."""

    __tablename__ = "dispute_facts"
    __table_args__ = (Index("ix_dispute_facts_work_order_id", "work_order_id"),)

    dispute_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    work_order_id: Mapped[str | None] = mapped_column(String(36))
    appeal_id: Mapped[str | None] = mapped_column(String(36))
    unit_ids: Mapped[list[str] | None] = mapped_column(JSON)
    level: Mapped[str | None] = mapped_column(String(30))
    escalated_at: Mapped[datetime | None]
    district_meeting_at: Mapped[datetime | None]
    decided_level: Mapped[str | None] = mapped_column(String(30))
    owner_unit_id: Mapped[str | None] = mapped_column(String(50))
    decided_at: Mapped[datetime | None]
    last_event_at: Mapped[datetime | None]


class OverdueListFact(Base):
    """A unit's weekly overdue supervision list (督办, Art. 40), one per unit and
    week; its orders are the `OverdueListOrderFact` rows."""

    __tablename__ = "overdue_list_facts"

    unit_id: Mapped[str] = mapped_column(String(50), primary_key=True)
    week_of: Mapped[date] = mapped_column(Date, primary_key=True)
    supervision_id: Mapped[str | None] = mapped_column(String(64))
    orders: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    listed_at: Mapped[datetime | None]
    last_event_at: Mapped[datetime | None]


class OverdueListOrderFact(Base):
    """One overdue clock of a unit's weekly list: repeated in the next week's list, it
    shows an order supervision did not move (Art. 41)."""

    __tablename__ = "overdue_list_order_facts"
    __table_args__ = (
        Index("ix_overdue_list_order_facts_work_order_id", "work_order_id"),
    )

    unit_id: Mapped[str] = mapped_column(String(50), primary_key=True)
    week_of: Mapped[date] = mapped_column(Date, primary_key=True)
    work_order_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    appeal_id: Mapped[str | None] = mapped_column(String(36))
    due_at: Mapped[datetime | None]


class ReplyTemplateFact(Base):
    """A request that a unit send reply templates after its third closure of a kind
    (Art. 43), and when they came; the templates themselves are not kept."""

    __tablename__ = "reply_template_facts"
    __table_args__ = (Index("ix_reply_template_facts_unit_id", "unit_id"),)

    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    unit_id: Mapped[str | None] = mapped_column(String(50))
    category_id: Mapped[str | None] = mapped_column(String(50))
    work_order_id: Mapped[str | None] = mapped_column(String(36))
    appeal_id: Mapped[str | None] = mapped_column(String(36))
    closed_at: Mapped[datetime | None]
    requested_at: Mapped[datetime | None]
    received_at: Mapped[datetime | None]
    last_event_at: Mapped[datetime | None]


class ReturnVisitFact(Base):
    """A citizen's answer to the return visit (回访, Art. 30): the four ratings of
    Art. 30, 1 to 5, and whether they were satisfied (Art. 31); the latest answer
    of a survey stands."""

    __tablename__ = "return_visit_facts"
    __table_args__ = (
        Index("ix_return_visit_facts_work_order_id", "work_order_id"),
        Index("ix_return_visit_facts_unit_id", "unit_id"),
    )

    survey_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    work_order_id: Mapped[str | None] = mapped_column(String(36))
    appeal_id: Mapped[str | None] = mapped_column(String(36))
    unit_id: Mapped[str | None] = mapped_column(String(50))
    channel: Mapped[str | None] = mapped_column(String(50))
    speed: Mapped[int | None] = mapped_column(SmallInteger)
    effect: Mapped[int | None] = mapped_column(SmallInteger)
    service: Mapped[int | None] = mapped_column(SmallInteger)
    system: Mapped[int | None] = mapped_column(SmallInteger)
    satisfied: Mapped[bool | None] = mapped_column(Boolean)
    solved: Mapped[bool | None] = mapped_column(Boolean)
    answered_at: Mapped[datetime | None]
    last_event_at: Mapped[datetime | None]


class CalendarAlertFact(Base):
    """The latest alert that a year's official holiday schedule is missing, per year:
    deadlines reaching into it are provisional until it is loaded."""

    __tablename__ = "calendar_alert_facts"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    provisional_deadlines: Mapped[int | None] = mapped_column(Integer)
    first_raised_at: Mapped[datetime | None]
    raised_at: Mapped[datetime | None]
    last_event_at: Mapped[datetime | None]


class WarningReport(Base):
    """A filed report as warning detection counts it (Art. 23): its event cluster,
    its category and place, when it was received and filed. Kept apart from
    `AppealFact` so detection reads only what it counts, by the indexes it needs."""

    __tablename__ = "warning_reports"
    __table_args__ = (
        Index("ix_warning_reports_cluster_id_received_at", "cluster_id", "received_at"),
        Index(
            "ix_warning_reports_place",
            "category_id",
            "subdistrict_id",
            "community",
            "received_at",
        ),
    )

    appeal_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    cluster_id: Mapped[str | None] = mapped_column(String(64))
    category_id: Mapped[str | None] = mapped_column(String(50))
    subdistrict_id: Mapped[str | None] = mapped_column(String(50))
    community: Mapped[str | None] = mapped_column(String(100))
    received_at: Mapped[datetime]
    filed_at: Mapped[datetime]


class WarningScope(Base):
    """One row per event cluster, place or appeal that warnings are counted for; a
    consumer locks it while it counts, so two consumers never count the same
    reports at once and both miss, or both pass, a threshold."""

    __tablename__ = "warning_scopes"

    scope: Mapped[str] = mapped_column(String(250), primary_key=True)


class WarningTrigger(Base):
    """A warning detection raised: one per kind, scope and window, the key that
    makes a warning fire once however often its events are delivered."""

    __tablename__ = "warning_triggers"
    __table_args__ = (
        Index("ux_warning_triggers_warning_id", "warning_id", unique=True),
    )

    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    scope: Mapped[str] = mapped_column(String(250), primary_key=True)
    window: Mapped[str] = mapped_column(String(40), primary_key=True)
    warning_id: Mapped[str] = mapped_column(String(64))
    appeal_id: Mapped[str] = mapped_column(String(36))
    """The report that crossed the threshold."""
    crossed_at: Mapped[datetime]
    """When that report was received."""
    raised_at: Mapped[datetime]


class WarningGrading(Base):
    """A grading that made an appeal a safety hazard (Art. 9, 23) and arrived before
    the appeal's filing: the hazard waits for the filing, which names the event
    cluster it is raised once for. Only the earliest such grading is kept."""

    __tablename__ = "warning_gradings"

    appeal_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    graded_at: Mapped[datetime]
