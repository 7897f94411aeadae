"""SLA's own figures on `/metrics`: clocks due and not yet reached (the watcher's
backlog, which stays near 0 while the watcher keeps up), clocks reached
(deadline.reached, the deadlines fired) and urgings sent (Art. 39), by kind."""

from __future__ import annotations

from datetime import datetime
from typing import get_args

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.events import (
    DeadlineKind,
    DeadlineReached,
    DeadlineUrged,
    EventData,
)
from minsheng_common.runtime import ServiceRuntime
from minsheng_sla.models import PENDING, Deadline

KINDS: tuple[str, ...] = get_args(DeadlineKind)


def install(runtime: ServiceRuntime) -> None:
    """Count what the watcher stages once it has committed, and read the clocks due
    at each scrape."""
    reached = runtime.metrics.counter(
        "minsheng_sla_deadlines_reached",
        "Deadlines fired: clocks that ran out (deadline.reached), by kind",
        ("kind",),
    )
    urged = runtime.metrics.counter(
        "minsheng_sla_urgings",
        "Units urged (deadline.urged, Art. 39), by kind and step",
        ("kind", "step"),
    )
    due = runtime.metrics.gauge(
        "minsheng_sla_deadlines_due",
        "Clocks past their due time that the watcher has not reached yet, by kind",
        ("kind",),
    )
    for kind in KINDS:
        reached.labels(kind)
        due.labels(kind).set(0)

    def count(data: EventData) -> None:
        if isinstance(data, DeadlineReached):
            reached.labels(data.kind).inc()
        elif isinstance(data, DeadlineUrged):
            urged.labels(data.kind, data.step).inc()

    async def sample_due(session: AsyncSession, now: datetime) -> None:
        # The watcher's own index on (status, due_at) answers this without a scan.
        rows = await session.execute(
            select(Deadline.kind, func.count())
            .where(Deadline.status == PENDING, Deadline.due_at <= now)
            .group_by(Deadline.kind)
        )
        waiting: dict[str, int] = {str(kind): int(n) for kind, n in rows.all()}
        for kind in KINDS:
            due.labels(kind).set(waiting.get(kind, 0))

    runtime.outbox.observe(count)
    runtime.add_sampler(sample_due)
