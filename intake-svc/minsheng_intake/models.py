"""Intake's tables: appeals and the decision taken on each, which unit holds each
appeal, and every disclosure of a citizen's contact."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from minsheng_common.db import UTCDateTime


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class Appeal(Base):
    """One appeal as received, normalised, and decided (立案 or 不予立案)."""

    __tablename__ = "appeals"
    __table_args__ = (
        UniqueConstraint("channel", "channel_ref", name="uq_appeals_channel_ref"),
        Index("ix_appeals_contact_hash", "contact_hash"),
        Index("ix_appeals_status", "status"),
        Index("ix_appeals_closed_at", "closed_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(32), unique=True)
    channel: Mapped[str] = mapped_column(String(50))
    channel_ref: Mapped[str] = mapped_column(String(200))
    appeal_type: Mapped[str] = mapped_column(String(20))
    category_id: Mapped[str | None] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    subdistrict_id: Mapped[str | None] = mapped_column(String(50))
    community: Mapped[str | None] = mapped_column(String(50))
    place_found_in: Mapped[str | None] = mapped_column(String(20))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    attachments: Mapped[list[str]] = mapped_column(JSON, default=list)

    contact_kind: Mapped[str | None] = mapped_column(String(20))
    contact_encrypted: Mapped[str | None] = mapped_column(Text)
    contact_hash: Mapped[str | None] = mapped_column(String(64))
    contact_masked: Mapped[str | None] = mapped_column(String(100))
    consent_to_disclose: Mapped[bool] = mapped_column(Boolean, default=False)
    name_encrypted: Mapped[str | None] = mapped_column(Text)

    received_at: Mapped[datetime]
    received_zone_assumed: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20))
    reason_code: Mapped[str | None] = mapped_column(String(50))
    reason_article: Mapped[str | None] = mapped_column(String(30))
    reason_detail: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime]
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    """When the appeal was closed; personal data is kept for the retention period
    from here, then anonymised."""
    anonymised_at: Mapped[datetime | None] = mapped_column(default=None)


class AppealUnit(Base):
    """A unit that holds a work order for an appeal (from work_order.dispatched):
    the unit may read that appeal, redacted."""

    __tablename__ = "appeal_units"
    __table_args__ = (
        UniqueConstraint("appeal_id", "unit_id", name="uq_appeal_units_appeal_unit"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    appeal_id: Mapped[str] = mapped_column(String(36))
    unit_id: Mapped[str] = mapped_column(String(50))
    work_order_id: Mapped[str] = mapped_column(String(36))
    dispatched_at: Mapped[datetime]


class ContactDisclosure(Base):
    """One unmasked read of a citizen's contact: who, when, which appeal, why."""

    __tablename__ = "contact_disclosures"
    __table_args__ = (Index("ix_contact_disclosures_appeal", "appeal_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    appeal_id: Mapped[str] = mapped_column(String(36))
    who: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[str | None] = mapped_column(String(50))
    reason: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime]
