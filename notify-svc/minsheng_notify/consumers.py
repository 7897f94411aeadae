"""Events notify applies: who to tell (appeal.filed) and what to tell them
(work_order.acceptance_notice_requested).

Handlers change the store and never commit: the consumer loop owns the transaction,
together with the inbox row that keeps an event from being applied twice.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.bus.consumer import Handler
from minsheng_common.events import AcceptanceNoticeRequested, AppealFiled, Envelope
from minsheng_common.events import topics as topic_names
from minsheng_common.runtime import ConsumerSpec
from minsheng_notify import service
from minsheng_notify.service import NotifyContext


class NotifyConsumers:
    """The handlers, bound to notify's context."""

    def __init__(self, context: NotifyContext) -> None:
        self.context = context

    async def on_appeal_filed(
        self, session: AsyncSession, envelope: Envelope, data: AppealFiled
    ) -> None:
        """Keep the citizen of a filed appeal as the recipient of its notices."""
        await service.record_recipient(
            session=session, context=self.context, filed=data
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

    def handlers(self) -> dict[str, Handler]:
        return {
            AppealFiled.event_type: self.on_appeal_filed,
            AcceptanceNoticeRequested.event_type: self.on_acceptance_notice_requested,
        }

    def spec(self) -> ConsumerSpec:
        return ConsumerSpec(
            name="notices",
            topics=[topic_names.APPEALS, topic_names.WORK_ORDERS],
            handlers=self.handlers(),
        )
