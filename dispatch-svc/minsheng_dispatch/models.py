"""Dispatch's tables: units, categories, the routing table, work orders, their
audit trail, their extensions and the change log units poll."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from minsheng_common.db import UTCDateTime


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class Unit(Base):
    """A unit that receives work orders: a district bureau or a subdistrict office."""

    __tablename__ = "units"

    id: Mapped[str] = mapped_column(String(50), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(50))


class Category(Base):
    """A first-level category of the classification standard (Art. 8)."""

    __tablename__ = "categories"

    id: Mapped[str] = mapped_column(String(50), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    default_unit: Mapped[str | None] = mapped_column(String(50))
    territorial: Mapped[bool] = mapped_column(Boolean, default=False)
    examples: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)


class RoutingRule(Base):
    """One row of the routing table: category × place (× keyword) → unit.

    A rule is never deleted: it is closed by setting `valid_to`, so the table's
    history stays readable.
    """

    __tablename__ = "routing_rules"
    __table_args__ = (Index("ix_routing_rules_category", "category_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    category_id: Mapped[str] = mapped_column(String(50))
    subdistrict_id: Mapped[str | None] = mapped_column(String(50))
    keyword: Mapped[str | None] = mapped_column(String(100))
    unit_id: Mapped[str] = mapped_column(String(50))
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)


class WorkOrder(Base):
    """A filed appeal as an order to one unit (工单), from dispatch to closure.

    An appeal has one order per unit it was sent to: a return approved by the center
    ends the order and sends the appeal to another unit as a new order. A reopened
    order (重办) stays the same order in a new round.
    """

    __tablename__ = "work_orders"
    __table_args__ = (
        Index("ix_work_orders_unit_status", "unit_id", "status"),
        Index("ix_work_orders_dispatched_at", "dispatched_at"),
        Index("ix_work_orders_appeal", "appeal_id"),
        Index("ix_work_orders_updated_at", "updated_at"),
        Index("ix_work_orders_cluster", "cluster_id"),
        Index("ix_work_orders_parallel_group", "parallel_group_id"),
        Index("ix_work_orders_split_from", "split_from"),
        UniqueConstraint("origin_key", name="uq_work_orders_origin_key"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    appeal_id: Mapped[str] = mapped_column(String(36))
    # What made the order, unique: the appeal id for the order of a filed appeal, so
    # two deliveries of one appeal.filed cannot make two orders; "redispatch:<order>"
    # for the order that replaces a returned one.
    origin_key: Mapped[str] = mapped_column(String(80))
    redispatched_from: Mapped[str | None] = mapped_column(String(36))
    tracking_code: Mapped[str] = mapped_column(String(32))
    unit_id: Mapped[str] = mapped_column(String(50))
    appeal_type: Mapped[str] = mapped_column(String(20))
    category_id: Mapped[str | None] = mapped_column(String(50))
    subdistrict_id: Mapped[str | None] = mapped_column(String(50))
    community: Mapped[str | None] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)

    status: Mapped[str] = mapped_column(String(20))
    filed_at: Mapped[datetime]
    created_at: Mapped[datetime]
    dispatched_at: Mapped[datetime]
    dispatch_seconds: Mapped[float]
    dispatched_within_target: Mapped[bool] = mapped_column(Boolean)
    route_rule_id: Mapped[int | None] = mapped_column(Integer)
    route_reason: Mapped[str] = mapped_column(String(50))
    route_basis: Mapped[str] = mapped_column(Text)
    rules_edition: Mapped[str] = mapped_column(String(50))

    signed_at: Mapped[datetime | None]
    sign_mode: Mapped[str | None] = mapped_column(String(10))
    signed_by: Mapped[str | None] = mapped_column(String(100))
    acceptance_notice_requested_at: Mapped[datetime | None]

    # The sign-off deadline sla set for the order, and when sla set it: a later
    # deadline.set replaces an earlier one, never the other way round.
    sign_off_due_at: Mapped[datetime | None]
    sign_off_set_at: Mapped[datetime | None]

    # Handling (Art. 15-17). A reopened order starts a new round (重办) with its own
    # clock; the fields below are the current round's.
    round: Mapped[int] = mapped_column(Integer, default=1)
    clock_from: Mapped[str] = mapped_column(String(20), default="created")
    updated_at: Mapped[datetime]
    # The handling deadline sla set (moved by approved extensions), as for sign-off.
    handling_due_at: Mapped[datetime | None]
    handling_set_at: Mapped[datetime | None]
    extended_working_days: Mapped[int] = mapped_column(Integer, default=0)
    progress_started_at: Mapped[datetime | None]
    handling_notice_requested_at: Mapped[datetime | None]
    handling_notice_sent_at: Mapped[datetime | None]
    closure_requested_at: Mapped[datetime | None]
    handled_at: Mapped[datetime | None]
    staged: Mapped[bool] = mapped_column(Boolean, default=False)
    check_date: Mapped[date | None] = mapped_column(Date)
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str | None] = mapped_column(String(20))
    # A staged closure's check (Art. 17): pending, done, not_done or unverified.
    staged_check: Mapped[str | None] = mapped_column(String(20))
    # A returned order names the order that took its place.
    redispatched_to: Mapped[str | None] = mapped_column(String(36))

    # Special dispatch (Art. 18-22): the order's role in a parallel group, the order
    # it was split from, the order it was merged into; the channel and intake's event
    # cluster find appeals about the same event (Art. 18).
    role: Mapped[str] = mapped_column(String(20), default="sole")
    parallel_group_id: Mapped[str | None] = mapped_column(String(36))
    split_from: Mapped[str | None] = mapped_column(String(36))
    merged_into: Mapped[str | None] = mapped_column(String(36))
    channel: Mapped[str | None] = mapped_column(String(50))
    cluster_id: Mapped[str | None] = mapped_column(String(36))


class WorkOrderAction(Base):
    """One transition of a work order: who did what, when (the audit trail)."""

    __tablename__ = "work_order_actions"
    __table_args__ = (Index("ix_work_order_actions_order", "work_order_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    work_order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id"))
    action: Mapped[str] = mapped_column(String(50))
    # The caller as `Principal.label()` names it (role:subject@unit), or "system".
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime]
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class WorkOrderExtension(Base):
    """A unit's request for more handling time (延期, Art. 16) and the center's
    decision on it."""

    __tablename__ = "work_order_extensions"
    __table_args__ = (Index("ix_work_order_extensions_order", "work_order_id", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    work_order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id"))
    round: Mapped[int] = mapped_column(Integer)
    working_days: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    leader_approval: Mapped[str | None] = mapped_column(String(64))
    # pending, approved or refused
    status: Mapped[str] = mapped_column(String(20))
    requested_at: Mapped[datetime]
    requested_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decision_reason: Mapped[str | None] = mapped_column(Text)


class WorkOrderChange(Base):
    """The change log units poll: one row per transition, numbered in commit order.

    `seq` comes from `ChangeSequence`, whose one row every writing transaction locks
    until it commits, so numbers are handed out in commit order and a reader never
    sees a number before a smaller one is committed: a cursor never skips a change.
    """

    __tablename__ = "work_order_changes"
    __table_args__ = (Index("ix_work_order_changes_unit_seq", "unit_id", "seq"),)

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    work_order_id: Mapped[str] = mapped_column(String(36))
    unit_id: Mapped[str] = mapped_column(String(50))
    action: Mapped[str] = mapped_column(String(50))
    at: Mapped[datetime]


class ChangeSequence(Base):
    """The last number given to a change (one row, id 1)."""

    __tablename__ = "work_order_change_sequence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger)
