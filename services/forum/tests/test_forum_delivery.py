"""Delivery to intake over real HTTP on loopback: in order, exactly once, through an
outage; refusals kept and never retried; the duplicate message answered by intake's
idempotency (Art. 4, 5)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from minsheng_common.clock import SharedClock
from minsheng_forum import sample, schedule
from minsheng_forum.app import create_app
from minsheng_forum.settings import ForumSettings

Poll = Callable[..., Awaitable[None]]
FAST = 1e12  # the whole sample due within a millisecond


async def listed(client: httpx.AsyncClient, **query: Any) -> list[dict[str, Any]]:
    answer = await client.get("/v1/items", params={"limit": 500, **query})
    found: list[dict[str, Any]] = answer.json()["items"]
    return found


def posted_order() -> list[schedule.Dated]:
    messages = sample.read(sample.packaged_path())
    dated = [schedule.Dated(message, message.posted_at()) for message in messages]
    return schedule.in_posted_order(dated)


async def stats(client: httpx.AsyncClient) -> dict[str, Any]:
    body: dict[str, Any] = (await client.get("/v1/stats")).json()
    return body


async def test_an_outage_loses_nothing_and_keeps_the_order(
    client: httpx.AsyncClient, fake_intake: Any, poll: Poll
) -> None:
    await client.post("/v1/replay", json={"compression": FAST, "limit": 20})
    order = [item["message_id"] for item in await listed(client)]

    async def head_tried(times: int) -> bool:
        head = (await listed(client))[0]
        return bool(head["attempts"] >= times)

    # Intake down: nothing listens on its port.
    await poll(lambda: head_tried(2))
    assert (await stats(client))["delivered"] == 0

    # Intake up but unavailable: 503 answers.
    fake_intake.mode = "unavailable"
    await fake_intake.start()
    await poll(lambda: len(fake_intake.received) >= 2)
    assert (await stats(client))["delivered"] == 0

    # Intake back.
    fake_intake.mode = "accepting"

    async def all_delivered() -> bool:
        return bool((await stats(client))["delivered"] == 20)

    await poll(all_delivered)
    unavailable = [r.channel_ref for r in fake_intake.received if r.status == 503]
    assert set(unavailable) == {order[0]}, "items behind the head waited"
    accepted = fake_intake.accepted()
    assert [r.channel_ref for r in accepted] == order
    new = Counter(r.channel_ref for r in accepted if r.status == 201)
    assert all(count == 1 for count in new.values())
    assert len(new) == 19  # 20 rows, 37042 twice
    items = await listed(client)
    assert all(item["status"] == "delivered" and item["appeal_id"] for item in items)
    assert items[0]["attempts"] > 2
    assert items[0]["last_error"] is None
    assert (await stats(client))["pending"] == 0


async def test_a_refused_appeal_is_kept_and_never_retried(
    client: httpx.AsyncClient, fake_intake: Any, poll: Poll
) -> None:
    order = [dated.message.message_id for dated in posted_order()[:5]]
    fake_intake.refuse = {order[1]}
    await fake_intake.start()
    await client.post("/v1/replay", json={"compression": FAST, "limit": 5})

    async def settled() -> bool:
        return bool((await stats(client))["pending"] == 0)

    await poll(settled)
    assert [i["message_id"] for i in await listed(client)] == order
    refused = await listed(client, status="refused")
    assert [item["message_id"] for item in refused] == [order[1]]
    assert refused[0]["attempts"] == 1
    assert "content too long" in refused[0]["last_error"]
    assert refused[0]["appeal_id"] is None
    sent_refused = [r for r in fake_intake.received if r.channel_ref == order[1]]
    assert len(sent_refused) == 1
    assert (await stats(client))["refused"] == 1
    assert (await stats(client))["delivered"] == 4, "the queue moved on"


async def test_an_item_is_sent_only_when_due_on_the_demo_clock(
    settings: ForumSettings,
    fake_intake: Any,
    poll: Poll,
    tmp_path: Path,
    operator: dict[str, str],
) -> None:
    clock = SharedClock(tmp_path / "clock.json")
    settings.clock_file = clock.path
    await fake_intake.start()
    application = create_app(settings)

    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://f", headers=operator
        ) as http:
            # The first two messages were posted 20 days apart: 17 s at 100 000×.
            await http.post("/v1/replay", json={"compression": 100_000, "limit": 3})

            async def delivered(count: int) -> bool:
                return bool((await stats(http))["delivered"] == count)

            await poll(lambda: delivered(1))
            waiting = await listed(http, status="pending")
            assert len(waiting) == 2
            assert len(fake_intake.received) == 1

            clock.advance(timedelta(days=1))
            await poll(lambda: delivered(3))
            assert len(fake_intake.received) == 3


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'forum.db'}"
    create_database: Callable[[str], str] = request.getfixturevalue("create_database")
    return create_database("forum")


async def test_the_whole_sample_is_delivered_and_the_twin_is_already_received(
    app: FastAPI, client: httpx.AsyncClient, fake_intake: Any, poll: Poll
) -> None:
    await fake_intake.start()

    report = (await client.post("/v1/replay", json={"compression": FAST})).json()

    async def settled() -> bool:
        return bool((await stats(client))["pending"] == 0)

    await poll(settled, within=60)
    assert report["scheduled"] == 495
    twins = [r for r in fake_intake.received if r.channel_ref == "37042"]
    assert [r.status for r in twins] == [201, 200]
    items = [i for i in await listed(client) if i["message_id"] == "37042"]
    assert [i["already_received"] for i in items] == [False, True]
    assert items[0]["appeal_id"] == items[1]["appeal_id"]
    assert items[0]["tracking_code"] == items[1]["tracking_code"]
    counts = await stats(client)
    assert counts["delivered"] == 495
    assert counts["already_received"] == 1
    answers = fake_intake.first_answers.values()
    filed = sum(1 for answer in answers if answer["decision"]["status"] == "filed")
    assert counts["by_decision"] == {"filed": filed, "rejected": 494 - filed}
    assert len(fake_intake.received) == 495
