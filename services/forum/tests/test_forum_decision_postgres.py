"""On PostgreSQL, through the forum's migrations (0003 widens the column): intake's
longest decision, pending_classification, is recorded on the delivered item and
counted, where before the write failed and the item was sent again and again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

Poll = Callable[..., Awaitable[None]]
FAST = 1e12  # the rows due within a millisecond


@pytest.fixture
def store_url(create_database: Callable[[str], str]) -> str:
    return create_database("forum-decision")


async def test_forum_records_a_pending_classification_decision(
    client: httpx.AsyncClient, fake_intake: Any, poll: Poll
) -> None:
    fake_intake.decision = "pending_classification"
    await fake_intake.start()

    await client.post("/v1/replay", json={"compression": FAST, "limit": 3})

    async def all_delivered() -> bool:
        stats = (await client.get("/v1/stats")).json()
        return bool(stats["total"] == stats["delivered"] == 3)

    await poll(all_delivered)
    items = (await client.get("/v1/items")).json()["items"]
    assert [item["decision"] for item in items] == ["pending_classification"] * 3
    assert all(item["attempts"] == 1 for item in items), "each written at once"
    stats = (await client.get("/v1/stats")).json()
    assert stats["by_decision"]["pending_classification"] == 3
