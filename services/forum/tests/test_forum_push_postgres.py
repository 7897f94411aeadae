"""Pushed posts on PostgreSQL: the replay record and the message's idempotency hold
when requests arrive at the same moment."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from minsheng_common.auth import webhooks
from minsheng_forum.models import ForumItem
from minsheng_forum.settings import ForumSettings

POST = {
    "message_id": "91001",
    "user_id": "A00099002",
    "title": "A市A1区夜间施工噪音扰民",
    "detail": "A1区某工地每晚施工到凌晨。",
    "posted_at": "2026-12-04T21:00:00",
    "category": "环境保护",
}


@pytest.fixture
def store_url(create_database: Callable[[str], str]) -> str:
    return create_database("forum-push")


def signed(secret: str, *, seconds: int = 0) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(POST).encode()
    timestamp = int((datetime.now(UTC) + timedelta(seconds=seconds)).timestamp())
    return raw, {
        "Content-Type": "application/json",
        webhooks.TIMESTAMP_HEADER: str(timestamp),
        webhooks.SIGNATURE_HEADER: webhooks.sign(secret, timestamp, raw),
    }


async def test_forum_simultaneous_replays_and_retries_store_one_item(
    app: FastAPI, anonymous: httpx.AsyncClient, settings: ForumSettings
) -> None:
    secret = settings.webhook_secret_list()[0]
    raw, headers = signed(secret)
    retry_raw, retry_headers = signed(secret, seconds=1)

    answers = await asyncio.gather(
        anonymous.post("/v1/posts", content=raw, headers=headers),
        anonymous.post("/v1/posts", content=raw, headers=headers),
        anonymous.post("/v1/posts", content=retry_raw, headers=retry_headers),
    )

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [202, 202, 409]
    ids = {answer.json()["id"] for answer in answers if answer.status_code == 202}
    assert len(ids) == 1
    async with app.state.runtime.sessions() as session:
        stored = await session.scalar(select(func.count()).select_from(ForumItem))
    assert stored == 1
