"""The forum adapter's HTTP API: start a replay, follow the items, count them (the
scope channel:operate: center operators and supervisors), and take the posts the
forum pushes (a valid signature, no key)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, cast

from fastapi import APIRouter, Header, Query, Request, status

from minsheng_common.auth import webhooks
from minsheng_forum import repository, service, webhook
from minsheng_forum.deps import Context, Operator, Session
from minsheng_forum.models import ForumItem
from minsheng_forum.schemas import (
    Decision,
    ForumPost,
    ItemOut,
    ItemPage,
    ItemStatus,
    PostAccepted,
    ReplayReport,
    ReplayRequest,
    Stats,
)

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


@router.get("/items", response_model=ItemPage)
async def list_items(
    _operator: Operator,
    session: Session,
    item_status: Annotated[ItemStatus | None, Query(alias="status")] = None,
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
) -> ItemPage:
    """Forum messages in delivery order, optionally only pending, delivered or
    refused, with intake's answer on each. Needs the scope channel:operate."""
    rows, total = await repository.page(
        session, status=item_status, limit=limit, offset=offset
    )
    return ItemPage(items=[present(row) for row in rows], total=total)


@router.get("/stats", response_model=Stats)
async def item_stats(_operator: Operator, session: Session) -> Stats:
    """How many items are pending, delivered and refused, how many intake already
    had, and intake's filing decisions (立案 / 不予立案) on the appeals. Needs the
    scope channel:operate."""
    return await service.stats(session=session)


@router.post(
    "/posts",
    response_model=PostAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ForumPost.model_json_schema()}},
        }
    },
)
async def push_post(
    request: Request,
    session: Session,
    context: Context,
    timestamp: Annotated[
        str | None,
        Header(alias=webhooks.TIMESTAMP_HEADER, description="Unix seconds"),
    ] = None,
    signature: Annotated[
        str | None,
        Header(
            alias=webhooks.SIGNATURE_HEADER,
            description='"sha256=" and the hex HMAC-SHA256 of "<timestamp>.<body>"',
        ),
    ] = None,
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
    body = await request.body()
    return await webhook.receive(
        session=session,
        context=context,
        timestamp=timestamp,
        signature=signature,
        body=body,
        # The forum signs with its own (real) clock, never the demo clock.
        now=datetime.now(UTC),
    )


def present(item: ForumItem) -> ItemOut:
    payload = item.payload
    return ItemOut(
        id=item.id,
        source=item.source,
        message_id=item.message_id,
        row_number=item.row_number,
        position=item.position,
        title=payload.get("title", ""),
        type=payload["type"],
        category_hint=payload.get("category_hint"),
        posted_at=item.posted_at,
        due_at=item.due_at,
        status=cast(ItemStatus, item.status),
        attempts=item.attempts,
        last_error=item.last_error,
        next_attempt_at=item.next_attempt_at,
        delivered_at=item.delivered_at,
        already_received=item.answer_status == 200,
        appeal_id=item.appeal_id,
        tracking_code=item.tracking_code,
        decision=cast(Decision | None, item.decision),
    )
