"""Posts the forum pushes (POST /v1/posts): taken only with a valid signature made
inside the window of the real clock and never seen before, mapped like the replay,
and delivered to intake with the adapter's own key."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import func, select

from minsheng_common.adapters import receipts
from minsheng_common.auth import webhooks
from minsheng_common.clock import SharedClock
from minsheng_forum import webhook
from minsheng_forum.app import create_app
from minsheng_forum.models import ForumItem, WebhookReceipt
from minsheng_forum.settings import ForumSettings

Poll = Callable[..., Awaitable[None]]


def post(message_id: str = "90001", **changes: Any) -> dict[str, Any]:
    body = {
        "message_id": message_id,
        "user_id": "A00099001",
        "title": "A市A5区坑梓路灯坏了很久没人修",
        "detail": "A5区秀新社区门口的路灯坏了一个月，晚上很黑。",
        "posted_at": "2026-12-04T20:15:00+08:00",
        "category": "城乡建设",
    }
    body.update(changes)
    return body


def signed(
    body: dict[str, Any] | bytes, secret: str, *, at: datetime | None = None
) -> tuple[bytes, dict[str, str]]:
    """The raw body and the headers the forum sends with it."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    timestamp = int((at or datetime.now(UTC)).timestamp())
    return raw, {
        "Content-Type": "application/json",
        webhooks.TIMESTAMP_HEADER: str(timestamp),
        webhooks.SIGNATURE_HEADER: webhooks.sign(secret, timestamp, raw),
    }


@pytest.fixture
def secret(settings: ForumSettings) -> str:
    return settings.webhook_secret_list()[0]


async def push(
    client: httpx.AsyncClient, raw: bytes, headers: dict[str, str]
) -> httpx.Response:
    return await client.post("/v1/posts", content=raw, headers=headers)


async def count(app: FastAPI, model: Any) -> int:
    async with app.state.runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_forum_a_valid_push_is_delivered_with_the_adapters_key(
    app: FastAPI,
    anonymous: httpx.AsyncClient,
    client: httpx.AsyncClient,
    fake_intake: Any,
    poll: Poll,
    secret: str,
    settings: ForumSettings,
) -> None:
    await fake_intake.start()

    answer = await push(anonymous, *signed(post(), secret))

    assert answer.status_code == 202
    body = answer.json()
    assert body["message_id"] == "90001"
    assert body["status"] == "pending"
    assert body["duplicate"] is False

    async def delivered() -> bool:
        return bool((await client.get("/v1/stats")).json()["delivered"] == 1)

    await poll(delivered)
    [received] = fake_intake.received
    assert received.status == 201
    assert received.api_key == settings.intake_key()
    assert received.channel_ref == "90001"
    [item] = (await client.get("/v1/items")).json()["items"]
    assert item["id"] == body["id"]
    assert item["source"] == webhook.PUSH_SOURCE
    assert item["status"] == "delivered"
    assert item["appeal_id"] == "appeal-90001"


async def test_forum_a_pushed_post_is_mapped_like_the_replay(
    app: FastAPI, anonymous: httpx.AsyncClient, secret: str
) -> None:
    answer = await push(
        anonymous, *signed(post(detail="A5区\u202e路灯\u200b坏了"), secret)
    )

    async with app.state.runtime.sessions() as session:
        item = await session.get(ForumItem, answer.json()["id"])
    assert item is not None
    payload = item.payload
    assert payload["channel"] == "forum-people"
    assert payload["channel_ref"] == "90001"
    assert payload["title"] == "深圳市坪山区坑梓街道坑梓路灯坏了很久没人修"
    assert payload["content"] == "坑梓街道路灯坏了"
    assert payload["category_hint"] == "planning-construction"
    assert payload["type"] == "complaint"
    assert payload["contact"] == {"kind": "forum_account", "value": "A00099001"}
    assert item.posted_at == datetime(2026, 12, 4, 12, 15, tzinfo=UTC)
    assert datetime.fromisoformat(payload["received_at"]) == item.due_at


async def test_forum_a_tampered_body_is_refused(
    app: FastAPI, anonymous: httpx.AsyncClient, secret: str
) -> None:
    raw, headers = signed(post(), secret)
    tampered = raw.replace(b"90001", b"90002")

    answer = await push(anonymous, tampered, headers)

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "bad_signature"
    assert await count(app, ForumItem) == 0
    assert await count(app, WebhookReceipt) == 0


async def test_forum_a_push_signed_with_another_secret_is_refused(
    anonymous: httpx.AsyncClient,
) -> None:
    answer = await push(anonymous, *signed(post(), "x" * 40))

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "bad_signature"


@pytest.mark.parametrize("offset", [timedelta(minutes=-6), timedelta(minutes=6)])
async def test_forum_a_push_signed_outside_the_window_is_refused(
    app: FastAPI, anonymous: httpx.AsyncClient, secret: str, offset: timedelta
) -> None:
    stale = datetime.now(UTC) + offset

    answer = await push(anonymous, *signed(post(), secret, at=stale))

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "stale_request"
    assert await count(app, ForumItem) == 0


async def test_forum_a_replayed_push_is_refused(
    app: FastAPI, anonymous: httpx.AsyncClient, secret: str
) -> None:
    raw, headers = signed(post(), secret)

    first = await push(anonymous, raw, headers)
    again = await push(anonymous, raw, headers)

    assert first.status_code == 202
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "replayed_request"
    assert await count(app, ForumItem) == 1


async def test_forum_the_same_message_pushed_again_answers_its_first_item(
    app: FastAPI, anonymous: httpx.AsyncClient, secret: str
) -> None:
    first = await push(anonymous, *signed(post(), secret))
    # The forum retries after a lost answer: a new timestamp, a new signature.
    retry = await push(
        anonymous,
        *signed(post(), secret, at=datetime.now(UTC) + timedelta(seconds=2)),
    )

    assert retry.status_code == 202
    assert retry.json()["id"] == first.json()["id"]
    assert retry.json()["duplicate"] is True
    assert await count(app, ForumItem) == 1


async def test_forum_a_push_signed_with_the_previous_secret_is_taken(
    settings: ForumSettings, tmp_path: Path, keys: Any
) -> None:
    settings.webhook_secrets = SecretStr(f"{'n' * 40},{'o' * 40}")
    async with running(settings) as client:
        answer = await push(client, *signed(post(), "o" * 40))

    assert answer.status_code == 202


async def test_forum_a_signed_push_that_is_not_a_post_changes_nothing(
    app: FastAPI, anonymous: httpx.AsyncClient, secret: str
) -> None:
    raw, headers = signed(post(message_id="../../etc/passwd"), secret)

    answer = await push(anonymous, raw, headers)
    again = await push(anonymous, raw, headers)

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_post"
    assert answer.json()["error"]["field"] == "message_id"
    assert again.status_code == 422, "a refused body is not recorded as seen"
    assert await count(app, ForumItem) == 0
    assert await count(app, WebhookReceipt) == 0


async def test_forum_a_signed_push_of_invisible_text_is_refused(
    anonymous: httpx.AsyncClient, secret: str
) -> None:
    answer = await push(anonymous, *signed(post(title="\u200b\u202e "), secret))

    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "title"


async def test_forum_without_secrets_the_push_route_is_not_configured(
    settings: ForumSettings, keys: Any, secret: str
) -> None:
    settings.webhook_secrets = SecretStr("")
    async with running(settings) as client:
        answer = await push(client, *signed(post(), secret))

    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == "webhook_not_configured"


async def test_forum_the_window_is_the_real_clock_not_the_demo_clock(
    settings: ForumSettings, tmp_path: Path, keys: Any, secret: str
) -> None:
    clock = SharedClock(tmp_path / "clock.json")
    clock.advance(timedelta(days=30))
    settings.clock_file = clock.path
    async with running(settings) as client:
        on_time = await push(client, *signed(post(), secret))
        demo_time = await push(client, *signed(post("90002"), secret, at=clock.now()))

    assert on_time.status_code == 202
    assert demo_time.status_code == 401
    assert demo_time.json()["error"]["code"] == "stale_request"


async def test_forum_pushes_over_the_sources_budget_answer_429(
    settings: ForumSettings, keys: Any, secret: str
) -> None:
    settings.webhook_per_minute = 1
    async with running(settings) as client:
        first = await push(client, *signed(post("1"), secret))
        second = await push(client, *signed(post("2"), secret))
        unsigned = await push(client, *signed(post("3"), "x" * 40))

    assert first.status_code == 202
    assert second.status_code == 429
    assert second.json()["error"]["code"] == "rate_limited"
    assert int(second.headers["Retry-After"]) >= 1
    assert unsigned.status_code == 401, "the signature is checked before the budget"


async def test_forum_receipts_older_than_twice_the_window_are_purged(
    app: FastAPI,
) -> None:
    now = datetime.now(UTC)
    async with app.state.runtime.sessions() as session:
        for name, age in (("old", 11), ("edge", 9), ("new", 1)):
            session.add(
                WebhookReceipt(signature=name, received_at=now - timedelta(minutes=age))
            )
        await session.commit()

        forgotten = await receipts.purge(session, WebhookReceipt, now=now)
        await session.commit()
        kept = set(await session.scalars(select(WebhookReceipt.signature)))

    assert forgotten == 1
    assert kept == {"edge", "new"}


@pytest.mark.parametrize(
    ("intake_key", "secrets", "problem"),
    [
        ("", "p" * 40, "FORUM_INTAKE_API_KEY"),
        ("ms_k_s", "", "FORUM_WEBHOOK_SECRETS"),
        ("ms_k_s", "short", "FORUM_WEBHOOK_SECRETS"),
        ("ms_k_s", f"{'p' * 40},changeme", "FORUM_WEBHOOK_SECRETS"),
    ],
)
def test_forum_production_refuses_to_start_without_its_secrets(
    settings: ForumSettings, intake_key: str, secrets: str, problem: str
) -> None:
    settings.environment = "production"
    settings.token_secrets = "t" * 40
    settings.intake_api_key = SecretStr(intake_key)
    settings.webhook_secrets = SecretStr(secrets)

    with pytest.raises(ValueError, match=problem):
        create_app(settings)


@asynccontextmanager
async def running(settings: ForumSettings) -> AsyncIterator[httpx.AsyncClient]:
    """The adapter with `settings`, and a client without credentials."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://forum"
        ) as http:
            yield http
