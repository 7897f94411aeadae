"""Maintained rollups: every indicator's counters by day and dimension, kept current
event by event, so that series and breakdowns read hundreds of rows instead of a
million facts (tables in `rollup_models`).

After each event's handler, in the same transaction (`maintained`), the facts the
handler changed are evaluated again with the indicators' own conditions, and so are
the work orders and return visits of a changed appeal, which take their day and
dimensions from it. Where a fact's contribution differs from the one recorded, the
old one is subtracted from every grain and the new one added. A late or out-of-order
event therefore moves a fact between counters, days or dimensions without anything
being counted twice or lost.

Two consumers may change related facts at once (an appeal filed while its order is
signed). Each takes the contribution rows it will rewrite with FOR UPDATE, appeals
first, then orders and visits, each in key order, and evaluates the facts only once
it holds them: the later of the two waits, then reads what the first committed. The
rollup rows are upserted in key order too, so two transactions never wait on each
other in a circle.

`rebuild` makes everything again from the facts: at start when the counters changed
(`prepare`), and for a store loaded without events (the benchmark).
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    and_,
    case,
    cast,
    delete,
    event,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from minsheng_analytics import repository
from minsheng_analytics.indicators import SUBJECTS, Subject
from minsheng_analytics.models import (
    AppealFact,
    DisputeFact,
    ReturnVisitFact,
    WorkOrderFact,
)
from minsheng_analytics.rollup_models import (
    COUNTER_NAMES,
    COUNTERS,
    DIMENSION_COLUMNS,
    FACT_COUNTERS,
    FINEST,
    GRAINS,
    RollupContribution,
    RollupState,
    kept,
    rollup_table,
    shanghai_day,
)
from minsheng_common.bus.consumer import Handler
from minsheng_common.events import Envelope
from minsheng_common.runtime import ServiceRuntime

log = logging.getLogger(__name__)

# The one row of `rollup_state`.
_STATE_ID = 1

Key = tuple[date, str, str, str, str]
"""Where a fact counts: its day, unit, subdistrict, category and channel."""
Place = tuple[Key | None, int]
"""A fact's contribution: where it counts (None: nowhere yet) and its counter bits."""
RowKey = tuple[int, date, str, str, str, str]
"""A rollup row: grain, day and the four dimensions ('' where the grain has none)."""

_NOWHERE: Place = (None, 0)
_KEY_COLUMNS = ("grain", "day", *DIMENSION_COLUMNS.values())


@dataclass
class Changed:
    """The facts a handler changed, by subject."""

    ids: dict[Subject, set[str]] = field(
        default_factory=lambda: {subject: set() for subject in SUBJECTS}
    )

    def collect(self, session: Session, _context: Any, _instances: Any) -> None:
        """Note every fact about to be flushed (a `before_flush` listener)."""
        for row in (*session.new, *session.dirty, *session.deleted):
            if row in session.dirty and not session.is_modified(row):
                continue
            if isinstance(row, AppealFact):
                self.ids["appeal"].add(row.appeal_id)
            elif isinstance(row, WorkOrderFact):
                self.ids["work_order"].add(row.work_order_id)
            elif isinstance(row, ReturnVisitFact):
                self.ids["return_visit"].add(row.survey_id)
            elif isinstance(row, DisputeFact) and row.work_order_id is not None:
                # A dispute's decision decides whether the order's return counts.
                self.ids["work_order"].add(row.work_order_id)

    @property
    def empty(self) -> bool:
        return not any(self.ids.values())


def maintained(handlers: Mapping[str, Handler]) -> dict[str, Handler]:
    """`handlers`, each followed in its own transaction by the rollups' refresh."""
    return {
        event_type: _maintaining(handler) for event_type, handler in handlers.items()
    }


def _maintaining(handler: Handler) -> Handler:
    async def handle(session: AsyncSession, envelope: Envelope, data: Any) -> None:
        changed = Changed()
        event.listen(session.sync_session, "before_flush", changed.collect)
        try:
            await handler(session, envelope, data)
            await session.flush()
        finally:
            event.remove(session.sync_session, "before_flush", changed.collect)
        moved = await refresh(session, changed)
        log.debug(
            "rollups: %d facts moved by event %s (%s)",
            moved,
            envelope.event_id,
            envelope.type,
        )

    return handle


async def refresh(session: AsyncSession, changed: Changed) -> int:
    """Move the contributions of the changed facts, and of the orders and visits of
    changed appeals, to what the facts say now; how many facts moved."""
    if changed.empty:
        return 0
    # A rebuild holds this row exclusively (the first one creates it): wait for it
    # rather than add to rollups it is about to replace.
    await session.execute(
        select(RollupState.id)
        .where(RollupState.id == _STATE_ID)
        .with_for_update(read=True)
    )

    appeals = changed.ids["appeal"]
    parents = appeals | await _appeals_of(session, changed)
    recorded = await _lock(session, [("appeal", appeal_id) for appeal_id in parents])

    orders = changed.ids["work_order"] | await _of_appeals(
        session, WorkOrderFact.work_order_id, WorkOrderFact.appeal_id, appeals
    )
    visits = changed.ids["return_visit"] | await _of_appeals(
        session, ReturnVisitFact.survey_id, ReturnVisitFact.appeal_id, appeals
    )
    recorded |= await _lock(
        session,
        [("work_order", order_id) for order_id in orders]
        + [("return_visit", survey_id) for survey_id in visits],
    )

    wanted: dict[Subject, set[str]] = {
        "appeal": appeals,
        "work_order": orders,
        "return_visit": visits,
    }
    deltas: defaultdict[RowKey, Counter[str]] = defaultdict(Counter)
    moved = 0
    for subject, ids in wanted.items():
        now = await _evaluate(session, subject, ids)
        for fact_id in sorted(ids):
            row = recorded[(subject, fact_id)]
            before = _place_of(row)
            after = now.get(fact_id, _NOWHERE)
            if before == after:
                continue
            _add(deltas, subject, before, -1)
            _add(deltas, subject, after, +1)
            _record(row, after)
            moved += 1
    await _apply(session, deltas)
    await session.flush()
    return moved


async def _appeals_of(session: AsyncSession, changed: Changed) -> set[str]:
    """The appeals of the changed orders and visits: their day and dimensions."""
    found: set[str] = set()
    for ids, id_column, appeal_column in (
        (
            changed.ids["work_order"],
            WorkOrderFact.work_order_id,
            WorkOrderFact.appeal_id,
        ),
        (
            changed.ids["return_visit"],
            ReturnVisitFact.survey_id,
            ReturnVisitFact.appeal_id,
        ),
    ):
        if ids:
            rows = await session.scalars(
                select(appeal_column).where(id_column.in_(sorted(ids)))
            )
            found.update(appeal_id for appeal_id in rows if appeal_id is not None)
    return found


async def _of_appeals(
    session: AsyncSession,
    id_column: Any,
    appeal_column: Any,
    appeal_ids: set[str],
) -> set[str]:
    if not appeal_ids:
        return set()
    rows = await session.scalars(
        select(id_column).where(appeal_column.in_(sorted(appeal_ids)))
    )
    return set(rows)


async def _lock(
    session: AsyncSession, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], RollupContribution]:
    """The contribution rows of `keys`, created empty when absent, locked in key
    order until the transaction ends."""
    ordered = sorted(set(keys))
    if not ordered:
        return {}
    await repository.add_absent(
        session,
        RollupContribution,
        [{"subject": subject, "fact_id": fact_id} for subject, fact_id in ordered],
    )
    rows = await session.scalars(
        select(RollupContribution)
        .where(
            tuple_(RollupContribution.subject, RollupContribution.fact_id).in_(ordered)
        )
        .order_by(RollupContribution.subject, RollupContribution.fact_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {(row.subject, row.fact_id): row for row in rows}


async def _evaluate(
    session: AsyncSession, subject: Subject, ids: set[str]
) -> dict[str, Place]:
    """Where each fact counts now and its counters; facts that count nowhere (no
    received day yet, or gone) are left out."""
    if not ids:
        return {}
    query = contributions(subject)
    rows = await session.execute(
        query.where(_id_column(subject).in_(sorted(ids)), _RECEIVED)
    )
    return {
        row.fact_id: (
            (row.day, row.unit_id, row.subdistrict_id, row.category_id, row.channel),
            int(row.counters),
        )
        for row in rows
    }


def _place_of(row: RollupContribution) -> Place:
    if row.day is None:
        return _NOWHERE
    key: Key = (row.day, row.unit_id, row.subdistrict_id, row.category_id, row.channel)
    return key, int(row.counters)


def _record(row: RollupContribution, place: Place) -> None:
    key, counters = place
    row.day = key[0] if key else None
    row.unit_id, row.subdistrict_id, row.category_id, row.channel = (
        key[1:] if key else ("", "", "", "")
    )
    row.counters = counters


def _add(
    deltas: defaultdict[RowKey, Counter[str]], subject: Subject, place: Place, sign: int
) -> None:
    key, counters = place
    if key is None:
        return
    names = [
        name
        for bit, (name, _condition) in enumerate(COUNTERS[subject])
        if counters >> bit & 1
    ]
    for grain_id in GRAINS:
        delta = deltas[row_key(grain_id, key)]
        for name in names:
            delta[name] += sign


def row_key(grain_id: int, key: Key) -> RowKey:
    """The rollup row of grain `grain_id` a fact counting at `key` adds to."""
    day, *values = key
    kept_here = kept(grain_id)
    unit, subdistrict, category, channel = (
        value if dimension in kept_here else ""
        for dimension, value in zip(DIMENSION_COLUMNS, values, strict=True)
    )
    return grain_id, day, unit, subdistrict, category, channel


async def _apply(session: AsyncSession, deltas: Mapping[RowKey, Counter[str]]) -> None:
    """Add the deltas to their rollup rows in key order; drop rows left with no
    facts."""
    changes = {
        key: {name: value for name, value in delta.items() if value}
        for key, delta in deltas.items()
    }
    changes = {key: delta for key, delta in sorted(changes.items()) if delta}
    if not changes:
        return
    names = sorted({name for delta in changes.values() for name in delta})
    rows = [
        {
            **dict(zip(_KEY_COLUMNS, key, strict=True)),
            **{name: delta.get(name, 0) for name in names},
        }
        for key, delta in changes.items()
    ]
    upsert = _insert(session)(rollup_table).values(rows)
    await session.execute(
        upsert.on_conflict_do_update(
            index_elements=list(_KEY_COLUMNS),
            set_={name: rollup_table.c[name] + upsert.excluded[name] for name in names},
        )
    )

    # A row can only empty when some fact left it.
    emptied = [
        key
        for key, delta in changes.items()
        if any(delta.get(name, 0) < 0 for name in FACT_COUNTERS.values())
    ]
    if emptied:
        await session.execute(
            delete(rollup_table).where(
                or_(*(_is_row(key) for key in emptied)),
                *(rollup_table.c[name] == 0 for name in FACT_COUNTERS.values()),
            )
        )


def _is_row(key: RowKey) -> ColumnElement[bool]:
    return and_(
        *(
            rollup_table.c[column] == value
            for column, value in zip(_KEY_COLUMNS, key, strict=True)
        )
    )


def _insert(session: AsyncSession) -> Any:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def _id_column(subject: Subject) -> Any:
    return {
        "appeal": AppealFact.appeal_id,
        "work_order": WorkOrderFact.work_order_id,
        "return_visit": ReturnVisitFact.survey_id,
    }[subject]


# Only facts whose appeal's received time is known count anywhere: that is their day.
_RECEIVED = AppealFact.received_at.is_not(None)


def _bit(number: int) -> ColumnElement[int]:
    # Typed as BIGINT on both sides of the CASE: the higher bits pass 2^31.
    return cast(literal_column(str(1 << number)), BigInteger)


_ZERO = cast(literal_column("0"), BigInteger)


def contributions(subject: Subject) -> Select[Any]:
    """Per fact of `subject`: its id, day, dimensions and counter bits, evaluated with
    the indicators' conditions (`rollup_models.COUNTERS`)."""
    bits: ColumnElement[int] = _ZERO
    for number, (_name, condition) in enumerate(COUNTERS[subject]):
        bits = bits + case((condition, _bit(number)), else_=_ZERO)
    fact_id, unit, facts = {
        "appeal": (AppealFact.appeal_id, literal(""), None),
        "work_order": (
            WorkOrderFact.work_order_id,
            WorkOrderFact.unit_id,
            WorkOrderFact,
        ),
        "return_visit": (
            ReturnVisitFact.survey_id,
            ReturnVisitFact.unit_id,
            ReturnVisitFact,
        ),
    }[subject]
    columns: list[Any] = [
        fact_id.label("fact_id"),
        shanghai_day(AppealFact.received_at).label("day"),
        func.coalesce(unit, "").label("unit_id"),
        func.coalesce(AppealFact.subdistrict_id, "").label("subdistrict_id"),
        func.coalesce(AppealFact.category_id, "").label("category_id"),
        func.coalesce(AppealFact.channel, "").label("channel"),
        bits.label("counters"),
    ]
    if facts is None:
        return select(*columns).select_from(AppealFact)
    # Orders and visits take their day and place from their appeal.
    return (
        select(*columns)
        .select_from(facts)
        .outerjoin(AppealFact, AppealFact.appeal_id == facts.appeal_id)
    )


def _signature() -> str:
    """A digest of every counter's name and SQL, the grains and the way a fact is
    placed: what the rollups were built with."""
    dialect = postgresql.dialect()
    parts = [f"grains={GRAINS}"]
    for subject in SUBJECTS:
        statement = contributions(subject).compile(
            dialect=dialect, compile_kwargs={"literal_binds": True}
        )
        parts.append(f"{subject}: {statement}")
    parts.append(f"counters={COUNTER_NAMES}")
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


SIGNATURE = _signature()


async def current(session: AsyncSession) -> bool:
    """Whether the rollups hold the counters this code defines."""
    signature = await session.scalar(
        select(RollupState.signature).where(RollupState.id == _STATE_ID)
    )
    return signature == SIGNATURE


async def rebuild(session: AsyncSession, *, now: datetime) -> int:
    """Make the contributions and the rollups again from the facts, in the caller's
    transaction; how many rollup rows there are."""
    await repository.add_absent(session, RollupState, [{"id": _STATE_ID}])
    state = await session.scalar(
        select(RollupState)
        .where(RollupState.id == _STATE_ID)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert state is not None  # noqa: S101 - added just above
    await session.execute(delete(rollup_table))
    await session.execute(delete(RollupContribution))

    columns = ["subject", "fact_id", "day", *DIMENSION_COLUMNS.values(), "counters"]
    for subject in SUBJECTS:
        query = contributions(subject).where(_RECEIVED)
        await session.execute(
            insert(RollupContribution).from_select(
                columns, select(literal(subject), *query.subquery().c)
            )
        )

    await session.execute(insert(rollup_table).from_select(_ROW_COLUMNS, _finest()))
    for grain_id in GRAINS:
        if grain_id != FINEST:
            await session.execute(
                insert(rollup_table).from_select(_ROW_COLUMNS, _coarser(grain_id))
            )

    state.signature = SIGNATURE
    state.built_at = now
    await session.flush()
    rows = await session.scalar(select(func.count()).select_from(rollup_table))
    return int(rows or 0)


_ROW_COLUMNS = [*_KEY_COLUMNS, *COUNTER_NAMES]


def _finest() -> Select[Any]:
    """The finest grain summed from the contributions, bit by bit."""
    facts = RollupContribution
    sums = []
    for subject in SUBJECTS:
        for number, (name, _condition) in enumerate(COUNTERS[subject]):
            # Inline constants: PostgreSQL shifts a BIGINT by an INTEGER only.
            bit = facts.counters.op(">>")(literal_column(str(number)))
            sums.append(
                func.sum(
                    case(
                        (facts.subject == subject, bit.op("&")(literal_column("1"))),
                        else_=literal_column("0"),
                    )
                ).label(name)
            )
    dimensions = [getattr(facts, column) for column in DIMENSION_COLUMNS.values()]
    return (
        select(literal(FINEST), facts.day, *dimensions, *sums)
        .where(facts.day.is_not(None))
        .group_by(facts.day, *dimensions)
    )


def _coarser(grain_id: int) -> Select[Any]:
    """A coarser grain summed from the finest one."""
    finest = rollup_table.c
    kept_here = kept(grain_id)
    dimensions = [
        finest[column] if dimension in kept_here else literal("")
        for dimension, column in DIMENSION_COLUMNS.items()
    ]
    grouped = [finest[DIMENSION_COLUMNS[dimension]] for dimension in kept_here]
    return (
        select(
            literal(grain_id),
            finest.day,
            *dimensions,
            *(func.sum(finest[name]) for name in COUNTER_NAMES),
        )
        .where(finest.grain == FINEST)
        .group_by(finest.day, *grouped)
    )


async def prepare(runtime: ServiceRuntime) -> None:
    """Rebuild the rollups before any consumer starts when they were built with
    other counters (a new or changed indicator) or never."""
    async with runtime.sessions() as session, session.begin():
        if await current(session):
            return
        started = runtime.clock.now()
        rows = await rebuild(session, now=started)
    log.info(
        "indicator rollups rebuilt from the facts: %d rows (signature %s)",
        rows,
        SIGNATURE[:12],
    )
