"""Taking what the official account's server pushes (GET and POST /v1/push) and
answering inside WeChat's five seconds.

**Verifying.** The URL check (GET) and every push carry `signature`, `timestamp`
and `nonce`: the SHA-1 of the token, timestamp and nonce sorted and joined. An
encrypted push (`encrypt_type=aes`, safe or compatible mode) is verified by
`msg_signature`, which adds the `Encrypt` element, then decrypted (see `crypto`);
its reply is encrypted too. The timestamp must be within five minutes of the real
clock. The signature is the replay key: one seen before with a message not seen
before is refused (409). A plain signature does not cover the body, so that is
what stops a captured signature from carrying another message.

**Once per message.** WeChat retries a push it got no answer to within five
seconds, up to three times, with the same message. The idempotency key is the
MsgId (for an event: the sender and CreateTime, as WeChat advises): a message seen
before stores nothing and gets the reply its state gives now, at once.

**Storing first, then answering.** A new message is stored (and its appeal queued)
before anything is sent; the push then waits, within WECHAT_REPLY_BUDGET_SECONDS
counted from its arrival (three by default, fetching the picture included), for
the delivery loop to hand the appeal to intake. The passive reply (被动回复) gives
the tracking code, or intake's instant answer to a consultation; when intake is
slow or down it says at once that the message was received, and the loop delivers
the appeal later, in the citizen's order and exactly once by its channel
reference (`wx-<MsgId>`).

**Pictures and locations after a text.** A picture or a location joins the
citizen's latest appeal opened by a text or voice less than
WECHAT_FOLLOW_UP_SECONDS before (five minutes by default) while intake has
certainly not received that appeal: still pending, and no try of it may have
reached intake (only refused connections so far, see `delivery`). The picture is
attached (one that could not be fetched and kept is only noted in the content:
WeChat's link is never attached, see `mapping`), the location becomes the
appeal's coordinates and address. Otherwise it opens an appeal of its own, which
says it came without words: an appeal intake has may not change, and intake has
no way to add to one. So when intake answers at once, as it does when it is up,
each picture or location is its own appeal; when intake is down they gather on
the text that is waiting. Joining waits at most a second for the delivery loop
to finish sending; if the loop is still sending, the message opens its own
appeal rather than wait past WeChat's limit.

**Events.** `subscribe` is answered with WECHAT_WELCOME_TEXT; every other event
(unsubscribe, menu clicks, location reports) with "success", WeChat's "nothing to
say". A message that files nothing (an empty text, a voice WeChat did not
recognise, a video or link) is recorded and answered with a hint.

Logs name messages by their key and citizens by a pseudonym of the openid, never
the openid or what the citizen wrote.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common.adapters import push, queue
from minsheng_common.auth import webhooks
from minsheng_common.auth.ratelimit import RateLimiter
from minsheng_common.clock import Clock
from minsheng_wechat import crypto, mapping, replies, repository, xmlcodec
from minsheng_wechat.crypto import MessageCrypt
from minsheng_wechat.errors import InvalidMessage, PushNotConfigured
from minsheng_wechat.models import WebhookReceipt, WechatAppeal, WechatMessage
from minsheng_wechat.photos import PhotoFetcher, Picture
from minsheng_wechat.schemas import InboundMessage, Kind

log = logging.getLogger(__name__)

PUSH_BUDGET: Final = "official-account"
"""One budget for WeChat's servers, whichever citizen."""
POLL_SECONDS: Final = 0.02
JOIN_WAIT_SECONDS: Final = 1.0
SUCCESS: Final = b"success"
"""WeChat's "nothing to reply" (an empty body would do too)."""
MAX_ATTACHMENTS: Final = 20
"""Intake takes at most this many attachments on an appeal."""


@dataclass(frozen=True)
class WechatContext:
    """What the push route and the delivery loop share besides the store."""

    clock: Clock
    sessions: async_sessionmaker[AsyncSession]
    channel: str
    token: str | None
    crypt: MessageCrypt | None
    fetcher: PhotoFetcher
    photo_base_url: str
    follow_up_window: timedelta
    reply_budget_seconds: float
    welcome_text: str
    push_limiter: RateLimiter = field(
        default_factory=lambda: RateLimiter(per_minute=600)
    )
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    joining: asyncio.Lock = field(default_factory=asyncio.Lock)

    def photo_url(self, name: str) -> str:
        return f"{self.photo_base_url}/v1/photos/{name}"


@dataclass(frozen=True)
class PushQuery:
    """The query WeChat sends with a push or the URL check."""

    signature: str | None = None
    timestamp: str | None = None
    nonce: str | None = None
    openid: str | None = None
    encrypt_type: str | None = None
    msg_signature: str | None = None


@dataclass(frozen=True)
class Reply:
    """The body answered to WeChat and its media type."""

    body: bytes
    media_type: str


@dataclass(frozen=True)
class _Opened:
    """A verified push: the message's elements, the replay key, and whether it
    came encrypted (the reply then is too)."""

    fields: dict[str, str]
    replay_key: str
    encrypted: bool

    @property
    def signed_by(self) -> str:
        """The query parameter that carried the replay key."""
        return "msg_signature" if self.encrypted else "signature"


def check_url(context: WechatContext, query: PushQuery, *, now: datetime) -> None:
    """The URL check (服务器配置): the signature of token, timestamp and nonce."""
    token = _token(context)
    _check_window(query.timestamp, now)
    timestamp, nonce = query.timestamp or "", query.nonce or ""
    crypto.check(query.signature, token, timestamp, nonce, field="signature")


async def receive(
    *,
    session: AsyncSession,
    context: WechatContext,
    query: PushQuery,
    body: bytes,
    now: datetime,
) -> Reply:
    """Verify a push, store its message once, and make the passive reply."""
    deadline = asyncio.get_running_loop().time() + context.reply_budget_seconds
    opened = _open(context, query, body, now)
    message = _message(opened.fields, now)
    if query.openid and query.openid != message.from_user:
        raise InvalidMessage(
            "the openid of the query is not the message's FromUserName",
            field="openid",
        )
    context.push_limiter.check(PUSH_BUDGET)

    text = await _answer(session, context, message, opened, deadline, now)
    return _reply(context, message, text, encrypted=opened.encrypted)


async def _answer(
    session: AsyncSession,
    context: WechatContext,
    message: InboundMessage,
    opened: _Opened,
    deadline: float,
    now: datetime,
) -> str | None:
    """The reply's text (None: "success") for a message, stored first if new."""
    key = mapping.message_key(message)
    earlier = await repository.message_of(session, key)
    if earlier is not None:
        log.info("message %s pushed again: answered as before", key)
        return await _reply_text(context, earlier)

    kind = mapping.kind_of(message) if message.msg_type != "event" else None
    picture = None
    if kind == "image" and message.pic_url:
        remaining = deadline - asyncio.get_running_loop().time()
        picture = await context.fetcher.fetch(
            message.pic_url, within=remaining, message=key
        )

    stored = await _store(session, context, message, kind, picture, opened, now)
    row = stored.item
    if not stored.duplicate and row.outcome == "opened" and row.appeal_item_id:
        context.wake.set()
        await _await_delivery(context, row.appeal_item_id, deadline)
    return await _reply_text(context, row)


async def _store(
    session: AsyncSession,
    context: WechatContext,
    message: InboundMessage,
    kind: Kind | None,
    picture: Picture | None,
    opened: _Opened,
    now: datetime,
) -> push.Stored[WechatMessage]:
    """Record the signature and the message (with its appeal) in one transaction;
    the message stored before when it was (a retry arriving at once)."""
    key = mapping.message_key(message)
    may_join = kind in mapping.FOLLOW_UPS and context.follow_up_window > timedelta(0)

    async def find(session: AsyncSession) -> WechatMessage | None:
        return await repository.message_of(session, key)

    async with _turn(context.joining, JOIN_WAIT_SECONDS if may_join else 0) as turn:

        async def create(session: AsyncSession) -> WechatMessage:
            return await _record(
                session, context, message, kind, picture, may_join=turn
            )

        try:
            return await push.store_once(
                session,
                receipt=WebhookReceipt,
                signature=opened.replay_key,
                now=now,
                what=f"message {key}",
                find=find,
                create=create,
            )
        except webhooks.ReplayedRequest:
            # WeChat's retry racing its first push carries the same signature:
            # that is the same message, answered as stored. Anything else reusing
            # a signature is a replay.
            earlier = await find(session)
            if earlier is None:
                raise webhooks.ReplayedRequest(
                    "this signature was received before with another message",
                    field=opened.signed_by,
                ) from None
            return push.Stored(earlier, duplicate=True)


@contextlib.asynccontextmanager
async def _turn(lock: asyncio.Lock, within: float) -> AsyncIterator[bool]:
    """Hold `lock` for the block if it can be had within `within` seconds; whether
    it is held."""
    if within <= 0:
        yield False
        return
    try:
        async with asyncio.timeout(within):
            await lock.acquire()
    except TimeoutError:
        yield False
        return
    try:
        yield True
    finally:
        lock.release()


async def _record(
    session: AsyncSession,
    context: WechatContext,
    message: InboundMessage,
    kind: Kind | None,
    picture: Picture | None,
    *,
    may_join: bool,
) -> WechatMessage:
    now = context.clock.now()
    citizen = mapping.citizen(message.from_user)
    key = mapping.message_key(message)
    row = WechatMessage(
        message_key=key,
        citizen=citizen,
        msg_type=message.msg_type,
        event=message.event if message.msg_type == "event" else None,
        photo=picture.name if picture else None,
        sent_at=mapping.sent_at(message),
        received_at=now,
    )
    if picture is not None:
        await repository.keep_photo(session, _photo_values(picture, now))

    if message.msg_type == "event":
        row.outcome = "event"
        log.info("event %s of citizen %s recorded", key, citizen)
    elif kind is None:
        row.outcome = "ignored"
        log.info(
            "message %s (%s) of citizen %s files nothing",
            key,
            message.msg_type,
            citizen,
        )
    else:
        photo_url = _photo_url(context, picture)
        joined = (
            await _join(session, context, message, kind, photo_url, citizen, now)
            if may_join
            else None
        )
        if joined is not None:
            row.outcome = "attached"
            row.appeal_item_id = joined.id
        else:
            item = await _open_appeal(session, context, message, kind, photo_url, now)
            row.outcome = "opened"
            row.appeal_item_id = item.id
            log.info(
                "message %s (%s) of citizen %s opened appeal item %s",
                key,
                kind,
                citizen,
                item.id,
            )
    session.add(row)
    await session.flush()
    return row


async def _join(
    session: AsyncSession,
    context: WechatContext,
    message: InboundMessage,
    kind: Kind,
    photo_url: str | None,
    citizen: str,
    now: datetime,
) -> WechatAppeal | None:
    """Attach a picture or location to the citizen's appeal it may join (a
    picture that could not be kept becomes a note in its content); that appeal,
    or None when there is none (or the appeal has all the attachments intake
    takes)."""
    target = await repository.joinable_appeal(
        session, citizen, since=now - context.follow_up_window
    )
    if target is None:
        return None

    # A new dict: the JSON column notices an assignment, not a change inside.
    payload: dict[str, Any] = dict(target.payload)
    if kind == "image" and photo_url is None:
        payload["content"] = mapping.note_picture_not_retrieved(payload["content"])
    elif kind == "image":
        attachments = list(payload.get("attachments") or [])
        if len(attachments) >= MAX_ATTACHMENTS:
            return None
        payload["attachments"] = [*attachments, photo_url]
    else:
        payload["coordinates"] = {
            "latitude": message.latitude,
            "longitude": message.longitude,
        }
        label = mapping.readable(message.label)
        if label:
            payload["address"] = label
    target.payload = payload
    target.follow_ups += 1
    log.info(
        "message %s (%s) of citizen %s joined appeal item %s",
        mapping.message_key(message),
        kind,
        citizen,
        target.id,
    )
    return target


async def _open_appeal(
    session: AsyncSession,
    context: WechatContext,
    message: InboundMessage,
    kind: Kind,
    photo_url: str | None,
    now: datetime,
) -> WechatAppeal:
    appeal = mapping.canonical_appeal(
        message, kind, channel=context.channel, photo_url=photo_url
    )
    return await queue.enqueue(
        session,
        WechatAppeal,
        source=mapping.citizen(message.from_user),
        payload=appeal.model_dump(mode="json"),
        now=now,
        first_message_key=mapping.message_key(message),
        opened_by=kind,
        follow_ups=0,
        may_have_reached_intake=False,
    )


def _photo_url(context: WechatContext, picture: Picture | None) -> str | None:
    """The picture as attached: the copy kept here, or None. WeChat's own link is
    never attached: intake refuses a link without a file ending (as WeChat's are),
    and refused, the whole appeal would be lost."""
    return context.photo_url(picture.name) if picture is not None else None


def _photo_values(picture: Picture, now: datetime) -> dict[str, Any]:
    return {
        "digest": picture.digest,
        "content_type": picture.content_type,
        "ending": picture.ending,
        "size": len(picture.content),
        "content": picture.content,
        "fetched_at": now,
    }


async def _await_delivery(
    context: WechatContext, item_id: str, deadline: float
) -> None:
    """Wait until intake has answered for the item, a try of it (or of an earlier
    appeal of the same citizen, which goes first) has failed, or the budget is
    spent."""
    loop = asyncio.get_running_loop()
    while loop.time() < deadline:
        async with context.sessions() as session:
            item = await repository.appeal_of(session, item_id)
            if item is None or item.status != "pending" or item.attempts > 0:
                return
            head = await queue.head(session, WechatAppeal, item.source)
            if head is not None and head.id != item.id and head.attempts > 0:
                return
        await asyncio.sleep(POLL_SECONDS)


async def _reply_text(context: WechatContext, row: WechatMessage) -> str | None:
    """What to tell the citizen about a stored message, from where it stands."""
    if row.outcome == "event":
        return context.welcome_text if row.event == "subscribe" else None
    if row.outcome == "ignored":
        return replies.nothing_to_file(row.msg_type)
    picture_lost = row.msg_type == "image" and row.photo is None
    if row.outcome == "attached":
        if picture_lost:
            return replies.PICTURE_NOT_RETRIEVED_ATTACHED
        return replies.ATTACHED.get(row.msg_type, replies.RECEIVED)

    async with context.sessions() as session:
        item = await repository.appeal_of(session, row.appeal_item_id or "")
    text = replies.for_appeal(item) if item is not None else replies.RECEIVED
    return f"{text}\n{replies.PICTURE_NOT_RETRIEVED}" if picture_lost else text


def _reply(
    context: WechatContext,
    message: InboundMessage,
    text: str | None,
    *,
    encrypted: bool,
) -> Reply:
    """The passive reply: a text message to the citizen (encrypted when the push
    was), or "success" when there is nothing to say."""
    if text is None:
        return Reply(SUCCESS, "text/plain")
    now = int(time.time())
    plain = xmlcodec.write(
        {
            "ToUserName": message.from_user,
            "FromUserName": message.to_user,
            "CreateTime": now,
            "MsgType": "text",
            "Content": replies.fit(text),
        }
    )
    if not encrypted or context.crypt is None or context.token is None:
        return Reply(plain, "application/xml")

    sealed = context.crypt.encrypt(plain)
    nonce = str(secrets.randbelow(10**10))
    return Reply(
        xmlcodec.write(
            {
                "Encrypt": sealed,
                "MsgSignature": crypto.signature(
                    context.token, str(now), nonce, sealed
                ),
                "TimeStamp": now,
                "Nonce": nonce,
            }
        ),
        "application/xml",
    )


def _token(context: WechatContext) -> str:
    if context.token is None:
        raise PushNotConfigured("pushes are not taken: WECHAT_TOKEN is not set")
    return context.token


def _open(
    context: WechatContext, query: PushQuery, body: bytes, now: datetime
) -> _Opened:
    """Verify a push and read its message's elements, decrypting it when it came
    encrypted."""
    token = _token(context)
    _check_window(query.timestamp, now)
    timestamp, nonce = query.timestamp or "", query.nonce or ""
    mode = (query.encrypt_type or "raw").lower()

    if mode == "aes":
        if context.crypt is None:
            raise PushNotConfigured(
                "encrypted pushes are not taken: WECHAT_ENCODING_AES_KEY and "
                "WECHAT_APP_ID are not set"
            )
        outer = xmlcodec.read(body)
        sealed = outer.get("Encrypt", "").strip()
        if not sealed:
            raise InvalidMessage(
                "an encrypted push needs the Encrypt element", field="Encrypt"
            )
        replay_key = crypto.check(
            query.msg_signature, token, timestamp, nonce, sealed, field="msg_signature"
        )
        inner = xmlcodec.read(context.crypt.decrypt(sealed))
        return _Opened(inner, replay_key, encrypted=True)

    if mode != "raw":
        raise InvalidMessage(
            f"encrypt_type {mode!r} is neither aes nor raw", field="encrypt_type"
        )
    # Checked before the body is read: nothing unsigned is parsed in plain mode.
    replay_key = crypto.check(
        query.signature, token, timestamp, nonce, field="signature"
    )
    return _Opened(xmlcodec.read(body), replay_key, encrypted=False)


def _check_window(timestamp: str | None, now: datetime) -> None:
    """The timestamp must be Unix seconds within the window of the real clock."""
    if not timestamp or not timestamp.strip().isdigit():
        raise webhooks.BadSignature(
            "the query parameter timestamp must be Unix seconds", field="timestamp"
        )
    if abs(now.timestamp() - int(timestamp)) > webhooks.WINDOW.total_seconds():
        raise webhooks.StaleRequest(
            "the push was signed outside the accepted time window", field="timestamp"
        )


def _message(fields: dict[str, str], now: datetime) -> InboundMessage:
    """The elements read as a WeChat message; `InvalidMessage` naming the first
    element at fault."""
    given = {name: value for name, value in fields.items() if value.strip()}
    try:
        message = InboundMessage.model_validate(given)
    except ValidationError as problems:
        problem = problems.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "xml"
        raise InvalidMessage(f"{where}: {problem['msg']}", field=where) from None

    if message.msg_type == "event" and not message.event:
        raise InvalidMessage("an event needs the Event element", field="Event")
    if message.msg_type != "event" and not message.msg_id:
        raise InvalidMessage("a message needs the MsgId element", field="MsgId")
    if message.create_time > now.timestamp() + webhooks.WINDOW.total_seconds():
        raise InvalidMessage(
            "CreateTime is in the future; check the sender's clock", field="CreateTime"
        )
    return message
