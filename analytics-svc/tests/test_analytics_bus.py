"""The running service reads every topic through the broker into its projection,
whatever topic an event arrives on and in whatever order."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from minsheng_analytics.app import create_app
from minsheng_analytics.settings import AnalyticsSettings
from minsheng_common.bus.kafka import KafkaPublisher, OutgoingMessage
from minsheng_common.events import seal


@pytest.fixture
async def live_app(
    broker: str, topic_prefix: str, tmp_path: Path, credentials: Any
) -> AsyncIterator[FastAPI]:
    settings = AnalyticsSettings(
        database_url=f"sqlite:///{tmp_path / 'analytics-live.db'}",
        data_dir=tmp_path,
        kafka_bootstrap_servers=broker,
        topic_prefix=topic_prefix,
        topic_partitions=1,
        environment="test",
    )
    application = create_app(settings)
    # The same data folder as the `credentials` fixture's: its keys work here.
    application.state.test_key = credentials.keys["dashboard"]
    async with application.router.lifespan_context(application):
        yield application


async def wait_for(
    client: httpx.AsyncClient, done: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        body: dict[str, Any] = (await client.get("/v1/kpis")).json()
        if done(body) or time.monotonic() > deadline:
            return body
        await asyncio.sleep(0.2)


def settled(body: dict[str, Any]) -> bool:
    totals = body["totals"]
    wechat = body["by_channel"].get("wechat", {})
    return (
        totals["received"] == totals["filed"] == totals["signed_manual"] == 1
        and totals["acceptance_notices_sent"] == 1
        and wechat.get("dispatched") == 1
    )


async def test_analytics_consumer_projects_events_from_every_topic(
    live_app: FastAPI, broker: str, topic_prefix: str, story: Callable[..., Any]
) -> None:
    appeal = story("a-1", channel="wechat")
    # The later topics first: notices and deadlines before the appeal is filed.
    steps = list(reversed(appeal.full_life()))
    publisher = KafkaPublisher(broker, client_id="analytics-test")
    await publisher.start()
    try:
        await publisher.publish(
            [
                OutgoingMessage(
                    topic=f"{topic_prefix}{data.topic}",
                    key=data.key(),
                    value=seal(data, producer="test", occurred_at=at).to_bytes(),
                )
                for data, at in steps
            ]
        )
    finally:
        await publisher.stop()

    transport = httpx.ASGITransport(app=live_app)
    headers = {"X-API-Key": live_app.state.test_key}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://a", headers=headers
    ) as client:
        # Topics arrive in their own time: wait for the whole final state, not one
        # part of it.
        consumer = live_app.state.runtime.event_consumers[0]
        body = await wait_for(
            client, lambda body: settled(body) and consumer.stats.applied == len(steps)
        )

    assert body["totals"]["received"] == 1
    assert body["totals"]["filed"] == 1
    assert body["totals"]["signed_manual"] == 1
    assert body["totals"]["acceptance_notices_sent"] == 1
    assert body["by_channel"]["wechat"]["dispatched"] == 1
    assert consumer.stats.applied == len(steps)
    assert consumer.stats.dead_lettered == 0
