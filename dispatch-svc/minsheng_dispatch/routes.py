"""Dispatch's HTTP API: units' work orders (with the change log units poll), one
order with its history, signing and acceptance notices. The life after signing is
in `lifecycle.routes`, attachments in `attachments.routes`.

Every route needs credentials. A unit sees and signs only its own orders; another
unit's order answers exactly as a missing one (Art. 41). The signing unit is the
caller's, never one named in a request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime

from minsheng_dispatch import access, repository, service
from minsheng_dispatch.attachments import service as attachments
from minsheng_dispatch.deps import (
    Context,
    OrdersReader,
    Session,
    UnitClerk,
)
from minsheng_dispatch.disputes import presenting as disputes
from minsheng_dispatch.idempotency import Idempotency
from minsheng_dispatch.presenting import present, present_action, present_detail
from minsheng_dispatch.schemas import (
    AcceptanceNoticeRequestIn,
    AcceptanceNoticeRequestOut,
    ActionOut,
    ChangeOut,
    SignIn,
    UnitWorkOrderOut,
    UnitWorkOrderPage,
    WorkOrderDetail,
    WorkOrderOut,
    WorkOrderPage,
    WorkOrderStatus,
)

router = APIRouter(prefix="/v1")


@router.get(
    "/units/{unit_id}/work-orders", response_model=UnitWorkOrderPage, tags=["units"]
)
async def list_unit_work_orders(
    unit_id: str,
    session: Session,
    principal: OrdersReader,
    state: Annotated[WorkOrderStatus | None, Query()] = None,
    status: Annotated[
        WorkOrderStatus | None, Query(description="the same as `state`")
    ] = None,
    due_before: Annotated[AwareDatetime | None, Query()] = None,
    updated_after: Annotated[AwareDatetime | None, Query()] = None,
    after: Annotated[
        int | None,
        Query(ge=0, le=2**62, description="a `next_cursor` from an earlier answer"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> UnitWorkOrderPage:
    """A unit's work orders. `state=dispatched` gives those still to sign (待签收);
    `due_before` those whose handling deadline comes before a time;
    `updated_after` those changed since a time.

    Without `after`: the orders newest first (paged by `offset`), and
    `next_cursor`, where polling starts. With `after=<cursor>`: the orders changed
    after that cursor, in the order of their changes, each with its `changes`
    (every change exactly once, across answers), and `next_cursor` for the next
    poll; at most `limit` changes per answer. A unit system polling every minute
    with the last `next_cursor` sees every change exactly once. Filters apply to
    the orders as they are now. A unit reads only its own list: another unit's
    answers 404 `unit_not_found`, as an unknown unit does."""
    await service.check_unit_visible(
        session=session, unit_id=unit_id, visible=access.visible_unit(principal)
    )
    wanted = state or status
    if after is None:
        cursor = await repository.last_change(session, unit_id=unit_id)
        rows, total = await repository.page(
            session,
            unit_id=unit_id,
            status=wanted,
            due_before=due_before,
            updated_after=updated_after,
            limit=limit,
            offset=offset,
        )
        return UnitWorkOrderPage(
            items=[UnitWorkOrderOut(**present(row).model_dump()) for row in rows],
            total=total,
            next_cursor=cursor,
        )

    changes = await repository.changes_after(
        session, unit_id=unit_id, after=after, limit=limit
    )
    orders = await repository.orders_by_id(
        session,
        list(dict.fromkeys(change.work_order_id for change in changes)),
        status=wanted,
        due_before=due_before,
        updated_after=updated_after,
    )
    items: dict[str, UnitWorkOrderOut] = {}
    for change in changes:
        order = orders.get(change.work_order_id)
        if order is None:
            continue
        item = items.get(order.id)
        if item is None:
            item = items[order.id] = UnitWorkOrderOut(**present(order).model_dump())
        item.changes.append(
            ChangeOut(seq=change.seq, action=change.action, at=change.at)
        )
    return UnitWorkOrderPage(
        items=list(items.values()),
        total=len(items),
        next_cursor=changes[-1].seq if changes else after,
    )


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
    "/work-orders/{work_order_id}",
    response_model=WorkOrderDetail,
    tags=["work orders"],
)
async def get_work_order(
    work_order_id: str, session: Session, principal: OrdersReader
) -> WorkOrderDetail:
    """One work order with its route, dispatch time, sign-off, handling and
    closure, and its whole history: every transition with who did it, when and
    why, its attachments, its extensions and its ownership disputes (Art. 24).
    404 `work_order_not_found` for an order that is not the calling unit's."""
    order = await service.visible_order(
        session=session,
        work_order_id=work_order_id,
        unit_id=access.visible_unit(principal),
    )
    links = await attachments.of_order(session, order.id)
    stored = {
        link.attachment_id: await attachments.stored(session, link.attachment_id)
        for link in links
    }
    return present_detail(
        order,
        actions=await repository.actions(session, order.id),
        attachments=[(link, stored[link.attachment_id]) for link in links],
        extensions=await repository.extensions(session, order.id),
        disputes=await disputes.of_order(session, order.id),
    )


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
    idempotency: Idempotency,
) -> JSONResponse:
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

    async def act() -> WorkOrderOut:
        return present(
            await service.sign(
                session=session,
                context=context,
                principal=principal,
                work_order_id=work_order_id,
                incoming=incoming,
            )
        )

    return await idempotency.run(principal, act, session=session)


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
    idempotency: Idempotency,
) -> JSONResponse:
    """Ask the platform to send your unit's acceptance notice to the citizen
    (受理告知, Art. 28), once per order, after signing. Phone numbers, ID numbers
    and email addresses in the message are masked before it is kept, sent or shown
    (Art. 41): the platform reaches the citizen on the contact they gave.

    202: the notice is handed over for sending. 404 `work_order_not_found` when the
    order is not your unit's; 409 `not_signed` before signing,
    409 `acceptance_notice_already_requested` the second time.
    """

    async def act() -> AcceptanceNoticeRequestOut:
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

    return await idempotency.run(
        principal, act, session=session, status_code=status.HTTP_202_ACCEPTED
    )
