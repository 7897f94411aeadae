"""SLA's figures on /metrics: clocks due and not yet reached, clocks reached (the
deadlines fired), by kind (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from minsheng_common.clock import FixedClock
from minsheng_common.events import EventData
from minsheng_common.runtime import ServiceRuntime
from minsheng_common.timeutil import SHANGHAI
from minsheng_sla import watcher

DISPATCHED = datetime(2026, 12, 4, 17, 0, tzinfo=SHANGHAI)
SIGN_OFF_DUE = datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)


def sample(runtime: ServiceRuntime, name: str, **labels: str) -> float | None:
    text = runtime.metrics.exposition().decode()
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return float(found.value)
    return None


async def read_due(runtime: ServiceRuntime) -> None:
    """What a scrape does, without the pause between two scrapes."""
    async with runtime.sessions() as session:
        for sampler in runtime.samplers:
            await sampler(session, runtime.clock.now())


async def test_a_clock_past_due_is_due_until_the_watcher_reaches_it(
    deliver: Callable[[EventData], Awaitable[None]],
    make_dispatched: Callable[..., Any],
    make_runtime: Callable[..., ServiceRuntime],
    clock: FixedClock,
) -> None:
    await deliver(make_dispatched(created_at=DISPATCHED))
    runtime = make_runtime()

    await read_due(runtime)
    assert sample(runtime, "minsheng_sla_deadlines_due", kind="sign_off") == 0

    clock.advance(SIGN_OFF_DUE + timedelta(minutes=1) - clock.now())
    await read_due(runtime)
    assert sample(runtime, "minsheng_sla_deadlines_due", kind="sign_off") == 1
    assert sample(runtime, "minsheng_sla_deadlines_reached_total", kind="sign_off") == 0

    assert await watcher.scan_once(runtime, limit=10) == 1
    await read_due(runtime)

    assert sample(runtime, "minsheng_sla_deadlines_due", kind="sign_off") == 0
    assert sample(runtime, "minsheng_sla_deadlines_reached_total", kind="sign_off") == 1
    assert sample(runtime, "minsheng_sla_deadlines_reached_total", kind="handling") == 0
