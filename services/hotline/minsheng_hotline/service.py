"""Taking a call record a call centre pushes (POST /v1/lines/{line}/calls).

A record is taken as every adapter takes a push (`minsheng_common.adapters.push`):
a valid HMAC-SHA256 of its timestamp and raw body with the line's own secret, made
within the window of the real clock, and never seen before (a replay inside the
window answers 409). A record signed with another line's secret fails the
signature: a call centre files only for its own line.

Rate limit: one budget per line, counted only for correctly signed records.

A record intake would refuse is refused at once with 422 and the field at fault,
and nothing is stored: a title or summary longer than intake takes (`too_long`), a
recording that is not an audio file intake takes, a call time in the future. An
accepted record becomes an item of its line's queue, delivered by the loop every
adapter shares. The call id is the idempotency key: the same call pushed again (a
retry with a new signature) answers its first item. Logs name the line, the call
and the agent, never the caller's number, the address or the summary.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.adapters import push, queue
from minsheng_common.adapters.schemas import CanonicalAppeal, Contact, ItemStatus
from minsheng_common.auth import webhooks
from minsheng_common.auth.ratelimit import RateLimiter
from minsheng_common.clock import Clock
from minsheng_common.reference import ReferenceData
from minsheng_common.text import strip_invisible
from minsheng_common.timeutil import SHANGHAI, as_utc
from minsheng_hotline import mapping
from minsheng_hotline.errors import CallTooLong, InvalidCall, UnknownLine
from minsheng_hotline.models import HotlineCall, WebhookReceipt
from minsheng_hotline.schemas import CallAccepted, CallRecord
from minsheng_hotline.settings import channel_of

log = logging.getLogger(__name__)

EARLIEST_CALL = datetime(2000, 1, 1, tzinfo=UTC)
"""Intake takes no receipt before the platform's era."""


@dataclass(frozen=True)
class Line:
    """A line the adapter serves: its channel and the secrets its records carry."""

    number: str
    secrets: tuple[str, ...]
    secret_setting: str

    @property
    def channel(self) -> str:
        return channel_of(self.number)


@dataclass(frozen=True)
class HotlineContext:
    """What the push route and the delivery loop share besides the store."""

    clock: Clock
    reference: ReferenceData
    lines: dict[str, Line]
    recording_types: frozenset[str]
    max_title_chars: int = 200
    max_content_chars: int = 5000
    push_limiter: RateLimiter = field(
        default_factory=lambda: RateLimiter(per_minute=600)
    )
    wake: asyncio.Event = field(default_factory=asyncio.Event)


async def receive(
    *,
    session: AsyncSession,
    context: HotlineContext,
    line_number: str,
    pushed: push.Pushed,
) -> CallAccepted:
    """Verify a pushed record and store it as an item due now."""
    line = context.lines.get(line_number)
    if line is None:
        raise UnknownLine(f"no line {line_number!r} is served here", field="line")
    verified = push.verify(pushed, secrets=line.secrets, setting=line.secret_setting)
    record = _parse(pushed.body)
    _check(record, context, line, pushed.now)
    context.push_limiter.check(f"line:{line.number}")

    async def find(session: AsyncSession) -> HotlineCall | None:
        return await _call_of(session, line.number, record.call_id)

    async def create(session: AsyncSession) -> HotlineCall:
        return await _item(session, context, line, record)

    stored = await push.store_once(
        session,
        receipt=WebhookReceipt,
        signature=verified,
        now=pushed.now,
        what=f"call {record.call_id} of line {line.number}",
        find=find,
        create=create,
    )
    if not stored.duplicate:
        context.wake.set()
        log.info(
            "call %s of line %s (agent %s) stored as item %s",
            record.call_id,
            line.number,
            record.agent,
            stored.item.id,
        )
    return CallAccepted(
        id=stored.item.id,
        line=line.number,
        call_id=stored.item.call_id,
        status=cast(ItemStatus, stored.item.status),
        duplicate=stored.duplicate,
    )


def _parse(body: bytes) -> CallRecord:
    record = push.parse(CallRecord, body, error=InvalidCall)
    summary = strip_invisible(record.summary).strip()
    if not summary:
        raise InvalidCall("summary: nothing readable is left", field="summary")
    return record.model_copy(
        update={
            "summary": summary,
            "title": _clean(record.title),
            "address": _clean(record.address),
            "type": strip_invisible(record.type).strip(),
            "category": strip_invisible(record.category).strip(),
        }
    )


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    return strip_invisible(value).strip() or None


def _check(
    record: CallRecord, context: HotlineContext, line: Line, now: datetime
) -> None:
    """Refuse what intake would refuse, so nothing accepted is refused later."""
    title = mapping.title(record.title, record.summary)
    for name, length, limit in (
        ("title", len(title), context.max_title_chars),
        ("summary", len(record.summary), context.max_content_chars),
    ):
        if length > limit:
            log.warning(
                "call %s of line %s refused: its %s has %d characters, intake "
                "takes at most %d",
                record.call_id,
                line.number,
                name,
                length,
                limit,
            )
            raise CallTooLong(
                f"{name} has {length} characters; at most {limit} are accepted",
                field=name,
            )

    called_at = as_utc(record.called_at)
    if called_at > now + webhooks.WINDOW:
        raise InvalidCall(
            "called_at is in the future; check the call centre's clock",
            field="called_at",
        )
    if called_at < EARLIEST_CALL:
        raise InvalidCall(
            f"called_at is before {EARLIEST_CALL:%Y-%m-%d}", field="called_at"
        )

    if record.recording_url is not None:
        name = PurePosixPath(record.recording_url.path or "").name
        ending = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if ending not in context.recording_types:
            raise InvalidCall(
                "recording_url is not an audio file of a kind intake takes "
                f"({', '.join(sorted(context.recording_types))})",
                field="recording_url",
            )


def canonical_appeal(
    record: CallRecord, *, channel: str, reference: ReferenceData
) -> CanonicalAppeal:
    """The call record in intake's canonical form: the agent's summary as the
    content, type and category as entered mapped onto ours, the caller's number as
    the contact, the recording attached, received when the call was taken."""
    contact = (
        Contact(kind="phone", value=record.caller_number)
        if record.caller_number
        else None
    )
    return CanonicalAppeal(
        channel=channel,
        channel_ref=record.call_id,
        type=mapping.appeal_type(record.type),
        category_hint=mapping.category(record.category, reference),
        title=mapping.title(record.title, record.summary),
        content=record.summary,
        contact=contact,
        address=record.address,
        received_at=as_utc(record.called_at).astimezone(SHANGHAI),
        attachments=[str(record.recording_url)] if record.recording_url else [],
    )


async def _call_of(
    session: AsyncSession, line: str, call_id: str
) -> HotlineCall | None:
    result = await session.scalars(
        select(HotlineCall).where(
            HotlineCall.source == line, HotlineCall.call_id == call_id
        )
    )
    return result.first()


async def _item(
    session: AsyncSession, context: HotlineContext, line: Line, record: CallRecord
) -> HotlineCall:
    appeal = canonical_appeal(record, channel=line.channel, reference=context.reference)
    return await queue.enqueue(
        session,
        HotlineCall,
        source=line.number,
        payload=appeal.model_dump(mode="json"),
        now=context.clock.now(),
        call_id=record.call_id,
        agent=record.agent,
        type_as_entered=record.type,
        category_as_entered=record.category,
        called_at=as_utc(record.called_at),
    )
