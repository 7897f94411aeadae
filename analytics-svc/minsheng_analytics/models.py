"""Analytics' projection: one row per appeal, work order, acceptance request and
notice, built only from events.

Every column is filled by the events that carry it, in whatever order they arrive, so
the final row is the same for every order (see `consumers`). `last_event_at` is the
newest `occurred_at` applied to the row; the newest of them is the projection's
"as of". No contact data is ever stored: the encrypted contact in `appeal.filed` and
the masked recipient in `notice.sent` are left out on purpose.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Boolean, Index, Integer, SmallInteger, String, Text, false
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
    acceptance notice (受理告知) and its deadlines."""

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

    last_event_at: Mapped[datetime | None]


class AcceptanceRequestFact(Base):
    """A unit's request that the citizen be told the appeal is accepted (Art. 28);
    links a sent notice (by its `request_id`) back to its work order."""

    __tablename__ = "acceptance_request_facts"
    __table_args__ = (
        Index("ix_acceptance_request_facts_work_order_id", "work_order_id"),
    )

    request_id: Mapped[str] = mapped_column(String(36), primary_key=True)
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
    request_id: Mapped[str | None] = mapped_column(String(36))
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
