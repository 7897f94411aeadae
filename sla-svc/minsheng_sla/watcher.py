"""The watcher: finds clocks that have run out and says so (deadline.reached).

Every replica may run it. Each pass claims a batch in one transaction with
`FOR UPDATE SKIP LOCKED`, marks it reached and stages the events in that same
transaction, so a clock is reached once however many watchers look at it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import cast

from minsheng_common.db import is_connection_error
from minsheng_common.runtime import ServiceRuntime
from minsheng_sla import service
from minsheng_sla.settings import SlaSettings

log = logging.getLogger(__name__)


async def watch_deadlines(runtime: ServiceRuntime) -> None:
    """Reach due clocks every `SLA_SCAN_INTERVAL_MS`, comparing with the runtime's
    clock (a demo clock moved forward reaches clocks at once)."""
    settings = cast(SlaSettings, runtime.settings)
    interval = settings.scan_interval_ms / 1000
    batch = settings.scan_batch_size
    log.info(
        "sla watching deadlines every %d ms, %d at a time",
        settings.scan_interval_ms,
        batch,
    )
    while True:
        try:
            reached = await scan_once(runtime, limit=batch)
        except Exception as error:
            if not is_connection_error(error):
                raise
            log.error("deadline watcher: store unreachable (%r); trying again", error)
            reached = 0
        # A full batch means more may be waiting: look again at once.
        if reached < batch:
            await asyncio.sleep(interval)


async def scan_once(runtime: ServiceRuntime, *, limit: int) -> int:
    """One pass: reach up to `limit` due clocks in one transaction; how many."""
    async with runtime.sessions() as session, session.begin():
        reached = await service.reach_due(
            session=session,
            outbox=runtime.outbox,
            now=runtime.clock.now(),
            limit=limit,
        )
    return len(reached)
