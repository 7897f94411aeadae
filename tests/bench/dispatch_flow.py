"""`make bench`, second part: appeals through the running suite, with the figures of
Art. 12 (dispatched within 1 hour) and Art. 13 (signed within 2 working hours).

Every service runs as a real process, as the end-to-end tests start them
(`tests.e2e.support.start_stack`), each on a throwaway PostgreSQL database, with the
embedded broker. The shared clock is set to 09:00 of the next working day, so the
sign-off limit runs in working hours. Then:

1. the 12345 hotline submits BENCH_DISPATCH_APPEALS real-looking appeals (default
   1000; `appeals.py`), BENCH_DISPATCH_CONCURRENCY in flight (default 16), each
   about an event of its own;
2. dispatch routes them; an appeal routing is not certain of waits in the dispatch
   queue and a center operator dispatches it to the suggested unit, as by hand.
   Dispatch merges an order into an unfinished one of the same event cluster and
   channel (Art. 18); the appeals are made so that none is, and any merged order is
   counted and listed, and ends there: nobody signs it;
3. once sla has set the sign-off deadline of every order not merged, the units sign
   a share of them (BENCH_DISPATCH_SIGN_SHARE, default 0.6) with their own keys;
4. the rest wait: the clock moves past the last sign-off deadline and they are signed
   by default (默认签收), which Art. 13 does not count as signed in time;
5. analytics' `GET /v1/kpis` gives both rates, the benchmark counts them again from
   dispatch's work orders (`figures.py`) as analytics defines them (merged orders
   count as dispatched, never as signed), prints both, and both rates over the
   orders dispatched and not merged, with the throughput and the filing-to-dispatch
   latency.

It exits with status 1 when analytics and dispatch disagree or the flow stalls
(nothing moved for BENCH_DISPATCH_PATIENCE seconds, default 300); the services' logs
are then kept and their folder printed. Run it alone with
`.venv/bin/python -m tests.bench.dispatch_flow`.
"""

from __future__ import annotations

import asyncio
import os
import platform
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from minsheng_common.clock import SharedClock
from minsheng_common.devstack.broker import EmbeddedBroker
from minsheng_common.devstack.stack import Stack
from minsheng_common.reference import load_reference
from minsheng_common.timeutil import SHANGHAI
from minsheng_common.working_calendar import WorkingCalendar, default_calendar
from tests.bench import appeals, figures
from tests.bench.run import ADMIN_URL
from tests.e2e.support import start_stack

SIZE = int(os.environ.get("BENCH_DISPATCH_APPEALS", "1000"))
CONCURRENCY = int(os.environ.get("BENCH_DISPATCH_CONCURRENCY", "16"))
SIGN_SHARE = float(os.environ.get("BENCH_DISPATCH_SIGN_SHARE", "0.6"))
PATIENCE = float(os.environ.get("BENCH_DISPATCH_PATIENCE", "300"))
SERVICES = ("intake", "dispatch", "sla", "notify", "analytics", "forum")
# The request budget per caller protects a service from one runaway key; the
# benchmark is that key on purpose. INFO logs of a thousand appeals would time the
# log files as much as the services.
QUIET = {"MINSHENG_RATE_LIMIT_PER_MINUTE": "1000000", "MINSHENG_LOG_LEVEL": "WARNING"}
PAGE = 500


class Stalled(RuntimeError):
    """The flow made no progress for PATIENCE seconds."""


@dataclass
class Filing:
    """What intake answered: the appeals filed, every decision, how fast."""

    started_at: datetime
    seconds: float
    latencies: list[float] = field(default_factory=list)
    decisions: Counter[str] = field(default_factory=Counter)
    filed: set[str] = field(default_factory=set)


@dataclass
class Api:
    """The suite's HTTP APIs, as a center operator unless another key is given."""

    http: httpx.AsyncClient
    stack: Stack

    def key(self, name: str) -> str:
        assert self.stack.credentials is not None
        return self.stack.credentials.keys[name]

    async def get(
        self, service: str, path: str, key: str | None = None, **params: Any
    ) -> Any:
        answer = await self.http.get(
            f"{self.stack.url(service)}{path}",
            params=params,
            headers={"X-API-Key": key or self.key("operator")},
        )
        answer.raise_for_status()
        return answer.json()

    async def post(
        self, service: str, path: str, body: dict[str, Any], key: str | None = None
    ) -> httpx.Response:
        return await self.http.post(
            f"{self.stack.url(service)}{path}",
            json=body,
            headers={"X-API-Key": key or self.key("operator")},
        )

    async def work_orders(self) -> list[dict[str, Any]]:
        """Every work order dispatch holds, newest first."""
        orders: list[dict[str, Any]] = []
        while True:
            page = await self.get(
                "dispatch", "/v1/work-orders", limit=PAGE, offset=len(orders)
            )
            orders.extend(page["items"])
            if not page["items"] or len(orders) >= page["total"]:
                return orders


def main() -> int:
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, ", end="")
    print(f"Python {platform.python_version()}")
    print(
        f"flow: {SIZE} appeals, {CONCURRENCY} in flight, {SIGN_SHARE:.0%} signed by "
        "their units, every service on PostgreSQL with the embedded broker\n"
    )
    run = secrets.token_hex(3)
    data_dir = Path(tempfile.mkdtemp(prefix="ms-bench-flow-"))
    databases = {service: f"ms_bench_flow_{service}_{run}" for service in SERVICES}
    calendar = default_calendar(load_reference().hours())
    succeeded = False
    asyncio.run(create_databases(databases.values()))
    try:
        with EmbeddedBroker(log_file=data_dir / "broker.log") as broker:
            SharedClock(data_dir / "clock.json").set_now(next_working_morning(calendar))
            stack = start_stack(
                data_dir=data_dir,
                bootstrap=broker.bootstrap_servers,
                topic_prefix=f"bench{run}.",
                database_urls={s: database_url(n) for s, n in databases.items()},
                extra_env=QUIET,
            )
            try:
                succeeded = asyncio.run(flow(stack, run, calendar))
            except Stalled as error:
                print(f"\nSTALLED: {error}")
            finally:
                stack.stop()
    finally:
        asyncio.run(drop_databases(databases.values()))
        if succeeded:
            shutil.rmtree(data_dir, ignore_errors=True)
        else:
            print(f"logs kept in {data_dir / 'logs'}")
    return 0 if succeeded else 1


async def flow(stack: Stack, run: str, calendar: WorkingCalendar) -> bool:
    """The whole run against a started stack; whether analytics and dispatch agree."""
    clock = SharedClock(stack.clock_file)
    limits = httpx.Limits(max_connections=CONCURRENCY * 2)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        api = Api(http, stack)
        print(
            f"clock      {local(clock.now())} (Asia/Shanghai, shared by every service)"
        )

        filing = await file_appeals(api, clock, run)
        report_filing(filing)

        by_hand = await wait_for_dispatch(api, expected=len(filing.filed))
        orders = await api.work_orders()
        report_dispatch(orders, filing, by_hand)
        report_merged(orders)

        orders = await wait_for(
            "sla's sign-off deadlines",
            lambda: unless_any(api.work_orders(), "sign_off_due_at"),
        )
        unmerged = [order for order in orders if not figures.merged(order)]
        manual = await sign_share(api, unmerged)
        last_due = max(figures.at(o["sign_off_due_at"]) for o in unmerged)
        moved_to = clock.set_now(last_due + timedelta(minutes=1))
        print(
            f"signing    {manual} of the {len(unmerged)} orders not merged signed by "
            f"their units; the rest wait: clock moved to {local(moved_to)}, past the "
            "last sign-off deadline"
        )
        orders = await wait_for(
            "signing by default", lambda: unless_any(api.work_orders(), "signed_at")
        )
        modes = Counter(order["sign_mode"] for order in orders)
        print(
            f"           signed by hand {modes['manual']}, by default {modes['auto']}"
        )

        kpis = await analytics_caught_up(api, orders)
        return compare(kpis, orders, calendar)


async def file_appeals(api: Api, clock: SharedClock, run: str) -> Filing:
    """Submit SIZE appeals as the 12345 hotline, CONCURRENCY at a time."""
    gazetteer = appeals.places(load_reference())
    hotline = api.key(f"channel:{appeals.CHANNEL}")
    numbers = iter(range(SIZE))
    filing = Filing(started_at=clock.now(), seconds=0.0)

    async def worker() -> None:
        for number in numbers:
            body = appeals.appeal(
                number, run=run, received_at=clock.now(), gazetteer=gazetteer
            )
            started = time.perf_counter()
            answer = await api.post("intake", "/v1/appeals", body, key=hotline)
            filing.latencies.append(time.perf_counter() - started)
            if answer.status_code != 201:
                raise RuntimeError(
                    f"intake answered {answer.status_code}: {answer.text}"
                )
            decision = answer.json()["decision"]
            filing.decisions[decision["reason_code"] or decision["status"]] += 1
            if decision["status"] == "filed":
                filing.filed.add(answer.json()["id"])

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    filing.seconds = time.perf_counter() - started
    return filing


async def wait_for_dispatch(api: Api, *, expected: int) -> int:
    """Wait until dispatch holds a work order for each filed appeal; an appeal left
    in the dispatch queue is dispatched by a center operator to the unit routing
    suggests. How many went by hand."""
    by_hand = 0
    seen, last_move = -1, time.monotonic()
    while True:
        queue = await api.get("dispatch", "/v1/dispatch-queue", limit=PAGE)
        for entry in queue["items"]:
            answer = await api.post(
                "dispatch",
                f"/v1/dispatch-queue/{entry['appeal_id']}/dispatch",
                {
                    "unit_id": entry["suggested_unit_id"],
                    "reason": "按系统建议派单（基准测试）",
                },
            )
            answer.raise_for_status()
            by_hand += 1
        total = (await api.get("dispatch", "/v1/work-orders", limit=1))["total"]
        if total >= expected:
            return by_hand
        if total != seen:
            seen, last_move = total, time.monotonic()
        elif time.monotonic() - last_move > PATIENCE:
            raise Stalled(f"{total} of {expected} filed appeals dispatched")
        await asyncio.sleep(0.5)


async def sign_share(api: Api, orders: list[dict[str, Any]]) -> int:
    """Each unit signs its share of the orders (none merged: a merged order has
    ended, Art. 18), spread evenly over them, with its own key; how many were
    signed."""
    chosen = [
        order
        for index, order in enumerate(sorted(orders, key=lambda o: o["id"]))
        if int((index + 1) * SIGN_SHARE) > int(index * SIGN_SHARE)
    ]
    pending = iter(chosen)
    assert api.stack.credentials is not None
    credentials = api.stack.credentials

    async def clerk() -> None:
        for order in pending:
            answer = await api.post(
                "dispatch",
                f"/v1/work-orders/{order['id']}/sign",
                {"signed_by": "bench-clerk"},
                key=credentials.unit_key(order["unit_id"]),
            )
            if answer.status_code != 200:
                raise RuntimeError(
                    f"signing {order['id']}: {answer.status_code} {answer.text}"
                )

    await asyncio.gather(*(clerk() for _ in range(CONCURRENCY)))
    return len(chosen)


async def analytics_caught_up(api: Api, orders: list[dict[str, Any]]) -> dict[str, Any]:
    """Analytics' KPIs once it has seen every order dispatched, merged and signed,
    and two answers a second apart agree (late deadline events would still move a
    rate)."""
    modes = Counter(order["sign_mode"] for order in orders)
    merged = sum(figures.merged(order) for order in orders)
    wanted = {
        "dispatched": len(orders),
        "merged": merged,
        "signed": len(orders) - merged,
        "signed_manual": modes["manual"],
        "signed_auto": modes["auto"],
    }

    async def settled() -> dict[str, Any] | None:
        first = await api.get("analytics", "/v1/kpis")
        if any(first["totals"][key] != value for key, value in wanted.items()):
            return None
        await asyncio.sleep(1)
        second = await api.get("analytics", "/v1/kpis")
        return second if second["rates"] == first["rates"] else None

    return await wait_for("analytics", settled)


def compare(
    kpis: dict[str, Any], orders: list[dict[str, Any]], calendar: WorkingCalendar
) -> bool:
    """Print analytics' figures beside the same figures counted from dispatch's work
    orders as analytics defines them, and both rates over the orders dispatched and
    not merged; whether analytics and dispatch agree."""
    unmerged = [order for order in orders if not figures.merged(order)]
    theirs = figures.from_analytics(kpis["rates"])
    ours = figures.from_work_orders(orders, calendar=calendar)
    kept = figures.from_work_orders(unmerged, calendar=calendar)
    merged = len(orders) - len(unmerged)
    print(f"\n{'':<38}{'analytics':<22}{'dispatch':<22}not merged")
    for label, key in (
        ("Art. 12 dispatched within 1 hour", "dispatch_within_limit"),
        ("Art. 13 signed within 2 working hours", "sign_off_within_limit"),
    ):
        print(
            f"{label:<38}{getattr(theirs, key)!s:<22}{getattr(ours, key)!s:<22}"
            f"{getattr(kept, key)}"
        )
    print(
        f"\nnot merged: the benchmark's figures, over the {len(unmerged)} orders "
        f"dispatched and not merged ({merged} merged, Art. 18)."
    )
    print(
        "dispatch:   counted from dispatch's work orders as analytics counts: Art. 12 "
        "over every\n            dispatched order, merged ones too; Art. 13 over "
        "signed orders, which a merged\n            order never is."
    )
    if ours.flag_differs or ours.deadline_differs:
        print(
            f"\nNOTE: dispatch's own dispatched_within_target differs from the count "
            f"for {ours.flag_differs} orders, its sign_off_due_at from the working "
            f"calendar for {ours.deadline_differs} orders not merged"
        )
    lines = figures.disagreements(theirs, ours)
    if lines:
        print("\nDISAGREEMENT between analytics and dispatch:")
        for line in lines:
            print(f"  {line}")
        return False
    print("\nanalytics and dispatch agree on both figures")
    return True


def report_filing(filing: Filing) -> None:
    rate = SIZE / filing.seconds
    p50, p95 = percentiles(filing.latencies)
    print(
        f"filing     {SIZE} appeals in {filing.seconds:.1f} s: {rate:.1f} appeals/s "
        f"(intake answers p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms)"
    )
    decisions = ", ".join(f"{k} {v}" for k, v in filing.decisions.most_common())
    print(f"decisions  {decisions}")


def report_dispatch(orders: list[dict[str, Any]], filing: Filing, by_hand: int) -> None:
    dispatched = [figures.at(order["dispatched_at"]) for order in orders]
    delays = [
        (at - figures.at(order["filed_at"])).total_seconds()
        for order, at in zip(orders, dispatched, strict=True)
    ]
    span = (max(dispatched) - filing.started_at).total_seconds()
    p50, p95 = percentiles(delays)
    print(
        f"dispatch   {len(orders)} work orders ({by_hand} from the dispatch queue by "
        f"hand); first filing to last dispatch {span:.1f} s: "
        f"{len(orders) / span:.1f} appeals/s end to end"
    )
    print(
        f"           filing to dispatch p50 {p50:.2f} s, p95 {p95:.2f} s, "
        f"max {max(delays):.2f} s"
    )


def report_merged(orders: list[dict[str, Any]]) -> None:
    """How many orders dispatch merged as it dispatched them (Art. 18), and which
    into which, by tracking code and event cluster."""
    by_id = {order["id"]: order for order in orders}
    into: dict[str, list[dict[str, Any]]] = {}
    for order in orders:
        if figures.merged(order):
            into.setdefault(order["merged_into"], []).append(order)
    merged = sum(len(group) for group in into.values())
    print(
        f"merged     {merged} orders merged at dispatch into {len(into)} others "
        f"(same event cluster and channel, Art. 18); {len(orders) - merged} not "
        "merged"
    )
    for survivor_id, group in sorted(into.items()):
        survivor = by_id.get(survivor_id)
        codes = ", ".join(sorted(order["tracking_code"] for order in group))
        print(
            f"           into {survivor['tracking_code'] if survivor else survivor_id} "
            f"(cluster {group[0]['cluster_id']}): {codes}"
        )


async def wait_for(
    what: str, probe: Callable[[], Awaitable[Any]], *, every: float = 1.0
) -> Any:
    """Poll `probe` until it answers something truthy; Stalled after PATIENCE."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        answer = await probe()
        if answer:
            return answer
        await asyncio.sleep(every)
    raise Stalled(f"waited {PATIENCE:.0f} s for {what}")


async def unless_any(
    orders: Awaitable[list[dict[str, Any]]], key: str
) -> list[dict[str, Any]] | None:
    """The orders when every one not merged has `key` set, else None. A merged order
    has ended (Art. 18): sla cancels its clocks and nobody signs it."""
    listed = await orders
    waiting = (order for order in listed if not figures.merged(order))
    return listed if all(order[key] for order in waiting) else None


def percentiles(values: list[float]) -> tuple[float, float]:
    """p50 and p95."""
    if len(values) < 2:
        return values[0], values[0]
    return statistics.median(values), statistics.quantiles(values, n=20)[18]


def next_working_morning(calendar: WorkingCalendar) -> datetime:
    """09:00 in Shanghai of the first working day after today."""
    day = datetime.now(SHANGHAI).date()
    while True:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            return datetime.combine(day, clock_time(9, 0), tzinfo=SHANGHAI)


def local(moment: datetime) -> str:
    return f"{moment.astimezone(SHANGHAI):%Y-%m-%d %a %H:%M:%S}"


def database_url(name: str) -> str:
    """The service's SQLAlchemy URL of a database on the benchmark's server."""
    server = ADMIN_URL.rsplit("/", 1)[0].split("://", 1)[1]
    return f"postgresql+asyncpg://{server}/{name}"


async def create_databases(names: Iterable[str]) -> None:
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        for name in names:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def drop_databases(names: Iterable[str]) -> None:
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        for name in names:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


if __name__ == "__main__":
    sys.exit(main())
