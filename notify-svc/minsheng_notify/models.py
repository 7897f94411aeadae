"""Notify's tables: who can be told, what is to be told, and every try to tell them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from minsheng_common.db import UTCDateTime


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class Recipient(Base):
    """The citizen behind a filed appeal, as intake sent it (appeal.filed).

    The contact stays the Fernet token intake made; it is opened only at the moment a
    message is handed to a sender, and never stored or logged in clear. Once the
    retention period has passed since the filing and the last notice, the contact is
    erased (`contact_encrypted` None, `contact_erased_at` set) and stays erased; the
    citizen's name is never kept here.
    """

    __tablename__ = "recipients"
    __table_args__ = (Index("ix_recipients_filed_at", "filed_at"),)

    appeal_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(50))
    contact_kind: Mapped[str] = mapped_column(String(20))
    contact_encrypted: Mapped[str | None] = mapped_column(Text)
    filed_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    contact_erased_at: Mapped[datetime | None]
    # The appeal's level (Art. 9): a level-1 appeal's citizen is told even in the
    # quiet hours.
    level: Mapped[int] = mapped_column(Integer, default=3)
    # A second contact of another kind, when the citizen gave one: the fallback
    # when the first cannot be reached (SMS → email, email → SMS). Erased with
    # the first.
    second_contact_kind: Mapped[str | None] = mapped_column(String(20))
    second_contact_encrypted: Mapped[str | None] = mapped_column(Text)


class Notice(Base):
    """One message to one recipient, asked for once (by `request_id`) and kept with
    its outcome as the evidence of Art. 36.

    A citizen's notice finds its recipient through the appeal (`recipients`); a
    message to an official (a unit, an agency, a leader) carries its own
    `addresses`, a JSON list of {"kind", "encrypted"} tried in order. `route_step`
    is the sender of the route being tried and `channel_attempts` the tries on it.
    """

    __tablename__ = "notices"
    __table_args__ = (
        Index("ix_notices_appeal_id", "appeal_id"),
        Index("ix_notices_work_order_id", "work_order_id"),
        Index("ix_notices_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(100), unique=True)
    appeal_id: Mapped[str | None] = mapped_column(String(36))
    work_order_id: Mapped[str | None] = mapped_column(String(36))
    unit_id: Mapped[str | None] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(30))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    channel: Mapped[str | None] = mapped_column(String(30))
    recipient_masked: Mapped[str | None] = mapped_column(String(100))
    provider_ref: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(Text)
    audience: Mapped[str] = mapped_column(String(20), default="citizen")
    addresses: Mapped[str | None] = mapped_column(Text)
    level: Mapped[int | None] = mapped_column(Integer)
    route_step: Mapped[int] = mapped_column(Integer, default=0)
    channel_attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivery_status: Mapped[str | None] = mapped_column(String(20))
    receipt_at: Mapped[datetime | None]


class NoticeAttempt(Base):
    """One try to deliver a notice, or the decision to stop trying: what happened,
    when, through which channel, to whom (masked), the provider's reference, a
    SHA-256 of the text handed over, and what the delivery receipt said later
    (the evidence of Art. 36)."""

    __tablename__ = "notice_attempts"
    __table_args__ = (
        Index("ix_notice_attempts_notice_id", "notice_id", "id"),
        Index("ix_notice_attempts_provider_ref", "channel", "provider_ref"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notice_id: Mapped[str] = mapped_column(ForeignKey("notices.id"))
    at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str | None] = mapped_column(String(30))
    provider_ref: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(Text)
    recipient_masked: Mapped[str | None] = mapped_column(String(100))
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    delivery_status: Mapped[str | None] = mapped_column(String(20))
    receipt_at: Mapped[datetime | None]


class CallRecord(Base):
    """A telephone call staff made to deliver a notice, recorded afterwards: who
    called, when, what came of it and how long it took (the call record of
    Art. 36; also the telephone letter, 电函, of Art. 23). Its attempt row carries
    the evidence common to every channel."""

    __tablename__ = "call_records"
    __table_args__ = (
        UniqueConstraint("notice_id", "called_by", "called_at"),
        Index("ix_call_records_notice_id", "notice_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    notice_id: Mapped[str] = mapped_column(ForeignKey("notices.id"))
    attempt_id: Mapped[int] = mapped_column(ForeignKey("notice_attempts.id"))
    called_by: Mapped[str] = mapped_column(String(100))
    called_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(20))
    duration_seconds: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime]


class MergedAppeal(Base):
    """An appeal whose order was merged into another (并案, Art. 18): its citizen is
    told the result by the surviving order's handling notice (Art. 29)."""

    __tablename__ = "merged_appeals"

    work_order_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    appeal_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    merged_at: Mapped[datetime]
