"""Queries on dispatch's store."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_dispatch import routing
from minsheng_dispatch.models import RoutingRule, Unit, WorkOrder, WorkOrderAction

DISPATCHED = "dispatched"
SIGNED = "signed"


async def get(session: AsyncSession, work_order_id: str) -> WorkOrder | None:
    return await session.get(WorkOrder, work_order_id)


async def reload(session: AsyncSession, work_order_id: str) -> WorkOrder | None:
    """The order as the store holds it now, after a conditional update."""
    return await session.get(WorkOrder, work_order_id, populate_existing=True)


async def by_appeal(session: AsyncSession, appeal_id: str) -> WorkOrder | None:
    return await session.scalar(
        select(WorkOrder).where(WorkOrder.appeal_id == appeal_id)
    )


async def page(
    session: AsyncSession,
    *,
    unit_id: str | None = None,
    appeal_id: str | None = None,
    status: str | None = None,
    limit: int,
    offset: int,
) -> tuple[list[WorkOrder], int]:
    """Orders newest first, with the total before paging."""
    query = select(WorkOrder)
    if unit_id is not None:
        query = query.where(WorkOrder.unit_id == unit_id)
    if appeal_id is not None:
        query = query.where(WorkOrder.appeal_id == appeal_id)
    if status is not None:
        query = query.where(WorkOrder.status == status)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(WorkOrder.dispatched_at.desc(), WorkOrder.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


async def mark_signed(
    session: AsyncSession,
    work_order_id: str,
    *,
    signed_at: datetime,
    mode: str,
    signed_by: str | None,
) -> bool:
    """Sign the order only if it is still unsigned; False when it was not.

    The condition is checked by the database in the UPDATE itself, so of a manual
    sign and the auto-sign racing for one order exactly one changes the row; the other
    sees no row changed (on PostgreSQL it waits for the first to commit, then
    re-checks the condition).
    """
    result = await session.execute(
        update(WorkOrder)
        .where(WorkOrder.id == work_order_id, WorkOrder.status == DISPATCHED)
        .values(status=SIGNED, signed_at=signed_at, sign_mode=mode, signed_by=signed_by)
        .execution_options(synchronize_session=False)
    )
    return _changed(result)


async def mark_acceptance_notice_requested(
    session: AsyncSession, work_order_id: str, *, requested_at: datetime
) -> bool:
    """Record the one acceptance notice of a signed order; False if the order is not
    signed or already has one."""
    result = await session.execute(
        update(WorkOrder)
        .where(
            WorkOrder.id == work_order_id,
            WorkOrder.status == SIGNED,
            WorkOrder.acceptance_notice_requested_at.is_(None),
        )
        .values(acceptance_notice_requested_at=requested_at)
        .execution_options(synchronize_session=False)
    )
    return _changed(result)


async def set_sign_off_due(
    session: AsyncSession, work_order_id: str, *, due_at: datetime, set_at: datetime
) -> bool:
    """Record the order's sign-off deadline unless a later-set one is recorded; False
    when the order is unknown or already holds a deadline set after `set_at`.

    Checked in the UPDATE itself, so deliveries in any order and repeated deliveries
    leave the deadline of the latest deadline.set.
    """
    result = await session.execute(
        update(WorkOrder)
        .where(
            WorkOrder.id == work_order_id,
            or_(
                WorkOrder.sign_off_set_at.is_(None),
                WorkOrder.sign_off_set_at <= set_at,
            ),
        )
        .values(sign_off_due_at=due_at, sign_off_set_at=set_at)
        .execution_options(synchronize_session=False)
    )
    return _changed(result)


def _changed(result: Any) -> bool:
    return int(result.rowcount) == 1


async def add_action(
    session: AsyncSession,
    work_order_id: str,
    *,
    action: str,
    actor: str,
    at: datetime,
    detail: dict[str, Any],
) -> None:
    session.add(
        WorkOrderAction(
            work_order_id=work_order_id,
            action=action,
            actor=actor,
            at=at,
            detail=detail,
        )
    )


async def actions(session: AsyncSession, work_order_id: str) -> list[WorkOrderAction]:
    rows = await session.scalars(
        select(WorkOrderAction)
        .where(WorkOrderAction.work_order_id == work_order_id)
        .order_by(WorkOrderAction.id)
    )
    return list(rows)


async def last_action(
    session: AsyncSession, work_order_id: str, action: str
) -> WorkOrderAction | None:
    """The latest audit row of one kind for the order."""
    return await session.scalar(
        select(WorkOrderAction)
        .where(
            WorkOrderAction.work_order_id == work_order_id,
            WorkOrderAction.action == action,
        )
        .order_by(WorkOrderAction.id.desc())
        .limit(1)
    )


async def units(session: AsyncSession) -> list[Unit]:
    return list(await session.scalars(select(Unit).order_by(Unit.id)))


async def unit(session: AsyncSession, unit_id: str) -> Unit | None:
    return await session.get(Unit, unit_id)


async def subdistrict_unit_ids(session: AsyncSession) -> frozenset[str]:
    """The unit ids of the subdistrict offices (街道办事处)."""
    rows = await session.scalars(select(Unit.id).where(Unit.kind == "subdistrict"))
    return frozenset(rows)


async def routing_rules(
    session: AsyncSession, *, category_id: str | None = None
) -> list[RoutingRule]:
    """Every rule, current and closed, in the order they were made."""
    query = select(RoutingRule).order_by(RoutingRule.id)
    if category_id is not None:
        query = query.where(RoutingRule.category_id == category_id)
    return list(await session.scalars(query))


async def rules_for_routing(session: AsyncSession) -> list[routing.Rule]:
    """The routing table as the routing function reads it."""
    return [
        routing.Rule(
            id=row.id,
            category_id=row.category_id,
            unit_id=row.unit_id,
            valid_from=row.valid_from,
            subdistrict_id=row.subdistrict_id,
            keyword=row.keyword,
            valid_to=row.valid_to,
        )
        for row in await routing_rules(session)
    ]
