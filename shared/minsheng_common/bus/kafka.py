"""The Kafka side of the bus: a publisher and topic creation, on aiokafka.

Neither the idempotent producer nor transactions are used: the outbox and the inbox
give effect-exactly-once on top of plain at-least-once delivery.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from minsheng_common.errors import Unavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingMessage:
    topic: str
    key: str
    value: bytes
    headers: list[tuple[str, bytes]] = field(default_factory=list)


class BrokerUnavailable(Unavailable):
    """The broker did not take a message; it stays in the outbox and is retried."""

    code = "broker_unavailable"


class KafkaPublisher:
    """Sends messages to the broker and waits until the broker has them."""

    def __init__(self, bootstrap_servers: str, *, client_id: str) -> None:
        self._bootstrap = bootstrap_servers
        self._client_id = client_id
        self._producer: AIOKafkaProducer | None = None

    @property
    def started(self) -> bool:
        return self._producer is not None

    async def start(self) -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            client_id=self._client_id,
            acks="all",
            enable_idempotence=False,
            linger_ms=2,
            request_timeout_ms=10_000,
        )
        try:
            await producer.start()
        except KafkaError as error:
            await producer.stop()
            raise BrokerUnavailable(f"broker {self._bootstrap} unreachable") from error
        self._producer = producer

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        """Send all messages, in order per partition, and return once all are stored."""
        if self._producer is None:
            raise BrokerUnavailable("the publisher is not connected")
        try:
            pending = [
                await self._producer.send(
                    message.topic,
                    message.value,
                    key=message.key.encode("utf-8"),
                    headers=message.headers,
                )
                for message in messages
            ]
            await asyncio.gather(*pending)
        except KafkaError as error:
            raise BrokerUnavailable(f"publishing failed: {error!r}") from error


async def ensure_topics(
    bootstrap_servers: str, names: Sequence[str], *, partitions: int
) -> None:
    """Create the topics that do not exist yet (each with `partitions` partitions)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    try:
        await admin.start()
    except KafkaError as error:
        await admin.close()
        raise BrokerUnavailable(f"broker {bootstrap_servers} unreachable") from error
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in names if name not in existing]
        if missing:
            new = [NewTopic(name, partitions, 1) for name in missing]
            try:
                await admin.create_topics(new)
            except TopicAlreadyExistsError:
                log.debug("topics created concurrently by another service: %s", missing)
            log.info("created topics %s with %d partitions", missing, partitions)
    finally:
        await admin.close()
