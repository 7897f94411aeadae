"""The administration's tables, on dispatch's Base: what the routing table, the units
and the categories need beyond their own rows, the project registry (Art. 43), the
dispatch queue (Art. 12) and named responsibilities (Art. 25, 26).

Rows are never deleted: a rule is closed, a unit or category retired, a project
withdrawn, a queue entry resolved; `registry_changes` keeps who changed what, when
and why.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from minsheng_dispatch.models import Base


class RoutingRuleDetail(Base):
    """What a routing rule says beyond category, subdistrict and keyword: its kind
    (standard, first_handler, fallback) and its community. A rule without a row here
    is a standard rule of no particular community."""

    __tablename__ = "routing_rule_details"

    rule_id: Mapped[int] = mapped_column(
        ForeignKey("routing_rules.id"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    community: Mapped[str | None] = mapped_column(String(50))


class Retirement(Base):
    """A unit or a category taken out of service (Art. 8). Its row stays; routing no
    longer chooses it."""

    __tablename__ = "retirements"

    subject: Mapped[str] = mapped_column(String(20), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(50), primary_key=True)
    retired_at: Mapped[datetime]
    retired_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)


class RegistryChange(Base):
    """One change to the routing table, a unit, a category or a project: who, when,
    why, and what it changed."""

    __tablename__ = "registry_changes"
    __table_args__ = (
        Index("ix_registry_changes_subject", "subject", "subject_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[str] = mapped_column(String(50))
    change: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Project(Base):
    """A construction, rail or road project registered with the center (Art. 43).

    The person in charge and the contact are a public contact's personal data: the
    center sees them, units and logs never do.
    """

    __tablename__ = "projects"
    __table_args__ = (Index("ix_projects_unit", "unit_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    builder: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    subdistrict_id: Mapped[str] = mapped_column(String(50))
    community: Mapped[str | None] = mapped_column(String(50))
    road: Mapped[str | None] = mapped_column(String(100))
    person_in_charge: Mapped[str] = mapped_column(String(100))
    contact: Mapped[str] = mapped_column(String(100))
    unit_id: Mapped[str] = mapped_column(String(50))
    category_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    registered_at: Mapped[datetime]
    registered_by: Mapped[str] = mapped_column(String(200))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    urgent_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by: Mapped[str | None] = mapped_column(String(200))


class DispatchQueueEntry(Base):
    """An appeal whose routing was not certain, waiting for an operator (Art. 12).

    `appeal` keeps the filed appeal as the event carried it (texts masked, contact
    encrypted), so the order can be made when the operator chooses the unit.
    """

    __tablename__ = "dispatch_queue"
    __table_args__ = (Index("ix_dispatch_queue_open", "resolved_at", "queued_at"),)

    appeal_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(50))
    basis: Mapped[str] = mapped_column(Text)
    suggested_unit_id: Mapped[str] = mapped_column(String(50))
    category_id: Mapped[str | None] = mapped_column(String(50))
    subdistrict_id: Mapped[str | None] = mapped_column(String(50))
    level: Mapped[int] = mapped_column(Integer)
    filed_at: Mapped[datetime]
    queued_at: Mapped[datetime]
    appeal: Mapped[dict[str, Any]] = mapped_column(JSON)
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    unit_id: Mapped[str | None] = mapped_column(String(50))
    resolve_reason: Mapped[str | None] = mapped_column(Text)
    first_asked: Mapped[bool] = mapped_column(Boolean, default=False)
    work_order_id: Mapped[str | None] = mapped_column(String(36))
    dispatch_seconds: Mapped[float | None] = mapped_column(Float)


class ResponsibilityAssignment(Base):
    """A unit named responsible for an order: first-asked (首问负责, Art. 25), named
    by the center, or first-handler (首办负责, Art. 26), named by a rule of the
    standard. Either way the unit may not return the order while the naming
    stands."""

    __tablename__ = "responsibility_assignments"
    __table_args__ = (UniqueConstraint("work_order_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    work_order_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[str] = mapped_column(String(50))
    rule_id: Mapped[int | None] = mapped_column(Integer)
    named_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]
