"""The tables of sameness: whether each appeal is still being handled (and which
surviving order a merged one follows), the event clusters (Art. 18), which cluster
each appeal belongs to, and the warnings that raised a cluster to level 2 (Art. 9)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from minsheng_intake.models import Base


class AppealHandling(Base):
    """Whether a unit is still handling an appeal (open) or has finished (closed),
    learned from the work-order events; the latest event by its own time wins."""

    __tablename__ = "appeal_handling"

    appeal_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    state: Mapped[str] = mapped_column(String(10))
    updated_at: Mapped[datetime]


class EventCluster(Base):
    """Several people's reports of one event at one place (并案, Art. 18): the first
    report's problem represents the cluster."""

    __tablename__ = "event_clusters"
    __table_args__ = (
        Index("ix_event_clusters_subdistrict_seen", "subdistrict_id", "last_seen_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subdistrict_id: Mapped[str | None] = mapped_column(String(50))
    community: Mapped[str | None] = mapped_column(String(50))
    opened_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    size: Mapped[int] = mapped_column(Integer)
    first_appeal_id: Mapped[str] = mapped_column(String(36))
    tokens: Mapped[list[str]] = mapped_column(JSON)
    """The first report's words (jieba, stop words and places taken out)."""
    representative: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The rest of the first report's problem: character pairs, things, troubles
    and address parts."""


class AppealCluster(Base):
    """The event cluster an appeal belongs to, and how alike it was to the cluster's
    first report when it joined."""

    __tablename__ = "appeal_clusters"
    __table_args__ = (Index("ix_appeal_clusters_cluster", "cluster_id"),)

    appeal_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    cluster_id: Mapped[str] = mapped_column(String(36))
    similarity: Mapped[float]
    joined_at: Mapped[datetime]


class AppealMerge(Base):
    """An appeal whose work order was merged into another appeal's order (并案,
    Art. 18): from then on it is handled, closed and reopened with the surviving
    order."""

    __tablename__ = "appeal_merges"
    __table_args__ = (Index("ix_appeal_merges_into", "into_appeal_id"),)

    appeal_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    into_appeal_id: Mapped[str] = mapped_column(String(36))
    into_work_order_id: Mapped[str] = mapped_column(String(36))
    merged_at: Mapped[datetime]


class ClusterWarning(Base):
    """An analytics warning that raised an event cluster to level 2 (Art. 9, 23): a
    hotspot, a high-frequency event or a possible safety hazard. Appeals joining the
    cluster later are filed at level 2 too. The first such warning is kept."""

    __tablename__ = "cluster_warnings"

    cluster_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    warning_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(20))
    raised_at: Mapped[datetime]
