"""The knowledge base's tables (Art. 43): entries, every version of each entry, the
consultations answered at once from an entry (秒回, Art. 44), the closures counted
by unit and category, and the reply templates asked for after the third."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from minsheng_intake.models import Base


class KnowledgeEntry(Base):
    """A question and its answer as a unit keeps it (知识库条目), in its current
    version."""

    __tablename__ = "knowledge_entries"
    __table_args__ = (
        Index("ix_knowledge_entries_unit", "unit_id"),
        Index("ix_knowledge_entries_category", "category_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(50))
    category_id: Mapped[str] = mapped_column(String(50))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime | None] = mapped_column(default=None)
    """The entry no longer holds from this moment on; None: until changed."""
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    retired_at: Mapped[datetime | None] = mapped_column(default=None)
    version: Mapped[int] = mapped_column(Integer)


class KnowledgeEntryVersion(Base):
    """The entry as it stood after one change: created, updated or retired. One row
    per version; the latest is the entry itself."""

    __tablename__ = "knowledge_entry_versions"
    __table_args__ = (
        # Two changes made at once from the same version cannot both be kept.
        UniqueConstraint("entry_id", "version", name="uq_knowledge_versions_entry"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[str] = mapped_column(String(50))
    category_id: Mapped[str] = mapped_column(String(50))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime | None] = mapped_column(default=None)
    retired_at: Mapped[datetime | None] = mapped_column(default=None)
    changed_by: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(String(200), default=None)


class InstantAnswerRecord(Base):
    """A consultation answered at once from an entry (秒回): which version of which
    entry, how sure the match was, when."""

    __tablename__ = "instant_answers"
    __table_args__ = (
        Index("ix_instant_answers_answered_at", "answered_at"),
        Index("ix_instant_answers_entry", "entry_id"),
    )

    appeal_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    entry_id: Mapped[str] = mapped_column(String(36))
    entry_version: Mapped[int] = mapped_column(Integer)
    confidence: Mapped[float] = mapped_column(Float)
    answered_at: Mapped[datetime]


class UnitClosure(Base):
    """A work order a unit closed, with the category of its appeal: Art. 43 counts
    them by unit and category. An order closed again after reopening counts once."""

    __tablename__ = "unit_closures"
    __table_args__ = (
        Index("ix_unit_closures_unit_category", "unit_id", "category_id", "closed_at"),
    )

    work_order_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    appeal_id: Mapped[str] = mapped_column(String(36))
    unit_id: Mapped[str] = mapped_column(String(50))
    category_id: Mapped[str] = mapped_column(String(50))
    closed_at: Mapped[datetime]


class ReplyTemplateRequest(Base):
    """The center asking a unit, after its third closure of the same kind, for a
    handling-notice and a handling-feedback template (办理告知模板, 办理反馈模板,
    Art. 43), and the templates once the unit sends them. One per unit and category:
    the templates serve every later appeal of that kind."""

    __tablename__ = "reply_template_requests"
    __table_args__ = (
        UniqueConstraint(
            "unit_id", "category_id", name="uq_reply_template_requests_unit_category"
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(50))
    category_id: Mapped[str] = mapped_column(String(50))
    work_order_id: Mapped[str] = mapped_column(String(36))
    """The third closed order: the 3 working days count from its closure."""
    appeal_id: Mapped[str] = mapped_column(String(36))
    closed_work_order_ids: Mapped[list[str]] = mapped_column(JSON)
    closed_at: Mapped[datetime]
    requested_at: Mapped[datetime]
    handling_notice_template: Mapped[str | None] = mapped_column(Text, default=None)
    handling_feedback_template: Mapped[str | None] = mapped_column(Text, default=None)
    received_at: Mapped[datetime | None] = mapped_column(default=None)
    received_by: Mapped[str | None] = mapped_column(String(200), default=None)
