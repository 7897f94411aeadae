"""The Open311 server's tables: the requests 311 clients filed, until intake has
them and after, and its own projection of how their appeals progress.

The projection is fed by events (appeals, work orders, deadlines). Work-order and
deadline events do not name the channel, and they may be read before the event that
ties their appeal to a request here; so they are kept for every appeal and those no
request claims are forgotten after `OPEN311_UNCLAIMED_HOURS`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from minsheng_common.adapters import answer_store, queue, receipts
from minsheng_common.db import UTCDateTime


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class ServiceRequest(queue.QueueItem, Base):
    """A request a 311 client filed, stored before anything is sent to intake: an
    item of the adapters' shared queue (one queue, `source` open311, in the order
    the requests came) with what GeoReport v2 shows of it.

    The id is the token the client gets, and the channel reference (idempotency key)
    intake receives. Once delivered, intake's tracking code is the
    service_request_id, and the citizen's contact and name are removed from the
    payload: intake keeps them, encrypted. The decision's reason, advice and
    instant answer come with intake's events, and `decided_at` is the time of the
    newest decision an event told.
    """

    __tablename__ = "service_requests"
    __table_args__ = (
        *queue.indexes("service_requests"),
        Index("ix_service_requests_requested_at", "requested_at"),
        UniqueConstraint("tracking_code", name="uq_service_requests_tracking_code"),
        UniqueConstraint("appeal_id", name="uq_service_requests_appeal_id"),
    )

    client_id: Mapped[str] = mapped_column(String(100))
    service_code: Mapped[str] = mapped_column(String(50))
    description: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(500))
    address_id: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    media_url: Mapped[str | None] = mapped_column(String(2000))
    requested_at: Mapped[datetime]
    reason_code: Mapped[str | None] = mapped_column(String(50))
    article: Mapped[str | None] = mapped_column(String(50))
    advice: Mapped[str | None] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]


class WorkOrderView(Base):
    """What the server knows of one work order: its unit, whether it is still being
    handled (`open`), was closed (`closed`) or ended otherwise (`ended`: returned,
    merged into another, replaced by a split or parallel orders), and its handling
    deadline from the newest `deadline.set`."""

    __tablename__ = "work_orders"
    __table_args__ = (
        Index("ix_work_orders_appeal_id", "appeal_id"),
        Index("ix_work_orders_recorded_at", "recorded_at"),
    )

    work_order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    appeal_id: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[str] = mapped_column(String(50))
    state: Mapped[str] = mapped_column(String(10))
    changed_at: Mapped[datetime]
    handling_due_at: Mapped[datetime | None]
    due_set_at: Mapped[datetime | None]
    recorded_at: Mapped[datetime]


class ProgressUpdate(Base):
    """One step of an appeal's progress, in the update feed's extended states, with
    a public note (no personal data, no unit's internal notes). Its id is the
    update_id clients see; one event may give a step to several appeals (a merger)."""

    __tablename__ = "progress_updates"
    __table_args__ = (
        UniqueConstraint("event_id", "appeal_id", name="uq_progress_updates_event"),
        Index("ix_progress_updates_appeal_id", "appeal_id", "occurred_at"),
        Index("ix_progress_updates_occurred_at", "occurred_at"),
        Index("ix_progress_updates_recorded_at", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64))
    appeal_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(40))
    notes: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime]


class Merger(Base):
    """An appeal whose order was merged into another appeal's (并案, Art. 18): from
    `merged_at` on, it follows the surviving appeal's orders and steps."""

    __tablename__ = "mergers"
    __table_args__ = (
        Index("ix_mergers_survivor", "survivor_appeal_id"),
        Index("ix_mergers_recorded_at", "recorded_at"),
    )

    appeal_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    survivor_appeal_id: Mapped[str] = mapped_column(String(64))
    merged_at: Mapped[datetime]
    recorded_at: Mapped[datetime]


class AnswerReceipt(receipts.Receipt, Base):
    """The signatures of answers notify handed over, kept against replays."""

    __table_args__ = receipts.table_args()


class Answer(answer_store.AnswerRecord, Base):
    """An answer notify handed over for a citizen who filed here, until it is an
    update of the request's feed and notify has its receipt."""

    __table_args__ = answer_store.table_args()
