"""What every step of an order's life does the same way: find the order behind the
caller's wall, change its state only if the state still allows it, audit it, stage
its events."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.auth.principal import Principal
from minsheng_common.events import EventData
from minsheng_dispatch import access, repository, service
from minsheng_dispatch.lifecycle import states
from minsheng_dispatch.lifecycle.states import Step
from minsheng_dispatch.models import WorkOrder
from minsheng_dispatch.service import DispatchContext


async def units_order(
    session: AsyncSession, principal: Principal, work_order_id: str
) -> WorkOrder:
    """The order, if it is the calling unit's (404 otherwise, as a missing one)."""
    return await service.visible_order(
        session=session,
        work_order_id=work_order_id,
        unit_id=access.acting_unit(principal),
    )


async def any_order(session: AsyncSession, work_order_id: str) -> WorkOrder:
    """The order, for the center, which sees every unit's."""
    return await service.visible_order(
        session=session, work_order_id=work_order_id, unit_id=None
    )


async def transition(
    session: AsyncSession,
    context: DispatchContext,
    order: WorkOrder,
    step: Step,
    *,
    action: str,
    actor: str,
    at: datetime,
    values: dict[str, Any],
    detail: dict[str, Any],
    events: Sequence[EventData] = (),
) -> WorkOrder:
    """Apply `values` if the order's state still allows `step` (checked by the
    database in the UPDATE, so two racing requests cannot both pass), then audit it
    and stage its events, all in the caller's transaction. Refused with the state's
    409 otherwise."""
    if not await repository.move_to(
        session, order.id, from_statuses=states.ALLOWED[step], values=values
    ):
        states.refuse(await service.reloaded(session, order.id), step)
    await repository.add_action(
        session, order.id, action=action, actor=actor, at=at, detail=detail
    )
    for event in events:
        await context.outbox.stage(session, event, occurred_at=at)
    return await service.reloaded(session, order.id)


def fingerprint(text: str) -> str:
    """A digest of a message to the citizen, for the audit trail: enough to
    recognise it, no more of it than needed."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
