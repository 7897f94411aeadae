"""What notify keeps from other services' events to word official messages and the
morning report: appeals (tracking code, title, place, level), which unit holds each
work order, warnings with their appeals, and orders that ran out.

Each function runs in the consumer's transaction and may be applied again: the
same event twice leaves the same rows.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.events import (
    AppealFiled,
    AppealGraded,
    DeadlineUrged,
    WarningRaised,
    WorkOrderDispatched,
)
from minsheng_notify.official_models import (
    AppealSummary,
    OverdueItem,
    RaisedWarning,
    WarningAppeal,
    WorkOrderUnit,
)

log = logging.getLogger(__name__)

OVERDUE_KINDS = frozenset({"handling", "staged_check"})
"""The clocks whose running out makes an order overdue (超期, Art. 17, 39)."""


async def keep_filed(session: AsyncSession, filed: AppealFiled) -> AppealSummary:
    """Keep a filed appeal's summary; a level 1 at filing is dated then."""
    summary = await session.get(AppealSummary, filed.appeal_id)
    if summary is None:
        summary = AppealSummary(appeal_id=filed.appeal_id, level=filed.level)
        session.add(summary)
    summary.tracking_code = filed.tracking_code
    summary.title = filed.title
    summary.category_id = filed.category_id
    summary.subdistrict_id = filed.subdistrict_id
    summary.filed_at = filed.filed_at
    if filed.level == 1:
        _mark_level_1(summary, filed.filed_at)
    elif summary.level_1_at is None:
        summary.level = filed.level
    await session.flush()
    return summary


async def keep_graded(session: AsyncSession, graded: AppealGraded) -> AppealSummary:
    """Keep an appeal's new level (Art. 9); it may come before the filing."""
    summary = await session.get(AppealSummary, graded.appeal_id)
    if summary is None:
        summary = AppealSummary(
            appeal_id=graded.appeal_id, tracking_code=graded.tracking_code
        )
        session.add(summary)
    summary.level = graded.level
    summary.basis = graded.basis
    if graded.level == 1:
        _mark_level_1(summary, graded.graded_at)
    await session.flush()
    return summary


def _mark_level_1(summary: AppealSummary, at: datetime) -> None:
    # The first time it is known to be level 1 counts, for the morning report.
    summary.level = 1
    if summary.level_1_at is None or at < summary.level_1_at:
        summary.level_1_at = at


async def keep_dispatched(
    session: AsyncSession, dispatched: WorkOrderDispatched
) -> WorkOrderUnit:
    """Keep which unit holds the work order."""
    order = await session.get(WorkOrderUnit, dispatched.work_order_id)
    if order is None:
        order = WorkOrderUnit(work_order_id=dispatched.work_order_id)
        session.add(order)
    order.appeal_id = dispatched.appeal_id
    order.unit_id = dispatched.unit_id
    order.dispatched_at = dispatched.dispatched_at
    await session.flush()
    return order


async def keep_warning(session: AsyncSession, raised: WarningRaised) -> RaisedWarning:
    """Keep a warning and the appeals that make it up, in the event's order."""
    warning = await session.get(RaisedWarning, raised.warning_id)
    if warning is None:
        warning = RaisedWarning(warning_id=raised.warning_id)
        session.add(warning)
    warning.kind = raised.kind
    warning.cluster_id = raised.cluster_id
    warning.subdistrict_id = raised.subdistrict_id
    warning.count = raised.count
    warning.window_hours = raised.window_hours
    warning.raised_at = raised.raised_at

    known = set(
        await session.scalars(
            select(WarningAppeal.appeal_id).where(
                WarningAppeal.warning_id == raised.warning_id
            )
        )
    )
    for position, appeal_id in enumerate(dict.fromkeys(raised.appeal_ids)):
        if appeal_id not in known:
            session.add(
                WarningAppeal(
                    warning_id=raised.warning_id, appeal_id=appeal_id, position=position
                )
            )
    await session.flush()
    return warning


async def keep_overdue(session: AsyncSession, urged: DeadlineUrged) -> bool:
    """Keep an order whose handling ran out (the overdue urging), once per clock;
    whether it is kept."""
    if urged.step != "overdue" or urged.kind not in OVERDUE_KINDS:
        return False
    if await session.get(OverdueItem, urged.deadline_id) is not None:
        return False
    session.add(
        OverdueItem(
            deadline_id=urged.deadline_id,
            work_order_id=urged.work_order_id,
            appeal_id=urged.appeal_id,
            unit_id=urged.unit_id,
            kind=urged.kind,
            due_at=urged.due_at,
            overdue_at=urged.urged_at,
        )
    )
    await session.flush()
    return True


async def summaries(
    session: AsyncSession, appeal_ids: Sequence[str]
) -> dict[str, AppealSummary]:
    """The known summaries of the given appeals, by appeal id."""
    if not appeal_ids:
        return {}
    result = await session.scalars(
        select(AppealSummary).where(AppealSummary.appeal_id.in_(list(appeal_ids)))
    )
    return {summary.appeal_id: summary for summary in result}


async def tracking_code(session: AsyncSession, appeal_id: str) -> str | None:
    summary = await session.get(AppealSummary, appeal_id)
    return summary.tracking_code if summary is not None else None


async def work_orders(
    session: AsyncSession, work_order_ids: Sequence[str]
) -> dict[str, WorkOrderUnit]:
    """The known units of the given work orders, by work order id."""
    if not work_order_ids:
        return {}
    result = await session.scalars(
        select(WorkOrderUnit).where(
            WorkOrderUnit.work_order_id.in_(list(work_order_ids))
        )
    )
    return {order.work_order_id: order for order in result}


async def units_of_appeals(
    session: AsyncSession, appeal_ids: Sequence[str]
) -> list[str]:
    """The units holding work orders of the given appeals, each once, by id."""
    if not appeal_ids:
        return []
    result = await session.scalars(
        select(WorkOrderUnit.unit_id)
        .where(WorkOrderUnit.appeal_id.in_(list(appeal_ids)))
        .distinct()
        .order_by(WorkOrderUnit.unit_id)
    )
    return list(result)


async def warnings_of_appeal(
    session: AsyncSession, appeal_id: str
) -> list[RaisedWarning]:
    """The warnings an appeal is part of, oldest first."""
    result = await session.scalars(
        select(RaisedWarning)
        .join(WarningAppeal, WarningAppeal.warning_id == RaisedWarning.warning_id)
        .where(WarningAppeal.appeal_id == appeal_id)
        .order_by(RaisedWarning.raised_at, RaisedWarning.warning_id)
    )
    return list(result)


async def appeals_of_warning(session: AsyncSession, warning_id: str) -> list[str]:
    """A warning's appeals in the order it gave them."""
    result = await session.scalars(
        select(WarningAppeal.appeal_id)
        .where(WarningAppeal.warning_id == warning_id)
        .order_by(WarningAppeal.position)
    )
    return list(result)
