"""Reading back everything a run left where personal data must not be: logs, every
event on the bus, and the exports and pages analytics serves."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

from minsheng_common.devstack.stack import Stack
from minsheng_common.events import TopicNames


@dataclass(frozen=True)
class Finding:
    where: str
    value: str


def scan(texts: Iterable[tuple[str, str]], secrets: Iterable[str]) -> list[Finding]:
    """Every (place, secret) pair where a secret appears in clear."""
    wanted = [value for value in secrets if value]
    return [
        Finding(where, value)
        for where, text in texts
        for value in wanted
        if value in text
    ]


def log_texts(stack: Stack) -> list[tuple[str, str]]:
    logs = stack.data_dir / "logs"
    return [
        (f"log {path.name}", path.read_text(encoding="utf-8", errors="replace"))
        for path in sorted(logs.glob("*.log"))
    ]


def event_texts(stack: Stack) -> list[tuple[str, str]]:
    """Every message on every topic of the stack's prefix, dead letters included."""
    prefix = stack.common_env.get("MINSHENG_TOPIC_PREFIX", "")
    topics = TopicNames(prefix).all_with_dead_letters()
    return asyncio.run(_read_topics(stack.bootstrap_servers, topics))


async def _read_topics(bootstrap: str, topics: list[str]) -> list[tuple[str, str]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()  # fetches metadata for every topic
        partitions = [
            TopicPartition(topic, number)
            for topic in topics
            for number in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        texts: list[tuple[str, str]] = []
        remaining = {p for p in partitions if ends[p] > 0}
        async with asyncio.timeout(60):
            while remaining:
                batch = await consumer.getmany(*remaining, timeout_ms=500)
                for partition, records in batch.items():
                    for record in records:
                        body = (record.value or b"").decode("utf-8", "replace")
                        texts.append((f"event {partition.topic}", body))
                        if record.offset + 1 >= ends[partition]:
                            remaining.discard(partition)
        return texts
    finally:
        await consumer.stop()
