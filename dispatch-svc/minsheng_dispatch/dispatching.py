"""One path from a routed appeal to its unit (分拨, Art. 12, 18): the order made and
sent, then merged into the earliest unfinished order of the same event (the same
cluster, channel, category and unit). A filed appeal takes it when routing is
certain; a queued appeal takes it when an operator chooses its unit
(`admin.queue.dispatch`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.events import AppealFiled
from minsheng_dispatch import routing, service
from minsheng_dispatch.admin.context import ChosenDispatch
from minsheng_dispatch.models import WorkOrder
from minsheng_dispatch.service import DispatchContext
from minsheng_dispatch.special import merge


async def appeal_filed(
    *, session: AsyncSession, context: DispatchContext, appeal: AppealFiled
) -> WorkOrder | None:
    """A filed appeal dispatched when routing is certain, else queued for an
    operator; the order made, or None. In the caller's transaction."""
    order = await service.dispatch_appeal(
        session=session, context=context, appeal=appeal
    )
    if order is not None:
        await merge.merge_on_dispatch(session=session, context=context, order=order)
    return order


def chosen_dispatch(context: DispatchContext) -> ChosenDispatch:
    """The function the dispatch queue makes an operator's choice with: the order of
    the queued appeal, on the same path as an automatic dispatch."""

    async def dispatch(
        *,
        session: AsyncSession,
        appeal: AppealFiled,
        route: routing.Route,
        actor: str,
    ) -> str | None:
        order = await service.dispatch_chosen(
            session=session, context=context, appeal=appeal, route=route, actor=actor
        )
        if order is None:
            return None
        await merge.merge_on_dispatch(session=session, context=context, order=order)
        return order.id

    return dispatch
