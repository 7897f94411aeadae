"""The API of an order's life after dispatch.

Units act on their own orders (`work-orders:unit`): ask to return, note progress,
ask for an extension, send the handling notice, ask to close. The center decides
(`work-orders:operate`): returns, extensions, closures, staged checks, reopening.
Every POST accepts an `Idempotency-Key` header: the same key and request from the
same caller gets the first answer again and changes nothing; the same key with
another request answers 409 `idempotency_key_reused`. Every refusal by state is a
409 whose code a system can branch on and whose message names the rule's article.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.responses import JSONResponse

from minsheng_common.auth.api import require
from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Scope
from minsheng_dispatch.deps import Context, Session, UnitClerk
from minsheng_dispatch.idempotency import Idempotency
from minsheng_dispatch.lifecycle import closure, extensions, handling, reopen, returns
from minsheng_dispatch.presenting import present, present_extension
from minsheng_dispatch.schemas import (
    ApprovalIn,
    ClosureIn,
    DecisionIn,
    ExtensionIn,
    ExtensionOut,
    HandlingNoticeIn,
    HandlingNoticeOut,
    ProgressIn,
    ReturnApproveIn,
    ReturnRequestIn,
    StagedCheckIn,
    WorkOrderOut,
)

router = APIRouter(prefix="/v1/work-orders/{work_order_id}", tags=["work order life"])

CenterOperator = Annotated[Principal, Depends(require(Scope.WORK_ORDERS_OPERATE))]
"""A center operator or supervisor deciding on an order."""


@router.post("/return", response_model=WorkOrderOut)
async def request_return(
    work_order_id: str,
    incoming: ReturnRequestIn,
    session: Session,
    context: Context,
    principal: UnitClerk,
    idempotency: Idempotency,
) -> JSONResponse:
    """Ask to return an order of your unit (申请退件, Art. 13), with the reason,
    before signing it. 409 `already_signed` once signed (also when the sign-off
    time ran out: the order stands signed by default); 409 `return_pending` when
    asked already."""

    async def act() -> WorkOrderOut:
        return present(
            await returns.request_return(
                session=session,
                context=context,
                principal=principal,
                work_order_id=work_order_id,
                incoming=incoming,
            )
        )

    return await idempotency.run(principal, act, session=session)


@router.post("/return/approve", response_model=WorkOrderOut)
async def approve_return(
    work_order_id: str,
    incoming: ReturnApproveIn,
    session: Session,
    context: Context,
    principal: CenterOperator,
    idempotency: Idempotency,
) -> JSONResponse:
    """Approve a return: the order ends (returned) and the appeal goes to the unit
    you name as a new order (answered), timed from its own dispatch. 409
    `no_return_requested` when the unit did not ask; 422 `redispatch_unit_invalid`
    for an unknown unit or the returning one."""

    async def act() -> WorkOrderOut:
        return present(
            await returns.approve_return(
                session=session,
                context=context,
                principal=principal,
                work_order_id=work_order_id,
                incoming=incoming,
            )
        )

    return await idempotency.run(principal, act, session=session)


@router.post("/return/refuse", response_model=WorkOrderOut)
async def refuse_return(
    work_order_id: str,
    incoming: DecisionIn,
    session: Session,
    context: Context,
    principal: CenterOperator,
    idempotency: Idempotency,
) -> JSONResponse:
    """Refuse a return, with the reason: the unit keeps the order to sign (signed
    by default at once if its sign-off time ran out meanwhile, Art. 13)."""

    async def act() -> WorkOrderOut:
        return present(
            await returns.refuse_return(
                session=session,
                context=context,
                principal=principal,
                work_order_id=work_order_id,
                incoming=incoming,
            )
        )

    return await idempotency.run(principal, act, session=session)


@router.post("/progress", response_model=WorkOrderOut)
async def add_progress(
    work_order_id: str,
    incoming: ProgressIn,
    session: Session,
    context: Context,
    principal: UnitClerk,
    idempotency: Idempotency,
) -> JSONResponse:
    """Note how the handling of your unit's order goes; the first note puts a
    signed order in progress. 409 `not_signed` before signing, `closure_pending`
    while a closure request waits, `already_closed` once closed."""

    async def act() -> WorkOrderOut:
        return present(
            await handling.add_progress(
                session=session,
                context=context,
                principal=principal,
                work_order_id=work_order_id,
                incoming=incoming,
            )
        )

    return await idempotency.run(principal, act, session=session)


@router.post(
    "/extension", response_model=ExtensionOut, status_code=status.HTTP_201_CREATED
)
async def request_extension(
    work_order_id: str,
    incoming: ExtensionIn,
    session: Session,
    context: Context,
    principal: UnitClerk,
    idempotency: Idempotency,
) -> JSONResponse:
    """Ask for more handling time (延期, Art. 16). Once, of at most 5 working days,
    on your own; a second request or a longer one needs the district leader's
    written approval (`leader_approval`, an uploaded attachment; 422
    `leader_approval_required` without it); never beyond 20 working days in all
    (422 `extension_beyond_limit`). 409 `extension_pending` while one waits."""

    async def act() -> ExtensionOut:
        return present_extension(
            await extensions.request_extension(
                session=session,
                context=context,
                principal=principal,
                work_order_id=work_order_id,
                incoming=incoming,
            )
        )

    return await idempotency.run(
        principal, act, session=session, status_code=status.HTTP_201_CREATED
    )


@router.post("/extension/approve", response_model=ExtensionOut)
async def approve_extension(
    work_order_id: str,
    incoming: ApprovalIn,
    session: Session,
    context: Context,
    principal: CenterOperator,
    idempotency: Idempotency,
) -> JSONResponse:
    """Approve the waiting extension request; sla moves the handling deadline. 409
    `no_extension_pending` when none waits."""

    async def act() -> ExtensionOut:
        return present_extension(
            await extensions.decide_extension(
                session=session,
                context=context,
                principal=principal,
                work_order_id=work_order_id,
                approved=True,
                incoming=incoming,
            )
        )

    return await idempotency.run(principal, act, session=session)


@router.post("/extension/refuse", response_model=ExtensionOut)
async def refuse_extension(
    work_order_id: str,
    incoming: DecisionIn,
    session: Session,
    context: Context,
    principal: CenterOperator,
    idempotency: Idempotency,
) -> JSONResponse:
    """Refuse the waiting extension request, with the reason."""

    async def act() -> ExtensionOut:
        return present_extension(
            await extensions.decide_extension(
                session=session,
                context=context,
                principal=principal,
                work_order_id=work_order_id,
                approved=False,
                incoming=incoming,
            )
        )

    return await idempotency.run(principal, act, session=session)


@router.post(
    "/handling-notice",
    response_model=HandlingNoticeOut,
    status_code=status.HTTP_202_ACCEPTED,
)
async def request_handling_notice(
    work_order_id: str,
    incoming: HandlingNoticeIn,
    session: Session,
    context: Context,
    principal: UnitClerk,
    idempotency: Idempotency,
) -> JSONResponse:
    """Ask the platform to tell the citizen the result (办理告知, Art. 29); the
    closure is approved only after it is sent. Once per round (again after a
    closure is sent back): 409 `handling_notice_already_requested`. Personal data
    in the message is masked (Art. 41)."""

    async def act() -> HandlingNoticeOut:
        notice = await handling.request_handling_notice(
            session=session,
            context=context,
            principal=principal,
            work_order_id=work_order_id,
            incoming=incoming,
        )
        return HandlingNoticeOut(
            request_id=notice.request_id,
            work_order_id=notice.work_order_id,
            appeal_id=notice.appeal_id,
            unit_id=notice.unit_id,
            message=notice.message,
            requested_by=notice.requested_by,
            requested_at=notice.requested_at,
        )

    return await idempotency.run(
        principal, act, session=session, status_code=status.HTTP_202_ACCEPTED
    )


@router.post("/closure", response_model=WorkOrderOut)
async def request_closure(
    work_order_id: str,
    incoming: ClosureIn,
    session: Session,
    context: Context,
    principal: UnitClerk,
    idempotency: Idempotency,
) -> JSONResponse:
    """Ask the center to close your unit's order (申请办结, Art. 17) with the reply:
    `handled_at`, `actions` (what was done) and `result`, each required (422
    `reply_incomplete` naming the missing one), and `attachments` (uploaded ids,
    each with its role). A component (部件) complaint needs at least one photo
    `before` and one `after` (422 `photos_required`). A staged closure (阶段性办结,
    `staged: true`) needs `supporting_document` and a `check_date` after today (422
    `staged_closure_incomplete`). `handling_notice` sends the citizen's handling
    notice (Art. 29) in the same step."""

    async def act() -> WorkOrderOut:
        return present(
            await closure.request_closure(
                session=session,
                context=context,
                principal=principal,
                work_order_id=work_order_id,
                incoming=incoming,
            )
        )

    return await idempotency.run(principal, act, session=session)


@router.post("/closure/approve", response_model=WorkOrderOut)
async def approve_closure(
    work_order_id: str,
    session: Session,
    context: Context,
    principal: CenterOperator,
    idempotency: Idempotency,
    incoming: ApprovalIn | None = None,
) -> JSONResponse:
    """Close the order (Art. 17): `staged` for a staged closure, otherwise
    `on_time` when handled by the handling deadline (extensions included),
    `overdue` after it. 409 `handling_notice_not_sent` until the platform has sent
    the citizen's handling notice (Art. 29); 409 `handling_deadline_unknown` while
    sla has not set the deadline."""

    async def act() -> WorkOrderOut:
        return present(
            await closure.approve_closure(
                session=session,
                context=context,
                principal=principal,
                work_order_id=work_order_id,
                incoming=incoming or ApprovalIn(),
            )
        )

    return await idempotency.run(principal, act, session=session)


@router.post("/closure/reject", response_model=WorkOrderOut)
async def reject_closure(
    work_order_id: str,
    incoming: DecisionIn,
    session: Session,
    context: Context,
    principal: CenterOperator,
    idempotency: Idempotency,
) -> JSONResponse:
    """Send the closure request back to the unit with the reason: the order is in
    progress again."""

    async def act() -> WorkOrderOut:
        return present(
            await closure.reject_closure(
                session=session,
                context=context,
                principal=principal,
                work_order_id=work_order_id,
                incoming=incoming,
            )
        )

    return await idempotency.run(principal, act, session=session)


@router.post("/staged-check", response_model=WorkOrderOut)
async def check_staged_closure(
    work_order_id: str,
    incoming: StagedCheckIn,
    session: Session,
    context: Context,
    principal: CenterOperator,
    idempotency: Idempotency,
) -> JSONResponse:
    """Record the check of a staged closure (Art. 17): `done: true` keeps it
    closed as staged; `done: false` makes it count as overdue. Unchecked by its
    check date, it counts as overdue by itself. 409 `staged_check_not_pending`
    otherwise."""

    async def act() -> WorkOrderOut:
        return present(
            await closure.check_staged(
                session=session,
                context=context,
                principal=principal,
                work_order_id=work_order_id,
                incoming=incoming,
            )
        )

    return await idempotency.run(principal, act, session=session)


@router.post("/reopen", response_model=WorkOrderOut)
async def reopen_order(
    work_order_id: str,
    incoming: DecisionIn,
    session: Session,
    context: Context,
    principal: CenterOperator,
    idempotency: Idempotency,
) -> JSONResponse:
    """Reopen a closed order (重办) with the reason: its next round goes to the same
    unit with its own clock, to sign again; the history stays. 409 `not_closed`
    otherwise."""

    async def act() -> WorkOrderOut:
        return present(
            await reopen.reopen(
                session=session,
                context=context,
                principal=principal,
                work_order_id=work_order_id,
                incoming=incoming,
            )
        )

    return await idempotency.run(principal, act, session=session)
