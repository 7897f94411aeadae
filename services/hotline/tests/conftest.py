"""The hotline adapter on a fresh store, and intake itself served over real HTTP on
loopback (its own store, kept across a stop and a start), which the tests start
when they need it. Each line has its own signing secret and its own key for
intake."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from minsheng_common.adapters import push
from minsheng_hotline.app import create_app
from minsheng_hotline.settings import LINES, HotlineSettings, channel_of

# The fixtures shared by every adapter's tests, registered here by their names.
from tests.adapter_support import (
    LoopbackIntake,
    anonymous_fixture,  # noqa: F401
    app_fixture,  # noqa: F401
    client_fixture,  # noqa: F401
    delivery_settings,
    intake_fixture,  # noqa: F401
    keys_fixture,  # noqa: F401
    poll_fixture,  # noqa: F401
)

BASE_URL = "http://hotline"
SECRETS = {line: f"{line}-".ljust(40, "s") for line in LINES}
"""Each line's signing secret."""


def record(call_id: str = "C20261204-0001", **changes: Any) -> dict[str, Any]:
    """A call record as the 12345 centre's agent entered it."""
    body: dict[str, Any] = {
        "call_id": call_id,
        "caller_number": "13800138000",
        "called_at": "2026-12-04T09:30:00+08:00",
        "agent": "A1023",
        "summary": "市民来电反映坪山街道东门路夜市占道经营，晚上十点后噪音很大。"
        "请尽快处理。",
        "type": "投诉",
        "category": "市容环卫/占道经营",
        "address": "深圳市坪山区坪山街道东门路12号",
        "recording_url": "https://rec.12345.example/2026/12/04/C20261204-0001.mp3",
    }
    body.update(changes)
    return body


@dataclass
class CallCentre:
    """What a line's call centre does: sign a record with the line's secret and
    push it to the adapter."""

    client: httpx.AsyncClient

    def record(self, call_id: str = "C20261204-0001", **changes: Any) -> dict[str, Any]:
        return record(call_id, **changes)

    def signed(
        self,
        body: dict[str, Any] | bytes,
        line: str = "12345",
        *,
        at: datetime | None = None,
        secret: str | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """The raw body and the headers sent with it."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        key = secret or SECRETS[line]
        return raw, push.signed_headers(key, raw, at=at or datetime.now(UTC))

    async def send(
        self, raw: bytes, headers: dict[str, str], line: str = "12345"
    ) -> httpx.Response:
        return await self.client.post(
            f"/v1/lines/{line}/calls", content=raw, headers=headers
        )

    async def push(
        self, body: dict[str, Any], line: str = "12345", **options: Any
    ) -> httpx.Response:
        return await self.send(*self.signed(body, line, **options), line=line)


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hotline.db'}"


@pytest.fixture
def settings(store_url: str, tmp_path: Path, intake: LoopbackIntake) -> HotlineSettings:
    return HotlineSettings(
        **delivery_settings(store_url, tmp_path / "hotline", intake),
        line_secrets={line: SecretStr(secret) for line, secret in SECRETS.items()},
        intake_api_keys={
            line: SecretStr(intake.channel_key(channel_of(line))) for line in LINES
        },
    )


@pytest.fixture
def channel() -> str:
    return "hotline-12345"


@pytest.fixture
def app_factory() -> Callable[[HotlineSettings], FastAPI]:
    return create_app


@pytest.fixture
def base_url() -> str:
    return BASE_URL


@pytest.fixture
def centre(anonymous: httpx.AsyncClient) -> CallCentre:
    """The call centres, pushing without credentials but with their signature."""
    return CallCentre(anonymous)


@pytest.fixture
def centre_of() -> Callable[[httpx.AsyncClient], CallCentre]:
    """The call centres pushing through another client (another app's)."""
    return CallCentre
