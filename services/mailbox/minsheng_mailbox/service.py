"""Taking one message read from the mailbox: an appeal queued for intake, or an
auto-reply or bounce recorded as ignored; in both cases the folder's cursor moves
past it in the same transaction, so a restart neither skips nor repeats it.

A message is known by its Message-ID (hashed: `mid:<sha256>`), or by
`uid:<uidvalidity>:<uid>` when it has none. That key is intake's idempotency key
(the channel reference), and it is what keeps a message from being taken twice
when the folder's UIDVALIDITY changes and every message is read again, or when the
same mail lands in the folder twice. Such a message is recorded as repeated (so the
operators see every UID read) and goes nowhere. (A message without a Message-ID
read again under a new UIDVALIDITY cannot be recognised and is taken once more;
intake then sees a new reference.)

Logs name a message by its UIDVALIDITY and UID and the item by its id: never the
sender, the subject or the Message-ID, which may hold an address.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.adapters import queue
from minsheng_common.adapters.schemas import Contact
from minsheng_common.clock import Clock
from minsheng_mailbox import mapping, mime, repository
from minsheng_mailbox.imap import Fetched
from minsheng_mailbox.models import MailboxItem, MailMessage
from minsheng_mailbox.schemas import MailAppeal

log = logging.getLogger(__name__)

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
"""Intake refuses an appeal received before this; an older Date is a wrong one."""


@dataclass
class PollState:
    """How reading the mailbox goes, for the operators (GET /v1/mailbox)."""

    uidvalidity: int | None = None
    last_poll_at: datetime | None = None
    last_success_at: datetime | None = None
    consecutive_failures: int = 0
    last_error: str | None = None


@dataclass(frozen=True)
class MailboxContext:
    """What the poller, the routes and the delivery loop share besides the store."""

    clock: Clock
    channel: str
    folder: str
    configured: bool
    limits: mapping.Limits
    attachment_base_url: str
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    poll_now: asyncio.Event = field(default_factory=asyncio.Event)
    state: PollState = field(default_factory=PollState)

    def attachment_url(self, name: str) -> str:
        return f"{self.attachment_base_url}/v1/attachments/{name}"


def message_key(message_id: str | None, uidvalidity: int, uid: int) -> str:
    """The message's identity: its Message-ID hashed, or its place in the folder."""
    if message_id:
        digest = hashlib.sha256(message_id.encode("utf-8", "replace")).hexdigest()
        return f"mid:{digest}"
    return f"uid:{uidvalidity}:{uid}"


async def take(
    session: AsyncSession,
    context: MailboxContext,
    fetched: Fetched,
    *,
    uidvalidity: int,
) -> MailMessage:
    """Record the message and move the cursor past it, in one transaction."""
    where = f"mailbox message {uidvalidity}:{fetched.uid}"
    # A large message takes a moment to parse: not on the event loop.
    letter, unread = await asyncio.to_thread(_read, fetched, context, where)
    key = message_key(letter.message_id, uidvalidity, fetched.uid)
    now = context.clock.now()

    row = MailMessage(
        key=key,
        folder=context.folder,
        uidvalidity=uidvalidity,
        uid=fetched.uid,
        size=fetched.size,
        sent_at=_sent_at(letter, fetched, now),
        read_at=now,
    )
    earlier = await repository.message_of(session, key)
    if earlier is not None:
        return await _repeated(session, context, row, earlier, where=where)

    if letter.machine is not None:
        row.outcome, row.reason = "ignored", letter.machine
    else:
        item = await _queue(session, context, letter, unread, key, row, now)
        row.outcome, row.item_id = "queued", item.id
    session.add(row)
    await _move_cursor(session, context, uidvalidity, fetched.uid, now)
    await session.commit()

    if row.outcome == "ignored":
        log.info("%s ignored: written by a machine (%s)", where, row.reason)
    else:
        log.info("%s stored as item %s", where, row.item_id)
    return row


async def _repeated(
    session: AsyncSession,
    context: MailboxContext,
    row: MailMessage,
    earlier: MailMessage,
    *,
    where: str,
) -> MailMessage:
    """Record a message whose Message-ID an earlier one had, and nothing more: the
    earlier one is the appeal (or was ignored). Known by its place in the folder,
    it points at the earlier message and at the item carrying it."""
    row.key = f"rep:{row.uidvalidity}:{row.uid}"
    row.outcome, row.repeats, row.item_id = "repeated", earlier.key, earlier.item_id
    rebuilt = earlier.folder == row.folder and earlier.uidvalidity != row.uidvalidity
    row.reason = "read_again" if rebuilt else "same_message_id"
    # The cursor moved past this UID with any earlier record of it; but a folder
    # chosen anew (MAILBOX_IMAP_FOLDER) may share the old one's UIDVALIDITY, and
    # a place recorded already is not recorded twice.
    if await repository.message_of(session, row.key) is None:
        session.add(row)
    await _move_cursor(session, context, row.uidvalidity, row.uid, row.read_at)
    await session.commit()

    log.info(
        "%s was taken before as %d:%d (%s), recorded as repeated (%s)",
        where,
        earlier.uidvalidity,
        earlier.uid,
        earlier.outcome,
        row.reason,
    )
    return row


async def _queue(
    session: AsyncSession,
    context: MailboxContext,
    letter: mime.Letter,
    unread: str | None,
    key: str,
    row: MailMessage,
    now: datetime,
) -> MailboxItem:
    composed = mapping.compose(letter, limits=context.limits, unread=unread)
    for kept in composed.files:
        await repository.keep_attachment(
            session,
            {
                "digest": kept.digest,
                "ending": kept.ending,
                "size": len(kept.content),
                "content": kept.content,
                "stored_at": now,
            },
        )
    address = letter.sender_address
    appeal = MailAppeal(
        channel=context.channel,
        channel_ref=key,
        title=composed.title,
        content=composed.content,
        contact=Contact(kind="email", value=address) if address else None,
        received_at=row.sent_at,
        attachments=[context.attachment_url(kept.name) for kept in composed.files],
        name=mapping.name_of(letter),
    )
    return await queue.enqueue(
        session,
        MailboxItem,
        source=context.folder,
        payload=appeal.model_dump(mode="json"),
        now=now,
        message_key=key,
        uid=row.uid,
        message_id=letter.message_id,
        subject=letter.subject,
        sent_at=row.sent_at,
        attachments=len(composed.files),
    )


async def _move_cursor(
    session: AsyncSession,
    context: MailboxContext,
    uidvalidity: int,
    uid: int,
    now: datetime,
) -> None:
    await repository.move_cursor(
        session, context.folder, uidvalidity=uidvalidity, uid=uid, now=now
    )


def _read(
    fetched: Fetched, context: MailboxContext, where: str
) -> tuple[mime.Letter, str | None]:
    """The message as read, and why its text was not read (None when it was)."""
    limit = context.limits.message_max_bytes
    if not fetched.whole:
        return mime.read_headers(fetched.raw), mapping.too_large(fetched.size, limit)
    try:
        return mime.read(fetched.raw), None
    except Exception as error:
        # A body no parser survives (nesting deeper than recursion allows, a
        # fault of ours) must not hold up the mailbox: its headers still make
        # an appeal, which says so. The error's type only: its words may quote
        # the mail.
        log.error("%s: its body could not be read (%s)", where, type(error).__name__)
        return mime.read_headers(fetched.raw), mapping.UNREADABLE


def _sent_at(letter: mime.Letter, fetched: Fetched, now: datetime) -> datetime:
    """When the citizen sent it: the Date header in UTC; the server's arrival time
    when Date is missing, unreadable, before 2000 or ahead of our clock (a sender's
    clock set wrong); now when the server gave none."""
    for moment in (letter.sent_at, fetched.internal_date):
        if moment is not None and EARLIEST <= moment <= now + timedelta(minutes=1):
            return moment.astimezone(UTC)
    return now
