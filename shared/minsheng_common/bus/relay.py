"""The outbox relay: publishes a service's staged events in order, in batches."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common.bus.kafka import BrokerUnavailable, KafkaPublisher, OutgoingMessage
from minsheng_common.bus.relay_lock import RelayLock
from minsheng_common.bus.tables import inbox, outbox
from minsheng_common.clock import Clock
from minsheng_common.db import is_connection_error
from minsheng_common.metrics import ServiceMetrics

log = logging.getLogger(__name__)

_LOCK_RETRY_SECONDS = 1.0
_PURGE_EVERY = timedelta(minutes=10)


class OutboxRelay:
    """Moves events from the outbox to the broker.

    Only the replica holding the relay lock publishes, so events leave in the order
    they were staged. It wakes right after a commit that staged events and otherwise
    polls every `poll_interval` (at most 100 ms).
    """

    def __init__(
        self,
        *,
        service: str,
        sessions: async_sessionmaker[AsyncSession],
        publisher: KafkaPublisher,
        lock: RelayLock,
        clock: Clock,
        poll_interval: timedelta,
        batch_size: int,
        outbox_retention: timedelta,
        inbox_retention: timedelta,
        metrics: ServiceMetrics | None = None,
    ) -> None:
        self._service = service
        self._sessions = sessions
        self._publisher = publisher
        self._lock = lock
        self._clock = clock
        self._poll = poll_interval.total_seconds()
        self._batch_size = batch_size
        self._outbox_retention = outbox_retention
        self._inbox_retention = inbox_retention
        self._metrics = metrics
        self._wakeup = asyncio.Event()
        self.active = False
        self.published_total = 0

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self) -> None:
        """Wait for the lock, then publish until cancelled or the lock is lost."""
        while True:
            if not await self._lock.try_acquire():
                await asyncio.sleep(_LOCK_RETRY_SECONDS)
                continue
            log.info("outbox relay of %s is active", self._service)
            self._set_active(True)
            try:
                await self._publish_while_held()
            finally:
                self._set_active(False)
                await self._lock.release()

    def _set_active(self, active: bool) -> None:
        self.active = active
        if self._metrics is not None:
            self._metrics.relay_active.set(1 if active else 0)

    async def _publish_while_held(self) -> None:
        next_purge = self._clock.now()
        while await self._lock.still_held():
            try:
                sent = await self.publish_batch()
                if self._clock.now() >= next_purge:
                    await self.purge()
                    next_purge = self._clock.now() + _PURGE_EVERY
            except BrokerUnavailable as error:
                log.error(
                    "outbox of %s not published, retrying: %s", self._service, error
                )
                await asyncio.sleep(1.0)
                continue
            except Exception as error:
                if not is_connection_error(error):
                    raise
                log.error(
                    "outbox of %s: store unreachable, retrying: %r",
                    self._service,
                    error,
                )
                await asyncio.sleep(1.0)
                continue
            if sent < self._batch_size:
                await self._wait_for_work()
        log.warning("outbox relay of %s lost its lock; standing by", self._service)

    async def _wait_for_work(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), timeout=self._poll)
        self._wakeup.clear()

    async def publish_batch(self) -> int:
        """Publish the oldest unpublished events (one batch); return how many."""
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(
                        outbox.c.id,
                        outbox.c.topic,
                        outbox.c.key,
                        outbox.c.payload,
                        outbox.c.trace_id,
                        outbox.c.event_type,
                    )
                    .where(outbox.c.published_at.is_(None))
                    .order_by(outbox.c.id)
                    .limit(self._batch_size)
                )
            ).all()
            if not rows:
                return 0

            messages = [
                OutgoingMessage(
                    topic=row.topic,
                    key=row.key,
                    value=row.payload.encode("utf-8"),
                    headers=_headers(row.trace_id, row.event_type),
                )
                for row in rows
            ]
            await self._publisher.publish(messages)

            # Marked only after the broker has every message: a crash in between sends
            # them again, and consumers' inboxes drop the duplicates.
            await session.execute(
                update(outbox)
                .where(outbox.c.id.in_([row.id for row in rows]))
                .values(published_at=self._clock.now())
            )
            await session.commit()
        self.published_total += len(rows)
        if self._metrics is not None:
            self._metrics.count_published((row.topic, row.event_type) for row in rows)
        log.debug("%s published %d events", self._service, len(rows))
        return len(rows)

    async def purge(self) -> None:
        """Forget published events and applied ids older than their retention."""
        now = self._clock.now()
        async with self._sessions() as session:
            await session.execute(
                delete(outbox).where(
                    outbox.c.published_at < now - self._outbox_retention
                )
            )
            await session.execute(
                delete(inbox).where(inbox.c.applied_at < now - self._inbox_retention)
            )
            await session.commit()


def _headers(trace_id: str | None, event_type: str) -> list[tuple[str, bytes]]:
    headers = [("event_type", event_type.encode("utf-8"))]
    if trace_id:
        headers.append(("trace_id", trace_id.encode("utf-8")))
    return headers
