"""Whether an appeal is still being handled (Art. 11(3)5: a repeat counts only
while the responsible unit is still handling the earlier appeal).

An appeal filed but not dispatched yet is open; a dispatched work order keeps it
open; a closed work order closes it. An appeal intake itself closed (rejected,
answered at once) is closed whatever the work orders say.
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


async def mark_open(session: AsyncSession, *, appeal_id: str, at: datetime) -> None:
    """A work order of the appeal was dispatched at `at`: it is being handled."""
    await _record(session, appeal_id=appeal_id, state=OPEN, at=at)


async def mark_closed(session: AsyncSession, *, appeal_id: str, at: datetime) -> None:
    """The appeal's work order was closed at `at`: no longer being handled."""
    await _record(session, appeal_id=appeal_id, state=CLOSED, at=at)


async def _record(
    session: AsyncSession, *, appeal_id: str, state: str, at: datetime
) -> None:
    # Events may arrive late or twice; the one that happened last decides, so a
    # re-dispatch after a closure opens the appeal again and a stale dispatch
    # arriving after the closure does not.
    row = await session.get(AppealHandling, appeal_id)
    if row is None:
        session.add(AppealHandling(appeal_id=appeal_id, state=state, updated_at=at))
    elif at >= row.updated_at:
        if row.state == state and at == row.updated_at:
            return
        row.state = state
        row.updated_at = at
    else:
        log.debug(
            "appeal %s: %s at %s is older than the state held", appeal_id, state, at
        )
        return
    log.info("appeal %s is %s (handling)", appeal_id, state)


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
