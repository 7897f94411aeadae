"""The AI + video adapter's tables: the appeals on their way to intake, every
detection and what became of it, the snapshots, and the signatures of pushes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Float, Index, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from minsheng_common.adapters import kept_files, queue, receipts
from minsheng_common.db import UTCDateTime


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class VideoAppeal(queue.QueueItem, Base):
    """One appeal: the first confident detection of a kind at a camera, and the
    later ones folded into it. The camera is the queue (`source`)."""

    __tablename__ = "video_appeals"
    __table_args__ = (
        Index("ix_video_appeals_stream", "source", "kind", "first_detected_at"),
        *queue.indexes("video_appeals"),
    )

    kind: Mapped[str] = mapped_column(String(50))
    first_detection_id: Mapped[str] = mapped_column(String(100), unique=True)
    first_detected_at: Mapped[datetime]
    last_detected_at: Mapped[datetime]
    detections: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[str] = mapped_column(String(80))
    """The first detection's snapshot, as attached: `<sha256>.<ending>`."""


class VideoDetection(Base):
    """A detection as the platform pushed it, and its outcome: it opened an appeal,
    was folded into one, or was ignored for its low confidence."""

    __tablename__ = "video_detections"
    __table_args__ = (Index("ix_video_detections_outcome", "outcome"),)

    detection_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    camera_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(50))
    confidence: Mapped[float] = mapped_column(Float)
    detected_at: Mapped[datetime]
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    snapshot: Mapped[str | None] = mapped_column(String(80))
    outcome: Mapped[str] = mapped_column(String(20))
    appeal_item_id: Mapped[str | None] = mapped_column(String(36), index=True)
    received_at: Mapped[datetime]


class Snapshot(kept_files.KeptPicture, Base):
    """A snapshot's content, kept by its SHA-256 and served to intake's readers."""

    __tablename__ = "video_snapshots"


class Watch(Base):
    """One camera watching for one kind: the row detections of that kind at that
    camera lock while they decide whether to fold, so two at once never both open
    an appeal."""

    __tablename__ = "video_watches"

    camera_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(50), primary_key=True)
    created_at: Mapped[datetime]


class WebhookReceipt(receipts.Receipt, Base):
    """A pushed detection's signature, kept while a replay of it could still pass
    the time window: the same signature arriving again is refused (409)."""

    __table_args__ = receipts.table_args()
