"""`make bench`, SLA part: the clocks at scale, on a throwaway PostgreSQL database.

1. BENCH_SLA_ROWS open deadlines (default 1,000,000) are written straight into sla's
   migrated store with COPY (not through the bus): every fifth one already due,
   half of them handling clocks with urging points (Art. 39), over 40 units.
2. The plans of the two claims the watcher runs (clocks due, urgings due) must use
   their index, with sequential scans allowed: the run fails otherwise.
3. The claim of due clocks, as the watcher sends it (100 a transaction), is timed
   BENCH_SLA_CLAIMS times (default 500): p50, p99, max.
4. Firing: `service.reach_due` marks clocks reached and stages deadline.reached and
   the overdue deadline.urged in the outbox, BENCH_SLA_FIRE_BATCH a transaction
   (default 500), until every due clock has fired (as the watcher reaches before it
   urges): clocks a second. Then urgings at half and two thirds
   (`service.urge_due`), until BENCH_SLA_FIRE (default 50,000) were sent.
5. The weekly overdue supervision (Art. 40) over every clock reached so far.
6. Deadline computations in one process, on the calendar the service uses: due
   times alone (7 working days), and whole handling plans with their urging points.

Run it alone with `.venv/bin/python -m tests.bench.sla_scale`.
"""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import asyncpg
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.dml import ReturningUpdate

from minsheng_common import db, migrations, working_calendar
from minsheng_common.bus.outbox import Outbox
from minsheng_common.bus.tables import outbox as outbox_table
from minsheng_common.clock import FixedClock
from minsheng_common.events import TopicNames
from minsheng_common.reference import load_reference
from minsheng_common.rules import AppealType, load_rule_book
from minsheng_common.timeutil import SHANGHAI
from minsheng_sla import periods, repository, service, supervision
from minsheng_sla.app import MIGRATIONS
from tests.bench.databases import drop_database, fresh_database

ROWS = int(os.environ.get("BENCH_SLA_ROWS", "1000000"))
CLAIMS = int(os.environ.get("BENCH_SLA_CLAIMS", "500"))
CLAIM_BATCH = 100
FIRE = int(os.environ.get("BENCH_SLA_FIRE", "50000"))
FIRE_BATCH = int(os.environ.get("BENCH_SLA_FIRE_BATCH", "500"))
COMPUTATIONS = int(os.environ.get("BENCH_SLA_COMPUTATIONS", "200000"))
DATABASE = "ms_bench_sla"
UNITS = 40
# Wednesday 16 December 2026, 10:00 in Shanghai: "now" for every claim.
NOW = datetime(2026, 12, 16, 10, 0, tzinfo=SHANGHAI)
COLUMNS = [
    "id",
    "work_order_id",
    "appeal_id",
    "unit_id",
    "kind",
    "starts_at",
    "due_at",
    "provisional",
    "article",
    "period",
    "rules_edition",
    "status",
    "urge_half_at",
    "urge_two_thirds_at",
    "next_urge_at",
    "urged_level",
]
# Goals of the issue, printed beside each figure.
CLAIM_P99_GOAL_MS = 10.0
FIRING_GOAL = 1_000.0
COMPUTATION_GOAL = 200_000.0


def records(first: int, count: int) -> Iterator[tuple[object, ...]]:
    """Open clocks `first` … `first + count - 1`: every fifth due up to a week ago,
    the rest due within 30 days; even ones are handling clocks, whose points lie at
    half and two thirds of the way (a tenth of them passed, not yet sent)."""
    for n in range(first, first + count):
        if n % 5 == 0:
            due = NOW - timedelta(seconds=1 + n * 9_973 % 604_800)
        else:
            due = NOW + timedelta(seconds=60 + n * 7_919 % 2_592_000)
        starts = due - timedelta(days=10)
        handling = n % 2 == 0
        half = starts + (due - starts) / 2 if handling else None
        two_thirds = starts + (due - starts) * 2 / 3 if handling else None
        if handling and n % 10 == 2:
            half = NOW - timedelta(seconds=1 + n * 31 % 3_600)
        yield (
            f"dl-{n:012d}",
            f"wo-{n:012d}",
            f"ap-{n:012d}",
            f"unit-{n // 10 % UNITS:02d}",
            "handling" if handling else "sign_off",
            starts,
            due,
            False,
            "Art. 15" if handling else "Art. 13",
            "7 working days" if handling else "2 working hours",
            "measures-v4",
            "pending",
            half,
            two_thirds,
            half,
            0,
        )


async def seed(url: str) -> float:
    """COPY ROWS clocks into the store in chunks, then analyse; seconds taken."""
    started = time.perf_counter()
    connection = await asyncpg.connect(url)
    try:
        chunk = 100_000
        for first in range(0, ROWS, chunk):
            await connection.copy_records_to_table(
                "deadlines",
                records=records(first, min(chunk, ROWS - first)),
                columns=COLUMNS,
            )
        await connection.execute("VACUUM ANALYZE deadlines")
    finally:
        await connection.close()
    return time.perf_counter() - started


async def plan_of(session: AsyncSession, statement: ReturningUpdate) -> str:
    """PostgreSQL's plan of a claim exactly as the watcher sends it."""
    connection = await session.connection()
    compiled = statement.compile(dialect=connection.dialect)
    params = compiled.construct_params()
    values = tuple(params[name] for name in compiled.positiontup or ())
    result = await connection.exec_driver_sql(f"EXPLAIN {compiled}", values)
    return "\n".join(row[0] for row in result)


async def check_plans(sessions: async_sessionmaker[AsyncSession]) -> bool:
    """Print the scans of both claims; False if either reads the whole table."""
    ok = True
    async with sessions() as session:
        seqscan = await session.scalar(text("SHOW enable_seqscan"))
        for label, build in (
            ("claim of due clocks", repository.due_claim),
            ("claim of urgings", repository.urging_claim),
        ):
            plan = await plan_of(
                session, build(now=NOW, limit=CLAIM_BATCH, dialect="postgresql")
            )
            scans = [line.strip() for line in plan.splitlines() if "Scan" in line]
            sequential = any("Seq Scan" in line for line in scans)
            ok = ok and not sequential
            verdict = "FAIL: sequential scan" if sequential else "no sequential scan"
            print(f"{label:<22} {verdict} (enable_seqscan={seqscan})")
            for line in scans:
                print(f"    {line.removeprefix('->  ')}")
    return ok


async def time_claims(sessions: async_sessionmaker[AsyncSession]) -> list[float]:
    """CLAIMS claims of CLAIM_BATCH due clocks, each in its own transaction; the
    time of each claim statement, from sending it to the claimed rows in hand, in
    milliseconds."""
    timings = []
    for _ in range(CLAIMS):
        async with sessions() as session, session.begin():
            # The transaction starts (a pooled connection, BEGIN) before the clock:
            # the watcher's claim is the statement, which shares its transaction
            # with the events it stages.
            await session.connection()
            started = time.perf_counter()
            claimed = await repository.claim_due(session, now=NOW, limit=CLAIM_BATCH)
            timings.append((time.perf_counter() - started) * 1000)
        if len(claimed) < CLAIM_BATCH:
            raise RuntimeError("the seeded store ran out of due clocks")
    return timings


async def time_claims_in_database(
    sessions: async_sessionmaker[AsyncSession],
) -> list[float]:
    """The database's own execution time of the same claim (EXPLAIN ANALYZE, rolled
    back, so every run claims the same rows), in milliseconds: the claim's cost
    without the client's, which a busy machine inflates."""
    timings = []
    for _ in range(min(CLAIMS, 200)):
        async with sessions() as session, session.begin():
            connection = await session.connection()
            statement = repository.due_claim(
                now=NOW, limit=CLAIM_BATCH, dialect="postgresql"
            )
            compiled = statement.compile(dialect=connection.dialect)
            params = compiled.construct_params()
            values = tuple(params[name] for name in compiled.positiontup or ())
            result = await connection.exec_driver_sql(
                f"EXPLAIN (ANALYZE, FORMAT JSON) {compiled}", values
            )
            timings.append(float(result.scalar_one()[0]["Execution Time"]))
            await session.rollback()
    return timings


async def fire(
    sessions: async_sessionmaker[AsyncSession], outbox: Outbox, *, urgings: bool
) -> tuple[int, float]:
    """Reach every due clock (or urge FIRE) through the outbox, FIRE_BATCH a
    transaction; how many and how many seconds."""
    fired = 0
    cap = FIRE if urgings else ROWS
    started = time.perf_counter()
    while fired < cap:
        async with sessions() as session, session.begin():
            step = service.urge_due if urgings else service.reach_due
            batch = await step(
                session=session,
                outbox=outbox,
                now=NOW,
                limit=min(FIRE_BATCH, cap - fired),
            )
        if not batch:
            break
        fired += len(batch)
    return fired, time.perf_counter() - started


async def supervise(
    sessions: async_sessionmaker[AsyncSession], outbox: Outbox
) -> tuple[int, int, int, float]:
    """List the week of NOW for every unit; (units, orders, largest event in
    bytes, seconds)."""
    started = time.perf_counter()
    async with sessions() as session, session.begin():
        listed = await supervision.list_week(session=session, outbox=outbox, now=NOW)
    seconds = time.perf_counter() - started
    orders = sum(len(event.orders) for event in listed)
    largest = max((len(event.model_dump_json()) for event in listed), default=0)
    return len(listed), orders, largest, seconds


def computations() -> tuple[float, float]:
    """Due times (7 working days) and whole handling plans a second, in this
    process, over starts spread across 2026 and into the provisional 2027."""
    calendar = working_calendar.default_calendar(load_reference().hours())
    edition = load_rule_book().editions[-1]
    first = datetime(2026, 1, 1, 0, 0, tzinfo=SHANGHAI)
    starts = [first + timedelta(minutes=2_617 * n % 525_600) for n in range(1000)]
    types: list[AppealType] = ["consultation", "suggestion", "complaint"]
    rounds = max(1, COMPUTATIONS // len(starts))

    started = time.perf_counter()
    for _ in range(rounds):
        for start in starts:
            calendar.add_working_days(start, 7)
    due_rate = rounds * len(starts) / (time.perf_counter() - started)

    plans = max(1, rounds // 4)
    started = time.perf_counter()
    for _ in range(plans):
        for number, start in enumerate(starts):
            periods.handling(
                calendar=calendar,
                edition=edition,
                created_at=start,
                appeal_type=types[number % 3],
            )
    plan_rate = plans * len(starts) / (time.perf_counter() - started)
    return due_rate, plan_rate


def goal(value: float, target: float, *, at_most: bool = False) -> str:
    met = value <= target if at_most else value >= target
    sign = "≤" if at_most else "≥"
    return f"(goal {sign} {target:,.0f}: {'met' if met else 'NOT met'})"


async def main() -> int:
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}"
    )
    raw_url, url = await fresh_database(DATABASE)
    await migrations.upgrade_async(MIGRATIONS, url)
    engine = db.make_engine(url)
    sessions = db.make_sessions(engine)
    outbox = Outbox(producer="sla", topics=TopicNames(), clock=FixedClock(NOW))
    try:
        seconds = await seed(raw_url)
        async with sessions() as session:
            pending = await session.scalar(
                text("SELECT count(*) FROM deadlines WHERE status = 'pending'")
            )
        print(
            f"seeded {ROWS:,} open deadlines by COPY in {seconds:.1f} s "
            f"({pending:,} pending)\n"
        )

        plans_ok = await check_plans(sessions)

        timings = await time_claims(sessions)
        p50 = statistics.median(timings)
        p99 = statistics.quantiles(timings, n=100)[98]
        print(
            f"\nclaim of {CLAIM_BATCH} due clocks ({CLAIMS} claims): p50 {p50:.2f} ms"
            f"   p99 {p99:.2f} ms   max {max(timings):.2f} ms "
            f"{goal(p99, CLAIM_P99_GOAL_MS, at_most=True)}"
        )
        inside = await time_claims_in_database(sessions)
        print(
            f"  the same claim inside the database ({len(inside)} runs): "
            f"p50 {statistics.median(inside):.2f} ms   "
            f"p99 {statistics.quantiles(inside, n=100)[98]:.2f} ms"
        )

        fired, seconds = await fire(sessions, outbox, urgings=False)
        async with sessions() as session:
            staged = await session.scalar(
                select(func.count()).select_from(outbox_table)
            )
        print(
            f"firing: {fired:,} deadlines reached in {seconds:.1f} s, "
            f"{fired / seconds:,.0f} deadlines/s through the outbox "
            f"({staged:,} events staged: reached + overdue urging) "
            f"{goal(fired / seconds, FIRING_GOAL)}"
        )
        urged, seconds = await fire(sessions, outbox, urgings=True)
        print(
            f"urging: {urged:,} units urged at half or two thirds in "
            f"{seconds:.1f} s, {urged / seconds:,.0f} urgings/s"
        )

        units, orders, largest, seconds = await supervise(sessions, outbox)
        print(
            f"weekly supervision: {units} units, {orders:,} overdue orders listed "
            f"in {seconds:.1f} s (largest event {largest / 1024:,.0f} KiB)"
        )
    finally:
        await engine.dispose()
        await drop_database(DATABASE)

    due_rate, plan_rate = computations()
    print(
        f"\ncomputations in one process: {due_rate:,.0f} due times/s "
        f"{goal(due_rate, COMPUTATION_GOAL)}; {plan_rate:,.0f} handling plans "
        "with urging points/s"
    )
    return 0 if plans_ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
