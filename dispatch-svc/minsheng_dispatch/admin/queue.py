"""The dispatch queue (Art. 12): appeals routing was not certain of wait here for an
operator, who chooses the unit.

An appeal is dispatched automatically only when routing is certain (a project, a
first-handler rule, or a rule of its category for its place or keyword:
`routing.Route.certain`). The category's default, any fallback and an appeal without
a category land here (`service.dispatch_appeal`) with the unit routing would have
chosen as a suggestion. The 1-hour dispatch target runs from filing for queued
appeals too: the queue shows how long each has waited, and the order made from it is
timed from filing like any other.

The operator's choice makes the order through the lifecycle's dispatch function
(`ChosenDispatch`) in the same transaction that resolves the entry, so an entry is
never resolved without its order nor an order made twice for it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Literal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.auth.principal import Principal
from minsheng_common.events import AppealFiled
from minsheng_dispatch import routing
from minsheng_dispatch.admin import responsibility
from minsheng_dispatch.admin.context import AdminContext, ChosenDispatch
from minsheng_dispatch.admin.errors import (
    AlreadyDispatched,
    FirstAskedNotUrgent,
    QueueDispatchNotWired,
    QueueEntryNotFound,
)
from minsheng_dispatch.admin.models import DispatchQueueEntry
from minsheng_dispatch.admin.registry import check_unit_usable
from minsheng_dispatch.admin.schemas import QueueDispatchIn

log = logging.getLogger(__name__)

QueueState = Literal["waiting", "dispatched", "all"]

URGENT_LEVELS = frozenset({1, 2})
"""Appeal levels that call for a timely response (Art. 9), for first-asked naming."""


async def enqueue(
    session: AsyncSession,
    *,
    appeal: AppealFiled,
    route: routing.Route,
    at: datetime,
) -> DispatchQueueEntry | None:
    """Put an appeal routing was not certain of in the queue, in the caller's
    transaction; None when it is queued already (a repeated delivery)."""
    if await session.get(DispatchQueueEntry, appeal.appeal_id) is not None:
        log.info("appeal %s is queued already; nothing to do", appeal.appeal_id)
        return None

    entry = DispatchQueueEntry(
        appeal_id=appeal.appeal_id,
        tracking_code=appeal.tracking_code,
        reason=route.reason.value,
        basis=route.basis,
        suggested_unit_id=route.unit_id,
        category_id=appeal.category_id,
        subdistrict_id=appeal.subdistrict_id,
        level=appeal.level,
        filed_at=appeal.filed_at,
        queued_at=at,
        appeal=appeal.model_dump(mode="json"),
        first_asked=False,
    )
    session.add(entry)
    log.warning(
        "appeal %s waits in the dispatch queue for an operator: routing is not "
        "certain (%s, suggested unit %s)",
        appeal.appeal_id,
        route.reason,
        route.unit_id,
    )
    return entry


async def held(session: AsyncSession, appeal_id: str) -> bool:
    """Whether the appeal went through the queue (waiting or dispatched from it): a
    repeated appeal.filed must then leave it to the operator, even if routing has
    become certain meanwhile."""
    return await session.get(DispatchQueueEntry, appeal_id) is not None


async def entries(
    session: AsyncSession, *, state: QueueState, limit: int, offset: int
) -> tuple[list[DispatchQueueEntry], int]:
    """Queue entries, the longest waiting first, with the total before paging."""
    query = select(DispatchQueueEntry)
    if state == "waiting":
        query = query.where(DispatchQueueEntry.resolved_at.is_(None))
    elif state == "dispatched":
        query = query.where(DispatchQueueEntry.resolved_at.is_not(None))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(DispatchQueueEntry.filed_at, DispatchQueueEntry.appeal_id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


async def dispatch(
    *,
    session: AsyncSession,
    context: AdminContext,
    dispatcher: ChosenDispatch | None,
    principal: Principal,
    appeal_id: str,
    incoming: QueueDispatchIn,
) -> DispatchQueueEntry:
    """Dispatch a queued appeal to the unit the operator chose; commits. The same
    operator sending the same choice again gets the entry as it stands."""
    entry = await session.get(DispatchQueueEntry, appeal_id)
    if entry is None:
        raise QueueEntryNotFound(
            f"appeal {appeal_id} is not in the dispatch queue", field="appeal_id"
        )
    actor = principal.label()
    if entry.resolved_at is not None:
        return _repeated(entry, incoming, actor=actor)
    await check_unit_usable(session, incoming.unit_id, field="unit_id")
    if incoming.first_asked and entry.level not in URGENT_LEVELS:
        raise FirstAskedNotUrgent(
            f"appeal {appeal_id} is of level {entry.level}: a first-asked unit is "
            "named only for an urgent appeal whose owner cannot be found (Art. 25)"
        )
    if dispatcher is None:
        raise QueueDispatchNotWired(
            "this service cannot make work orders from the queue yet"
        )

    now = context.clock.now()
    if not await _claim(session, entry, unit_id=incoming.unit_id, actor=actor, at=now):
        await session.rollback()
        current = await session.get(
            DispatchQueueEntry, appeal_id, populate_existing=True
        )
        if current is None:
            raise QueueEntryNotFound(f"appeal {appeal_id} is not in the queue")
        return _repeated(current, incoming, actor=actor)

    work_order_id = await _make_order(
        session, entry, dispatcher, incoming=incoming, actor=actor
    )
    seconds = max(0.0, (now - entry.filed_at).total_seconds())
    await session.execute(
        update(DispatchQueueEntry)
        .where(DispatchQueueEntry.appeal_id == appeal_id)
        .values(
            resolve_reason=incoming.reason,
            first_asked=incoming.first_asked,
            work_order_id=work_order_id,
            dispatch_seconds=seconds,
        )
        .execution_options(synchronize_session=False)
    )
    if incoming.first_asked:
        responsibility.name(
            session,
            work_order_id=work_order_id,
            kind=responsibility.Kind.FIRST_ASKED,
            unit_id=incoming.unit_id,
            named_by=actor,
            reason=incoming.reason,
            at=now,
        )
    await session.commit()
    log.info(
        "appeal %s dispatched from the queue to unit %s by %s as work order %s, "
        "%.0f s after filing",
        appeal_id,
        incoming.unit_id,
        actor,
        work_order_id,
        seconds,
    )
    refreshed = await session.get(DispatchQueueEntry, appeal_id, populate_existing=True)
    if refreshed is None:
        raise QueueEntryNotFound(f"appeal {appeal_id} is not in the queue")
    return refreshed


async def _claim(
    session: AsyncSession,
    entry: DispatchQueueEntry,
    *,
    unit_id: str,
    actor: str,
    at: datetime,
) -> bool:
    # Two operators choosing at once: the database lets exactly one resolve it.
    result = await session.execute(
        update(DispatchQueueEntry)
        .where(
            DispatchQueueEntry.appeal_id == entry.appeal_id,
            DispatchQueueEntry.resolved_at.is_(None),
        )
        .values(resolved_at=at, resolved_by=actor, unit_id=unit_id)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0)) == 1


async def _make_order(
    session: AsyncSession,
    entry: DispatchQueueEntry,
    dispatcher: ChosenDispatch,
    *,
    incoming: QueueDispatchIn,
    actor: str,
) -> str:
    why = incoming.reason
    if incoming.first_asked:
        why = f"{why} (first-asked, 首问负责, Art. 25)"
    route = routing.chosen_by_operator(incoming.unit_id, actor=actor, reason=why)
    work_order_id = await dispatcher(
        session=session,
        appeal=AppealFiled.model_validate(entry.appeal),
        route=route,
        actor=actor,
    )
    if work_order_id is None:
        await session.rollback()
        raise AlreadyDispatched(
            f"appeal {entry.appeal_id} has a work order already (Art. 12)"
        )
    return work_order_id


def _repeated(
    entry: DispatchQueueEntry, incoming: QueueDispatchIn, *, actor: str
) -> DispatchQueueEntry:
    same = (
        entry.resolved_by == actor
        and entry.unit_id == incoming.unit_id
        and entry.first_asked == incoming.first_asked
    )
    if not same:
        raise AlreadyDispatched(
            f"appeal {entry.appeal_id} was dispatched from the queue already, to "
            f"unit {entry.unit_id} (Art. 12)"
        )
    log.info(
        "appeal %s: %s repeated its queue dispatch; answered as before",
        entry.appeal_id,
        actor,
    )
    return entry


def waiting_seconds(entry: DispatchQueueEntry, *, now: datetime) -> float:
    """Natural seconds from filing to dispatch, or to `now` while waiting (Art. 12)."""
    end = entry.resolved_at or now
    return max(0.0, (end - entry.filed_at).total_seconds())
