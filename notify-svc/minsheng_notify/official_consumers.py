"""Events that make notify tell units, agencies and leaders, or ask the citizen
back: a level-1 appeal (appeal.filed or appeal.graded at level 1), urging
(deadline.urged), the weekly overdue list (supervision.overdue_listed), warnings
(warning.raised), a closure (work_order.closed: the return visit) and a reopening
(work_order.reopened: off the reopening candidates). appeal.filed and
work_order.dispatched are also kept to word the messages.

Handlers change the store and never commit: the consumer loop owns the
transaction, with the inbox row that keeps an event from being applied twice.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.bus.consumer import Handler
from minsheng_common.events import (
    AppealFiled,
    AppealGraded,
    DeadlineUrged,
    Envelope,
    OverdueSupervised,
    WarningRaised,
    WorkOrderClosed,
    WorkOrderDispatched,
    WorkOrderReopened,
)
from minsheng_common.events import topics as topic_names
from minsheng_common.runtime import ConsumerSpec
from minsheng_notify import leader_alerts, projections, return_visits, unit_messages
from minsheng_notify.official_context import OfficialContext

TOPICS = (
    topic_names.APPEALS,
    topic_names.WORK_ORDERS,
    topic_names.DEADLINES,
    topic_names.ALERTS,
)


class OfficialConsumers:
    """The handlers, bound to the official messages' context."""

    def __init__(self, context: OfficialContext) -> None:
        self.context = context

    async def on_appeal_filed(
        self, session: AsyncSession, envelope: Envelope, data: AppealFiled
    ) -> None:
        """Keep the appeal's summary; a level-1 appeal is told at once (Art. 9)."""
        summary = await projections.keep_filed(session, data)
        if data.level == 1:
            await leader_alerts.alert_level_1(
                session=session, context=self.context, summary=summary
            )

    async def on_appeal_graded(
        self, session: AsyncSession, envelope: Envelope, data: AppealGraded
    ) -> None:
        """An appeal graded level 1 is told at once (Art. 9)."""
        summary = await projections.keep_graded(session, data)
        if data.level == 1:
            await leader_alerts.alert_level_1(
                session=session, context=self.context, summary=summary
            )

    async def on_work_order_dispatched(
        self, session: AsyncSession, envelope: Envelope, data: WorkOrderDispatched
    ) -> None:
        """Keep the order's unit; it is told of warnings its appeal is part of."""
        await projections.keep_dispatched(session, data)
        await leader_alerts.warn_dispatched_unit(
            session=session, context=self.context, dispatched=data
        )

    async def on_deadline_urged(
        self, session: AsyncSession, envelope: Envelope, data: DeadlineUrged
    ) -> None:
        """Urge the unit (Art. 39); an order that ran out goes in the morning
        report."""
        await unit_messages.urge(session=session, context=self.context, urged=data)
        await projections.keep_overdue(session, data)

    async def on_overdue_supervised(
        self, session: AsyncSession, envelope: Envelope, data: OverdueSupervised
    ) -> None:
        """Send the unit its weekly overdue list (Art. 40)."""
        await unit_messages.supervise(
            session=session, context=self.context, listed=data
        )

    async def on_warning_raised(
        self, session: AsyncSession, envelope: Envelope, data: WarningRaised
    ) -> None:
        """Send the warning to its recipients (Art. 23)."""
        await leader_alerts.warn(session=session, context=self.context, raised=data)

    async def on_work_order_closed(
        self, session: AsyncSession, envelope: Envelope, data: WorkOrderClosed
    ) -> None:
        """Send the citizen the return-visit survey (Art. 30)."""
        await return_visits.start(session=session, context=self.context, closed=data)

    async def on_work_order_reopened(
        self, session: AsyncSession, envelope: Envelope, data: WorkOrderReopened
    ) -> None:
        """A reopened order is no longer a reopening candidate."""
        await return_visits.note_reopened(session=session, reopened=data)

    def handlers(self) -> dict[str, Handler]:
        return {
            AppealFiled.event_type: self.on_appeal_filed,
            AppealGraded.event_type: self.on_appeal_graded,
            WorkOrderDispatched.event_type: self.on_work_order_dispatched,
            DeadlineUrged.event_type: self.on_deadline_urged,
            OverdueSupervised.event_type: self.on_overdue_supervised,
            WarningRaised.event_type: self.on_warning_raised,
            WorkOrderClosed.event_type: self.on_work_order_closed,
            WorkOrderReopened.event_type: self.on_work_order_reopened,
        }

    def spec(self) -> ConsumerSpec:
        """Joined to notify's one consumer group (`NotifyConsumers.spec`), which
        shares its inbox."""
        return ConsumerSpec(name="officials", topics=TOPICS, handlers=self.handlers())
