"""The tables of special dispatch, on dispatch's store: parallel groups (并行, Art. 20,
22) and the cooperating units' opinions to their lead.

Merged and split orders need no table of their own: the orders carry `merged_into`
and `split_from`, and their history says who did it, when and why.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from minsheng_dispatch.models import Base

CANDIDATES = "candidates"
LEAD = "lead"

SUBMITTED = "submitted"
WAIVED = "waived"


class ParallelGroup(Base):
    """One event sent to several units at once (并行), each with its own order.

    `mode` is `candidates` when the description cannot tell which unit is
    responsible (the one that confirms handles it, the others return it) or `lead`
    when one unit leads and the others cooperate. `updated_at` changes with every
    step of the group: each step updates the row first, so steps of one group run
    one after the other (see `repository.lock_group`).
    """

    __tablename__ = "parallel_groups"
    __table_args__ = (Index("ix_parallel_groups_origin", "origin_work_order_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    appeal_id: Mapped[str] = mapped_column(String(36))
    origin_work_order_id: Mapped[str] = mapped_column(String(36))
    mode: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime]
    # The candidate that confirmed ownership (candidates mode), once one has.
    owner_work_order_id: Mapped[str | None] = mapped_column(String(36))
    owner_confirmed_at: Mapped[datetime | None]


class CooperationOpinion(Base):
    """A cooperating unit's opinion to the lead (协同意见, Art. 20), or the center's
    waiver of it: one per cooperating order."""

    __tablename__ = "cooperation_opinions"
    __table_args__ = (Index("ix_cooperation_opinions_group", "group_id"),)

    work_order_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    group_id: Mapped[str] = mapped_column(String(36))
    unit_id: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20))
    opinion: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]
    by: Mapped[str] = mapped_column(String(200))
    # The cooperating order's handling deadline when it was given: its period.
    due_at: Mapped[datetime | None]
    on_time: Mapped[bool] = mapped_column(Boolean)
