"""SLA wired to a real broker: a work_order.dispatched published on the work-orders
topic starts both clocks, and their deadline.set events reach the deadlines topic."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI

from minsheng_common.bus.kafka import KafkaPublisher, OutgoingMessage
from minsheng_common.clock import SharedClock
from minsheng_common.events import TopicNames, open_envelope, seal
from minsheng_common.events import topics as topic_names
from minsheng_common.timeutil import SHANGHAI
from minsheng_sla.app import create_app
from minsheng_sla.settings import SlaSettings

DISPATCHED = datetime(2026, 12, 4, 17, 0, tzinfo=SHANGHAI)


@pytest.fixture
async def app(
    broker: str, topic_prefix: str, tmp_path: Path, api_keys: dict[str, str]
) -> AsyncIterator[FastAPI]:
    clock = SharedClock(tmp_path / "clock.json")
    clock.set_now(DISPATCHED)
    settings = SlaSettings(
        database_url=f"sqlite:///{tmp_path / 'sla.db'}",
        data_dir=tmp_path,
        kafka_bootstrap_servers=broker,
        topic_prefix=topic_prefix,
        environment="test",
        clock_file=clock.path,
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


async def publish(broker: str, topic: str, value: bytes, key: str) -> None:
    publisher = KafkaPublisher(broker, client_id="test-dispatch")
    await publisher.start()
    try:
        await publisher.publish([OutgoingMessage(topic=topic, key=key, value=value)])
    finally:
        await publisher.stop()


async def read_deadline_events(
    broker: str, topic: str, count: int, *, within: float = 20.0
) -> list[dict[str, Any]]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=broker, auto_offset_reset="earliest"
    )
    await consumer.start()
    found: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(within):
            while len(found) < count:
                batch = await consumer.getmany(timeout_ms=200)
                for records in batch.values():
                    found.extend(
                        open_envelope(record.value).model_dump(mode="json")
                        for record in records
                    )
    finally:
        await consumer.stop()
    return found


async def test_sla_a_dispatched_work_order_from_the_broker_gets_its_deadlines(
    app: FastAPI,
    broker: str,
    topic_prefix: str,
    make_dispatched: Callable[..., Any],
    eventually: Callable[..., Awaitable[None]],
    api_keys: dict[str, str],
) -> None:
    topics = TopicNames(topic_prefix)
    event = make_dispatched(created_at=DISPATCHED)
    envelope = seal(event, producer="dispatch", occurred_at=DISPATCHED)
    transport = httpx.ASGITransport(app=app)

    await publish(
        broker, topics.name(topic_names.WORK_ORDERS), envelope.to_bytes(), event.key()
    )

    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://sla",
        headers={"X-API-Key": api_keys["operator"]},
    ) as client:

        async def both_set() -> bool:
            answer = await client.get("/v1/work-orders/wo-1/deadlines")
            return answer.status_code == 200 and len(answer.json()) == 2

        await eventually(both_set, within=30)

    announced = await read_deadline_events(
        broker, topics.name(topic_names.DEADLINES), 2
    )
    assert sorted(e["data"]["kind"] for e in announced) == ["handling", "sign_off"]
    assert {e["type"] for e in announced} == {"deadline.set"}
    assert {e["key"] for e in announced} == {event.appeal_id}
    assert {e["producer"] for e in announced} == {"sla"}
