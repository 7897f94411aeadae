"""`make bench`: intake's filing throughput against a bare baseline, in one run.

Both sides run as a uvicorn process on PostgreSQL and take the same load from the same
client: the baseline is a bare FastAPI app that inserts one row per request with
asyncpg; intake validates, normalises, decides, encrypts the contact and writes the
appeal and two outbox events in one transaction, which its relay publishes to the
embedded broker meanwhile. The ratio is what the figures mean;
the absolute numbers depend on the machine, printed alongside.
"""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx

from minsheng_common.auth.provisioning import add_key
from minsheng_common.auth.roles import Role
from minsheng_common.devstack.broker import EmbeddedBroker, free_port, wait_for_port

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "2000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "32"))
ADMIN_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
).replace("postgresql+asyncpg://", "postgresql://")
BASELINE = Path(__file__).with_name("baseline_app.py")


def body(number: int) -> dict[str, object]:
    return {
        "channel": "hotline-12345",
        "channel_ref": f"bench-{number}",
        "type": "complaint",
        "category_hint": "municipal-facilities",
        "title": "路灯不亮",
        "content": "石井街道田心社区路灯编号 SJ-0231 不亮，晚上很黑。",
        "contact": {"kind": "phone", "value": "13900001111"},
        "received_at": "2026-12-04T10:00:00+08:00",
    }


async def load(url: str, key: str) -> tuple[float, list[float]]:
    """Send REQUESTS posts with CONCURRENCY in flight; (seconds, latencies)."""
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(REQUESTS):
        queue.put_nowait(number)

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            number = queue.get_nowait()
            started = time.perf_counter()
            answer = await client.post(url, json=body(number))
            latencies.append(time.perf_counter() - started)
            if answer.status_code not in (200, 201):
                raise RuntimeError(
                    f"{url} answered {answer.status_code}: {answer.text}"
                )

    async with httpx.AsyncClient(timeout=30, headers={"X-API-Key": key}) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
        return time.perf_counter() - started, latencies


async def fresh_database(name: str) -> str:
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def serve(
    command: list[str], env: dict[str, str], port: int
) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        command,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, timeout=60)
    return process


def report(label: str, seconds: float, latencies: list[float]) -> float:
    rate = REQUESTS / seconds
    p50 = statistics.median(latencies) * 1000
    p95 = statistics.quantiles(latencies, n=20)[18] * 1000
    print(f"{label:<10} {rate:8.0f} req/s   p50 {p50:6.1f} ms   p95 {p95:6.1f} ms")
    return rate


async def main() -> None:
    machine = f"{platform.machine()}, {os.cpu_count()} cores"
    print(f"machine: {machine}, Python {platform.python_version()}")
    print(f"load: {REQUESTS} requests, {CONCURRENCY} in flight\n")

    baseline_port, intake_port = free_port(), free_port()
    baseline_db = await fresh_database("ms_bench_baseline")
    intake_db = await fresh_database("ms_bench_intake")
    data_dir = tempfile.mkdtemp(prefix="ms-bench-")
    # Intake takes appeals only from a channel's key; the baseline ignores it.
    key = add_key(
        Path(data_dir) / "credentials.json",
        name="12345热线 (bench)",
        role=Role.CHANNEL,
        channel_id="hotline-12345",
    )
    broker = EmbeddedBroker().start()
    baseline = serve(
        [sys.executable, str(BASELINE)],
        {"BENCH_DATABASE_URL": baseline_db, "BENCH_PORT": str(baseline_port)},
        baseline_port,
    )
    intake = serve(
        [sys.executable, "-m", "minsheng_intake", "serve"],
        {
            "INTAKE_DATABASE_URL": intake_db,
            "INTAKE_PORT": str(intake_port),
            "MINSHENG_DATA_DIR": data_dir,
            "MINSHENG_LOG_LEVEL": "WARNING",
            # The per-caller budget would refuse the load itself.
            "INTAKE_RATE_LIMIT_PER_MINUTE": "1000000",
            "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
        },
        intake_port,
    )
    try:
        base_rate = report(
            "baseline", *await load(f"http://127.0.0.1:{baseline_port}/rows", key)
        )
        intake_rate = report(
            "intake",
            *await load(f"http://127.0.0.1:{intake_port}/v1/appeals", key),
        )
        print(f"\nintake / baseline throughput: {intake_rate / base_rate:.2f}")
    finally:
        for process in (baseline, intake):
            process.terminate()
            process.wait()
        broker.stop()


if __name__ == "__main__":
    asyncio.run(main())
