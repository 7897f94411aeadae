"""What SLA does with dispatch's work-order events.

Each handler runs inside the consumer loop's transaction, after the event's inbox row:
it changes clocks and stages events in that transaction and never commits.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.bus.consumer import Handler
from minsheng_common.events import (
    AcceptanceNoticeRequested,
    Envelope,
    WorkOrderDispatched,
    WorkOrderSigned,
)
from minsheng_sla import service
from minsheng_sla.service import SlaContext

log = logging.getLogger(__name__)


class WorkOrderEvents:
    """Handlers for the `work-orders` topic, bound to sla's context."""

    def __init__(self, context: SlaContext) -> None:
        self.context = context

    def handlers(self) -> dict[str, Handler]:
        """Event type → handler, as the consumer group takes them."""
        return {
            WorkOrderDispatched.event_type: self.on_dispatched,
            WorkOrderSigned.event_type: self.on_signed,
            AcceptanceNoticeRequested.event_type: self.on_acceptance_notice_requested,
        }

    async def on_dispatched(
        self, session: AsyncSession, envelope: Envelope, data: WorkOrderDispatched
    ) -> None:
        """Start the sign-off and handling clocks (Art. 13, 15)."""
        log.debug(
            "event %s: work order %s dispatched to %s",
            envelope.event_id,
            data.work_order_id,
            data.unit_id,
        )
        await service.start_on_dispatch(
            session=session, context=self.context, dispatched=data
        )

    async def on_signed(
        self, session: AsyncSession, envelope: Envelope, data: WorkOrderSigned
    ) -> None:
        """Stop the sign-off clock; start the acceptance-notice clock (Art. 28)."""
        log.debug(
            "event %s: work order %s signed (%s)",
            envelope.event_id,
            data.work_order_id,
            data.mode,
        )
        await service.record_signed(session=session, context=self.context, signed=data)

    async def on_acceptance_notice_requested(
        self,
        session: AsyncSession,
        envelope: Envelope,
        data: AcceptanceNoticeRequested,
    ) -> None:
        """Stop the acceptance-notice clock (Art. 28)."""
        log.debug(
            "event %s: work order %s asks for acceptance notice %s",
            envelope.event_id,
            data.work_order_id,
            data.request_id,
        )
        await service.record_acceptance_notice(
            session=session, context=self.context, requested=data
        )
