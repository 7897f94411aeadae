"""Moving forum messages onto the demo clock.

The earliest message is due at the moment the replay starts; every other message keeps
its place and its distance from the first, divided by the compression factor. With the
default factor of 100 000, a day on the forum takes less than a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from minsheng_forum.sample import ForumMessage


@dataclass(frozen=True)
class Dated:
    """A message whose time stamp could be read."""

    message: ForumMessage
    posted_at: datetime


@dataclass(frozen=True)
class Slot:
    """A message's place in the replay: its position and when it is due."""

    message: ForumMessage
    posted_at: datetime
    due_at: datetime


def in_posted_order(messages: Sequence[Dated]) -> list[Dated]:
    """Oldest first; messages posted at the same second keep their file order."""
    return sorted(messages, key=lambda dated: (dated.posted_at, dated.message.row))


def plan(
    messages: Sequence[Dated], *, start: datetime, compression: float
) -> list[Slot]:
    """The due time of each message: `start` for the first, then the forum's spacing
    divided by `compression`. The result is in posted order."""
    if start.tzinfo is None:
        raise ValueError("the replay start must be an aware datetime")
    if compression < 1:
        raise ValueError("the compression factor must be at least 1")

    ordered = in_posted_order(messages)
    if not ordered:
        return []

    first = ordered[0].posted_at
    return [
        Slot(
            message=dated.message,
            posted_at=dated.posted_at,
            due_at=start + (dated.posted_at - first) / compression,
        )
        for dated in ordered
    ]
