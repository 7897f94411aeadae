"""Dispatch's tables: units, categories, the routing table, work orders and their
audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
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
    """A filed appeal as an order to one unit (工单), from dispatch to sign-off."""

    __tablename__ = "work_orders"
    __table_args__ = (
        Index("ix_work_orders_unit_status", "unit_id", "status"),
        Index("ix_work_orders_dispatched_at", "dispatched_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    appeal_id: Mapped[str] = mapped_column(String(36), unique=True)
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
