"""Intake's event handlers. Each runs inside the consumer loop's transaction, which
also records the event in the inbox: handlers never commit, and what they stage in
the outbox leaves with that transaction or not at all."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.bus.consumer import Handler
from minsheng_common.events import (
    Envelope,
    WarningRaised,
    WorkOrderClosed,
    WorkOrderDispatched,
    WorkOrderMerged,
    WorkOrderReopened,
)
from minsheng_common.events import topics as topic_names
from minsheng_common.runtime import ConsumerSpec
from minsheng_intake import alert_grading, service
from minsheng_intake.context import IntakeContext
from minsheng_intake.knowledge import templates
from minsheng_intake.sameness import consumers as sameness_consumers

log = logging.getLogger(__name__)


async def on_work_order_dispatched(
    session: AsyncSession, envelope: Envelope, data: WorkOrderDispatched
) -> None:
    """A unit received a work order for an appeal: from now on it may read that
    appeal, redacted (Art. 41), and the appeal is being handled (a later appeal on
    the same problem is a repeat, Art. 11(3)5)."""
    await service.record_dispatch(session=session, dispatched=data)
    await sameness_consumers.on_work_order_dispatched(session, envelope, data)


async def on_work_order_reopened(
    session: AsyncSession, envelope: Envelope, data: WorkOrderReopened
) -> None:
    """The center reopened a closed order (重办): the appeal is being handled again,
    so a later appeal on the same problem is a repeat again (Art. 11(3)5)."""
    await sameness_consumers.on_work_order_reopened(
        session, appeal_id=data.appeal_id, reopened_at=data.reopened_at
    )


async def on_work_order_merged(
    session: AsyncSession, envelope: Envelope, data: WorkOrderMerged
) -> None:
    """Orders about one event became one (并案, Art. 18): the merged appeals are
    handled, and closed, with the surviving order, and read by its unit."""
    await sameness_consumers.on_work_order_merged(session, merged=data)
    await service.record_merger(session=session, merged=data)


class IntakeEvents:
    """The handlers that stage events of their own, bound to intake's context."""

    def __init__(self, context: IntakeContext) -> None:
        self.context = context

    async def on_work_order_closed(
        self, session: AsyncSession, envelope: Envelope, data: WorkOrderClosed
    ) -> None:
        """The center closed an order (Art. 17). When it was the appeal's last open
        order, the appeal and those merged into it are no longer being handled (a
        staged closure too: Art. 17 makes it a closure, checked later); and the
        closure counts towards the unit's reply templates of the appeal's category
        (Art. 43)."""
        if data.appeal_closed:
            await sameness_consumers.on_work_order_closed(
                session, appeal_id=data.appeal_id, closed_at=data.closed_at
            )
        else:
            log.info(
                "work order %s of appeal %s closed; other orders of the appeal are "
                "still open",
                data.work_order_id,
                data.appeal_id,
            )
        await templates.count_closure(
            session,
            outbox=self.context.outbox,
            rules=self.context.rule_book(),
            closed=data,
            now=self.context.clock.now(),
        )

    async def on_warning_raised(
        self, session: AsyncSession, envelope: Envelope, data: WarningRaised
    ) -> None:
        """A hotspot, high-frequency or safety-hazard warning raises its cluster's
        appeals to level 2 (Art. 9, 23)."""
        await alert_grading.on_warning(
            session, outbox=self.context.outbox, warning=data
        )

    def work_order_handlers(self) -> Mapping[str, Handler]:
        return {
            WorkOrderDispatched.event_type: on_work_order_dispatched,
            WorkOrderClosed.event_type: self.on_work_order_closed,
            WorkOrderReopened.event_type: on_work_order_reopened,
            WorkOrderMerged.event_type: on_work_order_merged,
        }

    def alert_handlers(self) -> Mapping[str, Handler]:
        return {WarningRaised.event_type: self.on_warning_raised}


def specs(context: IntakeContext) -> list[ConsumerSpec]:
    """Intake's consumer groups, one per topic (the inbox records an event once per
    service, so a second group on the same topic would find it applied already):
    work orders (which unit holds which appeal, whether it is still being handled,
    closures counted for reply templates) and alerts (grades raised by warnings)."""
    events = IntakeEvents(context)
    return [
        ConsumerSpec(
            name="holders",
            topics=[topic_names.WORK_ORDERS],
            handlers=events.work_order_handlers(),
        ),
        ConsumerSpec(
            name="alerts",
            topics=[topic_names.ALERTS],
            handlers=events.alert_handlers(),
        ),
    ]
