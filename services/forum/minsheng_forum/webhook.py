"""Posts the forum pushes itself (POST /v1/posts), signed with a shared secret.

A post is taken as every adapter takes a push (`minsheng_common.adapters.push`): a
valid HMAC of its timestamp and body, made within the window of the real clock, and
never seen before (a replay inside the window answers 409).

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

import logging
from typing import Final, cast

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.adapters import push, queue
from minsheng_common.text import strip_invisible
from minsheng_common.timeutil import as_utc
from minsheng_forum import mapping, repository, sample, service
from minsheng_forum.errors import InvalidPost, PostTooLong
from minsheng_forum.models import ForumItem, WebhookReceipt
from minsheng_forum.schemas import ForumPost, ItemStatus, PostAccepted
from minsheng_forum.service import ForumContext

log = logging.getLogger(__name__)

PUSH_SOURCE: Final = "push"
"""The queue pushed posts wait in, in the order they arrived."""
PUSH_ROW: Final = 0
"""A pushed post is one message, not a row of an export."""


async def receive(
    *, session: AsyncSession, context: ForumContext, pushed: push.Pushed
) -> PostAccepted:
    """Verify a pushed post and store it as an item due now."""
    verified = push.verify(
        pushed, secrets=context.webhook_secrets, setting="FORUM_WEBHOOK_SECRETS"
    )
    post = _parse(pushed.body)
    _check_lengths(post, context)
    context.push_limiter.check(PUSH_SOURCE)

    async def find(session: AsyncSession) -> ForumItem | None:
        return await repository.item_of(session, PUSH_SOURCE, post.message_id, PUSH_ROW)

    async def create(session: AsyncSession) -> ForumItem:
        return await _item(session, context, post)

    stored = await push.store_once(
        session,
        receipt=WebhookReceipt,
        signature=verified,
        now=pushed.now,
        what=f"forum post {post.message_id}",
        find=find,
        create=create,
    )
    if not stored.duplicate:
        context.wake.set()
        log.info(
            "pushed forum post %s stored as item %s", post.message_id, stored.item.id
        )
    return _accepted(stored.item, duplicate=stored.duplicate)


def _parse(body: bytes) -> ForumPost:
    post = push.parse(ForumPost, body, error=InvalidPost)
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
    return await queue.enqueue(
        session,
        ForumItem,
        source=PUSH_SOURCE,
        payload=appeal.model_dump(mode="json"),
        now=due,
        message_id=post.message_id,
        row_number=PUSH_ROW,
        posted_at=as_utc(post.posted_at),
    )


def _accepted(item: ForumItem, *, duplicate: bool) -> PostAccepted:
    return PostAccepted(
        id=item.id,
        message_id=item.message_id,
        status=cast(ItemStatus, item.status),
        duplicate=duplicate,
    )
