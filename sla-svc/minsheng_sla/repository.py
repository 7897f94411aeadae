"""Queries on SLA's store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    Update,
    and_,
    case,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.dml import ReturningUpdate

from minsheng_common.events import DeadlineKind
from minsheng_sla.models import (
    CANCELLED,
    PENDING,
    REACHED,
    CooperatingOrder,
    Deadline,
    DeadlineChange,
    HandlingNotice,
    Supervision,
)


class ClaimedClock(NamedTuple):
    """A clock as a claim leaves it: what the watcher needs to say so on the bus.

    Plain rows, not ORM objects: building a hundred mapped objects per claim cost
    more than the claim itself, and the watcher only reads them."""

    id: str
    work_order_id: str
    appeal_id: str
    unit_id: str
    kind: DeadlineKind
    due_at: datetime
    urged_level: int
    urge_half_at: datetime | None
    urge_two_thirds_at: datetime | None


_CLAIMED_COLUMNS = [Deadline.__table__.c[name] for name in ClaimedClock._fields]

# The order a work order's clocks are listed in: the order of its life.
KIND_ORDER = {
    "sign_off": 0,
    "handling": 1,
    "acceptance_notice": 2,
    "handling_notice": 3,
    "staged_check": 4,
    "reply_template": 5,
}


async def insert_if_absent(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Add a clock unless the work order already has one of that kind; True if added.

    `ON CONFLICT DO NOTHING` on the (work order, kind) key makes a second delivery
    of the same fact, even a concurrent one, a no-op instead of an error.
    """
    keys = ["work_order_id", "kind"]
    statement: Executable
    dialect = _dialect(session)
    if dialect == "postgresql":
        statement = (
            postgresql.insert(Deadline)
            .values(**values)
            .on_conflict_do_nothing(index_elements=keys)
        )
    elif dialect == "sqlite":
        statement = (
            sqlite.insert(Deadline)
            .values(**values)
            .on_conflict_do_nothing(index_elements=keys)
        )
    else:
        statement = insert(Deadline).values(**values)
    result = await session.execute(statement)
    # An INSERT answers with a CursorResult, which has a row count; the stubs only
    # promise the general Result.
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def by_kind(
    session: AsyncSession, work_order_id: str, kind: str, *, for_update: bool = False
) -> Deadline | None:
    """The work order's clock of one kind; `for_update` locks it (PostgreSQL) so the
    watcher cannot reach it while it is being met."""
    query = select(Deadline).where(
        Deadline.work_order_id == work_order_id, Deadline.kind == kind
    )
    if for_update:
        query = query.with_for_update()
    result = await session.execute(query)
    return result.scalar_one_or_none()


async def for_work_order(session: AsyncSession, work_order_id: str) -> list[Deadline]:
    """Every clock on a work order: sign-off, handling, acceptance notice."""
    rows = await session.scalars(
        select(Deadline).where(Deadline.work_order_id == work_order_id)
    )
    return sorted(rows, key=lambda row: KIND_ORDER[row.kind])


async def page(
    session: AsyncSession,
    *,
    status: str | None,
    kind: str | None,
    unit_id: str | None,
    due_before: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[Deadline], int]:
    """Clocks matching the filters, soonest due first, and how many match in all."""
    query = select(Deadline)
    if status is not None:
        query = query.where(Deadline.status == status)
    if kind is not None:
        query = query.where(Deadline.kind == kind)
    if unit_id is not None:
        query = query.where(Deadline.unit_id == unit_id)
    if due_before is not None:
        query = query.where(Deadline.due_at <= due_before)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(Deadline.due_at, Deadline.id).limit(limit).offset(offset)
    )
    return list(rows), int(total or 0)


async def claim_due(
    session: AsyncSession, *, now: datetime, limit: int
) -> list[ClaimedClock]:
    """Mark up to `limit` pending clocks due at or before `now` as reached, and return
    them, soonest due first. Several watchers claim disjoint batches (`_claiming`);
    the index on (status, due_at) finds the batch without reading the table."""
    statement = due_claim(now=now, limit=limit, dialect=_dialect(session))
    claimed = [ClaimedClock(*row) for row in await session.execute(statement)]
    return sorted(claimed, key=lambda row: (row.due_at, row.id))


def due_claim(*, now: datetime, limit: int, dialect: str) -> ReturningUpdate:
    """The statement `claim_due` runs on a store of `dialect`."""
    due = (
        select(Deadline.id)
        .where(Deadline.status == PENDING, Deadline.due_at <= now)
        .order_by(Deadline.due_at, Deadline.id)
        .limit(limit)
    )
    # A clock that ran out is urged as overdue, never again at a fraction.
    statement = update(Deadline).values(
        status=REACHED, reached_at=now, next_urge_at=None
    )
    return _claiming(statement, due, dialect=dialect)


async def claim_urgings(
    session: AsyncSession, *, now: datetime, limit: int
) -> list[ClaimedClock]:
    """Take up to `limit` pending clocks whose next urging point (Art. 39) is at or
    before `now`, record the step as sent, and return them, earliest point first;
    `urged_level` then reads the level just sent.

    A clock still short of its half point sends level 1 and waits for its two-thirds
    point next; otherwise it sends level 2 and waits for nothing more before it runs
    out (the overdue urging goes with reaching it). A clock already due but not yet
    reached sends nothing and waits for nothing: it is urged as overdue when reached,
    and leaving it in the index would make every later claim step over it. Claimed
    as `claim_due` claims, so two watchers never send the same step, through the
    index on (status, next_urge_at).
    """
    statement = urging_claim(now=now, limit=limit, dialect=_dialect(session))
    claimed = [ClaimedClock(*row) for row in await session.execute(statement)]
    return sorted(claimed, key=lambda row: (urged_point(row) or now, row.id))


def urging_claim(*, now: datetime, limit: int, dialect: str) -> ReturningUpdate:
    """The statement `claim_urgings` runs on a store of `dialect`."""
    chosen = (
        select(Deadline.id)
        .where(Deadline.status == PENDING, Deadline.next_urge_at <= now)
        .order_by(Deadline.next_urge_at, Deadline.id)
        .limit(limit)
    )
    # SET expressions read the row as it was, on both stores.
    run_out = Deadline.due_at <= now
    at_half = and_(Deadline.urged_level < 1, Deadline.urge_half_at.is_not(None))
    statement = update(Deadline).values(
        urged_level=case((run_out, Deadline.urged_level), (at_half, 1), else_=2),
        next_urge_at=case(
            (run_out, None), (at_half, Deadline.urge_two_thirds_at), else_=None
        ),
    )
    return _claiming(
        statement, chosen, dialect=dialect, also=Deadline.next_urge_at <= now
    )


def urged_point(deadline: Deadline | ClaimedClock) -> datetime | None:
    """The urging point of the level a clock last sent (half or two thirds)."""
    if deadline.urged_level == 1:
        return deadline.urge_half_at
    if deadline.urged_level == 2:
        return deadline.urge_two_thirds_at
    return None


async def mark_overdue_urged(
    session: AsyncSession, deadline_ids: Sequence[str]
) -> None:
    """Record the overdue urging (level 3) as sent for the given clocks."""
    if not deadline_ids:
        return
    await session.execute(
        update(Deadline)
        .where(Deadline.id.in_(list(deadline_ids)))
        .values(urged_level=3, next_urge_at=None)
        .execution_options(synchronize_session=False)
    )


async def overdue(
    session: AsyncSession,
    *,
    kinds: Sequence[str],
    unit_id: str | None,
    due_before: datetime | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[Deadline], int]:
    """Clocks of the given kinds that ran out (before `due_before`, if given) and
    are still not met (超期未办结), longest overdue first, with how many there are
    in all."""
    query = select(Deadline).where(
        Deadline.status == REACHED, Deadline.kind.in_(list(kinds))
    )
    if unit_id is not None:
        query = query.where(Deadline.unit_id == unit_id)
    if due_before is not None:
        query = query.where(Deadline.due_at < due_before)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    ordered = query.order_by(Deadline.due_at, Deadline.id).offset(offset)
    if limit is not None:
        ordered = ordered.limit(limit)
    rows = await session.scalars(ordered)
    return list(rows), int(total or 0)


async def add_supervision(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Record a unit's weekly supervision unless that unit's week is recorded
    already; True if added. A second replica listing the same week waits for the
    first one's row (PostgreSQL) and then adds nothing."""
    keys = ["unit_id", "week_of"]
    dialect = _dialect(session)
    statement: Executable
    if dialect == "postgresql":
        statement = (
            postgresql.insert(Supervision)
            .values(**values)
            .on_conflict_do_nothing(index_elements=keys)
        )
    elif dialect == "sqlite":
        statement = (
            sqlite.insert(Supervision)
            .values(**values)
            .on_conflict_do_nothing(index_elements=keys)
        )
    else:
        statement = insert(Supervision).values(**values)
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def supervisions_of_week(session: AsyncSession, week_of: date) -> list[str]:
    """The units whose supervision of the week starting `week_of` is recorded."""
    rows = await session.scalars(
        select(Supervision.unit_id).where(Supervision.week_of == week_of)
    )
    return list(rows)


def _claiming(
    statement: Update,
    chosen: Select[str],
    *,
    dialect: str,
    also: ColumnElement[bool] | None = None,
) -> ReturningUpdate:
    """`statement` (an UPDATE of deadlines) applied to the rows `chosen` picks,
    returning them as updated.

    PostgreSQL takes the rows `FOR UPDATE SKIP LOCKED` in a materialised CTE, so
    several watchers claim disjoint batches and a row being met by a consumer is
    left for the next pass. (Written as `id IN (subquery)`, PostgreSQL may re-run the
    subquery while updating and claim more than `limit` rows.) SQLite has one writer
    and no row locks; there the statement must begin with UPDATE, because the driver
    opens the transaction, which the staged events share, only before a statement
    that starts with a data-changing keyword. `also` repeats the condition there.
    """
    if dialect == "postgresql":
        batch = chosen.with_for_update(skip_locked=True).cte("chosen")
        statement = statement.where(
            Deadline.id == batch.prefix_with("MATERIALIZED").c.id
        )
    else:
        statement = statement.where(
            Deadline.id.in_(chosen.scalar_subquery()), Deadline.status == PENDING
        )
        if also is not None:
            statement = statement.where(also)
    return statement.returning(*_CLAIMED_COLUMNS).execution_options(
        synchronize_session=False
    )


async def cancel_pending(
    session: AsyncSession, work_order_ids: Sequence[str], *, at: datetime
) -> list[Deadline]:
    """Cancel every pending clock of the given work orders and return them; their
    urging points still to come are dropped, so none is urged (Art. 39).

    Only rows still pending change: on PostgreSQL a row the watcher has just claimed
    is waited for and then, reached already, left alone; reached and met clocks
    keep their outcome.
    """
    if not work_order_ids:
        return []
    rows = await session.scalars(
        update(Deadline)
        .where(
            Deadline.work_order_id.in_(list(work_order_ids)),
            Deadline.status == PENDING,
        )
        .values(status=CANCELLED, cancelled_at=at, next_urge_at=None)
        .returning(Deadline)
        .execution_options(synchronize_session=False)
    )
    return sorted(rows, key=lambda row: (row.work_order_id, KIND_ORDER[row.kind]))


async def change_by_event(
    session: AsyncSession, event_id: str
) -> DeadlineChange | None:
    """The due-time change an event already made, if any."""
    return await session.scalar(
        select(DeadlineChange).where(DeadlineChange.event_id == event_id)
    )


async def changes_of(
    session: AsyncSession, deadline_ids: Sequence[str]
) -> dict[str, list[DeadlineChange]]:
    """Every due-time change of the given clocks, oldest first, by clock id."""
    by_deadline: dict[str, list[DeadlineChange]] = {key: [] for key in deadline_ids}
    if not deadline_ids:
        return by_deadline
    rows = await session.scalars(
        select(DeadlineChange)
        .where(DeadlineChange.deadline_id.in_(list(deadline_ids)))
        .order_by(DeadlineChange.id)
    )
    for row in rows:
        by_deadline[row.deadline_id].append(row)
    return by_deadline


async def add_cooperating(
    session: AsyncSession, work_order_id: str, *, parallel_group_id: str | None
) -> bool:
    """Remember a cooperating order (Art. 20) unless it is known; True if added."""
    values = {"work_order_id": work_order_id, "parallel_group_id": parallel_group_id}
    dialect = _dialect(session)
    statement: Executable
    if dialect == "postgresql":
        statement = (
            postgresql.insert(CooperatingOrder)
            .values(**values)
            .on_conflict_do_nothing()
        )
    elif dialect == "sqlite":
        statement = (
            sqlite.insert(CooperatingOrder).values(**values).on_conflict_do_nothing()
        )
    else:
        statement = insert(CooperatingOrder).values(**values)
    result = await session.execute(statement)
    # A CursorResult, as in `insert_if_absent`.
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def is_cooperating(session: AsyncSession, work_order_id: str) -> bool:
    """Whether dispatch sent the order to a cooperating unit (Art. 20)."""
    found = await session.get(CooperatingOrder, work_order_id)
    return found is not None


async def handling_notice(session: AsyncSession, work_order_id: str) -> HandlingNotice:
    """The work order's handling-notice row, created empty when absent, locked until
    the transaction ends.

    Insert-if-absent, then read `FOR UPDATE`: the notices consumer and the
    work-orders consumer queue on this row, so a notice sent while the closure
    request starts its clock is seen by one of the two.
    """
    dialect = _dialect(session)
    statement: Executable | None = None
    if dialect == "postgresql":
        statement = (
            postgresql.insert(HandlingNotice)
            .values(work_order_id=work_order_id)
            .on_conflict_do_nothing()
        )
    elif dialect == "sqlite":
        statement = (
            sqlite.insert(HandlingNotice)
            .values(work_order_id=work_order_id)
            .on_conflict_do_nothing()
        )
    if statement is not None:
        await session.execute(statement)
    row = await session.get(
        HandlingNotice, work_order_id, with_for_update=True, populate_existing=True
    )
    if row is None:
        row = HandlingNotice(work_order_id=work_order_id)
        session.add(row)
        await session.flush()
    return row


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else "sqlite"
