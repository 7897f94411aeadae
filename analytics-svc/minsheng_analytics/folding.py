"""The small rules by which an event's values fold into a projection row so that every
order of arrival gives the same row (see `consumers`)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from minsheng_analytics.models import WorkOrderFact
from minsheng_common.events import Envelope


class Stamped(Protocol):
    """A row that keeps the `occurred_at` of the newest event applied to it."""

    last_event_at: datetime | None


def touch(row: Stamped, envelope: Envelope) -> None:
    """Keep the newest `occurred_at` applied to the row."""
    if row.last_event_at is None or envelope.occurred_at > row.last_event_at:
        row.last_event_at = envelope.occurred_at


def earliest(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or candidate < current else current


def latest(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or candidate > current else current


def fill_order(order: WorkOrderFact, appeal_id: str, unit_id: str) -> None:
    """Fill the order's appeal and unit if no event gave them yet."""
    # work_order.dispatched overwrites these; other events only fill the gaps.
    order.appeal_id = order.appeal_id or appeal_id
    order.unit_id = order.unit_id or unit_id
