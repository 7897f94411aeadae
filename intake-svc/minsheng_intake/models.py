"""Intake's tables: appeals and the decision taken on each, which unit holds each
appeal, every disclosure of a citizen's contact, the grid workers' verifications,
every grade given, and the versions of the grading rules."""

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
        Index("ix_appeals_subdistrict_id", "subdistrict_id"),
        Index("ix_appeals_community", "community"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(32), unique=True)
    channel: Mapped[str] = mapped_column(String(50))
    channel_ref: Mapped[str] = mapped_column(String(200))
    appeal_type: Mapped[str] = mapped_column(String(20))
    type_inferred: Mapped[bool] = mapped_column(Boolean, default=False)
    """The channel did not say the type; it was read from the text."""
    category_id: Mapped[str | None] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    subdistrict_id: Mapped[str | None] = mapped_column(String(50))
    community: Mapped[str | None] = mapped_column(String(50))
    place_found_in: Mapped[str | None] = mapped_column(String(20))
    address_parts: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    """The address read into its parts (district … room, lamp post), and where each
    part was found."""
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    attachments: Mapped[list[str]] = mapped_column(JSON, default=list)

    contact_kind: Mapped[str | None] = mapped_column(String(20))
    contact_encrypted: Mapped[str | None] = mapped_column(Text)
    contact_hash: Mapped[str | None] = mapped_column(String(64))
    contact_masked: Mapped[str | None] = mapped_column(String(100))
    second_contact_kind: Mapped[str | None] = mapped_column(String(20))
    second_contact_encrypted: Mapped[str | None] = mapped_column(Text)
    second_contact_masked: Mapped[str | None] = mapped_column(String(100))
    """Another way to reach the citizen, of another kind than the first (e.g. an
    email besides a phone number): notify falls back to it."""
    consent_to_disclose: Mapped[bool] = mapped_column(Boolean, default=False)
    name_encrypted: Mapped[str | None] = mapped_column(Text)

    received_at: Mapped[datetime]
    received_zone_assumed: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(30))
    """filed, rejected, answered (a consultation answered at once, closed), or
    pending_verification / pending_classification (waiting for a grid worker or
    for an operator to choose the category)."""
    reason_code: Mapped[str | None] = mapped_column(String(50))
    reason_article: Mapped[str | None] = mapped_column(String(30))
    reason_detail: Mapped[str | None] = mapped_column(Text)
    reason_evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    """Which field the reason rests on, and what was found there."""
    advice: Mapped[str | None] = mapped_column(Text, default=None)
    """Where the citizen can turn instead, when not filed."""
    rules_edition: Mapped[str | None] = mapped_column(String(40), default=None)
    """The edition of intake's rules in force when the appeal was received."""
    held_reason: Mapped[str | None] = mapped_column(String(30), default=None)
    held_at: Mapped[datetime | None] = mapped_column(default=None)
    level: Mapped[int | None] = mapped_column(Integer, default=None)
    """The grade (Art. 9): 1, 2 or 3; none for an appeal not filed."""
    grade_basis: Mapped[str | None] = mapped_column(Text, default=None)
    repeat_of: Mapped[str | None] = mapped_column(String(36), default=None)
    """The earlier appeal this one repeats (Art. 11(3)5)."""
    cluster_id: Mapped[str | None] = mapped_column(String(36), default=None)
    """The event cluster the appeal belongs to (Art. 18)."""
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


class Verification(Base):
    """A grid worker's on-site check of an appeal (Art. 11): true, or what was
    found untrue."""

    __tablename__ = "verifications"
    __table_args__ = (Index("ix_verifications_appeal", "appeal_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    appeal_id: Mapped[str] = mapped_column(String(36))
    outcome: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text)
    verified_by: Mapped[str] = mapped_column(String(200))
    verified_at: Mapped[datetime]


class GradeChange(Base):
    """A grade given to an appeal: by the rules at filing, or by an operator with a
    reason (Art. 9)."""

    __tablename__ = "grade_changes"
    __table_args__ = (Index("ix_grade_changes_appeal", "appeal_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    appeal_id: Mapped[str] = mapped_column(String(36))
    level: Mapped[int] = mapped_column(Integer)
    previous_level: Mapped[int | None] = mapped_column(Integer)
    basis: Mapped[str] = mapped_column(Text)
    graded_by: Mapped[str] = mapped_column(String(200))
    graded_at: Mapped[datetime]


class GradingRuleVersion(Base):
    """One version of the grading keywords as the center edited them; the newest
    in force when an appeal is received grades it, unless a newer rules edition
    took effect since."""

    __tablename__ = "grading_rule_versions"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    level_1: Mapped[list[str]] = mapped_column(JSON)
    level_2: Mapped[list[str]] = mapped_column(JSON)
    hypothetical_markers: Mapped[list[str]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(200))
    changed_by: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime]
