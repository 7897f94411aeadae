"""Replaying a forum export: each message becomes a canonical appeal, stored with its
due time before anything is sent, so nothing is lost when intake is down."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import ids
from minsheng_common.adapters import queue
from minsheng_common.auth.ratelimit import RateLimiter
from minsheng_common.clock import Clock
from minsheng_common.timeutil import SHANGHAI
from minsheng_forum import mapping, repository, sample, schedule, timestamps
from minsheng_forum.errors import ReplayConflict, SampleUnavailable
from minsheng_forum.models import ForumItem
from minsheng_forum.schemas import (
    CanonicalAppeal,
    ForumContact,
    ReplayReport,
    UnparseableRow,
)
from minsheng_forum.settings import FeedSource

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ForumContext:
    """What the replay, the pushes, the polling and the delivery loop share besides
    the store."""

    clock: Clock
    channel: str
    source: str
    sample_path: Path
    default_compression: float
    webhook_secrets: tuple[str, ...] = ()
    max_title_chars: int = 200
    max_detail_chars: int = 5000
    push_limiter: RateLimiter = field(
        default_factory=lambda: RateLimiter(per_minute=600)
    )
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    sources: tuple[FeedSource, ...] = ()


async def replay(
    *,
    session: AsyncSession,
    context: ForumContext,
    compression: float | None = None,
    limit: int | None = None,
) -> ReplayReport:
    """Store the sample's messages as items due on the demo clock; rows an earlier
    replay stored are skipped, rows with an unreadable time stamp are reported."""
    factor = compression or context.default_compression
    messages = await _read(context.sample_path)

    dated, unreadable = _date(messages)
    ordered = schedule.in_posted_order(dated)[:limit]
    stored = await repository.stored_rows(session, context.source)
    fresh = [d for d in ordered if (d.message.message_id, d.message.row) not in stored]

    start = context.clock.now()
    slots = schedule.plan(fresh, start=start, compression=factor)
    position = await queue.last_position(session, ForumItem, context.source)
    for number, slot in enumerate(slots, start=position + 1):
        session.add(_item(context, slot, position=number, now=start))
    try:
        await session.commit()
    except IntegrityError as error:
        await session.rollback()
        raise ReplayConflict(
            "another replay of this sample is storing the same messages; try again"
        ) from error

    context.wake.set()
    log.info(
        "replay of %s: %d scheduled, %d already stored, %d unreadable time stamps "
        "(compression %g)",
        context.source,
        len(slots),
        len(ordered) - len(fresh),
        len(unreadable),
        factor,
    )
    return ReplayReport(
        source=context.source,
        compression=factor,
        scheduled=len(slots),
        skipped_already_stored=len(ordered) - len(fresh),
        unparseable=len(unreadable),
        unparseable_rows=unreadable,
        first_due_at=slots[0].due_at if slots else None,
        last_due_at=slots[-1].due_at if slots else None,
    )


async def _read(path: Path) -> list[sample.ForumMessage]:
    try:
        return await asyncio.to_thread(sample.read, path)
    except (OSError, KeyError, UnicodeDecodeError) as error:
        raise SampleUnavailable(
            f"the forum export {path.name} cannot be read: {type(error).__name__}"
        ) from error


def _date(
    messages: list[sample.ForumMessage],
) -> tuple[list[schedule.Dated], list[UnparseableRow]]:
    dated: list[schedule.Dated] = []
    unreadable: list[UnparseableRow] = []
    for message in messages:
        try:
            dated.append(schedule.Dated(message, message.posted_at()))
        except timestamps.UnparseableTime:
            log.warning(
                "forum message %s (row %d): time stamp %r unreadable, not replayed",
                message.message_id,
                message.row,
                message.posted_raw,
            )
            unreadable.append(
                UnparseableRow(
                    row=message.row,
                    message_id=message.message_id,
                    posted_at=message.posted_raw,
                )
            )
    return dated, unreadable


def canonical_appeal(
    message: sample.ForumMessage, *, channel: str, received_at_utc: datetime
) -> CanonicalAppeal:
    """The forum message in intake's canonical form: masked places mapped, the
    category label as a hint, the type read from the title, the account as contact."""
    title = mapping.places(message.title)
    return CanonicalAppeal(
        channel=channel,
        channel_ref=message.message_id,
        type=mapping.appeal_type(message.title),
        category_hint=mapping.category(message.category_label),
        title=title,
        content=mapping.places(message.detail),
        contact=ForumContact(value=message.user_id),
        received_at=received_at_utc.astimezone(SHANGHAI),
    )


def _item(
    context: ForumContext, slot: schedule.Slot, *, position: int, now: datetime
) -> ForumItem:
    appeal = canonical_appeal(
        slot.message, channel=context.channel, received_at_utc=slot.due_at
    )
    return ForumItem(
        id=ids.new_id(),
        source=context.source,
        message_id=slot.message.message_id,
        row_number=slot.message.row,
        position=position,
        payload=appeal.model_dump(mode="json"),
        posted_at=slot.posted_at,
        due_at=slot.due_at,
        status="pending",
        attempts=0,
        created_at=now,
    )
