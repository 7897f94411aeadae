"""Events notify applies: intake's decisions, which say who to tell and are told
themselves (appeal.filed, appeal.rejected, appeal.answered), their level
(appeal.graded, which decides the quiet hours), the acceptance and
handling notices units ask for (work_order.acceptance_notice_requested,
work_order.handling_notice_requested), and mergers (work_order.merged), whose
citizens are told the surviving order's result.

Handlers change the store and never commit: the consumer loop owns the transaction,
together with the inbox row that keeps an event from being applied twice.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.bus.consumer import Handler
from minsheng_common.events import (
    AcceptanceNoticeRequested,
    AppealAnswered,
    AppealFiled,
    AppealGraded,
    AppealRejected,
    Envelope,
    HandlingNoticeRequested,
    WorkOrderMerged,
)
from minsheng_common.events import topics as topic_names
from minsheng_common.runtime import ConsumerSpec
from minsheng_notify import handler_chain, service
from minsheng_notify.service import NotifyContext


class NotifyConsumers:
    """The handlers, bound to notify's context."""

    def __init__(self, context: NotifyContext) -> None:
        self.context = context

    async def on_appeal_filed(
        self, session: AsyncSession, envelope: Envelope, data: AppealFiled
    ) -> None:
        """Keep the citizen of a filed appeal as the recipient of its notices, with
        the second contact to fall back to, and tell them the tracking code."""
        await service.notify_filed(session=session, context=self.context, filed=data)

    async def on_appeal_graded(
        self, session: AsyncSession, envelope: Envelope, data: AppealGraded
    ) -> None:
        """Keep the appeal's new level: a level-1 citizen is told even in the quiet
        hours (Art. 9)."""
        await service.record_level(
            session=session, appeal_id=data.appeal_id, level=data.level
        )

    async def on_appeal_rejected(
        self, session: AsyncSession, envelope: Envelope, data: AppealRejected
    ) -> None:
        """Tell the citizen why the appeal is not filed and where to turn instead."""
        await service.notify_rejected(
            session=session, context=self.context, rejected=data
        )

    async def on_appeal_answered(
        self, session: AsyncSession, envelope: Envelope, data: AppealAnswered
    ) -> None:
        """Send the instant answer to a consultation as a notice (Art. 44)."""
        await service.notify_answered(
            session=session, context=self.context, answered=data
        )

    async def on_acceptance_notice_requested(
        self,
        session: AsyncSession,
        envelope: Envelope,
        data: AcceptanceNoticeRequested,
    ) -> None:
        """Queue the acceptance notice a unit asked for (Art. 28)."""
        await service.request_acceptance_notice(
            session=session, context=self.context, request=data
        )

    async def on_handling_notice_requested(
        self,
        session: AsyncSession,
        envelope: Envelope,
        data: HandlingNoticeRequested,
    ) -> None:
        """Queue the handling notice a unit asked for (Art. 29), to the order's
        citizen and to every citizen of an appeal merged into it."""
        await service.request_handling_notice(
            session=session, context=self.context, request=data
        )

    async def on_work_order_merged(
        self, session: AsyncSession, envelope: Envelope, data: WorkOrderMerged
    ) -> None:
        """Keep the merged appeals, told later by the surviving order (Art. 18)."""
        await service.record_merged(session=session, merged=data)

    def handlers(self) -> dict[str, Handler]:
        return {
            AppealFiled.event_type: self.on_appeal_filed,
            AppealGraded.event_type: self.on_appeal_graded,
            AppealRejected.event_type: self.on_appeal_rejected,
            AppealAnswered.event_type: self.on_appeal_answered,
            AcceptanceNoticeRequested.event_type: self.on_acceptance_notice_requested,
            HandlingNoticeRequested.event_type: self.on_handling_notice_requested,
            WorkOrderMerged.event_type: self.on_work_order_merged,
        }

    def spec(self, *joined: ConsumerSpec) -> ConsumerSpec:
        """Notify's one consumer group; `joined` groups add their topics and
        handlers to it, since they share its inbox (see `handler_chain`)."""
        topics = [topic_names.APPEALS, topic_names.WORK_ORDERS]
        topics += [topic for spec in joined for topic in spec.topics]
        return ConsumerSpec(
            name="notices",
            topics=list(dict.fromkeys(topics)),
            handlers=handler_chain.combine(
                self.handlers(), *(spec.handlers for spec in joined)
            ),
        )
