"""The forum feed protocol, as this adapter asks for it and reads it.

The forums (人民网留言板, 深圳论坛, 家在坪山) offer no common standard, so the protocol
is ours; a forum, or a small bridge in front of it, serves it:

    GET <feed_url>?after=<cursor>&limit=<n>        (X-API-Key: <key>, if configured)

    200 {"posts": [{"id": "884213",
                    "title": "坪山大道夜间施工噪音",
                    "content": "……",
                    "author": "A00074011",                   optional
                    "contact": "13800138000",                optional
                    "posted_at": "2026-12-04T09:30:00+08:00",
                    "url": "https://bbs.example/t/884213",   optional
                    "address": "坪山街道东门路12号"},        optional ("place" too)
                   …],
         "next": "c-884213"}

- `posts` are the posts after `after`, oldest first, at most `limit` of them
  (more are taken too). The first poll sends no `after` (or the source's
  `start_after`): the feed starts wherever it keeps its oldest post.
- `next` is the cursor after the last post of the page: the adapter stores it and
  asks with it next time. It may be the same cursor when nothing is new; `null`
  means "ask again with the same cursor". A full page is followed at once by the
  next, unless it brought no post not taken before or its `next` is a cursor
  already asked in that round (a feed whose cursor cycles); otherwise the adapter
  waits the source's interval.
- A post's `id` (letters, digits and `._:-`, a number is taken too) is the
  idempotency key: a post the feed gives again is not taken twice.
- `posted_at` has an offset. `author` is the forum account answers go to;
  `contact` a telephone number or an email the citizen left; `category` the
  forum's own label, when it has one.

Anything else (no answer within the source's `timeout_seconds`, a status other
than 200, a body that is not such a page, one larger than FORUM_FEED_MAX_BYTES)
fails the poll: nothing of the page is stored and the cursor does not move.

Each post is read on its own: one that cannot be read (a field missing or wrong,
`posted_at` without its offset, not an object at all) is skipped, logged with its
id when it has a readable one and the field at fault, and counted on the source;
the cursor moves past it with the rest of the page, so it holds up no later post.

A post becomes a canonical appeal like a pushed one: the category label and the
type read from the title as `minsheng_forum.mapping` does. The sample's masked
places ("A市", "A1区") are not unmasked here: live forums name places plainly.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from datetime import datetime

import httpx
import phonenumbers
from pydantic import ValidationError

from minsheng_common.auth.api import api_key_header
from minsheng_common.text import strip_invisible
from minsheng_common.timeutil import SHANGHAI, as_utc
from minsheng_forum import mapping, sample
from minsheng_forum.errors import FeedGarbled, FeedUnavailable
from minsheng_forum.schemas import (
    CanonicalAppeal,
    FeedEnvelope,
    FeedPost,
    ForumContact,
)
from minsheng_forum.settings import FeedSource

KEY_HEADER = api_key_header.model.name
TITLE_CHARS = 50
"""A post without a title is named by the start of its content, this long."""
ERROR_PLACES = 3
"""How many faults of a garbled page or post an error names."""

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_SEPARATORS = re.compile(r"[\s\-()]")


@dataclass(frozen=True)
class UnreadablePost:
    """A post of a page that cannot be read, skipped: its place on the page, its id
    when the id itself is readable, and where it is wrong (never its values)."""

    place: int
    post_id: str | None
    faults: str


@dataclass(frozen=True)
class Page:
    """A feed page as read: the posts that could be read, those that could not,
    how many the feed gave in all, and the cursor after them."""

    posts: tuple[FeedPost, ...]
    unreadable: tuple[UnreadablePost, ...]
    given: int
    next: str | None


@dataclass(frozen=True)
class FeedReader:
    """Reads one page of a source's feed over `http`."""

    max_bytes: int

    async def page(
        self, http: httpx.AsyncClient, source: FeedSource, *, after: str | None
    ) -> Page:
        """The page after `after`; `FeedUnavailable` or `FeedGarbled`."""
        params: dict[str, str | int] = {"limit": source.page_size}
        if after is not None:
            params["after"] = after
        headers = {"Accept": "application/json"}
        key = source.key()
        if key is not None:
            headers[KEY_HEADER] = key

        try:
            # One deadline for the whole answer: a feed that trickles its body
            # would pass a per-read timeout for ever.
            async with asyncio.timeout(source.timeout_seconds):
                status, body = await self._get(http, source, params, headers)
        except TimeoutError:
            raise FeedUnavailable(
                f"the feed did not answer within {source.timeout_seconds:g}s"
            ) from None
        except httpx.HTTPError as error:
            raise FeedUnavailable(
                f"the feed is unreachable: {type(error).__name__}"
            ) from None
        if status != 200:
            raise FeedUnavailable(f"the feed answered {status}")
        return read(body)

    async def _get(
        self,
        http: httpx.AsyncClient,
        source: FeedSource,
        params: dict[str, str | int],
        headers: dict[str, str],
    ) -> tuple[int, bytes]:
        async with http.stream(
            "GET",
            str(source.feed_url),
            params=params,
            headers=headers,
            timeout=source.timeout_seconds,
        ) as response:
            if response.status_code != 200:
                return response.status_code, b""
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) > self.max_bytes:
                    raise FeedGarbled(
                        f"the feed's page is larger than {self.max_bytes} bytes"
                    )
            return 200, bytes(body)


def read(body: bytes) -> Page:
    """The page in `body`; `FeedGarbled` when it is not a page at all. The page is
    checked as a whole and each post on its own, so a post that cannot be read
    fails only itself."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise FeedGarbled("the feed's answer is not JSON") from None
    try:
        envelope = FeedEnvelope.model_validate(data)
    except ValidationError as error:
        raise FeedGarbled(
            f"the feed's page is not readable: {_faults(error, whole='page')}"
        ) from None

    posts: list[FeedPost] = []
    unreadable: list[UnreadablePost] = []
    for place, raw in enumerate(envelope.posts):
        try:
            posts.append(FeedPost.model_validate(raw))
        except ValidationError as error:
            unreadable.append(
                UnreadablePost(
                    place=place,
                    post_id=_id_of(raw, error),
                    faults=_faults(error, whole="post"),
                )
            )
    return Page(
        posts=tuple(posts),
        unreadable=tuple(unreadable),
        given=len(envelope.posts),
        next=envelope.next,
    )


def _id_of(raw: object, error: ValidationError) -> str | None:
    """The id of a post that cannot be read, when the id itself passed the checks
    of a readable post's (so it is safe to log); otherwise None."""
    if not isinstance(raw, dict) or "id" not in raw:
        return None
    if any(fault["loc"][:1] == ("id",) for fault in error.errors()):
        return None
    return str(raw["id"])


def _faults(error: ValidationError, *, whole: str) -> str:
    """Where the page or post is wrong and why, never the values: they may be a
    citizen's words or number. `whole` names a fault of the page or post itself."""
    faults = [
        f"{'.'.join(str(part) for part in fault['loc']) or whole}: {fault['msg']}"
        for fault in error.errors(include_input=False, include_url=False)
    ]
    more = len(faults) - ERROR_PLACES
    return "; ".join(faults[:ERROR_PLACES]) + (
        f" (and {more} more)" if more > 0 else ""
    )


def appeal_of(
    post: FeedPost, *, channel: str, now: datetime
) -> tuple[CanonicalAppeal, bool]:
    """The post in intake's canonical form, and whether a contact it left was
    dropped as unusable. Received when it was posted, or now if the forum's clock
    is ahead of ours (intake refuses a receipt in the future)."""
    content = _text(post.content)
    title = _text(post.title) or _title_from(content)
    primary, second, dropped = _contacts(post)
    received = min(as_utc(post.posted_at), now)
    appeal = CanonicalAppeal(
        channel=channel,
        channel_ref=post.id,
        type=mapping.appeal_type(title),
        category_hint=mapping.category(post.category or ""),
        title=title,
        content=content,
        contact=primary,
        second_contact=second,
        address=_text(post.address or "") or None,
        received_at=received.astimezone(SHANGHAI),
    )
    return appeal, dropped


def _text(value: str) -> str:
    """Invisible characters out, whitespace trimmed as in the replay and pushes."""
    return sample.clean(strip_invisible(value))


def _title_from(content: str) -> str:
    first = content.split("\n", 1)[0]
    return first if len(first) <= TITLE_CHARS else first[: TITLE_CHARS - 1] + "…"


def _contacts(
    post: FeedPost,
) -> tuple[ForumContact | None, ForumContact | None, bool]:
    """(contact, second contact, a contact dropped).

    The forum account comes first: answers go back there. A telephone number or
    email left besides it becomes the second contact only when it is surely
    usable, since intake refuses a whole appeal for an unusable second contact; an
    unusable first one it keeps and notes, so without an account it goes first.
    """
    author = _text(post.author or "")
    left = _text(post.contact or "")
    account = ForumContact(kind="forum_account", value=author) if author else None
    if not left:
        return account, None, False

    usable = _usable(left)
    if account is None:
        guess = usable or ForumContact(
            kind="email" if "@" in left else "phone", value=left
        )
        return guess, None, False
    return account, usable, usable is None


def _usable(value: str) -> ForumContact | None:
    """The contact as an email or a valid telephone number (read as in China), or
    None."""
    if "@" in value:
        return ForumContact(kind="email", value=value) if _EMAIL.match(value) else None
    digits = _PHONE_SEPARATORS.sub("", value)
    try:
        number = phonenumbers.parse(digits, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return ForumContact(kind="phone", value=digits)
