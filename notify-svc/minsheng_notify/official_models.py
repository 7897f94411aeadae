"""Tables of the messages to units, agencies and leaders, the morning report and the
return visits: what notify keeps from other services' events to word them, and
what it decided.

The messages themselves are notices (`models.Notice`), sent and evidenced like any
other; these tables say what they were about.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from minsheng_notify.models import Base


class AppealSummary(Base):
    """What the morning report and the alerts say about an appeal: its tracking
    code, title (masked by intake), place, category and level (Art. 9). Kept from
    appeal.filed and appeal.graded; `level_1_at` is when it was first known to be
    level 1."""

    __tablename__ = "appeal_summaries"
    __table_args__ = (Index("ix_appeal_summaries_level_1_at", "level_1_at"),)

    appeal_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(32))
    title: Mapped[str | None] = mapped_column(Text)
    category_id: Mapped[str | None] = mapped_column(String(50))
    subdistrict_id: Mapped[str | None] = mapped_column(String(50))
    level: Mapped[int] = mapped_column(Integer, default=3)
    basis: Mapped[str | None] = mapped_column(Text)
    filed_at: Mapped[datetime | None]
    level_1_at: Mapped[datetime | None]


class WorkOrderUnit(Base):
    """Which unit holds a work order (work_order.dispatched), so a warning also
    reaches the units handling its appeals (Art. 23)."""

    __tablename__ = "work_order_units"
    __table_args__ = (Index("ix_work_order_units_appeal_id", "appeal_id"),)

    work_order_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    appeal_id: Mapped[str] = mapped_column(String(36))
    unit_id: Mapped[str] = mapped_column(String(50))
    dispatched_at: Mapped[datetime]


class RaisedWarning(Base):
    """A warning analytics raised (预警, Art. 23): hotspot, high-frequency, safety
    hazard or sensitive."""

    __tablename__ = "raised_warnings"
    __table_args__ = (Index("ix_raised_warnings_raised_at", "raised_at"),)

    warning_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    cluster_id: Mapped[str | None] = mapped_column(String(36))
    subdistrict_id: Mapped[str | None] = mapped_column(String(50))
    count: Mapped[int] = mapped_column(Integer)
    window_hours: Mapped[int | None] = mapped_column(Integer)
    raised_at: Mapped[datetime]


class WarningAppeal(Base):
    """An appeal that makes up a warning; its units are told the warning too."""

    __tablename__ = "warning_appeals"
    __table_args__ = (Index("ix_warning_appeals_appeal_id", "appeal_id"),)

    warning_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    appeal_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class OverdueItem(Base):
    """A work order whose handling ran out (超期, Art. 39), for the morning report of
    the next day."""

    __tablename__ = "overdue_items"
    __table_args__ = (Index("ix_overdue_items_overdue_at", "overdue_at"),)

    deadline_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    work_order_id: Mapped[str] = mapped_column(String(36))
    appeal_id: Mapped[str] = mapped_column(String(36))
    unit_id: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(30))
    due_at: Mapped[datetime]
    overdue_at: Mapped[datetime]


class ReminderLetter(Base):
    """A reminder letter (催办函, Art. 40) a center operator sent a unit about some of
    its orders."""

    __tablename__ = "reminder_letters"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    unit_id: Mapped[str] = mapped_column(String(50))
    work_order_ids: Mapped[str] = mapped_column(Text, doc="JSON list")
    text: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime]
    notice_id: Mapped[str] = mapped_column(String(36))


class MorningReport(Base):
    """The daily morning report (民生诉求每日早报) of one day, compiled once."""

    __tablename__ = "morning_reports"

    report_date: Mapped[date] = mapped_column(Date, primary_key=True)
    covers: Mapped[date] = mapped_column(Date)
    compiled_at: Mapped[datetime]
    level_1_count: Mapped[int] = mapped_column(Integer)
    warning_count: Mapped[int] = mapped_column(Integer)
    overdue_count: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text, doc="JSON: the items by section")


class Survey(Base):
    """A return visit (回访, Art. 30) after a closure, and its answer (满意度,
    Art. 31). `token` is the citizen's link; `contact_hash` the keyed hash of the
    citizen's phone, so an SMS reply finds its survey without the number kept."""

    __tablename__ = "surveys"
    __table_args__ = (
        UniqueConstraint("work_order_id", "closed_at", name="uq_surveys_closure"),
        Index("ix_surveys_contact_hash", "contact_hash"),
        Index("ix_surveys_work_order_id", "work_order_id"),
        Index("ix_surveys_satisfied_answered_at", "satisfied", "answered_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    work_order_id: Mapped[str] = mapped_column(String(36))
    appeal_id: Mapped[str] = mapped_column(String(36))
    unit_id: Mapped[str] = mapped_column(String(50))
    tracking_code: Mapped[str] = mapped_column(String(32))
    closed_at: Mapped[datetime]
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    notice_id: Mapped[str] = mapped_column(String(36))
    contact_hash: Mapped[str | None] = mapped_column(String(64))
    answered_at: Mapped[datetime | None]
    answer_channel: Mapped[str | None] = mapped_column(String(10))
    speed: Mapped[int | None] = mapped_column(Integer)
    effect: Mapped[int | None] = mapped_column(Integer)
    service: Mapped[int | None] = mapped_column(Integer)
    system: Mapped[int | None] = mapped_column(Integer)
    solved: Mapped[bool | None] = mapped_column(Boolean)
    satisfied: Mapped[bool | None] = mapped_column(Boolean)
    reply_text: Mapped[str | None] = mapped_column(Text)
    reopened_at: Mapped[datetime | None]


class SurveyReply(Base):
    """An SMS reply the gateway passed on, by its own message id: the same reply
    delivered again answers as the first time."""

    __tablename__ = "survey_replies"

    message_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    survey_id: Mapped[str] = mapped_column(String(36))
    received_at: Mapped[datetime]
