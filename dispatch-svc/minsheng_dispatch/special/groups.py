"""What the steps of a parallel group (并行, Art. 20, 22) share: the group locked
for the step, its lead, and the cooperating orders whose opinion the lead still
waits for."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_dispatch import repository
from minsheng_dispatch.models import WorkOrder
from minsheng_dispatch.special import repository as special_repository
from minsheng_dispatch.special import roles
from minsheng_dispatch.special.errors import ParallelGroupNotFound
from minsheng_dispatch.special.models import CooperationOpinion, ParallelGroup


async def locked(
    session: AsyncSession, order: WorkOrder, *, at: datetime
) -> ParallelGroup:
    """The order's group, locked for this step (`repository.lock_group`)."""
    group_id = order.parallel_group_id
    group = (
        await special_repository.lock_group(session, group_id, at=at)
        if group_id is not None
        else None
    )
    if group is None:
        raise ParallelGroupNotFound(
            f"work order {order.id} belongs to no parallel group",
            field="work_order_id",
        )
    return group


async def lead(session: AsyncSession, group_id: str) -> WorkOrder | None:
    """The group's lead order that is not ended (a returned lead's replacement)."""
    for member in await special_repository.members(session, group_id):
        if member.role == roles.LEAD and member.status != repository.RETURNED:
            return member
    return None


async def missing(session: AsyncSession, group_id: str) -> list[WorkOrder]:
    members = await special_repository.members(session, group_id)
    opinions = await special_repository.opinions(session, group_id)
    return without_opinion(members, opinions)


def without_opinion(
    members: list[WorkOrder], opinions: dict[str, CooperationOpinion]
) -> list[WorkOrder]:
    return [
        member
        for member in members
        if member.role == roles.COOPERATING
        and member.status in repository.OPEN_STATUSES
        and member.id not in opinions
    ]
