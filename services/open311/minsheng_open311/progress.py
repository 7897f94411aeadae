"""The server's own projection of how appeals progress, read from the bus: intake's
decisions (appeals), the units' work orders (work-orders) and the handling
deadlines (deadlines).

Events of one appeal travel on three topics and may be read in any order across
them, so each handler fills only what its own event knows:

- `appeal.received` of this channel ties the request (its token is the channel
  reference) to the appeal; the other appeal events of the same partition come
  after it, so they find the request by the appeal id;
- a decision (filed, rejected, answered, held) is written onto the request only
  when it is newer than the one there, so intake's answer to the delivery and the
  events agree whichever is read last;
- work-order and deadline events name no channel: they are kept for every appeal
  (those no request claims are forgotten after OPEN311_UNCLAIMED_HOURS);
- a work order's state follows its own events in their order (one partition); its
  handling deadline is the newest `deadline.set` of kind handling;
- every step the feed shows is a row with its event's own time, so the newest step
  is the same whatever order the topics were read in.

Handlers never commit: the consumer loop owns the transaction and the inbox row,
which is what applies each event once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.bus.consumer import Handler
from minsheng_common.clock import Clock
from minsheng_common.events import (
    AppealAnswered,
    AppealFiled,
    AppealHeld,
    AppealReceived,
    AppealRejected,
    DeadlineSet,
    Envelope,
    WorkOrderClosed,
    WorkOrderDispatched,
    WorkOrderMerged,
    WorkOrderReopened,
    WorkOrderReplaced,
    WorkOrderReturnDecided,
    WorkOrderSigned,
)
from minsheng_common.events import topics as topic_names
from minsheng_common.runtime import ConsumerSpec, ServiceRuntime
from minsheng_open311 import repository, status
from minsheng_open311.catalogue import Catalogue
from minsheng_open311.models import (
    Merger,
    ProgressUpdate,
    ServiceRequest,
    WorkOrderView,
)
from minsheng_open311.settings import Open311Settings

log = logging.getLogger(__name__)

TOPICS = (topic_names.APPEALS, topic_names.WORK_ORDERS, topic_names.DEADLINES)
FORGET_EVERY_SECONDS = 3600.0


async def record_decision(
    session: AsyncSession,
    *,
    appeal_id: str,
    decided_at: datetime,
    values: Mapping[str, Any],
) -> None:
    """Write a decision onto the appeal's request unless a newer one is there."""
    await session.execute(
        update(ServiceRequest)
        .where(
            ServiceRequest.appeal_id == appeal_id,
            or_(
                ServiceRequest.decided_at.is_(None),
                ServiceRequest.decided_at <= decided_at,
            ),
        )
        .values(decided_at=decided_at, **values)
        .execution_options(synchronize_session=False)
    )


class Progress:
    """The handlers, bound to the channel whose appeals are this server's."""

    def __init__(self, *, channel: str, catalogue: Catalogue, clock: Clock) -> None:
        self.channel = channel
        self.catalogue = catalogue
        self.clock = clock

    def spec(self) -> ConsumerSpec:
        """One consumer group over the three topics (the inbox records an event
        once per service, so two groups on one topic would find it applied)."""
        return ConsumerSpec(name="progress", topics=TOPICS, handlers=self.handlers())

    def handlers(self) -> Mapping[str, Handler]:
        return {
            AppealReceived.event_type: self.on_appeal_received,
            AppealHeld.event_type: self.on_appeal_held,
            AppealFiled.event_type: self.on_appeal_filed,
            AppealRejected.event_type: self.on_appeal_rejected,
            AppealAnswered.event_type: self.on_appeal_answered,
            WorkOrderDispatched.event_type: self.on_work_order_dispatched,
            WorkOrderSigned.event_type: self.on_work_order_signed,
            WorkOrderClosed.event_type: self.on_work_order_closed,
            WorkOrderReopened.event_type: self.on_work_order_reopened,
            WorkOrderMerged.event_type: self.on_work_order_merged,
            WorkOrderReplaced.event_type: self.on_work_order_replaced,
            WorkOrderReturnDecided.event_type: self.on_work_order_return_decided,
            DeadlineSet.event_type: self.on_deadline_set,
        }

    # --- intake's decisions ------------------------------------------------------

    async def on_appeal_received(
        self, session: AsyncSession, envelope: Envelope, data: AppealReceived
    ) -> None:
        """Intake made an appeal of a request filed here: the tracking code becomes
        its service_request_id, even if intake's answer to the delivery was lost."""
        if data.channel != self.channel:
            return
        if await repository.link_appeal(
            session,
            request_id=data.channel_ref,
            appeal_id=data.appeal_id,
            tracking_code=data.tracking_code,
        ):
            log.info(
                "request %s is appeal %s (%s)",
                data.channel_ref,
                data.appeal_id,
                data.tracking_code,
            )

    async def on_appeal_held(
        self, session: AsyncSession, envelope: Envelope, data: AppealHeld
    ) -> None:
        decision = f"pending_{data.reason}"
        await self._decided(
            session,
            envelope,
            data.channel,
            data.appeal_id,
            data.held_at,
            status.held(decision),
            {"decision": decision},
        )

    async def on_appeal_filed(
        self, session: AsyncSession, envelope: Envelope, data: AppealFiled
    ) -> None:
        await self._decided(
            session,
            envelope,
            data.channel,
            data.appeal_id,
            data.filed_at,
            status.filed(),
            {"decision": "filed", "reason_code": None, "article": None},
        )

    async def on_appeal_rejected(
        self, session: AsyncSession, envelope: Envelope, data: AppealRejected
    ) -> None:
        await self._decided(
            session,
            envelope,
            data.channel,
            data.appeal_id,
            data.rejected_at,
            status.rejected(data.reason_code, data.advice),
            {
                "decision": "rejected",
                "reason_code": data.reason_code,
                "article": data.article,
                "advice": data.advice,
            },
        )

    async def on_appeal_answered(
        self, session: AsyncSession, envelope: Envelope, data: AppealAnswered
    ) -> None:
        await self._decided(
            session,
            envelope,
            data.channel,
            data.appeal_id,
            data.answered_at,
            status.answered(data.answer),
            {"decision": "answered", "answer": data.answer},
        )

    async def _decided(
        self,
        session: AsyncSession,
        envelope: Envelope,
        channel: str,
        appeal_id: str,
        at: datetime,
        step: status.Step,
        values: Mapping[str, Any],
    ) -> None:
        if channel != self.channel:
            return
        request = await repository.by_appeal_id(session, appeal_id)
        if request is None:
            log.debug(
                "appeal %s of %s is no request of this server", appeal_id, channel
            )
            return
        await record_decision(
            session, appeal_id=appeal_id, decided_at=at, values=values
        )
        await self._step(session, envelope, appeal_id, at, step)
        log.info(
            "request %s (appeal %s): %s", request.id, appeal_id, values["decision"]
        )

    # --- the units' work orders ----------------------------------------------------

    async def on_work_order_dispatched(
        self, session: AsyncSession, envelope: Envelope, data: WorkOrderDispatched
    ) -> None:
        step = status.dispatched(self._unit(data))
        await self._order_step(
            session, envelope, data, "open", data.dispatched_at, step
        )

    async def on_work_order_signed(
        self, session: AsyncSession, envelope: Envelope, data: WorkOrderSigned
    ) -> None:
        step = status.signed(self._unit(data))
        await self._order_step(session, envelope, data, "open", data.signed_at, step)

    async def on_work_order_closed(
        self, session: AsyncSession, envelope: Envelope, data: WorkOrderClosed
    ) -> None:
        step = status.closed(
            self._unit(data),
            outcome=data.outcome,
            check_date=data.check_date,
            appeal_closed=data.appeal_closed,
        )
        await self._order_step(session, envelope, data, "closed", data.closed_at, step)

    async def on_work_order_reopened(
        self, session: AsyncSession, envelope: Envelope, data: WorkOrderReopened
    ) -> None:
        step = status.reopened(self._unit(data))
        await self._order_step(session, envelope, data, "open", data.reopened_at, step)

    async def on_work_order_merged(
        self, session: AsyncSession, envelope: Envelope, data: WorkOrderMerged
    ) -> None:
        """Orders merged into one (并案, Art. 18): the merged orders end, and each
        merged appeal follows the surviving appeal from now on."""
        for work_order_id in data.merged_work_order_ids:
            row = await repository.order(session, work_order_id)
            if row is not None:
                row.state = "ended"
                row.changed_at = data.merged_at
        now = self.clock.now()
        for appeal_id in data.merged_appeal_ids:
            if appeal_id == data.appeal_id:
                continue
            existing = await repository.survivor_of(session, appeal_id)
            if existing is None:
                session.add(
                    Merger(
                        appeal_id=appeal_id,
                        survivor_appeal_id=data.appeal_id,
                        merged_at=data.merged_at,
                        recorded_at=now,
                    )
                )
            else:
                existing.survivor_appeal_id = data.appeal_id
                existing.merged_at = data.merged_at
            await self._step(
                session, envelope, appeal_id, data.merged_at, status.merged()
            )

    async def on_work_order_replaced(
        self, session: AsyncSession, envelope: Envelope, data: WorkOrderReplaced
    ) -> None:
        """A split or parallel dispatch ended the order; the new orders arrive as
        their own dispatches."""
        await self._order(session, data, state="ended", at=data.replaced_at)

    async def on_work_order_return_decided(
        self, session: AsyncSession, envelope: Envelope, data: WorkOrderReturnDecided
    ) -> None:
        """An approved return ends the order; a new dispatch follows if any."""
        if data.approved:
            await self._order(session, data, state="ended", at=data.decided_at)

    async def on_deadline_set(
        self, session: AsyncSession, envelope: Envelope, data: DeadlineSet
    ) -> None:
        """The handling deadline (Art. 15, 16) becomes expected_datetime; a newer
        one (an extension, a reopened round) replaces it."""
        if data.kind != "handling":
            return
        row = await self._order(session, data, state=None, at=data.starts_at)
        if row.due_set_at is None or row.due_set_at <= envelope.occurred_at:
            row.handling_due_at = data.due_at
            row.due_set_at = envelope.occurred_at

    def _unit(self, data: Any) -> str:
        return self.catalogue.unit_name(data.unit_id)

    async def _order_step(
        self,
        session: AsyncSession,
        envelope: Envelope,
        data: Any,
        state: str,
        at: datetime,
        step: status.Step,
    ) -> None:
        """An event that moves the order and shows as a step of its appeal."""
        await self._order(session, data, state=state, at=at)
        await self._step(session, envelope, data.appeal_id, at, step)

    async def _order(
        self, session: AsyncSession, data: Any, *, state: str | None, at: datetime
    ) -> WorkOrderView:
        """The order's row, created by whichever of its events comes first."""
        row = await repository.order(session, data.work_order_id)
        if row is None:
            row = WorkOrderView(
                work_order_id=data.work_order_id,
                appeal_id=data.appeal_id,
                unit_id=data.unit_id,
                state=state or "open",
                changed_at=at,
                recorded_at=self.clock.now(),
            )
            session.add(row)
            await session.flush()
            return row
        row.unit_id = data.unit_id
        if state is not None:
            row.state = state
            row.changed_at = at
        return row

    async def _step(
        self,
        session: AsyncSession,
        envelope: Envelope,
        appeal_id: str,
        at: datetime,
        step: status.Step,
    ) -> None:
        await repository.add_update(
            session,
            ProgressUpdate(
                event_id=envelope.event_id,
                appeal_id=appeal_id,
                state=step.state,
                notes=step.notes,
                occurred_at=at,
                recorded_at=self.clock.now(),
            ),
        )


async def forget_unclaimed(runtime: ServiceRuntime) -> None:
    """The background loop that forgets, once an hour, progress of appeals no
    request here claims."""
    settings = cast(Open311Settings, runtime.settings)
    keep = timedelta(hours=settings.unclaimed_hours)
    while True:
        async with runtime.sessions() as session:
            forgotten = await repository.forget_unclaimed(
                session, before=runtime.clock.now() - keep
            )
            await session.commit()
        if forgotten:
            log.info("forgot %d progress rows of appeals filed elsewhere", forgotten)
        await asyncio.sleep(FORGET_EVERY_SECONDS)
