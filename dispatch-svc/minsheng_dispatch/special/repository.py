"""Queries of special dispatch on dispatch's store."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_dispatch import repository as orders
from minsheng_dispatch.models import WorkOrder
from minsheng_dispatch.special import roles
from minsheng_dispatch.special.models import CooperationOpinion, ParallelGroup

UNFINISHED = frozenset(
    {orders.DISPATCHED, orders.RETURN_REQUESTED, orders.SIGNED, orders.IN_PROGRESS}
)
"""States of an order its unit has not finished: no closure asked for yet."""

SURVIVOR_ROLES = (roles.SOLE, roles.LEAD)
"""Roles whose order gives the citizen a reply, so it may take others in."""


def is_unfinished(order: WorkOrder) -> bool:
    """Open, and its unit has asked neither to close it nor to tell the citizen
    the result."""
    return order.status in UNFINISHED and order.handling_notice_requested_at is None


async def end_if_unfinished(
    session: AsyncSession, work_order_id: str, *, values: dict[str, Any]
) -> bool:
    """Change an order only while it is unfinished; False when it no longer is.
    Checked by the database in the UPDATE, so a racing closure request or another
    special dispatch cannot both pass."""
    result = await session.execute(
        update(WorkOrder)
        .where(
            WorkOrder.id == work_order_id,
            WorkOrder.status.in_(UNFINISHED),
            WorkOrder.handling_notice_requested_at.is_(None),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0)) == 1


async def survivor_for(session: AsyncSession, order: WorkOrder) -> WorkOrder | None:
    """The earliest unfinished order of another appeal that is the same event by
    every sign dispatch has: the same event cluster, channel, category and unit
    (Art. 18); None if none, and the center is left to judge from the
    suggestions."""
    # Intake's cluster is a guess from place and text. An operator who classified a
    # report differently, or a route to another unit, says it may be another event:
    # merging it would hand one unit's appeal to another without anyone deciding.
    signs = (order.cluster_id, order.channel, order.category_id, order.unit_id)
    if any(sign is None for sign in signs):
        return None
    return await session.scalar(
        _mergeable()
        .where(
            WorkOrder.cluster_id == order.cluster_id,
            WorkOrder.channel == order.channel,
            WorkOrder.category_id == order.category_id,
            WorkOrder.unit_id == order.unit_id,
            WorkOrder.id != order.id,
            WorkOrder.appeal_id != order.appeal_id,
            WorkOrder.handling_notice_requested_at.is_(None),
        )
        .order_by(WorkOrder.dispatched_at, WorkOrder.id)
        .limit(1)
    )


async def suggested_clusters(
    session: AsyncSession, *, cluster_id: str | None, limit: int, offset: int
) -> tuple[list[str], int]:
    """Event clusters with two or more unfinished orders that could be merged, the
    longest waiting first, with their total before paging."""
    query = (
        select(WorkOrder.cluster_id, func.min(WorkOrder.dispatched_at).label("first"))
        .where(WorkOrder.cluster_id.is_not(None))
        .where(*_mergeable_conditions())
        .group_by(WorkOrder.cluster_id)
        .having(func.count() >= 2)
    )
    if cluster_id is not None:
        query = query.where(WorkOrder.cluster_id == cluster_id)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.execute(
        query.order_by("first", WorkOrder.cluster_id).limit(limit).offset(offset)
    )
    return [str(row[0]) for row in rows.all()], int(total or 0)


async def mergeable_in(
    session: AsyncSession, cluster_ids: list[str]
) -> list[WorkOrder]:
    """The unfinished orders of the clusters that could be merged, oldest first."""
    if not cluster_ids:
        return []
    rows = await session.scalars(
        _mergeable()
        .where(WorkOrder.cluster_id.in_(cluster_ids))
        .order_by(WorkOrder.dispatched_at, WorkOrder.id)
    )
    return list(rows)


def _mergeable_conditions() -> list[Any]:
    # A split part is about a part of its appeal, not the event of its cluster; an
    # order of a parallel group other than its lead or confirmed owner moves with its
    # group.
    return [
        WorkOrder.status.in_(UNFINISHED),
        WorkOrder.role.in_(SURVIVOR_ROLES),
        WorkOrder.split_from.is_(None),
    ]


def _mergeable() -> Any:
    return select(WorkOrder).where(*_mergeable_conditions())


async def lock_group(
    session: AsyncSession, group_id: str, *, at: datetime
) -> ParallelGroup | None:
    """The group as the store holds it, after updating its row: every step of a
    group does this first, so on PostgreSQL a second step waits for the first to
    commit (a row lock) and on SQLite for its write lock, and each reads the group
    as the one before left it. Two candidates confirming at once, or the last two
    returning at once, are therefore decided one after the other."""
    await session.execute(
        update(ParallelGroup)
        .where(ParallelGroup.id == group_id)
        .values(updated_at=at)
        .execution_options(synchronize_session=False)
    )
    return await session.get(ParallelGroup, group_id, populate_existing=True)


async def group_of(session: AsyncSession, order: WorkOrder) -> ParallelGroup | None:
    """The group the order belongs to, or the group that replaced it."""
    if order.parallel_group_id is not None:
        return await session.get(ParallelGroup, order.parallel_group_id)
    return await session.scalar(
        select(ParallelGroup).where(ParallelGroup.origin_work_order_id == order.id)
    )


async def members(session: AsyncSession, group_id: str) -> list[WorkOrder]:
    """Every order of the group, ended ones too, in dispatch order (fresh from the
    store)."""
    rows = await session.scalars(
        select(WorkOrder)
        .where(WorkOrder.parallel_group_id == group_id)
        .order_by(WorkOrder.dispatched_at, WorkOrder.id)
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def claim_owner(
    session: AsyncSession, group_id: str, *, work_order_id: str, at: datetime
) -> bool:
    """Name the group's owner unless one is named; False when one was."""
    result = await session.execute(
        update(ParallelGroup)
        .where(
            ParallelGroup.id == group_id,
            ParallelGroup.owner_work_order_id.is_(None),
        )
        .values(owner_work_order_id=work_order_id, owner_confirmed_at=at)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0)) == 1


async def confirm_candidate(
    session: AsyncSession, work_order_id: str, *, signed_by: str, at: datetime
) -> bool:
    """Sign a candidate's order as its owner's; False unless it is an unsigned
    candidate."""
    result = await session.execute(
        update(WorkOrder)
        .where(
            WorkOrder.id == work_order_id,
            WorkOrder.status == orders.DISPATCHED,
            WorkOrder.role == roles.CANDIDATE,
        )
        .values(
            status=orders.SIGNED,
            signed_at=at,
            sign_mode="manual",
            signed_by=signed_by,
            role=roles.SOLE,
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0)) == 1


async def opinions(
    session: AsyncSession, group_id: str
) -> dict[str, CooperationOpinion]:
    """The group's opinions and waivers by cooperating order."""
    rows = await session.scalars(
        select(CooperationOpinion).where(CooperationOpinion.group_id == group_id)
    )
    return {row.work_order_id: row for row in rows}


async def opinion(
    session: AsyncSession, work_order_id: str
) -> CooperationOpinion | None:
    return await session.get(CooperationOpinion, work_order_id)
