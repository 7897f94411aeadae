"""Dispatch's HTTP API: units, their work orders, signing and acceptance notices, and
the routing table.

Every route needs credentials. A unit sees and signs only its own orders; another
unit's order answers exactly as a missing one (Art. 41). The signing unit is the
caller's, never one named in a request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status

from minsheng_dispatch import access, repository, routing, service
from minsheng_dispatch.deps import (
    Context,
    OrdersReader,
    RoutingReader,
    Session,
    UnitClerk,
    UnitsReader,
)
from minsheng_dispatch.models import RoutingRule, WorkOrder, WorkOrderAction
from minsheng_dispatch.schemas import (
    AcceptanceNoticeRequestIn,
    AcceptanceNoticeRequestOut,
    ActionOut,
    RouteOut,
    RoutingRuleOut,
    SignIn,
    UnitOut,
    WorkOrderOut,
    WorkOrderPage,
    WorkOrderStatus,
)

router = APIRouter(prefix="/v1")


@router.get("/units", response_model=list[UnitOut], tags=["units"])
async def list_units(session: Session, principal: UnitsReader) -> list[UnitOut]:
    """Every unit that can receive work orders."""
    return [
        UnitOut(id=unit.id, name=unit.name, kind=unit.kind)
        for unit in await repository.units(session)
    ]


@router.get(
    "/units/{unit_id}/work-orders", response_model=WorkOrderPage, tags=["units"]
)
async def list_unit_work_orders(
    unit_id: str,
    session: Session,
    principal: OrdersReader,
    status: Annotated[WorkOrderStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> WorkOrderPage:
    """A unit's work orders, newest first; `status=dispatched` gives those still to
    sign (待签收). A unit reads only its own list: another unit's answers 404
    `unit_not_found`, as an unknown unit does."""
    await service.check_unit_visible(
        session=session, unit_id=unit_id, visible=access.visible_unit(principal)
    )
    rows, total = await repository.page(
        session, unit_id=unit_id, status=status, limit=limit, offset=offset
    )
    return WorkOrderPage(items=[present(row) for row in rows], total=total)


@router.get("/work-orders", response_model=WorkOrderPage, tags=["work orders"])
async def list_work_orders(
    session: Session,
    principal: OrdersReader,
    appeal_id: Annotated[str | None, Query(max_length=36)] = None,
    status: Annotated[WorkOrderStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> WorkOrderPage:
    """Work orders newest first; `appeal_id` gives the order of one appeal. A unit
    sees only its own orders."""
    rows, total = await repository.page(
        session,
        unit_id=access.visible_unit(principal),
        appeal_id=appeal_id,
        status=status,
        limit=limit,
        offset=offset,
    )
    return WorkOrderPage(items=[present(row) for row in rows], total=total)


@router.get(
    "/work-orders/{work_order_id}", response_model=WorkOrderOut, tags=["work orders"]
)
async def get_work_order(
    work_order_id: str, session: Session, principal: OrdersReader
) -> WorkOrderOut:
    """One work order with its route, dispatch time and sign-off. 404
    `work_order_not_found` for an order that is not the calling unit's."""
    order = await service.visible_order(
        session=session,
        work_order_id=work_order_id,
        unit_id=access.visible_unit(principal),
    )
    return present(order)


@router.get(
    "/work-orders/{work_order_id}/actions",
    response_model=list[ActionOut],
    tags=["work orders"],
)
async def list_work_order_actions(
    work_order_id: str, session: Session, principal: OrdersReader
) -> list[ActionOut]:
    """What happened to an order, oldest first: dispatch, signing, notices, each
    with the caller that did it."""
    await service.visible_order(
        session=session,
        work_order_id=work_order_id,
        unit_id=access.visible_unit(principal),
    )
    return [
        present_action(row) for row in await repository.actions(session, work_order_id)
    ]


@router.post(
    "/work-orders/{work_order_id}/sign",
    response_model=WorkOrderOut,
    tags=["work orders"],
)
async def sign_work_order(
    work_order_id: str,
    incoming: SignIn,
    session: Session,
    context: Context,
    principal: UnitClerk,
) -> WorkOrderOut:
    """Sign for an order of your unit (签收, Art. 13); the unit is the one your
    credentials belong to.

    With `acceptance_notice`, the acceptance notice to the citizen (受理告知, Art. 28)
    is asked for in the same step; phone numbers, ID numbers and email addresses in
    its message are masked (Art. 41): the platform reaches the citizen on the
    contact they gave. Signing again as the same clerk returns the order
    unchanged. 404 `work_order_not_found` when the order is not your unit's; 409
    `already_signed` when it was signed already by another clerk, or by default
    (默认签收) because the sign-off time ran out: a sign arriving at or after the
    deadline finds the order signed by default at the deadline.
    """
    order = await service.sign(
        session=session,
        context=context,
        principal=principal,
        work_order_id=work_order_id,
        incoming=incoming,
    )
    return present(order)


@router.post(
    "/work-orders/{work_order_id}/acceptance-notice",
    response_model=AcceptanceNoticeRequestOut,
    status_code=status.HTTP_202_ACCEPTED,
    tags=["work orders"],
)
async def request_acceptance_notice(
    work_order_id: str,
    incoming: AcceptanceNoticeRequestIn,
    session: Session,
    context: Context,
    principal: UnitClerk,
) -> AcceptanceNoticeRequestOut:
    """Ask the platform to send your unit's acceptance notice to the citizen
    (受理告知, Art. 28), once per order, after signing. Phone numbers, ID numbers
    and email addresses in the message are masked before it is kept, sent or shown
    (Art. 41): the platform reaches the citizen on the contact they gave.

    202: the notice is handed over for sending. 404 `work_order_not_found` when the
    order is not your unit's; 409 `not_signed` before signing,
    409 `acceptance_notice_already_requested` the second time.
    """
    notice = await service.request_acceptance_notice(
        session=session,
        context=context,
        principal=principal,
        work_order_id=work_order_id,
        incoming=incoming,
    )
    return AcceptanceNoticeRequestOut(
        request_id=notice.request_id,
        work_order_id=notice.work_order_id,
        appeal_id=notice.appeal_id,
        unit_id=notice.unit_id,
        accepted=notice.accepted,
        message=notice.message,
        requested_by=notice.requested_by,
        requested_at=notice.requested_at,
    )


@router.get("/routing-rules", response_model=list[RoutingRuleOut], tags=["routing"])
async def list_routing_rules(
    session: Session,
    context: Context,
    principal: RoutingReader,
    category_id: Annotated[str | None, Query(max_length=50)] = None,
) -> list[RoutingRuleOut]:
    """The routing table (category × place × keyword → unit), current and closed
    rules alike; `in_force` tells which apply now."""
    now = context.clock.now()
    rows = await repository.routing_rules(session, category_id=category_id)
    return [present_rule(row, now=now) for row in rows]


def present(order: WorkOrder) -> WorkOrderOut:
    return WorkOrderOut(
        id=order.id,
        appeal_id=order.appeal_id,
        tracking_code=order.tracking_code,
        unit_id=order.unit_id,
        appeal_type=order.appeal_type,
        category_id=order.category_id,
        subdistrict_id=order.subdistrict_id,
        community=order.community,
        title=order.title,
        content=order.content,
        address=order.address,
        status=order.status,
        filed_at=order.filed_at,
        created_at=order.created_at,
        dispatched_at=order.dispatched_at,
        dispatch_seconds=order.dispatch_seconds,
        dispatched_within_target=order.dispatched_within_target,
        route=RouteOut(
            rule_id=order.route_rule_id,
            reason=order.route_reason,
            basis=order.route_basis,
        ),
        rules_edition=order.rules_edition,
        sign_off_due_at=order.sign_off_due_at,
        signed_at=order.signed_at,
        sign_mode=order.sign_mode,
        signed_by=order.signed_by,
        acceptance_notice_requested_at=order.acceptance_notice_requested_at,
    )


def present_action(action: WorkOrderAction) -> ActionOut:
    return ActionOut(
        id=action.id,
        action=action.action,
        actor=action.actor,
        at=action.at,
        detail=action.detail,
    )


def present_rule(rule: RoutingRule, *, now: datetime) -> RoutingRuleOut:
    return RoutingRuleOut(
        id=rule.id,
        category_id=rule.category_id,
        subdistrict_id=rule.subdistrict_id,
        keyword=rule.keyword,
        unit_id=rule.unit_id,
        valid_from=rule.valid_from,
        valid_to=rule.valid_to,
        in_force=routing.in_force(rule.valid_from, rule.valid_to, at=now),
        created_by=rule.created_by,
        note=rule.note,
    )
