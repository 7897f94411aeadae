"""Intake's event handlers. Each runs inside the consumer loop's transaction, which
also records the event in the inbox: handlers never commit."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.bus.consumer import Handler
from minsheng_common.events import Envelope, WorkOrderDispatched
from minsheng_common.events import topics as topic_names
from minsheng_common.runtime import ConsumerSpec
from minsheng_intake import service
from minsheng_intake.sameness import consumers as sameness_consumers


async def on_work_order_dispatched(
    session: AsyncSession, envelope: Envelope, data: WorkOrderDispatched
) -> None:
    """A unit received a work order for an appeal: from now on it may read that
    appeal, redacted (Art. 41), and the appeal is being handled (a later appeal on
    the same problem is a repeat, Art. 11(3)5)."""
    await service.record_dispatch(session=session, dispatched=data)
    await sameness_consumers.on_work_order_dispatched(session, envelope, data)


def by_event_type() -> Mapping[str, Handler]:
    return {WorkOrderDispatched.event_type: on_work_order_dispatched}


def specs() -> list[ConsumerSpec]:
    """Intake's one consumer group, on the work-orders topic: which unit holds
    which appeal, and whether it is still being handled. One group per topic: the
    inbox records an event once per service."""
    return [
        ConsumerSpec(
            name="holders",
            topics=[topic_names.WORK_ORDERS],
            handlers=by_event_type(),
        )
    ]
