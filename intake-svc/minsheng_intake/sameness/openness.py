"""Whether an appeal is still being handled (Art. 11(3)5: a repeat counts only
while the responsible unit is still handling the earlier appeal).

An appeal filed but not dispatched yet is open; a dispatched work order keeps it
open; a closed work order closes it (a staged closure too: Art. 17 makes it one of
the ways an order is closed), a reopened one opens it again. An appeal intake
itself closed (rejected, answered at once) is closed whatever the work orders say.
A filed appeal's `closed_at` follows its work orders, so its personal data is kept
for the retention period from its last closure.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_intake.models import Appeal
from minsheng_intake.sameness.models import AppealHandling

log = logging.getLogger(__name__)

OPEN = "open"
CLOSED = "closed"
FILED = "filed"


async def mark_open(session: AsyncSession, *, appeal_id: str, at: datetime) -> bool:
    """A work order of the appeal was dispatched or reopened at `at`: it is being
    handled. False when a later event already decided."""
    return await _record(session, appeal_id=appeal_id, state=OPEN, at=at)


async def mark_closed(session: AsyncSession, *, appeal_id: str, at: datetime) -> bool:
    """The appeal's work order was closed at `at`: no longer being handled. False
    when a later event already decided."""
    return await _record(session, appeal_id=appeal_id, state=CLOSED, at=at)


async def _record(
    session: AsyncSession, *, appeal_id: str, state: str, at: datetime
) -> bool:
    # Events may arrive late or twice; the one that happened last decides, so a
    # re-dispatch after a closure opens the appeal again and a stale dispatch
    # arriving after the closure does not.
    row = await session.get(AppealHandling, appeal_id)
    if row is None:
        session.add(AppealHandling(appeal_id=appeal_id, state=state, updated_at=at))
    elif at >= row.updated_at:
        if row.state == state and at == row.updated_at:
            return False
        row.state = state
        row.updated_at = at
    else:
        log.debug(
            "appeal %s: %s at %s is older than the state held", appeal_id, state, at
        )
        return False
    await _follow_on_appeal(session, appeal_id=appeal_id, state=state, at=at)
    log.info("appeal %s is %s (handling)", appeal_id, state)
    return True


async def _follow_on_appeal(
    session: AsyncSession, *, appeal_id: str, state: str, at: datetime
) -> None:
    # Only a filed appeal closes by its work orders; one intake closed itself keeps
    # the closure it was given.
    appeal = await session.get(Appeal, appeal_id)
    if appeal is None or appeal.status != FILED:
        return
    appeal.closed_at = at if state == CLOSED else None


async def states(session: AsyncSession, appeal_ids: Iterable[str]) -> dict[str, str]:
    """The handling state of each appeal that has one."""
    wanted = list(appeal_ids)
    if not wanted:
        return {}
    rows = await session.scalars(
        select(AppealHandling).where(AppealHandling.appeal_id.in_(wanted))
    )
    return {row.appeal_id: row.state for row in rows}


def is_open(appeal: Appeal, state: str | None) -> bool:
    """Whether the appeal is still being handled, given its handling state (None:
    no work-order event yet, so filed and waiting for dispatch)."""
    return appeal.closed_at is None and state != CLOSED
