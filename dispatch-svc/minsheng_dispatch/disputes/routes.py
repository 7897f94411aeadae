"""The API of ownership disputes (争议协调, Art. 24).

The center's operators (`work-orders:operate`) record every step: they open a
dispute and coordinate it; when the bureau's leadership or the district leader's
meeting takes it up, an operator records that level's escalation or decision, the
decision with the level's written decision attached. Every POST accepts an
`Idempotency-Key` header, as the order's other steps do. Every refusal by state is a
409 whose code a system can branch on and whose message names the article.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import JSONResponse

from minsheng_common.auth.api import require
from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Scope
from minsheng_common.events.catalogue import DisputeLevel
from minsheng_dispatch.deps import Context, Session
from minsheng_dispatch.disputes import checks, presenting, service
from minsheng_dispatch.disputes import repository as disputes_repo
from minsheng_dispatch.disputes.schemas import (
    DisputeDecideIn,
    DisputeEscalateIn,
    DisputeOpenIn,
    DisputeOut,
    DisputePage,
    DisputeState,
)
from minsheng_dispatch.idempotency import Idempotency

router = APIRouter(prefix="/v1", tags=["ownership disputes"])

CenterOperator = Annotated[Principal, Depends(require(Scope.WORK_ORDERS_OPERATE))]
"""A center operator or supervisor, recording a step of any level."""

CenterReader = Annotated[Principal, Depends(require(Scope.WORK_ORDERS_READ))]
"""The center reading disputes (a unit sees those of its orders in the order)."""


@router.post(
    "/work-orders/{work_order_id}/disputes",
    response_model=DisputeOut,
    status_code=status.HTTP_201_CREATED,
)
async def open_dispute(
    work_order_id: str,
    incoming: DisputeOpenIn,
    session: Session,
    context: Context,
    principal: CenterOperator,
    idempotency: Idempotency,
) -> JSONResponse:
    """Open a dispute (争议, Art. 24) on an order whose units contest who owns it,
    naming them (`unit_ids`, at least two) and the reason; the center coordinates it
    first. 409 `dispute_already_open` while the order has one open, `already_closed`
    or `order_returned` for an ended order, `return_pending` or `closure_pending`
    while the unit's return or closure waits for the center; 422 `unknown_unit`."""

    async def act() -> DisputeOut:
        dispute = await service.open_dispute(
            session=session,
            context=context,
            principal=principal,
            work_order_id=work_order_id,
            incoming=incoming,
        )
        (shown,) = await presenting.presented(session, [dispute])
        return shown

    return await idempotency.run(
        principal, act, session=session, status_code=status.HTTP_201_CREATED
    )


@router.post("/disputes/{dispute_id}/escalate", response_model=DisputeOut)
async def escalate_dispute(
    dispute_id: str,
    incoming: DisputeEscalateIn,
    session: Session,
    context: Context,
    principal: CenterOperator,
    idempotency: Idempotency,
) -> JSONResponse:
    """The level the dispute stands at (`level`) cannot resolve it: it goes to the
    bureau's leadership (局领导协调), then to the district leader's meeting
    (区领导专题协调会议), with the reason (Art. 24). 409 `dispute_level_mismatch` for
    another level, `dispute_at_top_level` at the district meeting, which must
    decide, `dispute_decided` once decided."""

    async def act() -> DisputeOut:
        dispute = await service.escalate(
            session=session,
            context=context,
            principal=principal,
            dispute_id=dispute_id,
            incoming=incoming,
        )
        (shown,) = await presenting.presented(session, [dispute])
        return shown

    return await idempotency.run(principal, act, session=session)


@router.post("/disputes/{dispute_id}/decide", response_model=DisputeOut)
async def decide_dispute(
    dispute_id: str,
    incoming: DisputeDecideIn,
    session: Session,
    context: Context,
    principal: CenterOperator,
    idempotency: Idempotency,
) -> JSONResponse:
    """Record the decision of the level the dispute stands at (`level`): the unit
    that owns the order (Art. 24). The order stays with its unit when that unit owns
    it; otherwise it ends as returned and goes to the owner as a new order
    (`redispatched_to`), as an approved return does. A decision of the bureau's
    leadership or the district meeting needs its written decision as `document`
    (422 `decision_document_required`). 409 `dispute_level_mismatch` for another
    level, `dispute_decided` once decided, `return_pending` while the unit's return
    waits; 422 `unknown_unit`, 409 `unit_retired` for the owner."""

    async def act() -> DisputeOut:
        dispute = await service.decide(
            session=session,
            context=context,
            principal=principal,
            dispute_id=dispute_id,
            incoming=incoming,
        )
        (shown,) = await presenting.presented(session, [dispute])
        return shown

    return await idempotency.run(principal, act, session=session)


@router.get("/disputes", response_model=DisputePage)
async def list_disputes(
    session: Session,
    principal: CenterReader,
    state: Annotated[DisputeState | None, Query()] = None,
    level: Annotated[DisputeLevel | None, Query()] = None,
    work_order_id: Annotated[str | None, Query(max_length=36)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> DisputePage:
    """Ownership disputes, oldest first: `state=open` gives those still to resolve,
    `level` those at one level, each with its steps."""
    rows, total = await disputes_repo.page(
        session,
        state=state,
        level=level,
        work_order_id=work_order_id,
        limit=limit,
        offset=offset,
    )
    return DisputePage(items=await presenting.presented(session, rows), total=total)


@router.get("/disputes/{dispute_id}", response_model=DisputeOut)
async def get_dispute(
    dispute_id: str, session: Session, principal: CenterReader
) -> DisputeOut:
    """One dispute with every step: who recorded it, when, at which level, the
    reason or decision and its document."""
    (shown,) = await presenting.presented(
        session, [await checks.dispute(session, dispute_id)]
    )
    return shown
