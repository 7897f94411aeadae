"""The forum adapter's HTTP API: start a replay, follow the items, count them."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import APIRouter, Query, status

from minsheng_forum import repository, service
from minsheng_forum.deps import Context, Session
from minsheng_forum.models import ForumItem
from minsheng_forum.schemas import (
    Decision,
    ItemOut,
    ItemPage,
    ItemStatus,
    ReplayReport,
    ReplayRequest,
    Stats,
)

router = APIRouter(prefix="/v1", tags=["forum"])


@router.post(
    "/replay", response_model=ReplayReport, status_code=status.HTTP_202_ACCEPTED
)
async def start_replay(
    session: Session, context: Context, request: ReplayRequest | None = None
) -> ReplayReport:
    """Replay the real forum sample onto the demo clock (回放).

    The earliest message is due now, the others keep their order and spacing divided
    by `compression`. Messages are stored before anything is sent and delivered to
    intake in the background; a second replay skips what is already stored.
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
    session: Session,
    item_status: Annotated[ItemStatus | None, Query(alias="status")] = None,
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
) -> ItemPage:
    """Forum messages in delivery order, optionally only pending, delivered or
    refused, with intake's answer on each."""
    rows, total = await repository.page(
        session, status=item_status, limit=limit, offset=offset
    )
    return ItemPage(items=[present(row) for row in rows], total=total)


@router.get("/stats", response_model=Stats)
async def item_stats(session: Session) -> Stats:
    """How many items are pending, delivered and refused, how many intake already
    had, and intake's filing decisions (立案 / 不予立案) on the appeals."""
    return await service.stats(session=session)


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
