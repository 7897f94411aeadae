"""What merging, splitting and sending in parallel share: the checks that an order
may still be taken apart, the orders made from it, and its end.

An order is taken apart only before it is finished (Art. 18): while open and before
its unit asked to close it or to tell the citizen the result. An order of a parallel
group moves with its group, never alone.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, NoReturn

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import ids
from minsheng_common.events import WorkOrderReplaced
from minsheng_common.rules import RuleEdition
from minsheng_dispatch import repository, service
from minsheng_dispatch.errors import (
    AlreadyClosed,
    ClosurePending,
    NotSigned,
    OrderEnded,
    OrderReturned,
    ReturnPending,
    WorkOrderNotFound,
)
from minsheng_dispatch.models import WorkOrder
from minsheng_dispatch.service import DispatchContext
from minsheng_dispatch.special import repository as special_repository
from minsheng_dispatch.special.errors import OrderFinished, ParallelMember

log = logging.getLogger(__name__)


def check_unfinished(order: WorkOrder, *, what: str, article: str) -> None:
    """Pass while the order is unfinished; otherwise refuse (409) saying why."""
    if not special_repository.is_unfinished(order):
        refuse_finished(order, what=what, article=article)


def refuse_finished(order: WorkOrder, *, what: str, article: str) -> NoReturn:
    cannot = f"work order {order.id} is {order.status} and cannot {what}"
    if order.status == repository.RETURNED:
        raise OrderReturned(
            f"{cannot}: it was returned and replaced by work order "
            f"{order.redispatched_to} (Art. 13)"
        )
    if order.status in repository.REPLACED_STATUSES:
        raise OrderEnded(
            f"{cannot}: it ended already and its appeal goes on in other orders "
            f"({article})"
        )
    if order.status in special_repository.UNFINISHED:
        cannot = (
            f"work order {order.id} cannot {what}: its unit asked to tell the "
            "citizen the result already"
        )
    raise OrderFinished(f"{cannot}: only an order not yet finished can ({article})")


def refuse_state(order: WorkOrder, *, what: str, article: str) -> NoReturn:
    """Refuse (409) a step the order's state does not allow, saying why."""
    cannot = f"work order {order.id} is {order.status} and cannot {what}"
    status = order.status
    if status == repository.DISPATCHED:
        raise NotSigned(f"{cannot}: the unit signs it first (Art. 13, {article})")
    if status == repository.RETURN_REQUESTED:
        raise ReturnPending(
            f"{cannot}: its unit asked to return it and the center decides first "
            "(Art. 13)"
        )
    if status == repository.CLOSURE_REQUESTED:
        raise ClosurePending(
            f"{cannot}: its closure request waits for the center (Art. 17)"
        )
    if status == repository.CLOSED:
        raise AlreadyClosed(f"{cannot}: it is closed ({article})")
    refuse_finished(order, what=what, article=article)


def check_not_in_group(order: WorkOrder, *, what: str, article: str) -> None:
    """Refuse (409) an order of a parallel group: it moves with its group."""
    if order.parallel_group_id is not None:
        raise ParallelMember(
            f"work order {order.id} is the {order.role} order of parallel group "
            f"{order.parallel_group_id} and cannot {what} on its own ({article}, "
            "Art. 20)"
        )


async def center_order(
    session: AsyncSession, work_order_id: str, *, field: str | None = None
) -> WorkOrder:
    """Any unit's order, for the center; 404 naming `field` when missing."""
    order = await repository.get(session, work_order_id)
    if order is None:
        raise WorkOrderNotFound(f"no work order {work_order_id}", field=field)
    return order


def derived(
    origin: WorkOrder,
    *,
    unit_id: str,
    origin_key: str,
    tracking_code: str,
    content: str,
    role: str,
    parallel_group_id: str | None,
    split_from: str | None,
    now: datetime,
    edition: RuleEdition,
    reason: str,
    basis: str,
) -> WorkOrder:
    """A new order of the origin's appeal for `unit_id`, timed from its own dispatch
    (Art. 19, 22). Its dispatch interval is counted from the filing, as for an order
    that replaced a returned one: that is how long the appeal took to reach the
    unit."""
    seconds = max(0.0, (now - origin.filed_at).total_seconds())
    return WorkOrder(
        id=ids.new_id(),
        appeal_id=origin.appeal_id,
        origin_key=origin_key,
        tracking_code=tracking_code,
        unit_id=unit_id,
        appeal_type=origin.appeal_type,
        category_id=origin.category_id,
        subdistrict_id=origin.subdistrict_id,
        community=origin.community,
        title=origin.title,
        content=content,
        address=origin.address,
        status=repository.DISPATCHED,
        filed_at=origin.filed_at,
        created_at=origin.created_at,
        dispatched_at=now,
        dispatch_seconds=seconds,
        dispatched_within_target=seconds <= edition.dispatch_within.total_seconds(),
        route_rule_id=None,
        route_reason=reason,
        route_basis=basis,
        rules_edition=origin.rules_edition,
        round=1,
        clock_from="dispatched",
        updated_at=now,
        extended_working_days=0,
        staged=False,
        role=role,
        parallel_group_id=parallel_group_id,
        split_from=split_from,
        channel=origin.channel,
        cluster_id=origin.cluster_id,
    )


async def replace(
    session: AsyncSession,
    context: DispatchContext,
    origin: WorkOrder,
    *,
    status: str,
    replacements: list[WorkOrder],
    parallel_group_id: str | None,
    actor: str,
    at: datetime,
    reason: str,
    detail: dict[str, Any],
    what: str,
    article: str,
) -> WorkOrder:
    """End the origin (`status` split or parallel) and dispatch the orders that take
    its place, each with its work_order.dispatched; stage work_order.replaced so its
    clocks stop. In the caller's transaction; refused (409) when the origin was
    finished meanwhile."""
    if not await special_repository.end_if_unfinished(
        session, origin.id, values={"status": status}
    ):
        refuse_finished(
            await service.reloaded(session, origin.id), what=what, article=article
        )
    await repository.add_action(
        session,
        origin.id,
        action=status,
        actor=actor,
        at=at,
        detail={
            "reason": reason,
            "replaced_by": [order.id for order in replacements],
            # A return the unit asked for is answered by this, not decided apart.
            "pending_return": origin.status == repository.RETURN_REQUESTED,
            **detail,
        },
    )
    await context.outbox.stage(
        session,
        WorkOrderReplaced(
            work_order_id=origin.id,
            appeal_id=origin.appeal_id,
            unit_id=origin.unit_id,
            kind="split" if status == repository.SPLIT else "parallel",
            replacement_ids=[order.id for order in replacements],
            parallel_group_id=parallel_group_id,
            reason=reason,
            replaced_at=at,
            replaced_by=actor,
        ),
        occurred_at=at,
    )
    for order in replacements:
        await service.send_order(
            session,
            context,
            order,
            actor=actor,
            detail={
                "replaces": origin.id,
                "role": order.role,
                "parallel_group_id": order.parallel_group_id,
                "split_from": order.split_from,
                "reason": reason,
            },
        )
    return await service.reloaded(session, origin.id)
