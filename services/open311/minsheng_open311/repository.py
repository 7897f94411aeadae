"""Queries on the Open311 server's store."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_open311.models import (
    Merger,
    ProgressUpdate,
    ServiceRequest,
    WorkOrderView,
)

# --- requests as clients see them -----------------------------------------------


async def by_token(session: AsyncSession, token: str) -> ServiceRequest | None:
    return await session.get(ServiceRequest, token)


async def by_service_request_ids(
    session: AsyncSession, ids: Collection[str]
) -> list[ServiceRequest]:
    """Requests by service_request_id: intake's tracking code, or the token of one
    intake refused (it never got a tracking code)."""
    result = await session.scalars(
        select(ServiceRequest).where(
            or_(
                ServiceRequest.tracking_code.in_(ids),
                and_(ServiceRequest.id.in_(ids), ServiceRequest.status == "refused"),
            )
        )
    )
    return list(result)


async def requested_between(
    session: AsyncSession,
    *,
    start: datetime,
    end: datetime,
    service_codes: Collection[str] | None,
) -> list[ServiceRequest]:
    """Requests that have a service_request_id, filed in [start, end], newest
    first."""
    query = select(ServiceRequest).where(
        or_(
            ServiceRequest.status != "pending",
            ServiceRequest.tracking_code.is_not(None),
        ),
        ServiceRequest.requested_at >= start,
        ServiceRequest.requested_at <= end,
    )
    if service_codes is not None:
        query = query.where(ServiceRequest.service_code.in_(service_codes))
    result = await session.scalars(
        query.order_by(ServiceRequest.requested_at.desc(), ServiceRequest.id)
    )
    return list(result)


async def by_appeal_id(session: AsyncSession, appeal_id: str) -> ServiceRequest | None:
    result = await session.scalars(
        select(ServiceRequest).where(ServiceRequest.appeal_id == appeal_id)
    )
    return result.first()


async def link_appeal(
    session: AsyncSession, *, request_id: str, appeal_id: str, tracking_code: str
) -> bool:
    """Tie a request to the appeal intake made of it, once; False if the request is
    unknown or tied already."""
    result = await session.execute(
        update(ServiceRequest)
        .where(ServiceRequest.id == request_id, ServiceRequest.appeal_id.is_(None))
        .values(appeal_id=appeal_id, tracking_code=tracking_code)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def record_decision(
    session: AsyncSession, *, appeal_id: str, values: dict[str, Any]
) -> None:
    await session.execute(
        update(ServiceRequest)
        .where(ServiceRequest.appeal_id == appeal_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


# --- the progress projection ----------------------------------------------------


async def mergers_of(
    session: AsyncSession, appeal_ids: Collection[str]
) -> dict[str, Merger]:
    """The merger of each of these appeals into another, if any."""
    if not appeal_ids:
        return {}
    result = await session.scalars(
        select(Merger).where(Merger.appeal_id.in_(appeal_ids))
    )
    return {merger.appeal_id: merger for merger in result}


async def orders_of(
    session: AsyncSession, appeal_ids: Collection[str]
) -> list[WorkOrderView]:
    if not appeal_ids:
        return []
    result = await session.scalars(
        select(WorkOrderView).where(WorkOrderView.appeal_id.in_(appeal_ids))
    )
    return list(result)


async def updates_of(
    session: AsyncSession, appeal_ids: Collection[str]
) -> list[ProgressUpdate]:
    if not appeal_ids:
        return []
    result = await session.scalars(
        select(ProgressUpdate)
        .where(ProgressUpdate.appeal_id.in_(appeal_ids))
        .order_by(ProgressUpdate.occurred_at, ProgressUpdate.id)
    )
    return list(result)


async def order(session: AsyncSession, work_order_id: str) -> WorkOrderView | None:
    return await session.get(WorkOrderView, work_order_id)


async def add_update(session: AsyncSession, update_row: ProgressUpdate) -> None:
    session.add(update_row)
    await session.flush()


async def survivor_of(session: AsyncSession, appeal_id: str) -> Merger | None:
    return await session.get(Merger, appeal_id)


async def merged_into(session: AsyncSession, appeal_id: str) -> list[Merger]:
    """The appeals merged into this one."""
    result = await session.scalars(
        select(Merger).where(Merger.survivor_appeal_id == appeal_id)
    )
    return list(result)


# --- the update feed ------------------------------------------------------------


def _own_updates(start: datetime, end: datetime) -> Select[ProgressUpdate, str | None]:
    return (
        select(ProgressUpdate, ServiceRequest.tracking_code)
        .join(ServiceRequest, ServiceRequest.appeal_id == ProgressUpdate.appeal_id)
        .where(ProgressUpdate.occurred_at >= start, ProgressUpdate.occurred_at <= end)
    )


def _survivor_updates(
    start: datetime, end: datetime
) -> Select[ProgressUpdate, str | None]:
    return (
        select(ProgressUpdate, ServiceRequest.tracking_code)
        .join(Merger, Merger.survivor_appeal_id == ProgressUpdate.appeal_id)
        .join(ServiceRequest, ServiceRequest.appeal_id == Merger.appeal_id)
        .where(
            ProgressUpdate.occurred_at >= start,
            ProgressUpdate.occurred_at <= end,
            ProgressUpdate.occurred_at >= Merger.merged_at,
        )
    )


async def feed(
    session: AsyncSession, *, start: datetime, end: datetime, limit: int
) -> list[tuple[ProgressUpdate, str, bool]]:
    """Steps of the requests' appeals in [start, end], oldest first: (step,
    service_request_id, whether it is the surviving appeal's step after a
    merger)."""
    own = await session.execute(
        _own_updates(start, end)
        .order_by(ProgressUpdate.occurred_at, ProgressUpdate.id)
        .limit(limit)
    )
    followed = await session.execute(
        _survivor_updates(start, end)
        .order_by(ProgressUpdate.occurred_at, ProgressUpdate.id)
        .limit(limit)
    )
    rows = [(row[0], str(row[1]), False) for row in own.all()]
    rows += [(row[0], str(row[1]), True) for row in followed.all()]
    rows.sort(key=lambda row: (row[0].occurred_at, row[0].id, row[1]))
    return rows[:limit]


# --- housekeeping --------------------------------------------------------------


async def forget_unclaimed(session: AsyncSession, *, before: datetime) -> int:
    """Forget progress recorded before `before` of appeals no request here claims,
    directly or as the appeal one was merged into; the number of rows forgotten."""
    ours = select(ServiceRequest.appeal_id).where(ServiceRequest.appeal_id.is_not(None))
    survivors = select(Merger.survivor_appeal_id).where(Merger.appeal_id.in_(ours))
    claimed = ours.union(survivors).subquery()
    claimed_ids = select(claimed.c[0])

    forgotten = 0
    statements: Sequence[Any] = (
        delete(ProgressUpdate).where(
            ProgressUpdate.recorded_at < before,
            ProgressUpdate.appeal_id.not_in(claimed_ids),
        ),
        delete(WorkOrderView).where(
            WorkOrderView.recorded_at < before,
            WorkOrderView.appeal_id.not_in(claimed_ids),
        ),
        delete(Merger).where(
            Merger.recorded_at < before, Merger.appeal_id.not_in(ours)
        ),
    )
    for statement in statements:
        result = await session.execute(
            statement.execution_options(synchronize_session=False)
        )
        forgotten += int(getattr(result, "rowcount", 0) or 0)
    return forgotten
