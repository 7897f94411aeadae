"""Analytics' projection: one row per appeal, work order, acceptance request and
notice, built only from events.

Every column is filled by the events that carry it, in whatever order they arrive, so
the final row is the same for every order (see `consumers`). `last_event_at` is the
newest `occurred_at` applied to the row; the newest of them is the projection's
"as of". No contact data is ever stored: the encrypted contact in `appeal.filed` and
the masked recipient in `notice.sent` are left out on purpose.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import Boolean, Date, Index, Integer, SmallInteger, String, Text, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from minsheng_common.db import UTCDateTime


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


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
    (重办)."""

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
