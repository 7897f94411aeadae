"""The adapter calls intake with its own channel key. A 401 or 403 is the key's
fault, which an operator can fix: the item stays pending at the longest backoff and
a WARNING names the problem, never the key."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from minsheng_common.adapters.delivery import Backoff
from minsheng_common.adapters.errors import IntakeCredentialsRejected
from minsheng_forum import delivery
from minsheng_forum.models import ForumItem
from minsheng_forum.settings import ForumSettings

Poll = Callable[..., Awaitable[None]]
FAST = 1e12


async def head(client: httpx.AsyncClient) -> dict[str, Any]:
    items: list[dict[str, Any]] = (await client.get("/v1/items")).json()["items"]
    return items[0]


@pytest.mark.parametrize("refusal", [401, 403])
async def test_forum_a_refused_key_keeps_the_item_pending_until_it_is_fixed(
    client: httpx.AsyncClient,
    fake_intake: Any,
    poll: Poll,
    settings: ForumSettings,
    caplog: pytest.LogCaptureFixture,
    refusal: int,
) -> None:
    key = settings.intake_key()
    assert key is not None
    fake_intake.expected_key = "ms_other_key-intake-expects"
    fake_intake.key_refusal = refusal
    await fake_intake.start()
    caplog.set_level(logging.WARNING, logger="minsheng_forum.delivery")

    await client.post("/v1/replay", json={"compression": FAST, "limit": 2})

    async def tried(times: int) -> bool:
        return bool((await head(client))["attempts"] >= times)

    await poll(lambda: tried(3))
    item = await head(client)
    assert item["status"] == "pending"
    assert str(refusal) in item["last_error"]
    assert "forumtest1" in item["last_error"], "the key's public id is named"
    assert (await client.get("/v1/stats")).json()["refused"] == 0
    assert {r.status for r in fake_intake.received} == {refusal}
    assert len({r.channel_ref for r in fake_intake.received}) == 1, "the rest wait"
    # Only the delivery's warnings: the runtime may also warn that the broker is
    # not reachable yet, which says nothing of the key.
    warnings = [
        r
        for r in caplog.records
        if r.levelno == logging.WARNING and r.name == "minsheng_forum.delivery"
    ]
    assert warnings
    assert all("FORUM_INTAKE_API_KEY" in r.getMessage() for r in warnings)
    secret = key.split("_", 2)[2]
    assert all(secret not in r.getMessage() for r in caplog.records)

    # An operator fixes the credentials: intake takes the adapter's key again.
    fake_intake.expected_key = key

    async def delivered() -> bool:
        return bool((await client.get("/v1/stats")).json()["delivered"] == 2)

    await poll(delivered)
    assert (await head(client))["last_error"] is None
    assert all(r.api_key == key for r in fake_intake.received)


def test_forum_a_refused_key_waits_the_longest_backoff() -> None:
    now = datetime(2026, 12, 4, 8, tzinfo=UTC)
    item = ForumItem(id="i-1", message_id="24", attempts=0)
    backoff = Backoff(base_seconds=0.5, cap_seconds=30)
    error = IntakeCredentialsRejected("intake answered 401", answer_status=401)
    forum = delivery.make(asyncio.Event())

    values = forum.failed(item, error, attempts=1, now=now, backoff=backoff)

    assert values["status"] == "pending"
    assert values["next_attempt_at"] == now + timedelta(seconds=30)
    assert values["answer_status"] == 401


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("ms_abc123_s3cr3t-value", "key abc123 (FORUM_INTAKE_API_KEY)"),
        (None, "no key (FORUM_INTAKE_API_KEY is not set)"),
        ("not-a-key", "a key not shaped like a Minsheng key (FORUM_INTAKE_API_KEY)"),
    ],
)
def test_forum_the_key_is_named_by_its_id_only(
    settings: ForumSettings, key: str | None, label: str
) -> None:
    settings.intake_api_key = SecretStr(key or "")

    assert settings.intake_keys().for_channel("forum-people").label == label
