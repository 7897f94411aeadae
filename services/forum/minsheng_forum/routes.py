"""The forum adapter's HTTP API: start a replay, follow the items, count them and
see where each polled forum stands (the scope channel:operate: center operators and
supervisors), and take the posts the forum pushes (a valid signature, no key)."""

from __future__ import annotations

from fastapi import APIRouter, status

from minsheng_common.adapters import push, schemas
from minsheng_common.adapters.routes import queue_router
from minsheng_forum import repository, service, webhook
from minsheng_forum.deps import Context, Operator, Session
from minsheng_forum.models import FeedCursor, ForumItem
from minsheng_forum.schemas import (
    ForumPost,
    ItemOut,
    PostAccepted,
    ReplayReport,
    ReplayRequest,
    SourceOut,
)
from minsheng_forum.settings import FeedSource

router = APIRouter(prefix="/v1", tags=["forum"])


@router.post(
    "/replay", response_model=ReplayReport, status_code=status.HTTP_202_ACCEPTED
)
async def start_replay(
    _operator: Operator,
    session: Session,
    context: Context,
    request: ReplayRequest | None = None,
) -> ReplayReport:
    """Replay the real forum sample onto the demo clock (回放).

    The earliest message is due now, the others keep their order and spacing divided
    by `compression`. Messages are stored before anything is sent and delivered to
    intake in the background; a second replay skips what is already stored.
    Needs the scope channel:operate.
    """
    request = request or ReplayRequest()
    return await service.replay(
        session=session,
        context=context,
        compression=request.compression,
        limit=request.limit,
    )


@router.post(
    "/posts",
    response_model=PostAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    openapi_extra=push.body_schema(ForumPost),
)
async def push_post(
    pushed: push.Push, session: Session, context: Context
) -> PostAccepted:
    """A post the forum pushes (推送): {message_id, user_id, title, detail,
    posted_at, category}, signed with the shared secret instead of a key.

    401 for a missing or wrong signature or one made outside the five-minute
    window, 409 for a signed request received before, 503 when no secret is
    configured. 422 `too_long` (with the field) for a title over
    FORUM_MAX_TITLE_CHARS (200 by default) or a detail over FORUM_MAX_DETAIL_CHARS
    (5000 by default), intake's own limits: such a post is not stored. An
    accepted post is stored as an item due now and delivered to intake like the
    replay's; the same message id pushed again answers its first item.
    """
    return await webhook.receive(session=session, context=context, pushed=pushed)


@router.get("/sources", response_model=list[SourceOut])
async def list_sources(
    _operator: Operator, session: Session, context: Context
) -> list[SourceOut]:
    """Each forum polled (FORUM_SOURCES, 轮询状态): the cursor the next poll asks
    with, the last poll and the last that worked, the failures since, the last
    error, and how many posts were taken, given again or skipped because they
    could not be read. A source not polled yet shows no poll. Needs the scope
    channel:operate.
    """
    rows = await repository.cursors(session)
    return [present_source(source, rows.get(source.name)) for source in context.sources]


def present(item: ForumItem) -> ItemOut:
    payload = item.payload
    return ItemOut(
        **schemas.delivery_of(item),
        message_id=item.message_id,
        row_number=item.row_number,
        title=payload.get("title", ""),
        type=payload["type"],
        category_hint=payload.get("category_hint"),
        posted_at=item.posted_at,
        url=item.post_url,
    )


def present_source(source: FeedSource, row: FeedCursor | None) -> SourceOut:
    """A source as configured and as its cursor row stands; the feed's address
    without its query or a user name, which may hold credentials."""
    url = source.feed_url
    return SourceOut(
        name=source.name,
        channel=source.channel,
        feed=f"{url.scheme}://{url.host}{f':{url.port}' if url.port else ''}"
        f"{url.path or ''}",
        replies=source.reply_url is not None,
        interval_seconds=source.interval_seconds,
        cursor=row.cursor if row else None,
        polled_at=row.polled_at if row else None,
        succeeded_at=row.succeeded_at if row else None,
        failures=row.failures if row else 0,
        last_error=row.last_error if row else None,
        posts_stored=row.posts_stored if row else 0,
        posts_repeated=row.posts_repeated if row else 0,
        posts_unreadable=row.posts_unreadable if row else 0,
    )


items = queue_router(
    model=ForumItem, present=present, out=ItemOut, tag="forum", what="forum messages"
)
