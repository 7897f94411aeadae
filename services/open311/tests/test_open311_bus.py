"""The running server reads intake's, dispatch's and sla's events through the
broker into its own projection: a request filed here learns its id, its unit and
its handling deadline from the bus, whatever order the topics arrive in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from minsheng_common.bus.kafka import KafkaPublisher, OutgoingMessage
from minsheng_common.events import (
    AppealFiled,
    AppealReceived,
    DeadlineSet,
    EventData,
    WorkOrderDispatched,
    seal,
)
from minsheng_common.timeutil import SHANGHAI
from minsheng_open311.app import create_app
from minsheng_open311.settings import Open311Settings

Poll = Callable[..., Awaitable[None]]


@pytest.fixture
async def live_app(
    broker: str,
    topic_prefix: str,
    settings: Open311Settings,
    keys: dict[str, str],
) -> AsyncIterator[FastAPI]:
    settings.kafka_bootstrap_servers = broker
    settings.topic_prefix = topic_prefix
    settings.topic_partitions = 1
    settings.post_wait_seconds = 0
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


async def publish(
    broker: str, prefix: str, steps: list[tuple[EventData, datetime]]
) -> None:
    publisher = KafkaPublisher(broker, client_id="open311-test")
    await publisher.start()
    try:
        await publisher.publish(
            [
                OutgoingMessage(
                    topic=f"{prefix}{data.topic}",
                    key=data.key(),
                    value=seal(data, producer="test", occurred_at=at).to_bytes(),
                )
                for data, at in steps
            ]
        )
    finally:
        await publisher.stop()


async def test_open311_progress_arrives_through_the_broker(
    live_app: FastAPI,
    broker: str,
    topic_prefix: str,
    keys: dict[str, str],
    valid_form: dict[str, str],
    poll: Poll,
) -> None:
    transport = httpx.ASGITransport(app=live_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://o") as http:
        # Intake is not running: the request waits, and its events tell the rest.
        filed = await http.post(
            "/requests.json", data={**valid_form, "api_key": keys["channel"]}
        )
        token = filed.json()[0]["token"]
        at = datetime.now(UTC) - timedelta(minutes=5)
        due = datetime(2026, 3, 11, 18, 0, tzinfo=SHANGHAI)
        appeal, code = "b7c1a0e2-0000-4000-8000-000000000001", "PS20260302660001"
        steps: list[tuple[EventData, datetime]] = [
            # Later topics first: the deadline and the order before the appeal.
            (
                DeadlineSet(
                    deadline_id="dl-1",
                    work_order_id="wo-1",
                    appeal_id=appeal,
                    unit_id="cgj",
                    kind="handling",
                    starts_at=at,
                    due_at=due,
                    provisional=False,
                    article="Art. 15",
                    period="7 working days",
                    rules_edition="4",
                ),
                at,
            ),
            (
                WorkOrderDispatched(
                    work_order_id="wo-1",
                    appeal_id=appeal,
                    tracking_code=code,
                    unit_id="cgj",
                    appeal_type="complaint",
                    filed_at=at,
                    created_at=at,
                    dispatched_at=at + timedelta(minutes=1),
                    route_basis="category",
                    rules_edition="4",
                ),
                at,
            ),
            (
                AppealReceived(
                    appeal_id=appeal,
                    tracking_code=code,
                    channel="open311",
                    channel_ref=token,
                    appeal_type="complaint",
                    received_at=at,
                ),
                at,
            ),
            (
                AppealFiled(
                    appeal_id=appeal,
                    tracking_code=code,
                    channel="open311",
                    appeal_type="complaint",
                    title="t",
                    content="c",
                    received_at=at,
                    filed_at=at,
                    contact_kind="phone",
                    contact_encrypted="opaque",
                ),
                at,
            ),
        ]
        await publish(broker, topic_prefix, steps)

        async def followed() -> bool:
            answer = await http.get(f"/requests/{code}.json")
            if answer.status_code != 200:
                return False
            entry: dict[str, Any] = answer.json()[0]
            return entry["agency_responsible"] == "区城市管理和综合执法局"

        await poll(followed, within=60)
        [entry] = (await http.get(f"/requests/{code}.json")).json()

    assert entry["status"] == "open"
    assert entry["status_notes"] == "已分派至区城市管理和综合执法局办理"
    assert entry["expected_datetime"] == "2026-03-11T18:00:00+08:00"
    consumer = live_app.state.runtime.event_consumers[0]
    assert consumer.stats.applied == len(steps)
    assert consumer.stats.dead_lettered == 0
