"""Queries on dispatch's store."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_dispatch.models import (
    ChangeSequence,
    Unit,
    WorkOrder,
    WorkOrderAction,
    WorkOrderChange,
    WorkOrderExtension,
)

DISPATCHED = "dispatched"
RETURN_REQUESTED = "return_requested"
RETURNED = "returned"
SIGNED = "signed"
IN_PROGRESS = "in_progress"
CLOSURE_REQUESTED = "closure_requested"
CLOSED = "closed"
# Ended by the center's special dispatch (Art. 18-20): the appeal goes on elsewhere.
MERGED = "merged"
SPLIT = "split"
PARALLEL = "parallel"

STATUSES = (
    DISPATCHED,
    RETURN_REQUESTED,
    RETURNED,
    SIGNED,
    IN_PROGRESS,
    CLOSURE_REQUESTED,
    CLOSED,
    MERGED,
    SPLIT,
    PARALLEL,
)
REPLACED_STATUSES = frozenset({MERGED, SPLIT, PARALLEL})
OPEN_STATUSES = frozenset(STATUSES) - {RETURNED, CLOSED} - REPLACED_STATUSES


async def get(session: AsyncSession, work_order_id: str) -> WorkOrder | None:
    return await session.get(WorkOrder, work_order_id)


async def reload(session: AsyncSession, work_order_id: str) -> WorkOrder | None:
    """The order as the store holds it now, after a conditional update."""
    return await session.get(WorkOrder, work_order_id, populate_existing=True)


async def by_appeal(session: AsyncSession, appeal_id: str) -> WorkOrder | None:
    """The order made from the filed appeal itself (not one that replaced a returned
    order)."""
    return await session.scalar(
        select(WorkOrder).where(WorkOrder.origin_key == appeal_id)
    )


async def orders_of_appeal(session: AsyncSession, appeal_id: str) -> list[WorkOrder]:
    """Every order of an appeal, the first first."""
    rows = await session.scalars(
        select(WorkOrder)
        .where(WorkOrder.appeal_id == appeal_id)
        .order_by(WorkOrder.dispatched_at, WorkOrder.id)
    )
    return list(rows)


async def page(
    session: AsyncSession,
    *,
    unit_id: str | None = None,
    appeal_id: str | None = None,
    status: str | None = None,
    due_before: datetime | None = None,
    updated_after: datetime | None = None,
    limit: int,
    offset: int,
) -> tuple[list[WorkOrder], int]:
    """Orders newest first, with the total before paging."""
    query = _filtered(
        select(WorkOrder),
        unit_id=unit_id,
        appeal_id=appeal_id,
        status=status,
        due_before=due_before,
        updated_after=updated_after,
    )
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(WorkOrder.dispatched_at.desc(), WorkOrder.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


async def mark_signed(
    session: AsyncSession,
    work_order_id: str,
    *,
    signed_at: datetime,
    mode: str,
    signed_by: str | None,
) -> bool:
    """Sign the order only if it is still unsigned; False when it was not.

    The condition is checked by the database in the UPDATE itself, so of a manual
    sign and the auto-sign racing for one order exactly one changes the row; the other
    sees no row changed (on PostgreSQL it waits for the first to commit, then
    re-checks the condition).
    """
    result = await session.execute(
        update(WorkOrder)
        .where(
            WorkOrder.id == work_order_id,
            WorkOrder.status == DISPATCHED,
            # A parallel candidate is never signed, by its clerk or by default: it
            # confirms ownership or returns the order (Art. 20).
            WorkOrder.role != "candidate",
        )
        .values(status=SIGNED, signed_at=signed_at, sign_mode=mode, signed_by=signed_by)
        .execution_options(synchronize_session=False)
    )
    return _changed(result)


async def mark_acceptance_notice_requested(
    session: AsyncSession, work_order_id: str, *, requested_at: datetime
) -> bool:
    """Record the one acceptance notice of a signed order; False if the order is not
    signed or already has one."""
    result = await session.execute(
        update(WorkOrder)
        .where(
            WorkOrder.id == work_order_id,
            WorkOrder.signed_at.is_not(None),
            WorkOrder.status.not_in([RETURNED, *REPLACED_STATUSES]),
            WorkOrder.acceptance_notice_requested_at.is_(None),
        )
        .values(acceptance_notice_requested_at=requested_at)
        .execution_options(synchronize_session=False)
    )
    return _changed(result)


async def set_sign_off_due(
    session: AsyncSession, work_order_id: str, *, due_at: datetime, set_at: datetime
) -> bool:
    """Record the order's sign-off deadline unless a later-set one is recorded; False
    when the order is unknown or already holds a deadline set after `set_at`.

    Checked in the UPDATE itself, so deliveries in any order and repeated deliveries
    leave the deadline of the latest deadline.set.
    """
    result = await session.execute(
        update(WorkOrder)
        .where(
            WorkOrder.id == work_order_id,
            or_(
                WorkOrder.sign_off_set_at.is_(None),
                WorkOrder.sign_off_set_at <= set_at,
            ),
        )
        .values(sign_off_due_at=due_at, sign_off_set_at=set_at)
        .execution_options(synchronize_session=False)
    )
    return _changed(result)


def _filtered(
    query: Select[Any],
    *,
    unit_id: str | None = None,
    appeal_id: str | None = None,
    status: str | None = None,
    due_before: datetime | None = None,
    updated_after: datetime | None = None,
) -> Select[Any]:
    if unit_id is not None:
        query = query.where(WorkOrder.unit_id == unit_id)
    if appeal_id is not None:
        query = query.where(WorkOrder.appeal_id == appeal_id)
    if status is not None:
        query = query.where(WorkOrder.status == status)
    if due_before is not None:
        query = query.where(WorkOrder.handling_due_at < due_before)
    if updated_after is not None:
        query = query.where(WorkOrder.updated_at > updated_after)
    return query


def _changed(result: Any) -> bool:
    return int(result.rowcount) == 1


async def add_action(
    session: AsyncSession,
    work_order_id: str,
    *,
    action: str,
    actor: str,
    at: datetime,
    detail: dict[str, Any],
) -> None:
    """Record a transition: its audit row (who, when, why), the order's
    `updated_at`, and a numbered row in the change log units poll. Every transition
    goes through here, in the transaction that makes it."""
    session.add(
        WorkOrderAction(
            work_order_id=work_order_id,
            action=action,
            actor=actor,
            at=at,
            detail=detail,
        )
    )
    await session.flush()
    order = await session.get(WorkOrder, work_order_id)
    if order is None:
        raise RuntimeError(f"work order {work_order_id} is not in the store")
    await session.execute(
        update(WorkOrder)
        .where(WorkOrder.id == work_order_id)
        .values(updated_at=at)
        .execution_options(synchronize_session=False)
    )
    await record_change(
        session,
        work_order_id=work_order_id,
        unit_id=order.unit_id,
        action=action,
        at=at,
    )


async def record_change(
    session: AsyncSession,
    *,
    work_order_id: str,
    unit_id: str,
    action: str,
    at: datetime,
) -> int:
    """Append a row to the change log and give its number.

    The sequence row stays locked until this transaction ends (PostgreSQL row lock;
    SQLite has one writer at a time anyway), so numbers are given in commit order.
    Call it late in a transaction: other writers wait on it until the commit.
    """
    await session.execute(
        update(ChangeSequence)
        .where(ChangeSequence.id == 1)
        .values(value=ChangeSequence.value + 1)
        .execution_options(synchronize_session=False)
    )
    seq = await session.scalar(
        select(ChangeSequence.value).where(ChangeSequence.id == 1)
    )
    if seq is None:
        raise RuntimeError("the change sequence row is missing; run the migrations")
    session.add(
        WorkOrderChange(
            seq=int(seq),
            work_order_id=work_order_id,
            unit_id=unit_id,
            action=action,
            at=at,
        )
    )
    return int(seq)


async def last_change(session: AsyncSession, *, unit_id: str) -> int:
    """The number of the unit's latest change, 0 when it has none."""
    value = await session.scalar(
        select(func.max(WorkOrderChange.seq)).where(WorkOrderChange.unit_id == unit_id)
    )
    return int(value or 0)


async def changes_after(
    session: AsyncSession, *, unit_id: str, after: int, limit: int
) -> list[WorkOrderChange]:
    """The unit's changes numbered after `after`, oldest first, at most `limit`."""
    rows = await session.scalars(
        select(WorkOrderChange)
        .where(WorkOrderChange.unit_id == unit_id, WorkOrderChange.seq > after)
        .order_by(WorkOrderChange.seq)
        .limit(limit)
    )
    return list(rows)


async def orders_by_id(
    session: AsyncSession,
    ids: list[str],
    *,
    status: str | None = None,
    due_before: datetime | None = None,
    updated_after: datetime | None = None,
) -> dict[str, WorkOrder]:
    """The orders among `ids` that pass the filters."""
    if not ids:
        return {}
    query = _filtered(
        select(WorkOrder).where(WorkOrder.id.in_(ids)),
        status=status,
        due_before=due_before,
        updated_after=updated_after,
    )
    return {order.id: order for order in await session.scalars(query)}


async def move_to(
    session: AsyncSession,
    work_order_id: str,
    *,
    from_statuses: frozenset[str] | set[str],
    values: dict[str, Any],
) -> bool:
    """Change the order only if it is in one of `from_statuses`; False when it was
    not. The database checks the state in the UPDATE itself, so of two requests
    racing for one transition exactly one wins."""
    result = await session.execute(
        update(WorkOrder)
        .where(WorkOrder.id == work_order_id, WorkOrder.status.in_(from_statuses))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return _changed(result)


async def move_to_where(
    session: AsyncSession,
    work_order_id: str,
    *,
    conditions: dict[str, Any],
    values: dict[str, Any],
) -> bool:
    """Change the order only if each column in `conditions` holds its value."""
    query = update(WorkOrder).where(WorkOrder.id == work_order_id)
    for column, value in conditions.items():
        query = query.where(getattr(WorkOrder, column) == value)
    result = await session.execute(
        query.values(**values).execution_options(synchronize_session=False)
    )
    return _changed(result)


async def set_handling_due(
    session: AsyncSession, work_order_id: str, *, due_at: datetime, set_at: datetime
) -> bool:
    """Record the order's handling deadline unless a later-set one is recorded, as
    for sign-off."""
    result = await session.execute(
        update(WorkOrder)
        .where(
            WorkOrder.id == work_order_id,
            or_(
                WorkOrder.handling_set_at.is_(None),
                WorkOrder.handling_set_at <= set_at,
            ),
        )
        .values(handling_due_at=due_at, handling_set_at=set_at)
        .execution_options(synchronize_session=False)
    )
    return _changed(result)


async def extensions(
    session: AsyncSession, work_order_id: str, *, round_: int | None = None
) -> list[WorkOrderExtension]:
    query = select(WorkOrderExtension).where(
        WorkOrderExtension.work_order_id == work_order_id
    )
    if round_ is not None:
        query = query.where(WorkOrderExtension.round == round_)
    rows = await session.scalars(query.order_by(WorkOrderExtension.requested_at))
    return list(rows)


async def decide_extension(
    session: AsyncSession,
    extension_id: str,
    *,
    status: str,
    decided_at: datetime,
    decided_by: str,
    reason: str,
) -> bool:
    """Decide a pending extension; False when it was decided meanwhile."""
    result = await session.execute(
        update(WorkOrderExtension)
        .where(
            WorkOrderExtension.id == extension_id,
            WorkOrderExtension.status == "pending",
        )
        .values(
            status=status,
            decided_at=decided_at,
            decided_by=decided_by,
            decision_reason=reason,
        )
        .execution_options(synchronize_session=False)
    )
    return _changed(result)


async def actions(session: AsyncSession, work_order_id: str) -> list[WorkOrderAction]:
    rows = await session.scalars(
        select(WorkOrderAction)
        .where(WorkOrderAction.work_order_id == work_order_id)
        .order_by(WorkOrderAction.id)
    )
    return list(rows)


async def last_action(
    session: AsyncSession, work_order_id: str, action: str
) -> WorkOrderAction | None:
    """The latest audit row of one kind for the order."""
    return await session.scalar(
        select(WorkOrderAction)
        .where(
            WorkOrderAction.work_order_id == work_order_id,
            WorkOrderAction.action == action,
        )
        .order_by(WorkOrderAction.id.desc())
        .limit(1)
    )


async def units(session: AsyncSession) -> list[Unit]:
    return list(await session.scalars(select(Unit).order_by(Unit.id)))


async def unit(session: AsyncSession, unit_id: str) -> Unit | None:
    return await session.get(Unit, unit_id)
