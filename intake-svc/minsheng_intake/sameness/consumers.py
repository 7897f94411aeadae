"""Work-order events sameness needs: whether each appeal is still being handled.

Intake's consumer of the work-orders topic calls these from its own handlers (one
consumer per topic: the inbox records an event once per service, so a second
consumer group on the same topic would find every event already applied).

A merged appeal (并案, Art. 18) has no order of its own any more: it follows the
surviving order, closed when that closes and open again when that is reopened.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.events import Envelope, WorkOrderDispatched, WorkOrderMerged
from minsheng_intake.sameness import openness
from minsheng_intake.sameness.models import AppealHandling, AppealMerge

log = logging.getLogger(__name__)

Mark = Callable[..., Awaitable[bool]]


async def on_work_order_dispatched(
    session: AsyncSession, envelope: Envelope, data: WorkOrderDispatched
) -> None:
    """A unit received a work order for the appeal: it is being handled."""
    await openness.mark_open(session, appeal_id=data.appeal_id, at=data.dispatched_at)


async def on_work_order_closed(
    session: AsyncSession, *, appeal_id: str, closed_at: datetime
) -> None:
    """The appeal's last open work order was closed: a later appeal on the same
    problem is no longer a repeat (Art. 11(3)5). The appeals merged into it close
    with it (Art. 18). With split or parallel orders (Art. 19, 20) the caller calls
    this only when the appeal's last order closes."""
    await _with_followers(session, openness.mark_closed, appeal_id, closed_at)


async def on_work_order_reopened(
    session: AsyncSession, *, appeal_id: str, reopened_at: datetime
) -> None:
    """The appeal's order is handled again (重办): it is being handled again, and
    so are the appeals merged into it."""
    await _with_followers(session, openness.mark_open, appeal_id, reopened_at)


async def on_work_order_merged(
    session: AsyncSession, *, merged: WorkOrderMerged
) -> None:
    """The merged appeals follow the surviving order from now on (并案, Art. 18):
    they take its handling state at the merger and every later one."""
    surviving = await session.get(AppealHandling, merged.appeal_id)
    closed = surviving is not None and surviving.state == openness.CLOSED
    mark = openness.mark_closed if closed else openness.mark_open

    for appeal_id in dict.fromkeys(merged.merged_appeal_ids):
        if appeal_id == merged.appeal_id:
            continue
        held = await session.get(AppealMerge, appeal_id)
        if held is None:
            session.add(
                AppealMerge(
                    appeal_id=appeal_id,
                    into_appeal_id=merged.appeal_id,
                    into_work_order_id=merged.work_order_id,
                    merged_at=merged.merged_at,
                )
            )
        elif merged.merged_at >= held.merged_at:
            held.into_appeal_id = merged.appeal_id
            held.into_work_order_id = merged.work_order_id
            held.merged_at = merged.merged_at
        log.info(
            "appeal %s follows appeal %s (work order %s merged it)",
            appeal_id,
            merged.appeal_id,
            merged.work_order_id,
        )
        await session.flush()
        await _with_followers(session, mark, appeal_id, merged.merged_at)


async def followers(session: AsyncSession, appeal_id: str) -> list[str]:
    """The appeals merged into this one, and into those, and so on."""
    found: list[str] = []
    seen = {appeal_id}
    frontier = [appeal_id]
    while frontier:
        rows = await session.scalars(
            select(AppealMerge.appeal_id)
            .where(AppealMerge.into_appeal_id.in_(frontier))
            .order_by(AppealMerge.appeal_id)
        )
        frontier = [row for row in rows if row not in seen]
        seen.update(frontier)
        found.extend(frontier)
    return found


async def _with_followers(
    session: AsyncSession, mark: Mark, appeal_id: str, at: datetime
) -> None:
    await mark(session, appeal_id=appeal_id, at=at)
    for follower in await followers(session, appeal_id):
        await mark(session, appeal_id=follower, at=at)
