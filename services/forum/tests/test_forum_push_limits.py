"""A pushed post intake would refuse for its length is refused at once (422
`too_long`, with the field) and nothing is stored; the limits are intake's and are
stated in the OpenAPI. Nothing of the citizen's (the account, the text) is logged."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from minsheng_common.auth import webhooks
from minsheng_forum.app import create_app
from minsheng_forum.models import ForumItem, WebhookReceipt
from minsheng_forum.settings import ForumSettings

ACCOUNT = "A00099001"
DETAIL = "秀新社区门口的路灯坏了一个月，晚上很黑。"


def signed_post(secret: str, **changes: Any) -> tuple[bytes, dict[str, str]]:
    body = {
        "message_id": "91001",
        "user_id": ACCOUNT,
        "title": "坑梓路灯坏了很久没人修",
        "detail": DETAIL,
        "posted_at": "2026-12-04T20:15:00+08:00",
        "category": "城乡建设",
        **changes,
    }
    raw = json.dumps(body).encode()
    timestamp = int(datetime.now(UTC).timestamp())
    return raw, {
        "Content-Type": "application/json",
        webhooks.TIMESTAMP_HEADER: str(timestamp),
        webhooks.SIGNATURE_HEADER: webhooks.sign(secret, timestamp, raw),
    }


@pytest.fixture
def secret(settings: ForumSettings) -> str:
    return settings.webhook_secret_list()[0]


async def stored(app: FastAPI, model: Any) -> int:
    async with app.state.runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize(
    ("field", "value"), [("title", "路" * 201), ("detail", "灯" * 5001)]
)
async def test_forum_a_post_longer_than_intake_takes_is_refused_and_not_stored(
    app: FastAPI, anonymous: httpx.AsyncClient, secret: str, field: str, value: str
) -> None:
    raw, headers = signed_post(secret, **{field: value})

    answer = await anonymous.post("/v1/posts", content=raw, headers=headers)
    again = await anonymous.post("/v1/posts", content=raw, headers=headers)

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "too_long"
    assert answer.json()["error"]["field"] == field
    assert again.status_code == 422, "a refused post is not recorded as seen"
    assert await stored(app, ForumItem) == 0
    assert await stored(app, WebhookReceipt) == 0


async def test_forum_a_post_at_intakes_limits_is_taken(
    anonymous: httpx.AsyncClient, secret: str
) -> None:
    raw, headers = signed_post(secret, title="路" * 200, detail="灯" * 5000)

    answer = await anonymous.post("/v1/posts", content=raw, headers=headers)

    assert answer.status_code == 202


async def test_forum_the_limits_are_counted_as_intake_receives_the_text(
    anonymous: httpx.AsyncClient, secret: str
) -> None:
    # "A市" becomes a longer name before it reaches intake.
    raw, headers = signed_post(secret, title="A市" + "路" * 198)

    answer = await anonymous.post("/v1/posts", content=raw, headers=headers)

    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "title"


async def test_forum_the_limits_follow_the_settings_and_the_openapi_states_them(
    settings: ForumSettings, secret: str
) -> None:
    settings.max_title_chars = 5
    raw, headers = signed_post(secret, title="路" * 6)

    application = create_app(settings)
    async with (
        application.router.lifespan_context(application),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://forum"
        ) as http,
    ):
        answer = await http.post("/v1/posts", content=raw, headers=headers)
        schema = (await http.get("/openapi.json")).text

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "too_long"
    assert "FORUM_MAX_TITLE_CHARS characters (200 by default" in schema
    assert "FORUM_MAX_DETAIL_CHARS characters (5000 by default" in schema
    assert "too_long" in schema


def test_forum_the_default_limits_are_intakes() -> None:
    settings = ForumSettings()
    assert (settings.max_title_chars, settings.max_detail_chars) == (200, 5000)


async def test_forum_pushes_log_neither_the_account_nor_the_text(
    anonymous: httpx.AsyncClient, secret: str, caplog: pytest.LogCaptureFixture
) -> None:
    raw, headers = signed_post(secret)
    long_raw, long_headers = signed_post(
        secret, message_id="91002", detail=DETAIL * 300
    )

    with caplog.at_level(logging.DEBUG):
        taken = await anonymous.post("/v1/posts", content=raw, headers=headers)
        refused = await anonymous.post(
            "/v1/posts", content=long_raw, headers=long_headers
        )

    ours = "\n".join(
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("minsheng")
    )
    assert (taken.status_code, refused.status_code) == (202, 422)
    assert "91001" in ours
    assert "91002" in ours
    assert ACCOUNT not in ours
    assert "路灯" not in ours
