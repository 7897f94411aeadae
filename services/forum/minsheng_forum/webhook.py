"""Posts the forum pushes itself (POST /v1/posts), signed with a shared secret.

A post is taken only with a valid HMAC of its timestamp and body (see
`minsheng_common.auth.webhooks`), signed within the time window of the real clock
(the forum signs with its own clock, not the demo one), and never seen before:
every accepted signature is kept in `webhook_receipts` for twice the window, so a
replay inside the window answers 409 and one after it fails the window.

Rate limit: one budget for the source (`webhook_per_minute`), whichever of its
secrets signed, counted only for correctly signed posts, so nobody without the
secret can use up the forum's budget. Unsigned requests cost one HMAC each and are
bounded by the request size limit.

A post intake would refuse for its length (a title over `max_title_chars`, a
detail over `max_detail_chars`, intake's own limits) is refused at once with 422
`too_long`, and nothing is stored. Logs name the message id, never the forum
account or the text.

An accepted post becomes a forum item due now on the service's clock, mapped like
the replay (places, category, type) and delivered by the same loop. The message id
is the idempotency key: the same message pushed again (a retry with a new
signature) answers its first item.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Final, cast

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import ids
from minsheng_common.auth import webhooks
from minsheng_common.runtime import ServiceRuntime
from minsheng_common.text import strip_invisible
from minsheng_common.timeutil import as_utc
from minsheng_forum import mapping, repository, sample, service
from minsheng_forum.errors import InvalidPost, PostTooLong, WebhookNotConfigured
from minsheng_forum.models import ForumItem
from minsheng_forum.schemas import ForumPost, ItemStatus, PostAccepted
from minsheng_forum.service import ForumContext

log = logging.getLogger(__name__)

PUSH_SOURCE: Final = "push"
"""The queue pushed posts wait in, in the order they arrived."""
PUSH_ROW: Final = 0
"""A pushed post is one message, not a row of an export."""
RECEIPT_RETENTION: Final = 2 * webhooks.WINDOW
PURGE_EVERY_SECONDS: Final = 60.0


async def receive(
    *,
    session: AsyncSession,
    context: ForumContext,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: datetime,
) -> PostAccepted:
    """Verify a pushed post and store it as an item due now; `now` is the real
    time the signature's window is measured against."""
    if not context.webhook_secrets:
        raise WebhookNotConfigured(
            "pushed posts are not taken: FORUM_WEBHOOK_SECRETS is not set"
        )
    verified = webhooks.verify(
        secrets=context.webhook_secrets,
        timestamp=timestamp,
        signature=signature,
        body=body,
        now=now,
    )
    post = _parse(body)
    _check_lengths(post, context)
    context.push_limiter.check(PUSH_SOURCE)

    await _record_receipt(session, verified, now, post.message_id)

    earlier = await repository.item_of(session, PUSH_SOURCE, post.message_id, PUSH_ROW)
    if earlier is not None:
        await session.commit()
        log.info(
            "pushed forum post %s again: answered with item %s",
            post.message_id,
            earlier.id,
        )
        return _accepted(earlier, duplicate=True)

    try:
        item = await _item(session, context, post)
        await session.commit()
    except IntegrityError:
        # The same message pushed twice at once: the other push stored it. The
        # rollback took this request's receipt with it; it is kept again, so the
        # same signed request sent once more is still a replay.
        await session.rollback()
        stored = await repository.item_of(
            session, PUSH_SOURCE, post.message_id, PUSH_ROW
        )
        if stored is None:
            raise
        await _record_receipt(session, verified, now, post.message_id)
        await session.commit()
        return _accepted(stored, duplicate=True)

    context.wake.set()
    log.info("pushed forum post %s stored as item %s", post.message_id, item.id)
    return _accepted(item, duplicate=False)


def _parse(body: bytes) -> ForumPost:
    try:
        post = ForumPost.model_validate_json(body)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "body"
        raise InvalidPost(f"{where}: {problem['msg']}", field=where) from None
    title, detail = _text(post.title), _text(post.detail)
    user_id = strip_invisible(post.user_id).strip()
    for name, value in (("title", title), ("detail", detail), ("user_id", user_id)):
        if not value:
            raise InvalidPost(f"{name}: nothing readable is left", field=name)
    return post.model_copy(
        update={
            "title": title,
            "detail": detail,
            "user_id": user_id,
            "category": strip_invisible(post.category).strip(),
        }
    )


async def _record_receipt(
    session: AsyncSession, signature: str, now: datetime, message_id: str
) -> None:
    try:
        await repository.record_receipt(session, signature, now)
    except IntegrityError:
        await session.rollback()
        log.warning(
            "pushed forum post %s refused: its signature was received before",
            message_id,
        )
        raise webhooks.ReplayedRequest(
            "this signed request was received before", field=webhooks.SIGNATURE_HEADER
        ) from None


def _check_lengths(post: ForumPost, context: ForumContext) -> None:
    """Refuse what intake would refuse: a title or detail longer than intake takes,
    counted as intake will receive it (places mapped). The text itself is never
    logged: it is the citizen's."""
    limits = (
        ("title", post.title, context.max_title_chars),
        ("detail", post.detail, context.max_detail_chars),
    )
    for name, text, limit in limits:
        length = len(mapping.places(text))
        if length > limit:
            log.warning(
                "pushed forum post %s refused: its %s has %d characters, intake "
                "takes at most %d",
                post.message_id,
                name,
                length,
                limit,
            )
            raise PostTooLong(
                f"{name} has {length} characters; at most {limit} are accepted",
                field=name,
            )


def _text(value: str) -> str:
    """Invisible characters out, whitespace trimmed as in the replay."""
    return sample.clean(strip_invisible(value))


async def _item(
    session: AsyncSession, context: ForumContext, post: ForumPost
) -> ForumItem:
    due = context.clock.now()
    message = sample.ForumMessage(
        row=PUSH_ROW,
        message_id=post.message_id,
        user_id=post.user_id,
        title=post.title,
        detail=post.detail,
        category_label=post.category,
        posted_raw=post.posted_at.isoformat(),
    )
    appeal = service.canonical_appeal(
        message, channel=context.channel, received_at_utc=due
    )
    position = await repository.last_position(session, PUSH_SOURCE)
    item = ForumItem(
        id=ids.new_id(),
        source=PUSH_SOURCE,
        message_id=post.message_id,
        row_number=PUSH_ROW,
        position=position + 1,
        payload=appeal.model_dump(mode="json"),
        posted_at=as_utc(post.posted_at),
        due_at=due,
        status="pending",
        attempts=0,
        created_at=due,
    )
    session.add(item)
    await session.flush()
    return item


def _accepted(item: ForumItem, *, duplicate: bool) -> PostAccepted:
    return PostAccepted(
        id=item.id,
        message_id=item.message_id,
        status=cast(ItemStatus, item.status),
        duplicate=duplicate,
    )


async def purge(session: AsyncSession, *, now: datetime) -> int:
    """Forget signatures older than twice the window: a replay of them fails the
    window check anyway."""
    return await repository.purge_receipts(session, now - RECEIPT_RETENTION)


async def purge_receipts(runtime: ServiceRuntime) -> None:
    """The background loop that purges old receipts once a minute (real time, like
    the window)."""
    while True:
        async with runtime.sessions() as session:
            forgotten = await purge(session, now=datetime.now(UTC))
            await session.commit()
        if forgotten:
            log.debug("forgot %d webhook receipts", forgotten)
        await asyncio.sleep(PURGE_EVERY_SECONDS)
