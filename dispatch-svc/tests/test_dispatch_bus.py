"""Dispatch wired to a real broker: appeal.filed on the appeals topic becomes a work
order whose work_order.dispatched reaches the work-orders topic, and a sign-off
deadline.reached on the deadlines topic signs it by default."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from minsheng_common.auth.provisioning import add_key
from minsheng_common.auth.roles import Role
from minsheng_common.bus.kafka import KafkaPublisher, OutgoingMessage, ensure_topics
from minsheng_common.events import (
    AppealFiled,
    DeadlineReached,
    EventData,
    TopicNames,
    open_envelope,
    seal,
)
from minsheng_common.events import topics as topic_names
from minsheng_dispatch.app import create_app
from minsheng_dispatch.settings import DispatchSettings

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T | None]], *, within: float = 30.0
) -> T:
    """Poll `probe` until it returns something, or fail after `within` seconds."""
    async with asyncio.timeout(within):
        while True:
            found = await probe()
            if found is not None:
                return found
            await asyncio.sleep(0.1)


@pytest.fixture
async def client(
    tmp_path: Path, broker: str, topic_prefix: str
) -> AsyncIterator[httpx.AsyncClient]:
    settings = DispatchSettings(
        database_url=f"sqlite:///{tmp_path / 'dispatch.db'}",
        kafka_bootstrap_servers=broker,
        topic_prefix=topic_prefix,
        topic_partitions=1,
        data_dir=tmp_path,
    )
    key = add_key(settings.credentials_path(), name="operator", role=Role.OPERATOR)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://d", headers={"X-API-Key": key}
        ) as c:
            yield c


async def publish(
    broker: str, topics: TopicNames, data: EventData, *, occurred_at: datetime
) -> None:
    """Put one event on its topic, as its producing service's relay would."""
    envelope = seal(data, producer="test", occurred_at=occurred_at)
    publisher = KafkaPublisher(broker, client_id="dispatch-test")
    await publisher.start()
    try:
        await publisher.publish(
            [
                OutgoingMessage(
                    topic=topics.name(data.topic),
                    key=envelope.key,
                    value=envelope.to_bytes(),
                )
            ]
        )
    finally:
        await publisher.stop()


async def published_types(broker: str, topic: str, count: int) -> list[str]:
    """The types of the first `count` events on `topic`."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=broker, auto_offset_reset="earliest"
    )
    await consumer.start()
    seen: list[str] = []
    try:
        async with asyncio.timeout(30):
            while len(seen) < count:
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    seen += [open_envelope(r.value).type for r in records]
    finally:
        await consumer.stop()
    return seen


async def test_filed_appeal_becomes_an_order_then_is_signed_by_default(
    client: httpx.AsyncClient,
    broker: str,
    topic_prefix: str,
    appeal_filed: Callable[..., AppealFiled],
    deadline_reached: Callable[..., DeadlineReached],
) -> None:
    topics = TopicNames(topic_prefix)
    await ensure_topics(broker, topics.all_with_dead_letters(), partitions=1)
    data = appeal_filed(appeal_id="appeal-bus")

    await publish(broker, topics, data, occurred_at=data.filed_at)

    async def order() -> dict[str, Any] | None:
        response = await client.get(
            "/v1/work-orders", params={"appeal_id": "appeal-bus"}
        )
        items: list[dict[str, Any]] = response.json()["items"]
        return items[0] if items else None

    dispatched = await eventually(order)
    reached = deadline_reached(dispatched["id"], appeal_id="appeal-bus")
    await publish(broker, topics, reached, occurred_at=reached.reached_at)

    async def signed() -> dict[str, Any] | None:
        found = await order()
        return found if found and found["status"] == "signed" else None

    auto = await eventually(signed)
    assert dispatched["unit_id"] == "cgj"
    assert auto["sign_mode"] == "auto"
    assert await published_types(broker, topics.name(topic_names.WORK_ORDERS), 2) == [
        "work_order.dispatched",
        "work_order.signed",
    ]
