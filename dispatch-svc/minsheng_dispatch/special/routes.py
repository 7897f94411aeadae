"""The API of special dispatch (Chapter 4): merging (并案, Art. 18), splitting (拆分,
Art. 19) and parallel dispatch (并行, Art. 20, 22).

The center decides (`work-orders:operate`): merge, split, send in parallel, waive a
cooperating unit's opinion. Units act on their own orders (`work-orders:unit`): a
candidate confirms ownership (or returns its order with the ordinary POST /return),
a cooperating unit gives its opinion to the lead. Every POST accepts an
`Idempotency-Key` header, as the order's other steps do; every refusal by state is
a 409 whose message names the rule's article.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import JSONResponse

from minsheng_common.auth.api import require
from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Scope
from minsheng_dispatch.deps import Context, OrdersReader, Session, UnitClerk
from minsheng_dispatch.idempotency import Idempotency
from minsheng_dispatch.presenting import present
from minsheng_dispatch.schemas import DecisionIn, WorkOrderOut
from minsheng_dispatch.special import candidates, cooperation, merge, parallel, split
from minsheng_dispatch.special.presenting import (
    present_group,
    present_merged,
    present_opinion,
    present_split,
    present_suggestion,
)
from minsheng_dispatch.special.schemas import (
    ConfirmIn,
    MergeIn,
    MergeOut,
    MergeSuggestionPage,
    OpinionIn,
    OpinionOut,
    ParallelGroupOut,
    ParallelIn,
    SplitIn,
    SplitOut,
)

router = APIRouter(prefix="/v1", tags=["special dispatch"])

CenterOperator = Annotated[Principal, Depends(require(Scope.WORK_ORDERS_OPERATE))]
"""A center operator or supervisor steering orders."""

CenterReader = Annotated[Principal, Depends(require(Scope.WORK_ORDERS_READ))]
"""The center reading every unit's orders."""

ORDER = "/work-orders/{work_order_id}"


@router.post(f"{ORDER}/merge", response_model=MergeOut)
async def merge_orders(
    work_order_id: str,
    incoming: MergeIn,
    session: Session,
    context: Context,
    principal: CenterOperator,
    idempotency: Idempotency,
) -> JSONResponse:
    """Merge orders of other citizens about the same event into this one (并案,
    Art. 18): they end (`merged`, `merged_into` this order, their history kept)
    and every citizen is told this order's result. Only before the orders are
    finished: 409 `order_finished` once one is closed, its closure asked for or its
    handling notice sent; 409 `order_ended` for a returned, merged or split one;
    409 `merge_same_order` for this order itself or an order named twice; 409
    `parallel_member` for an order of a parallel group other than its lead."""

    async def act() -> MergeOut:
        return present_merged(
            await merge.merge(
                session=session,
                context=context,
                principal=principal,
                work_order_id=work_order_id,
                incoming=incoming,
            )
        )

    return await idempotency.run(principal, act, session=session)


@router.get("/merge-suggestions", response_model=MergeSuggestionPage)
async def list_merge_suggestions(
    session: Session,
    principal: CenterReader,
    work_order_id: Annotated[
        str | None,
        Query(max_length=36, description="only this order's event cluster"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> MergeSuggestionPage:
    """Unfinished orders that intake found to be about the same event (one event
    cluster), grouped, the longest waiting first, with the order to keep. Appeals
    of one cluster through the same channel, in the same category and for the same
    unit are merged as they are dispatched (Art. 18); what is left here came through
    other channels or was classified or routed differently (only suggested, to be
    checked) or found the earlier order too far along."""
    found, total = await merge.suggestions(
        session=session, work_order_id=work_order_id, limit=limit, offset=offset
    )
    return MergeSuggestionPage(
        items=[present_suggestion(suggestion) for suggestion in found], total=total
    )


@router.post(f"{ORDER}/split", response_model=SplitOut)
async def split_order(
    work_order_id: str,
    incoming: SplitIn,
    session: Session,
    context: Context,
    principal: CenterOperator,
    idempotency: Idempotency,
) -> JSONResponse:
    """Split an order whose appeal holds several events for different units (拆分,
    Art. 19): each part (its unit and a summary of what is that unit's) becomes an
    order with its own event number (the tracking code and `-1`, `-2`, …), timed
    from its own dispatch and assessed on its own; this order ends (`split`). 422
    `units_repeated` for a unit named twice, `unknown_unit` for an unknown one; 409
    as for merging when the order is finished, ended or in a parallel group."""

    async def act() -> SplitOut:
        return present_split(
            await split.split(
                session=session,
                context=context,
                principal=principal,
                work_order_id=work_order_id,
                incoming=incoming,
            )
        )

    return await idempotency.run(principal, act, session=session)


@router.post(f"{ORDER}/parallel", response_model=ParallelGroupOut)
async def send_in_parallel(
    work_order_id: str,
    incoming: ParallelIn,
    session: Session,
    context: Context,
    principal: CenterOperator,
    idempotency: Idempotency,
) -> JSONResponse:
    """Send the order's event to several units at once (并行, Art. 20, 22), under one
    event number, each unit with its own order timed from its own dispatch; this
    order ends (`parallel`). `mode: candidates` with `unit_ids` when the description
    cannot tell which unit is responsible (the one that confirms handles it, the
    others return it); `mode: lead` with `lead_unit_id` and `cooperating_unit_ids`
    when one unit leads and the others give it their opinion. 422 and 409 as for
    splitting."""

    async def act() -> ParallelGroupOut:
        return present_group(
            await parallel.assign(
                session=session,
                context=context,
                principal=principal,
                work_order_id=work_order_id,
                incoming=incoming,
            )
        )

    return await idempotency.run(principal, act, session=session)


@router.get(f"{ORDER}/parallel-group", response_model=ParallelGroupOut)
async def get_parallel_group(
    work_order_id: str, session: Session, principal: OrdersReader
) -> ParallelGroupOut:
    """The parallel group of an order (or of the order it replaced): every unit's
    order with its role and state, the owner once a candidate confirmed, and the
    cooperating units' opinions, which the center and the lead read (another unit
    reads its own). 404 `parallel_group_not_found` for an order of no group; 404
    `work_order_not_found` for another unit's order."""
    return present_group(
        await parallel.view(
            session=session, principal=principal, work_order_id=work_order_id
        )
    )


@router.post(f"{ORDER}/confirm", response_model=WorkOrderOut)
async def confirm_ownership(
    work_order_id: str,
    incoming: ConfirmIn,
    session: Session,
    context: Context,
    principal: UnitClerk,
    idempotency: Idempotency,
) -> JSONResponse:
    """Confirm that a candidate order of a parallel group is your unit's (Art. 20):
    it is signed and your unit handles the event as its sole owner. The other
    candidates return theirs without the center's decision (POST /return); one
    whose sign-off time has run out is returned at once. 409 `owner_confirmed` when
    another unit confirmed first; 409 `not_candidate` for any other order."""

    async def act() -> WorkOrderOut:
        return present(
            await candidates.confirm(
                session=session,
                context=context,
                principal=principal,
                work_order_id=work_order_id,
                incoming=incoming,
            )
        )

    return await idempotency.run(principal, act, session=session)


@router.post(
    f"{ORDER}/opinion", response_model=OpinionOut, status_code=status.HTTP_201_CREATED
)
async def give_opinion(
    work_order_id: str,
    incoming: OpinionIn,
    session: Session,
    context: Context,
    principal: UnitClerk,
    idempotency: Idempotency,
) -> JSONResponse:
    """Give your cooperating unit's opinion to the lead unit (协同意见, Art. 20),
    once, after signing and within your order's handling period (one given later
    is taken and counts as late). The lead reads it in its history and its group.
    409 `not_cooperating` for any other order, `opinion_already_given` the second
    time, `not_signed` before signing."""

    async def act() -> OpinionOut:
        return present_opinion(
            await cooperation.submit_opinion(
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


@router.post(f"{ORDER}/opinion/waive", response_model=OpinionOut)
async def waive_opinion(
    work_order_id: str,
    incoming: DecisionIn,
    session: Session,
    context: Context,
    principal: CenterOperator,
    idempotency: Idempotency,
) -> JSONResponse:
    """Let the lead reply without this cooperating unit's opinion, with the reason
    (Art. 20); the cooperating order closes with the lead, on time only if waived
    within its period. 409 `opinion_already_given` when it has one."""

    async def act() -> OpinionOut:
        return present_opinion(
            await cooperation.waive_opinion(
                session=session,
                context=context,
                principal=principal,
                work_order_id=work_order_id,
                reason=incoming.reason,
            )
        )

    return await idempotency.run(principal, act, session=session)
