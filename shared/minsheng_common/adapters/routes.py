"""The part of every adapter's API that follows its queue: the items with intake's
answer on each, and their counts. Center operators and supervisors only (the scope
channel:operate)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import web
from minsheng_common.adapters import queue
from minsheng_common.adapters.schemas import ItemPage, ItemStatus, Stats
from minsheng_common.auth.api import require
from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Scope

Operator = Annotated[Principal, Depends(require(Scope.CHANNEL_OPERATE))]
"""A center operator or supervisor: follows the items and runs the adapter."""

Out = TypeVar("Out", bound=BaseModel)


def queue_router(
    *,
    model: type[queue.Item],
    present: Callable[[queue.Item], Out],
    out: type[Out],
    tag: str,
    what: str,
) -> APIRouter:
    """`GET /v1/items` and `GET /v1/stats` over `model`, items shown by `present`;
    `what` names the items in the API documents ("calls", "forum messages")."""
    router = APIRouter(prefix="/v1", tags=[tag])

    @router.get(
        "/items",
        # A page of the adapter's own item view: a type made at run time.
        response_model=ItemPage[out],  # type: ignore[valid-type]
        description=f"The {what} in delivery order, optionally only pending, "
        "delivered or refused, with intake's answer on each. Needs the scope "
        "channel:operate.",
    )
    async def list_items(
        _operator: Operator,
        session: web.StoreSession,
        item_status: Annotated[ItemStatus | None, Query(alias="status")] = None,
        limit: int = Query(default=50, ge=1, le=500),
        offset: int = Query(default=0, ge=0),
    ) -> Any:
        rows, total = await queue.page(
            session, model, status=item_status, limit=limit, offset=offset
        )
        return {"items": [present(row) for row in rows], "total": total}

    @router.get(
        "/stats",
        response_model=Stats,
        description=f"How many of the {what} are pending, delivered and refused, "
        "how many intake already had, and intake's decisions on the appeals "
        "(立案 / 不予立案). Needs the scope channel:operate.",
    )
    async def item_stats(_operator: Operator, session: web.StoreSession) -> Stats:
        return await stats(session, model)

    return router


async def stats(session: AsyncSession, model: type[queue.QueueItem]) -> Stats:
    """Counts of items by status, and of intake's decisions on them."""
    by_status = await queue.count_by_status(session, model)
    decisions = await queue.appeals_by_decision(session, model)
    return Stats(
        total=sum(by_status.values()),
        pending=by_status.get("pending", 0),
        delivered=by_status.get("delivered", 0),
        refused=by_status.get("refused", 0),
        already_received=await queue.count_already_received(session, model),
        by_decision={"filed": 0, "rejected": 0, **decisions},
    )
