"""What SLA does with dispatch's work-order events, notify's notices and intake's
requests for reply templates.

sla reads three topics, each in a consumer group of its own: `work-orders` (every
clock starts, moves, stops or is cancelled there), `notices`, because the
handling-notice clock (Art. 29) stops only when the notice is actually sent, and
`appeals`, where intake asks a unit for reply templates and says when they came
(Art. 43).

Each handler runs inside the consumer loop's transaction, after the event's inbox row:
it changes clocks and stages events in that transaction and never commits.

The consumer loop skips an event type without a handler; it does not dead-letter
it. sla has none for ownership disputes (work_order.dispute_escalated and
dispute_decided, Art. 24): the regulation stops no clock while units dispute, and a
decision that moves the order comes with an approved work_order.return_decided and
the new order's work_order.dispatched, which end and start the clocks as for any
return (Art. 13).
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.bus.consumer import Handler
from minsheng_common.events import (
    AcceptanceNoticeRequested,
    Envelope,
    HandlingNoticeRequested,
    NoticeSent,
    ReplyTemplateReceived,
    ReplyTemplateRequested,
    WorkOrderClosed,
    WorkOrderClosureRejected,
    WorkOrderClosureRequested,
    WorkOrderDispatched,
    WorkOrderExtensionDecided,
    WorkOrderMerged,
    WorkOrderOpinionSubmitted,
    WorkOrderReplaced,
    WorkOrderReturnDecided,
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
            WorkOrderExtensionDecided.event_type: self.on_extension_decided,
            HandlingNoticeRequested.event_type: self.on_handling_notice_requested,
            WorkOrderClosureRequested.event_type: self.on_closure_requested,
            WorkOrderClosureRejected.event_type: self.on_closure_rejected,
            WorkOrderClosed.event_type: self.on_closed,
            WorkOrderReturnDecided.event_type: self.on_return_decided,
            WorkOrderMerged.event_type: self.on_merged,
            WorkOrderReplaced.event_type: self.on_replaced,
            WorkOrderOpinionSubmitted.event_type: self.on_opinion_submitted,
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

    async def on_extension_decided(
        self,
        session: AsyncSession,
        envelope: Envelope,
        data: WorkOrderExtensionDecided,
    ) -> None:
        """Move the handling deadline by an approved extension (Art. 16)."""
        log.debug(
            "event %s: work order %s extension %s",
            envelope.event_id,
            data.work_order_id,
            "approved" if data.approved else "refused",
        )
        await service.extend_handling(
            session=session,
            context=self.context,
            event_id=envelope.event_id,
            decided=data,
        )

    async def on_handling_notice_requested(
        self,
        session: AsyncSession,
        envelope: Envelope,
        data: HandlingNoticeRequested,
    ) -> None:
        """Note the handling notice asked for (Art. 29); no clock starts."""
        log.debug(
            "event %s: work order %s asks for handling notice %s",
            envelope.event_id,
            data.work_order_id,
            data.request_id,
        )
        await service.record_handling_notice_requested(session=session, requested=data)

    async def on_closure_requested(
        self,
        session: AsyncSession,
        envelope: Envelope,
        data: WorkOrderClosureRequested,
    ) -> None:
        """Meet the handling deadline; start the handling-notice clock (Art. 29)."""
        log.debug(
            "event %s: work order %s closure requested",
            envelope.event_id,
            data.work_order_id,
        )
        await service.record_closure_requested(
            session=session, context=self.context, requested=data
        )

    async def on_closure_rejected(
        self,
        session: AsyncSession,
        envelope: Envelope,
        data: WorkOrderClosureRejected,
    ) -> None:
        """The handling deadline runs again (Art. 17)."""
        log.debug(
            "event %s: work order %s closure rejected",
            envelope.event_id,
            data.work_order_id,
        )
        await service.record_closure_rejected(
            session=session, context=self.context, rejected=data
        )

    async def on_closed(
        self, session: AsyncSession, envelope: Envelope, data: WorkOrderClosed
    ) -> None:
        """Start the staged-closure check, or meet it (Art. 17)."""
        log.debug(
            "event %s: work order %s closed (%s)",
            envelope.event_id,
            data.work_order_id,
            data.outcome,
        )
        await service.record_closed(session=session, context=self.context, closed=data)

    async def on_return_decided(
        self,
        session: AsyncSession,
        envelope: Envelope,
        data: WorkOrderReturnDecided,
    ) -> None:
        """An approved return cancels the order's pending deadlines."""
        log.debug(
            "event %s: work order %s return %s",
            envelope.event_id,
            data.work_order_id,
            "approved" if data.approved else "refused",
        )
        await service.record_return_decided(session=session, decided=data)

    async def on_merged(
        self, session: AsyncSession, envelope: Envelope, data: WorkOrderMerged
    ) -> None:
        """The merged orders' pending deadlines are cancelled (Art. 18)."""
        log.debug(
            "event %s: work orders %s merged into %s",
            envelope.event_id,
            ", ".join(data.merged_work_order_ids),
            data.work_order_id,
        )
        await service.record_merged(session=session, merged=data)

    async def on_replaced(
        self, session: AsyncSession, envelope: Envelope, data: WorkOrderReplaced
    ) -> None:
        """A split or parallel order's predecessor ends: its pending deadlines are
        cancelled (Art. 19, 20, 22)."""
        log.debug(
            "event %s: work order %s replaced (%s) by %s",
            envelope.event_id,
            data.work_order_id,
            data.kind,
            ", ".join(data.replacement_ids),
        )
        await service.record_replaced(session=session, replaced=data)

    async def on_opinion_submitted(
        self,
        session: AsyncSession,
        envelope: Envelope,
        data: WorkOrderOpinionSubmitted,
    ) -> None:
        """A cooperating unit's opinion meets its handling deadline (Art. 20, 22)."""
        log.debug(
            "event %s: work order %s gave its opinion to the lead of group %s",
            envelope.event_id,
            data.work_order_id,
            data.parallel_group_id,
        )
        await service.record_opinion_submitted(
            session=session, context=self.context, submitted=data
        )


class NoticeEvents:
    """Handlers for the `notices` topic: a sent handling notice stops its clock."""

    def __init__(self, context: SlaContext) -> None:
        self.context = context

    def handlers(self) -> dict[str, Handler]:
        """Event type → handler, as the consumer group takes them."""
        return {NoticeSent.event_type: self.on_notice_sent}

    async def on_notice_sent(
        self, session: AsyncSession, envelope: Envelope, data: NoticeSent
    ) -> None:
        """Meet the handling-notice deadline when its notice was sent (Art. 29)."""
        log.debug(
            "event %s: notice %s (%s) sent for work order %s",
            envelope.event_id,
            data.notice_id,
            data.kind,
            data.work_order_id,
        )
        await service.record_notice_sent(
            session=session, context=self.context, sent=data
        )


class AppealEvents:
    """Handlers for the `appeals` topic: the reply-template clock (Art. 43)."""

    def __init__(self, context: SlaContext) -> None:
        self.context = context

    def handlers(self) -> dict[str, Handler]:
        """Event type → handler, as the consumer group takes them."""
        return {
            ReplyTemplateRequested.event_type: self.on_reply_template_requested,
            ReplyTemplateReceived.event_type: self.on_reply_template_received,
        }

    async def on_reply_template_requested(
        self,
        session: AsyncSession,
        envelope: Envelope,
        data: ReplyTemplateRequested,
    ) -> None:
        """Start the reply-template clock at the unit's third closure (Art. 43)."""
        log.debug(
            "event %s: unit %s asked for reply templates of %s (request %s)",
            envelope.event_id,
            data.unit_id,
            data.category_id,
            data.request_id,
        )
        await service.start_reply_template(
            session=session, context=self.context, requested=data
        )

    async def on_reply_template_received(
        self,
        session: AsyncSession,
        envelope: Envelope,
        data: ReplyTemplateReceived,
    ) -> None:
        """Meet the reply-template clock: the templates arrived (Art. 43)."""
        log.debug(
            "event %s: unit %s sent reply templates (request %s)",
            envelope.event_id,
            data.unit_id,
            data.request_id,
        )
        await service.record_reply_template_received(
            session=session, context=self.context, received=data
        )
