"""Merging (并案, Art. 18): several citizens report the same event; their orders
become one before it is finished, to spare the unit, and every citizen is told the
surviving order's result (notify follows work_order.merged).

Appeals of one event cluster of intake that came through the same channel, and
that were classified in the same category and routed to the same unit, are merged as
they are dispatched, into the cluster's earliest such unfinished order: Art. 18's
case, the same event by every sign dispatch has. Matches across channels are only
suggested to the center (a product choice of the rules), as are reports classified
or routed differently (they may be other events) and same-channel ones that could
not be merged because the earlier order was already too far along. The center merges
by hand, any channel, category or unit.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import redaction
from minsheng_common.auth.principal import Principal
from minsheng_common.events import WorkOrderMerged
from minsheng_dispatch import repository, service
from minsheng_dispatch.models import WorkOrder
from minsheng_dispatch.service import SYSTEM, DispatchContext
from minsheng_dispatch.special import orders, roles
from minsheng_dispatch.special import repository as special_repository
from minsheng_dispatch.special.errors import MergeSameOrder, ParallelMember
from minsheng_dispatch.special.schemas import MergeIn

log = logging.getLogger(__name__)

ARTICLE = "Art. 18"
WHAT = "be merged"


@dataclass(frozen=True)
class Merged:
    """The surviving order and the orders that went into it."""

    survivor: WorkOrder
    merged: list[WorkOrder]


@dataclass(frozen=True)
class Suggestion:
    """Unfinished orders of one event cluster that could be merged."""

    cluster_id: str
    orders: list[WorkOrder]

    @property
    def channels(self) -> list[str]:
        return sorted({order.channel for order in self.orders if order.channel})

    @property
    def same_channel(self) -> bool:
        return len(self.channels) == 1 and all(order.channel for order in self.orders)

    @property
    def same_category(self) -> bool:
        categories = {order.category_id for order in self.orders}
        return len(categories) == 1 and None not in categories

    @property
    def same_unit(self) -> bool:
        return len({order.unit_id for order in self.orders}) == 1

    @property
    def survivor(self) -> WorkOrder | None:
        """The earliest order that can take the others in."""
        return next(
            (
                order
                for order in self.orders
                if order.handling_notice_requested_at is None
            ),
            None,
        )


async def merge(
    *,
    session: AsyncSession,
    context: DispatchContext,
    principal: Principal,
    work_order_id: str,
    incoming: MergeIn,
) -> Merged:
    """The center merges the listed orders into this one; they end (merged) and
    their citizens are told this order's result. Commits."""
    reason = redaction.redact(incoming.reason)
    survivor = await orders.center_order(session, work_order_id)
    if survivor.id in incoming.work_order_ids or len(
        set(incoming.work_order_ids)
    ) != len(incoming.work_order_ids):
        raise MergeSameOrder(
            f"work order {survivor.id} cannot be merged into itself, nor an order "
            f"twice: name each other order once ({ARTICLE})"
        )
    others = [
        await orders.center_order(session, other_id, field=f"work_order_ids.{index}")
        for index, other_id in enumerate(incoming.work_order_ids)
    ]
    _check_survivor(survivor)
    for other in others:
        orders.check_unfinished(other, what=WHAT, article=ARTICLE)
        orders.check_not_in_group(other, what=WHAT, article=ARTICLE)

    merged = await _merge(
        session,
        context,
        survivor,
        others,
        actor=principal.label(),
        at=context.clock.now(),
        reason=reason,
        how="center",
    )
    await session.commit()
    return merged


def _check_survivor(survivor: WorkOrder) -> None:
    orders.check_unfinished(survivor, what="take others in", article=ARTICLE)
    if survivor.role not in special_repository.SURVIVOR_ROLES:
        raise ParallelMember(
            f"work order {survivor.id} is a {survivor.role} order of parallel group "
            f"{survivor.parallel_group_id}: only the order that replies to the "
            f"citizen (the lead or the unit that confirmed) can take others in "
            f"({ARTICLE}, Art. 20)"
        )


async def merge_on_dispatch(
    *, session: AsyncSession, context: DispatchContext, order: WorkOrder
) -> Merged | None:
    """Merge a just dispatched order into the earliest unfinished order of the same
    event cluster, channel, category and unit (Art. 18); None when there is none,
    and a report that differs in any of them is left to the center's suggestions.
    In the caller's transaction."""
    survivor = await special_repository.survivor_for(session, order)
    if survivor is None:
        return None

    merged = await _merge(
        session,
        context,
        survivor,
        [order],
        actor=SYSTEM,
        at=order.dispatched_at,
        reason=f"the same event (event cluster {order.cluster_id}, category "
        f"{order.category_id}, unit {order.unit_id}) reported through the same "
        f"channel ({order.channel}) ({ARTICLE})",
        how="automatic",
    )
    log.info(
        "work order %s for appeal %s merged at dispatch into work order %s "
        "(cluster %s, channel %s)",
        order.id,
        order.appeal_id,
        survivor.id,
        order.cluster_id,
        order.channel,
    )
    return merged


async def _merge(
    session: AsyncSession,
    context: DispatchContext,
    survivor: WorkOrder,
    others: Sequence[WorkOrder],
    *,
    actor: str,
    at: datetime,
    reason: str,
    how: str,
) -> Merged:
    # The survivor's row is updated first and must still be unfinished: a closure
    # request racing this merger either waits for it or finds itself refused,
    # and no citizen merged in misses the result.
    if not await special_repository.end_if_unfinished(
        session, survivor.id, values={"updated_at": at}
    ):
        orders.refuse_finished(
            await service.reloaded(session, survivor.id),
            what="take others in",
            article=ARTICLE,
        )
    for other in others:
        await _end(session, other, survivor=survivor, actor=actor, at=at, reason=reason)

    appeal_ids = list(
        dict.fromkeys(
            other.appeal_id for other in others if other.appeal_id != survivor.appeal_id
        )
    )
    await repository.add_action(
        session,
        survivor.id,
        action="merged",
        actor=actor,
        at=at,
        detail={
            "merged_work_order_ids": [other.id for other in others],
            "merged_appeal_ids": appeal_ids,
            "reason": reason,
            "how": how,
        },
    )
    await context.outbox.stage(
        session,
        WorkOrderMerged(
            work_order_id=survivor.id,
            appeal_id=survivor.appeal_id,
            merged_work_order_ids=[other.id for other in others],
            merged_appeal_ids=appeal_ids,
            merged_at=at,
            merged_by=actor,
        ),
        occurred_at=at,
    )
    log.info(
        "work orders %s merged into work order %s (appeal %s) by %s",
        ", ".join(other.id for other in others),
        survivor.id,
        survivor.appeal_id,
        actor,
    )
    return Merged(
        survivor=await service.reloaded(session, survivor.id),
        merged=[await service.reloaded(session, other.id) for other in others],
    )


async def _end(
    session: AsyncSession,
    order: WorkOrder,
    *,
    survivor: WorkOrder,
    actor: str,
    at: datetime,
    reason: str,
) -> None:
    if not await special_repository.end_if_unfinished(
        session,
        order.id,
        values={"status": repository.MERGED, "merged_into": survivor.id},
    ):
        orders.refuse_finished(
            await service.reloaded(session, order.id), what=WHAT, article=ARTICLE
        )
    await repository.add_action(
        session,
        order.id,
        action="merged_into",
        actor=actor,
        at=at,
        detail={
            "work_order_id": survivor.id,
            "appeal_id": survivor.appeal_id,
            # A return the unit asked for ends with the order.
            "pending_return": order.status == repository.RETURN_REQUESTED,
            "reason": reason,
        },
    )


async def suggestions(
    *,
    session: AsyncSession,
    work_order_id: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Suggestion], int]:
    """Event clusters with unfinished orders that could be merged, the longest
    waiting first; with `work_order_id`, that order's cluster only."""
    cluster_id: str | None = None
    if work_order_id is not None:
        order = await orders.center_order(session, work_order_id, field="work_order_id")
        if order.cluster_id is None or order.role not in (roles.SOLE, roles.LEAD):
            return [], 0
        cluster_id = order.cluster_id

    cluster_ids, total = await special_repository.suggested_clusters(
        session, cluster_id=cluster_id, limit=limit, offset=offset
    )
    found = await special_repository.mergeable_in(session, cluster_ids)
    return [
        Suggestion(
            cluster_id=cluster,
            orders=[order for order in found if order.cluster_id == cluster],
        )
        for cluster in cluster_ids
    ], total
