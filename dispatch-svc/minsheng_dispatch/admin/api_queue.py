"""The dispatch queue (Art. 12) for the center's operators: appeals routing was not
certain of, and the operator's choice of unit."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from minsheng_dispatch.admin import queue
from minsheng_dispatch.admin.context import AdminContext
from minsheng_dispatch.admin.deps import (
    Context,
    Dispatcher,
    QueueOperator,
    QueueReader,
    Session,
)
from minsheng_dispatch.admin.models import DispatchQueueEntry
from minsheng_dispatch.admin.schemas import QueueDispatchIn, QueueEntryOut, QueuePage

router = APIRouter(prefix="/v1", tags=["dispatch queue"])


@router.get("/dispatch-queue", response_model=QueuePage)
async def list_queue(
    session: Session,
    context: Context,
    principal: QueueReader,
    state: Annotated[queue.QueueState, Query()] = "waiting",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> QueuePage:
    """Appeals waiting for an operator, the longest waiting first, with how long
    each has waited since filing against the 1-hour target (Art. 12);
    `state=dispatched` or `all` for those resolved."""
    rows, total = await queue.entries(session, state=state, limit=limit, offset=offset)
    now = context.clock.now()
    return QueuePage(
        items=[present(row, context=context, now=now) for row in rows], total=total
    )


@router.post("/dispatch-queue/{appeal_id}/dispatch", response_model=QueueEntryOut)
async def dispatch_from_queue(
    appeal_id: str,
    incoming: QueueDispatchIn,
    session: Session,
    context: Context,
    dispatcher: Dispatcher,
    principal: QueueOperator,
) -> QueueEntryOut:
    """Dispatch a queued appeal to the unit you choose, with your reason; the work
    order is timed from filing (Art. 12). With `first_asked`, for an urgent appeal
    (level 1 or 2) whose owner cannot be found, the unit is named first-asked
    (首问负责, Art. 25) and may not return the order. Sending the same choice again
    answers as before. 404 `queue_entry_not_found`; 409 `already_dispatched`,
    `first_asked_not_urgent`, `unit_retired`; 422 `unknown_unit`."""
    row = await queue.dispatch(
        session=session,
        context=context,
        dispatcher=dispatcher,
        principal=principal,
        appeal_id=appeal_id,
        incoming=incoming,
    )
    return present(row, context=context, now=context.clock.now())


def present(
    row: DispatchQueueEntry, *, context: AdminContext, now: datetime
) -> QueueEntryOut:
    waited = queue.waiting_seconds(row, now=now)
    target = context.rule_book.in_force(row.filed_at).dispatch_within
    return QueueEntryOut(
        appeal_id=row.appeal_id,
        tracking_code=row.tracking_code,
        reason=row.reason,
        basis=row.basis,
        suggested_unit_id=row.suggested_unit_id,
        category_id=row.category_id,
        subdistrict_id=row.subdistrict_id,
        level=row.level,
        title=str(row.appeal.get("title", "")),
        filed_at=row.filed_at,
        queued_at=row.queued_at,
        waiting_seconds=waited,
        within_target=waited <= target.total_seconds(),
        resolved_at=row.resolved_at,
        resolved_by=row.resolved_by,
        unit_id=row.unit_id,
        resolve_reason=row.resolve_reason,
        first_asked=row.first_asked,
        work_order_id=row.work_order_id,
    )
