"""`make bench`, analytics part: indicator queries at scale, on a throwaway PostgreSQL
database.

1. BENCH_ANALYTICS_ROWS appeals (default 1,000,000) received over 2026 are written
   straight into analytics' migrated store with COPY (not through the bus), with the
   work order of every filed one and a return visit for two in five closed orders:
   channels, categories, subdistricts and units as the reference data routes them;
   consultations answered at once, rejections, holds, returns, late dispatches and
   signs, notices on time and late, closures on time, overdue and staged, open
   orders past their due time, urgings.
2. The rollups are built from those facts (`rollups.rebuild`), as the service does
   at start when they are missing.
3. Indicator queries (series and breakdowns of one indicator with up to one filter,
   which the maintained grains hold) are timed BENCH_ANALYTICS_QUERIES times
   (default 400) in turn: p50, p95, max; goal p95 under 50 ms.
4. Ad-hoc breakdowns: combinations of three or four dimensions, which only the
   finest grain holds, and windows that start inside a day, which only the facts
   can answer, BENCH_ANALYTICS_ADHOC times each (default 60): goal p95 under 500 ms.
5. Maintenance: BENCH_ANALYTICS_EVENTS closures (default 1,000) of open orders, each
   applied by the projection's handler with its rollup refresh in its own
   transaction; the rollups then still answer as the facts do.

Run it alone with `.venv/bin/python -m tests.bench.analytics_scale`.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta

import asyncpg
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_analytics import consumers, query, rollups
from minsheng_analytics.app import MIGRATIONS
from minsheng_analytics.rollup_models import rollup_table
from minsheng_common import db, migrations
from minsheng_common.events import WorkOrderClosed, seal
from minsheng_common.reference import load_reference
from minsheng_common.rules import load_rule_book
from minsheng_common.timeutil import SHANGHAI
from tests.bench.databases import drop_database, fresh_database

ROWS = int(os.environ.get("BENCH_ANALYTICS_ROWS", "1000000"))
QUERIES = int(os.environ.get("BENCH_ANALYTICS_QUERIES", "400"))
ADHOC = int(os.environ.get("BENCH_ANALYTICS_ADHOC", "60"))
EVENTS = int(os.environ.get("BENCH_ANALYTICS_EVENTS", "1000"))
DATABASE = "ms_bench_analytics"
# Goals of the issue, printed beside each figure.
QUERY_P95_GOAL_MS = 50.0
ADHOC_P95_GOAL_MS = 500.0

YEAR = datetime(2026, 1, 1, tzinfo=SHANGHAI)
NOW = datetime(2027, 1, 1, tzinfo=SHANGHAI)
SPACING = timedelta(days=365) / max(ROWS, 1)

REFERENCE = load_reference()
CATEGORIES = list(REFERENCE.categories)
SUBDISTRICTS = [subdistrict.id for subdistrict in REFERENCE.subdistricts]
# The twelve-three numbers hotline takes most, then WeChat: twenty slots by weight.
CHANNELS = [
    *["hotline-12345"] * 9,
    *["wechat"] * 6,
    "mailbox",
    "hotline-12319",
    "forum-people",
    "ai-video",
    "open311",
]

APPEAL_COLUMNS = [
    "appeal_id",
    "tracking_code",
    "channel",
    "appeal_type",
    "category_id",
    "subdistrict_id",
    "received_at",
    "decision",
    "reason_code",
    "filed_at",
    "rejected_at",
    "level",
    "held_reason",
    "held_at",
    "answered_at",
    "last_event_at",
]
ORDER_COLUMNS = [
    "work_order_id",
    "appeal_id",
    "unit_id",
    "appeal_type",
    "status",
    "created_at",
    "dispatched_at",
    "dispatch_seconds",
    "dispatch_within_limit",
    "rules_edition",
    "round",
    "signed_at",
    "sign_mode",
    "sign_off_deadline_at",
    "acceptance_notice_requested_at",
    "acceptance_notice_deadline_at",
    "acceptance_notice_reached",
    "acceptance_notice_met_at",
    "acceptance_notice_met_late",
    "handling_deadline_at",
    "handling_reached",
    "handling_notice_requested_at",
    "handling_notice_sent_at",
    "handling_notice_deadline_at",
    "handling_notice_reached",
    "handling_notice_met_at",
    "handling_notice_met_late",
    "return_requested_at",
    "return_decided_at",
    "return_approved",
    "closure_requested_at",
    "closure_rejections",
    "closed_at",
    "closure_outcome",
    "staged_check_reached",
    "extensions_approved",
    "urged_half_at",
    "last_event_at",
]
VISIT_COLUMNS = [
    "survey_id",
    "work_order_id",
    "appeal_id",
    "unit_id",
    "channel",
    "speed",
    "effect",
    "service",
    "system",
    "satisfied",
    "answered_at",
    "last_event_at",
]


def received_at(n: int) -> datetime:
    return (YEAR + SPACING * n + timedelta(seconds=n * 7 % 60)).astimezone(UTC)


def appeal_type(n: int) -> str:
    """Two in ten consultations, one suggestion, the rest complaints."""
    if n % 10 < 2:
        return "consultation"
    return "suggestion" if n % 10 == 2 else "complaint"


def fate(n: int) -> str:
    """What became of appeal n: answered at once, rejected, held, or filed."""
    if appeal_type(n) == "consultation" and n % 3:
        return "answered"
    if n % 50 == 7:
        return "rejected"
    if n % 97 == 5:
        return "held"
    return "filed"


def mixed(n: int) -> int:
    """32 well-mixed bits of n, so that channel, category and place vary
    independently of each other and of the fates chosen by n's remainders."""
    n = ((n >> 16) ^ n) * 0x45D9F3B & 0xFFFFFFFF
    n = ((n >> 16) ^ n) * 0x45D9F3B & 0xFFFFFFFF
    return (n >> 16) ^ n


def place(n: int) -> tuple[str, str, str, str]:
    """Channel, category, subdistrict and the unit routing gives (a territorial
    category goes to the subdistrict's office half the time)."""
    bits = mixed(n)
    category = CATEGORIES[bits % len(CATEGORIES)]
    subdistrict = SUBDISTRICTS[(bits >> 8) % len(SUBDISTRICTS)]
    unit = category.default_unit or subdistrict
    if category.territorial and bits >> 24 & 1:
        unit = subdistrict
    return CHANNELS[(bits >> 12) % len(CHANNELS)], category.id, subdistrict, unit


def appeals(first: int, count: int) -> Iterator[tuple[object, ...]]:
    for n in range(first, first + count):
        received = received_at(n)
        channel, category, subdistrict, _unit = place(n)
        kind = fate(n)
        filed = received + timedelta(minutes=2) if kind == "filed" else None
        yield (
            f"ap-{n:012d}",
            f"MS{n:010d}",
            channel,
            appeal_type(n),
            category,
            subdistrict if kind == "filed" else None,
            received,
            {"answered": None}.get(kind, kind),
            "missing_contact" if kind == "rejected" else None,
            filed,
            received + timedelta(minutes=3) if kind == "rejected" else None,
            (1 if n % 400 == 0 else 2 if n % 40 == 0 else 3) if filed else None,
            "verification" if kind == "held" else None,
            received + timedelta(minutes=1) if kind == "held" else None,
            received + timedelta(seconds=5) if kind == "answered" else None,
            received + timedelta(minutes=3),
        )


def is_open(n: int) -> bool:
    """Orders received in the last ten days, and three in a hundred, are open."""
    return received_at(n) > NOW - timedelta(days=10) or n % 100 in (3, 4, 5)


def order(n: int) -> dict[str, object] | None:
    """The work order of appeal n, if it was filed: two in a hundred asked to be
    returned (one approved), the rest signed, notified and, unless open, closed
    on time, overdue or staged; their notice clocks met on time or late."""
    if fate(n) != "filed":
        return None
    _channel, _category, _subdistrict, unit = place(n)
    filed = received_at(n) + timedelta(minutes=2)
    dispatched = filed + timedelta(minutes=n * 37 % 90)
    returned = n % 100 in (0, 1)
    signed = None if returned else dispatched + timedelta(minutes=n * 13 % 180)
    accepted = signed + timedelta(hours=n * 11 % 36) if signed else None
    accepted_late = bool(accepted and signed and accepted - signed > timedelta(days=1))
    closed = outcome = notice = None
    notice_late = False
    if signed and not is_open(n):
        closed = dispatched + timedelta(days=n * 29 % 12, hours=2)
        outcome = "staged" if n % 100 == 50 else "on_time"
        if closed - dispatched > timedelta(days=9):
            outcome = "overdue"
        notice = closed - timedelta(hours=1 + n % 30)
        notice_late = n % 9 == 0
    due = dispatched + timedelta(days=9)
    status = "closed" if closed else "signed" if signed else "dispatched"
    return {
        "work_order_id": f"wo-{n:012d}",
        "appeal_id": f"ap-{n:012d}",
        "unit_id": unit,
        "appeal_type": appeal_type(n),
        "status": "returned" if n % 100 == 0 else status,
        "created_at": filed,
        "dispatched_at": dispatched,
        "dispatch_seconds": int((dispatched - filed).total_seconds()),
        "dispatch_within_limit": dispatched - filed <= timedelta(hours=1),
        "rules_edition": "measures-v4",
        "round": 1,
        "signed_at": signed,
        "sign_mode": None if signed is None else "auto" if n % 17 == 0 else "manual",
        "sign_off_deadline_at": dispatched + timedelta(hours=2),
        "acceptance_notice_requested_at": accepted,
        "acceptance_notice_deadline_at": signed + timedelta(days=1) if signed else None,
        "acceptance_notice_reached": accepted_late,
        "acceptance_notice_met_at": accepted,
        "acceptance_notice_met_late": accepted_late if accepted else None,
        "handling_deadline_at": due,
        "handling_reached": (closed or NOW) > due,
        "handling_notice_requested_at": notice,
        "handling_notice_sent_at": notice,
        "handling_notice_deadline_at": notice + timedelta(days=1) if notice else None,
        "handling_notice_reached": notice_late,
        "handling_notice_met_at": notice,
        "handling_notice_met_late": notice_late if notice else None,
        "return_requested_at": dispatched + timedelta(minutes=30) if returned else None,
        "return_decided_at": dispatched + timedelta(minutes=60) if returned else None,
        "return_approved": (n % 100 == 0) if returned else None,
        "closure_requested_at": closed - timedelta(hours=1) if closed else None,
        "closure_rejections": 1 if n % 23 == 0 else 0,
        "closed_at": closed,
        "closure_outcome": outcome,
        "staged_check_reached": outcome == "staged" and n % 200 == 50,
        "extensions_approved": 1 if n % 31 == 0 else 0,
        "urged_half_at": dispatched + timedelta(days=3) if n % 7 == 0 else None,
        "last_event_at": closed or signed or dispatched,
    }


def orders(first: int, count: int) -> Iterator[tuple[object, ...]]:
    for n in range(first, first + count):
        row = order(n)
        if row is not None:
            yield tuple(row[column] for column in ORDER_COLUMNS)


def visits(first: int, count: int) -> Iterator[tuple[object, ...]]:
    """A return visit for two in five closed orders, answered two days later."""
    for n in range(first, first + count):
        row = order(n)
        closed = row["closed_at"] if row else None
        if row is None or not isinstance(closed, datetime) or n % 5 >= 2:
            continue
        speed, effect = 1 + n * 3 % 5, 1 + n * 7 % 5
        answered = closed + timedelta(days=2)
        yield (
            f"s-{n:012d}",
            row["work_order_id"],
            row["appeal_id"],
            row["unit_id"],
            "phone",
            speed,
            effect,
            None if n % 11 == 0 else 1 + n * 13 % 5,
            1 + n % 5,
            speed >= 3 and effect >= 3,
            answered,
            answered,
        )


async def seed(url: str) -> tuple[dict[str, int], float]:
    """COPY the appeals, orders and visits in chunks, then analyse; rows per table
    and seconds taken."""
    started = time.perf_counter()
    connection = await asyncpg.connect(url)
    counts: dict[str, int] = {}
    try:
        chunk = 100_000
        for table, columns, rows in (
            ("appeal_facts", APPEAL_COLUMNS, appeals),
            ("work_order_facts", ORDER_COLUMNS, orders),
            ("return_visit_facts", VISIT_COLUMNS, visits),
        ):
            for first in range(0, ROWS, chunk):
                await connection.copy_records_to_table(
                    table,
                    records=rows(first, min(chunk, ROWS - first)),
                    columns=columns,
                )
            await connection.execute(f"VACUUM ANALYZE {table}")
            counts[table] = await connection.fetchval(f"SELECT count(*) FROM {table}")
    finally:
        await connection.close()
    return counts, time.perf_counter() - started


async def build(
    sessions: async_sessionmaker[AsyncSession], url: str
) -> tuple[int, float]:
    """Build the rollups from the facts as the service does at start."""
    started = time.perf_counter()
    async with sessions() as session, session.begin():
        rows = await rollups.rebuild(session, now=NOW)
    seconds = time.perf_counter() - started
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("VACUUM ANALYZE indicator_rollups")
        await connection.execute("VACUUM ANALYZE rollup_contributions")
    finally:
        await connection.close()
    return rows, seconds


Ask = Callable[[AsyncSession], Awaitable[query.Answer]]


def ask(
    indicator: str,
    *,
    by: str | None = None,
    interval: query.Interval = "day",
    start: datetime | None = YEAR,
    end: datetime | None = NOW,
    **filters: str,
) -> tuple[str, Ask]:
    """A labelled question: a series when `by` is None, else a breakdown."""
    asked = query.question(
        indicator=indicator, start=start, end=end, filters=query.Filters(**filters)
    )
    shown = ", ".join(f"{key}={value}" for key, value in filters.items()) or "all"
    label = f"{indicator} {'series' if by is None else 'by ' + by}/{interval} ({shown})"

    async def answer(session: AsyncSession) -> query.Answer:
        if by is None:
            return await query.series(session, asked, interval=interval)
        return await query.breakdown(session, asked, by=by, interval=interval)

    return label, answer


def indicator_queries() -> list[tuple[str, Ask]]:
    """Series and breakdowns with at most one filter: what the maintained grains
    hold. Filter values rotate over the reference data."""
    quarter = YEAR + timedelta(days=90)
    month = (YEAR + timedelta(days=120), YEAR + timedelta(days=151))
    chosen = []
    for n in range(6):
        unit = place(n * 5 + 2)[3]
        category = CATEGORIES[n * 5 % len(CATEGORIES)].id
        subdistrict = SUBDISTRICTS[n]
        channel = CHANNELS[n * 3]
        chosen += [
            ask("received", end=quarter),
            ask("on_time_closure", interval="week", unit=unit),
            ask("satisfied", interval="month", subdistrict=subdistrict),
            ask("handling_notice_within_limit", category=category),
            ask("total_closure", by="unit"),
            ask("sign_off_within_limit", by="category", start=month[0], end=month[1]),
            ask("return_rate", by="subdistrict", channel=channel),
            ask("received", by="channel", category=category),
            ask("dispatch_within_limit", by="period", interval="week", unit=unit),
            ask("acceptance_notice_within_limit", by="unit", subdistrict=subdistrict),
            ask("satisfaction_speed", by="unit", category=category),
            ask("instant_answer", by="period", interval="month", channel=channel),
        ]
    return chosen


def adhoc_queries() -> list[tuple[str, Ask]]:
    """Three or four dimensions at once (the finest grain), and windows that start
    inside a day (the facts)."""
    chosen = []
    for n in range(4):
        unit = place(n * 5 + 2)[3]
        category = CATEGORIES[n * 5 % len(CATEGORIES)].id
        subdistrict = SUBDISTRICTS[n]
        channel = CHANNELS[n * 3]
        inside = YEAR + timedelta(days=200 + n, hours=8, minutes=30)
        chosen += [
            ask(
                "total_closure", by="category", subdistrict=subdistrict, channel=channel
            ),
            ask(
                "on_time_closure",
                interval="week",
                unit=unit,
                subdistrict=subdistrict,
                channel=channel,
            ),
            ask("closed", by="unit", subdistrict=subdistrict, category=category),
            ask(
                "return_rate",
                by="category",
                start=inside,
                end=inside + timedelta(days=30),
                channel=channel,
            ),
            ask(
                "satisfied",
                by="unit",
                start=inside,
                end=inside + timedelta(days=7),
                subdistrict=subdistrict,
            ),
        ]
    return chosen


async def time_questions(
    sessions: async_sessionmaker[AsyncSession],
    chosen: list[tuple[str, Ask]],
    runs: int,
) -> tuple[list[float], dict[str, int]]:
    """`runs` answers taken in turn from `chosen`, each in its own session as a
    request would; milliseconds each, and how many came from each source."""
    timings: list[float] = []
    sources: dict[str, int] = {}
    for _label, answer in itertools.islice(itertools.cycle(chosen), runs):
        async with sessions() as session:
            started = time.perf_counter()
            result = await answer(session)
            timings.append((time.perf_counter() - started) * 1000)
        sources[result.source] = sources.get(result.source, 0) + 1
    return timings, sources


def figures(timings: list[float]) -> tuple[float, float, float]:
    p95 = statistics.quantiles(timings, n=20)[18] if len(timings) > 1 else timings[0]
    return statistics.median(timings), p95, max(timings)


def goal(value: float, target: float) -> str:
    return f"(goal < {target:,.0f} ms: {'met' if value < target else 'NOT met'})"


def open_orders(count: int) -> Iterator[tuple[int, dict[str, object]]]:
    """Signed orders still open, oldest first."""
    for n in range(ROWS):
        row = order(n)
        if row is not None and row["signed_at"] and row["closed_at"] is None:
            yield n, row
            count -= 1
            if count == 0:
                return


async def maintain(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, float]:
    """Close EVENTS open orders through the projection's handler, one transaction
    each as the consumer applies them; how many and seconds."""
    handler = consumers.handlers(load_rule_book())[WorkOrderClosed.event_type]
    chosen = list(open_orders(EVENTS))
    started = time.perf_counter()
    for n, row in chosen:
        closed_at = NOW - timedelta(hours=1)
        data = WorkOrderClosed(
            work_order_id=str(row["work_order_id"]),
            appeal_id=str(row["appeal_id"]),
            unit_id=str(row["unit_id"]),
            outcome="overdue" if n % 2 else "on_time",
            handled_at=closed_at - timedelta(hours=2),
            closed_at=closed_at,
            closed_by="bench",
        )
        envelope = seal(data, producer="bench", occurred_at=closed_at)
        async with sessions() as session, session.begin():
            await handler(session, envelope, data)
    return len(chosen), time.perf_counter() - started


async def agree(sessions: async_sessionmaker[AsyncSession]) -> bool:
    """Whether the rollups still answer the closures by unit as the facts do."""
    asked = query.question(
        indicator="total_closure", start=None, end=None, filters=query.Filters()
    )
    async with sessions() as session:
        kept = await query.breakdown(
            session, asked, by="unit", interval="month", source="rollups"
        )
        counted = await query.breakdown(
            session, asked, by="unit", interval="month", source="facts"
        )
    return kept.groups == counted.groups


async def main() -> int:
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}"
    )
    raw_url, url = await fresh_database(DATABASE)
    await migrations.upgrade_async(MIGRATIONS, url)
    engine = db.make_engine(url)
    sessions = db.make_sessions(engine)
    ok = True
    try:
        counts, seconds = await seed(raw_url)
        print(
            f"seeded by COPY in {seconds:.0f} s: {counts['appeal_facts']:,} appeals, "
            f"{counts['work_order_facts']:,} work orders, "
            f"{counts['return_visit_facts']:,} return visits"
        )
        rows, seconds = await build(sessions, raw_url)
        async with sessions() as session:
            days = await session.scalar(
                select(func.count(func.distinct(rollup_table.c.day)))
            )
        print(
            f"rollups built from the facts in {seconds:.0f} s: {rows:,} rows over "
            f"{days} days, 12 grains\n"
        )

        chosen = indicator_queries()
        timings, sources = await time_questions(sessions, chosen, QUERIES)
        p50, p95, worst = figures(timings)
        ok = ok and p95 < QUERY_P95_GOAL_MS and set(sources) == {"rollups"}
        print(
            f"indicator queries ({QUERIES} over {len(chosen)} questions, {sources}): "
            f"p50 {p50:.1f} ms   p95 {p95:.1f} ms   max {worst:.1f} ms "
            f"{goal(p95, QUERY_P95_GOAL_MS)}"
        )

        chosen = adhoc_queries()
        timings, sources = await time_questions(sessions, chosen, ADHOC * 5)
        p50, p95, worst = figures(timings)
        ok = ok and p95 < ADHOC_P95_GOAL_MS
        print(
            f"ad-hoc breakdowns ({ADHOC * 5} over {len(chosen)} questions, "
            f"{sources}): p50 {p50:.1f} ms   p95 {p95:.1f} ms   max {worst:.1f} ms "
            f"{goal(p95, ADHOC_P95_GOAL_MS)}"
        )
        for label, answer in chosen[:5]:
            single, _ = await time_questions(sessions, [(label, answer)], ADHOC)
            print(f"    {label}: p95 {figures(single)[1]:.1f} ms")

        applied, seconds = await maintain(sessions)
        same = await agree(sessions)
        ok = ok and same
        print(
            f"\nmaintenance: {applied:,} closures applied with their rollup refresh "
            f"in {seconds:.1f} s, {applied / seconds:,.0f} events/s; rollups "
            f"{'answer as the facts do' if same else 'DIFFER from the facts'}"
        )
    finally:
        await engine.dispose()
        await drop_database(DATABASE)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
