"""The consumer loop: read events, apply each once, commit offsets afterwards."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common.bus import inbox
from minsheng_common.bus.kafka import KafkaPublisher, OutgoingMessage
from minsheng_common.clock import Clock
from minsheng_common.db import is_connection_error
from minsheng_common.errors import MinshengError
from minsheng_common.events import Envelope, EventData, open_envelope, read
from minsheng_common.events.envelope import UnreadableEvent
from minsheng_common.metrics import ServiceMetrics
from minsheng_common.tracing import current_trace_id

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, Envelope, Any], Awaitable[None]]

# An unexpected error (a bug, not an outage) is retried a few times, then the event is
# dead-lettered so the partition keeps moving; an outage is retried until it ends.
_UNEXPECTED_ATTEMPTS = 3
_RETRY_SECONDS = 1.0


@dataclass
class ConsumerStats:
    applied: int = 0
    duplicates: int = 0
    ignored: int = 0
    dead_lettered: int = 0
    by_topic: dict[str, int] = field(default_factory=dict)


class EventConsumer:
    """Applies events from `topics` with `handlers` (event type → coroutine).

    Each event is applied in one database transaction together with its inbox row,
    and the partition's offset is committed only after that transaction: a crash at
    any point means the event is read again, and the inbox turns the second reading
    into a no-op. Messages that cannot be read or applied go to `<topic>.dlq`.
    """

    def __init__(
        self,
        *,
        name: str,
        group_id: str,
        topics: Sequence[str],
        bootstrap_servers: str,
        sessions: async_sessionmaker[AsyncSession],
        handlers: Mapping[str, Handler],
        publisher: KafkaPublisher,
        clock: Clock,
        metrics: ServiceMetrics | None = None,
    ) -> None:
        self.name = name
        self._group_id = group_id
        self._topics = list(topics)
        self._bootstrap = bootstrap_servers
        self._sessions = sessions
        self._handlers = dict(handlers)
        self._publisher = publisher
        self._clock = clock
        self._metrics = metrics
        self._live: AIOKafkaConsumer | None = None
        self.stats = ConsumerStats()
        self.running = False

    @property
    def group_id(self) -> str:
        return self._group_id

    @property
    def topics(self) -> list[str]:
        return list(self._topics)

    async def redeliver(self, record: ConsumerRecord[Any, Any]) -> None:
        """Apply a message once more as if just read (a re-driven dead letter): the
        inbox drops it if it was applied meanwhile, and it is dead-lettered again
        if it still fails."""
        await self._process(record)

    async def run(self) -> None:
        """Consume until cancelled; reconnects when the broker goes away."""
        while True:
            consumer = AIOKafkaConsumer(
                *self._topics,
                bootstrap_servers=self._bootstrap,
                group_id=self._group_id,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                max_poll_records=200,
            )
            try:
                await consumer.start()
            except KafkaError as error:
                log.error("consumer %s cannot reach the broker: %r", self.name, error)
                await consumer.stop()
                await asyncio.sleep(_RETRY_SECONDS)
                continue
            log.info(
                "consumer %s reading %s as %s", self.name, self._topics, self._group_id
            )
            self.running = True
            self._live = consumer
            try:
                await self._poll(consumer)
            except KafkaError as error:
                log.error(
                    "consumer %s lost the broker: %r; reconnecting", self.name, error
                )
            finally:
                self.running = False
                self._live = None
                await consumer.stop()
            await asyncio.sleep(_RETRY_SECONDS)

    async def _poll(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batch = await consumer.getmany(timeout_ms=500, max_records=200)
            for partition, records in batch.items():
                for record in records:
                    await self._process(record)
                await self._commit(consumer, partition, records[-1].offset + 1)

    async def _commit(
        self, consumer: AIOKafkaConsumer, partition: TopicPartition, offset: int
    ) -> None:
        try:
            await consumer.commit({partition: offset})
        except CommitFailedError as error:
            # The partition moved to another member; it re-reads from the last
            # committed offset and the inbox drops what was already applied.
            log.warning(
                "consumer %s could not commit %s: %r", self.name, partition, error
            )

    async def _process(self, record: ConsumerRecord[Any, Any]) -> None:
        try:
            envelope = open_envelope(record.value)
        except UnreadableEvent as error:
            await self._dead_letter(record, error)
            return

        handler = self._handlers.get(envelope.type)
        if handler is None:
            self.stats.ignored += 1
            self._count(record, envelope.type, "ignored")
            return

        try:
            data = read(envelope)
        except UnreadableEvent as error:
            await self._dead_letter(record, error)
            return

        token = current_trace_id.set(envelope.trace_id)
        try:
            await self._apply_with_retries(record, envelope, data, handler)
        finally:
            current_trace_id.reset(token)

    async def _apply_with_retries(
        self,
        record: ConsumerRecord[Any, Any],
        envelope: Envelope,
        data: EventData,
        handler: Handler,
    ) -> None:
        unexpected = 0
        while True:
            try:
                applied = await self.apply(record, envelope, data, handler)
            except MinshengError as error:
                if error.retriable:
                    log.error(
                        "event %s: %s; retrying", envelope.event_id, error.message
                    )
                    await asyncio.sleep(_RETRY_SECONDS)
                    continue
                await self._dead_letter(record, error)
                return
            except Exception as error:
                if is_connection_error(error):
                    log.error(
                        "event %s: store unreachable (%r); retrying",
                        envelope.event_id,
                        error,
                    )
                    await asyncio.sleep(_RETRY_SECONDS)
                    continue
                unexpected += 1
                if unexpected < _UNEXPECTED_ATTEMPTS:
                    log.exception(
                        "event %s failed (attempt %d); retrying",
                        envelope.event_id,
                        unexpected,
                    )
                    await asyncio.sleep(_RETRY_SECONDS)
                    continue
                await self._dead_letter(record, error)
                return
            if applied:
                self.stats.applied += 1
                topic_count = self.stats.by_topic.get(record.topic, 0)
                self.stats.by_topic[record.topic] = topic_count + 1
                self._count(record, envelope.type, "applied")
            else:
                self.stats.duplicates += 1
                self._count(record, envelope.type, "duplicate")
                log.debug("event %s already applied; skipped", envelope.event_id)
            return

    def _count(
        self, record: ConsumerRecord[Any, Any], event_type: str | None, outcome: str
    ) -> None:
        if self._metrics is not None:
            self._metrics.count_consumed(record.topic, event_type, outcome)

    async def lag(self) -> dict[tuple[str, int], int]:
        """How far the group's committed offsets are behind the end of each
        partition this replica holds; empty while it is not connected. A partition
        the group never committed on counts from its first offset.

        The end is the broker's answer or the high-water mark of the last fetch,
        whichever is further: the embedded broker answers a batch's first offset
        instead of the partition's end when records were sent together."""
        consumer = self._live
        if consumer is None:
            return {}
        partitions = sorted(consumer.assignment())
        if not partitions:
            return {}
        ends = await consumer.end_offsets(partitions)
        firsts = await consumer.beginning_offsets(partitions)
        behind: dict[tuple[str, int], int] = {}
        for partition in partitions:
            committed = await consumer.committed(partition)
            start = firsts[partition] if committed is None else committed
            end = max(ends[partition], consumer.highwater(partition) or 0)
            behind[(partition.topic, partition.partition)] = max(end - start, 0)
        return behind

    async def apply(
        self,
        record: ConsumerRecord[Any, Any],
        envelope: Envelope,
        data: EventData,
        handler: Handler,
    ) -> bool:
        """Apply one event in one transaction; False when it had been applied before."""
        async with self._sessions() as session, session.begin():
            # The inbox row goes in first, in the same transaction as the change: both
            # commit or neither does, and a concurrent duplicate waits on this row.
            claimed = await inbox.claim(
                session,
                envelope,
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
                applied_at=self._clock.now(),
            )
            if not claimed:
                return False
            await handler(session, envelope, data)
        return True

    async def _dead_letter(
        self, record: ConsumerRecord[Any, Any], error: BaseException
    ) -> None:
        reason = (
            error.code if isinstance(error, MinshengError) else type(error).__name__
        )
        log.warning(
            "dead-lettering %s[%d]@%d: %s",
            record.topic,
            record.partition,
            record.offset,
            error,
        )
        headers = [
            *(record.headers or ()),
            ("dlq_reason", reason.encode("utf-8")),
            ("dlq_error", str(error)[:1000].encode("utf-8")),
            (
                "dlq_source",
                f"{record.topic}/{record.partition}/{record.offset}".encode(),
            ),
            ("dlq_consumer", self._group_id.encode("utf-8")),
        ]
        key = record.key.decode("utf-8", "replace") if record.key else ""
        message = OutgoingMessage(
            topic=f"{record.topic}.dlq",
            key=key,
            value=record.value or b"",
            headers=headers,
        )
        while True:
            try:
                await self._publisher.publish([message])
                break
            except MinshengError as publish_error:
                # Without the dead letter the offset must not move: keep trying.
                log.error("dead-letter publish failed: %s; retrying", publish_error)
                await asyncio.sleep(_RETRY_SECONDS)
        self.stats.dead_lettered += 1
        if self._metrics is not None:
            self._metrics.dead_lettered.labels(record.topic, reason).inc()
            self._count(record, _header(record, "event_type"), "dead_lettered")


def _header(record: ConsumerRecord[Any, Any], name: str) -> str | None:
    for key, value in record.headers or ():
        if key == name:
            return bytes(value).decode("utf-8", "replace")
    return None
