"""Re-driving the dead-letter topics: each message a service's consumer set aside is
given to that same consumer again, once the cause is fixed (a bug deployed away, a
contract added).

The message is not published back to its topic: every other service reads that topic
too, and a message they had also dead-lettered would come back to each of them as
many times as services re-drive it. Here only the consumer that dead-lettered it
sees it again, with its original topic, partition and offset, so its inbox drops it
if it was applied meanwhile, and a message that still fails is dead-lettered anew.
What has been re-driven is remembered as the committed offsets of the service's own
re-drive group on the dead-letter topics, so a second run starts after the first.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from minsheng_common.bus.consumer import EventConsumer
from minsheng_common.bus.kafka import BrokerUnavailable
from minsheng_common.events import open_envelope
from minsheng_common.events.envelope import UnreadableEvent

log = logging.getLogger(__name__)

DEAD_LETTER_HEADERS = ("dlq_reason", "dlq_error", "dlq_source", "dlq_consumer")


@dataclass(frozen=True)
class DeadLetter:
    """One message of a dead-letter topic, as an operator reads it (no payload)."""

    topic: str
    partition: int
    offset: int
    event_type: str
    reason: str
    consumer: str
    source: str


@dataclass
class RedriveReport:
    """What one run did: messages given back to their consumer, messages of other
    services' consumers left alone, and what the consumers made of them."""

    redriven: list[DeadLetter] = field(default_factory=list)
    skipped: int = 0
    applied: int = 0
    duplicates: int = 0
    ignored: int = 0
    dead_lettered_again: int = 0

    def summary(self, *, dry_run: bool) -> str:
        if dry_run:
            return (
                f"{len(self.redriven)} dead letters would be re-driven, "
                f"{self.skipped} belong to other services"
            )
        return (
            f"{len(self.redriven)} dead letters re-driven: {self.applied} applied, "
            f"{self.duplicates} already applied, {self.ignored} ignored, "
            f"{self.dead_lettered_again} dead-lettered again; "
            f"{self.skipped} belong to other services"
        )


async def redrive(
    *,
    bootstrap_servers: str,
    consumers: Sequence[EventConsumer],
    group_id: str,
    topics: Iterable[str] | None = None,
    dry_run: bool = False,
) -> RedriveReport:
    """Give every message that `consumers` dead-lettered on `topics` (prefixed names;
    default every topic they read) back to the consumer that set it aside. Messages
    that arrive on the dead-letter topics during the run, such as those that fail
    again, wait for the next run. `dry_run` lists them and changes nothing."""
    by_group = {consumer.group_id: consumer for consumer in consumers}
    wanted = set(topics) if topics is not None else None
    dead_letter_topics = sorted(
        {
            f"{topic}.dlq"
            for consumer in consumers
            for topic in consumer.topics
            if wanted is None or topic in wanted
        }
    )
    report = RedriveReport()
    if not dead_letter_topics:
        return report

    before = _stats(consumers)
    reader = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    try:
        await reader.start()
    except KafkaError as error:
        await reader.stop()
        raise BrokerUnavailable(f"broker {bootstrap_servers} unreachable") from error
    try:
        partitions = await _partitions(reader, dead_letter_topics)
        if partitions:
            await _read_to_end(reader, partitions, by_group, report, dry_run=dry_run)
    finally:
        await reader.stop()

    after = _stats(consumers)
    report.applied = after[0] - before[0]
    report.duplicates = after[1] - before[1]
    report.ignored = after[2] - before[2]
    report.dead_lettered_again = after[3] - before[3]
    return report


async def _partitions(
    reader: AIOKafkaConsumer, topics: Sequence[str]
) -> list[TopicPartition]:
    existing = await reader.topics()
    return [
        TopicPartition(topic, partition)
        for topic in topics
        if topic in existing
        for partition in sorted(reader.partitions_for_topic(topic) or ())
    ]


async def _read_to_end(
    reader: AIOKafkaConsumer,
    partitions: list[TopicPartition],
    by_group: dict[str, EventConsumer],
    report: RedriveReport,
    *,
    dry_run: bool,
) -> None:
    reader.assign(partitions)
    batch = await reader.getmany(*partitions, timeout_ms=1000)
    # The end as it was before anything was re-driven: what fails again during the
    # run lands past it and waits for the next run. The first fetch's high-water
    # mark backs up the broker's answer, which the embedded broker gets wrong for
    # records that were sent together.
    answered = await reader.end_offsets(partitions)
    ends = {tp: max(answered[tp], reader.highwater(tp) or 0) for tp in partitions}
    while True:
        for partition, records in batch.items():
            for record in records:
                if record.offset >= ends[partition]:
                    break
                await _redrive_one(record, by_group, report, dry_run=dry_run)
                if not dry_run:
                    await reader.commit({partition: record.offset + 1})
        pending = [tp for tp in partitions if await reader.position(tp) < ends[tp]]
        if not pending:
            return
        batch = await reader.getmany(*pending, timeout_ms=1000)


async def _redrive_one(
    record: ConsumerRecord[Any, Any],
    by_group: dict[str, EventConsumer],
    report: RedriveReport,
    *,
    dry_run: bool,
) -> None:
    headers = {
        key: bytes(value).decode("utf-8", "replace")
        for key, value in record.headers or ()
    }
    consumer = by_group.get(headers.get("dlq_consumer", ""))
    if consumer is None:
        report.skipped += 1
        return
    letter = DeadLetter(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        event_type=headers.get("event_type") or _event_type(record),
        reason=headers.get("dlq_reason", "?"),
        consumer=consumer.group_id,
        source=headers.get("dlq_source", ""),
    )
    report.redriven.append(letter)
    if dry_run:
        return
    log.info(
        "re-driving %s[%d]@%d (%s, %s) to %s",
        letter.topic,
        letter.partition,
        letter.offset,
        letter.event_type,
        letter.reason,
        letter.consumer,
    )
    await consumer.redeliver(_as_originally_read(record, letter))


def _as_originally_read(
    record: ConsumerRecord[Any, Any], letter: DeadLetter
) -> ConsumerRecord[Any, Any]:
    """The message as the consumer first read it: its topic, partition and offset
    (the inbox keeps them), without the dead-letter headers, which a second failure
    adds afresh."""
    topic, partition, offset = letter.topic.removesuffix(".dlq"), -1, -1
    parts = letter.source.rsplit("/", 2)
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        topic, partition, offset = parts[0], int(parts[1]), int(parts[2])
    headers = [
        (key, value)
        for key, value in record.headers or ()
        if key not in DEAD_LETTER_HEADERS
    ]
    return ConsumerRecord(
        topic=topic,
        partition=partition,
        offset=offset,
        timestamp=record.timestamp,
        timestamp_type=record.timestamp_type,
        key=record.key,
        value=record.value,
        checksum=None,
        serialized_key_size=record.serialized_key_size,
        serialized_value_size=record.serialized_value_size,
        headers=headers,
    )


def _event_type(record: ConsumerRecord[Any, Any]) -> str:
    """The type the message says it is, for the listing; `?` if unreadable."""
    try:
        return open_envelope(record.value).type
    except UnreadableEvent:
        return "?"


def _stats(consumers: Sequence[EventConsumer]) -> tuple[int, int, int, int]:
    return (
        sum(c.stats.applied for c in consumers),
        sum(c.stats.duplicates for c in consumers),
        sum(c.stats.ignored for c in consumers),
        sum(c.stats.dead_lettered for c in consumers),
    )
