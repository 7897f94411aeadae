"""Work-order events sameness needs: whether each appeal is still being handled.

Intake's consumer of the work-orders topic calls these from its own handlers (one
consumer per topic: the inbox records an event once per service, so a second
consumer group on the same topic would find every event already applied).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.events import Envelope, WorkOrderDispatched
from minsheng_intake.sameness import openness


async def on_work_order_dispatched(
    session: AsyncSession, envelope: Envelope, data: WorkOrderDispatched
) -> None:
    """A unit received a work order for the appeal: it is being handled."""
    await openness.mark_open(session, appeal_id=data.appeal_id, at=data.dispatched_at)


async def on_work_order_closed(
    session: AsyncSession, *, appeal_id: str, closed_at: datetime
) -> None:
    """The appeal's work order was closed: a later appeal on the same problem is no
    longer a repeat (Art. 11(3)5).

    TODO(closure events arrive with the dispatch issue): `work_order.closed` does
    not exist yet; when it does, register a handler for it that calls this with the
    event's appeal id and closure time. With split or parallel orders (Art. 19, 20)
    the appeal closes when its last order closes.
    """
    await openness.mark_closed(session, appeal_id=appeal_id, at=closed_at)
