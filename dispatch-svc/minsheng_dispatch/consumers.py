"""Dispatch's event handlers. Each runs inside the consumer loop's transaction, which
also records the event in the inbox: handlers stage what they emit and never commit."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.bus.consumer import Handler
from minsheng_common.events import (
    AppealFiled,
    DeadlineReached,
    DeadlineSet,
    Envelope,
    NoticeSent,
)
from minsheng_common.events import topics as topic_names
from minsheng_common.runtime import ConsumerSpec
from minsheng_dispatch import dispatching, service
from minsheng_dispatch.lifecycle import closure, handling
from minsheng_dispatch.service import DispatchContext
from minsheng_dispatch.special import candidates


class DispatchHandlers:
    """The handlers, bound to dispatch's context."""

    def __init__(self, context: DispatchContext) -> None:
        self.context = context

    async def on_appeal_filed(
        self, session: AsyncSession, envelope: Envelope, data: AppealFiled
    ) -> None:
        """A filed appeal becomes a work order, once, when routing is certain; else
        it waits in the dispatch queue for an operator (Art. 12). A repeated
        delivery of an appeal that has an order or went through the queue does
        nothing. The same event reported through the same channel goes into the
        order of its first report (并案, Art. 18)."""
        await dispatching.appeal_filed(
            session=session, context=self.context, appeal=data
        )

    async def on_deadline_set(
        self, session: AsyncSession, envelope: Envelope, data: DeadlineSet
    ) -> None:
        """Remember the order's sign-off deadline (Art. 13) and handling deadline
        (Art. 15, moved by extensions, Art. 16); the latest set wins. Other
        deadlines are sla's and analytics' business."""
        if data.kind in ("sign_off", "handling"):
            await service.note_deadline(
                session=session, deadline=data, set_at=envelope.occurred_at
            )

    async def on_deadline_reached(
        self, session: AsyncSession, envelope: Envelope, data: DeadlineReached
    ) -> None:
        """The sign-off time ran out: sign by default if still unsigned (Art. 13),
        but a parallel candidate is returned by default once another unit confirmed
        (Art. 20). A staged closure's check date came: unverified, it counts as
        overdue (Art. 17). Other deadlines are sla's and analytics' business."""
        if data.kind == "sign_off":
            if await candidates.sign_off_reached(
                session=session, context=self.context, deadline=data
            ):
                return
            await service.auto_sign(
                session=session, context=self.context, deadline=data
            )
        elif data.kind == "staged_check":
            await closure.staged_check_reached(
                session=session, context=self.context, deadline=data
            )

    async def on_notice_sent(
        self, session: AsyncSession, envelope: Envelope, data: NoticeSent
    ) -> None:
        """The platform sent an order's handling notice (Art. 29): its closure may
        now be approved. Other notices are notify's business."""
        await handling.note_handling_notice_sent(session=session, notice=data)

    def by_event_type(self) -> Mapping[str, Handler]:
        return {
            AppealFiled.event_type: self.on_appeal_filed,
            DeadlineSet.event_type: self.on_deadline_set,
            DeadlineReached.event_type: self.on_deadline_reached,
            NoticeSent.event_type: self.on_notice_sent,
        }

    def specs(self) -> list[ConsumerSpec]:
        """Dispatch's one consumer group, on the appeals, deadlines and notices
        topics."""
        return [
            ConsumerSpec(
                name="orders",
                topics=[
                    topic_names.APPEALS,
                    topic_names.DEADLINES,
                    topic_names.NOTICES,
                ],
                handlers=self.by_event_type(),
            )
        ]
