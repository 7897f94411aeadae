"""The AI + video adapter on a fresh store; the video platform's snapshot server
and intake itself, both over real HTTP on loopback, which the tests start when
they need them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from minsheng_aivideo.app import create_app
from minsheng_aivideo.settings import AivideoSettings
from minsheng_common.adapters import push

# The fixtures shared by every adapter's tests, registered here by their names.
from tests.adapter_support import (
    LoopbackIntake,
    PictureServer,
    anonymous_fixture,  # noqa: F401
    app_fixture,  # noqa: F401
    client_fixture,  # noqa: F401
    delivery_settings,
    intake_fixture,  # noqa: F401
    keys_fixture,  # noqa: F401
    png,
    poll_fixture,  # noqa: F401
    serving_pictures,
)

WEBHOOK_SECRET = "v" * 40
PUBLIC_URL = "http://aivideo.test"
DUTY_PHONE = "0755-28339260"


@dataclass
class Platform:
    """What the video platform does: sign a detection and push it."""

    client: httpx.AsyncClient
    snapshots: PictureServer

    def detection(self, detection_id: str = "D-1", **changes: Any) -> dict[str, Any]:
        """Street vending seen at camera PS-0012 with a picture of its own."""
        body: dict[str, Any] = {
            "detection_id": detection_id,
            "camera_id": "PS-0012",
            "kind": "street_vending",
            "snapshot_url": self.snapshots.serve(
                f"{detection_id}.png", png(len(self.snapshots.pictures) % 256, 80)
            ),
            "latitude": 22.7085,
            "longitude": 114.3464,
            "confidence": 0.93,
            "detected_at": "2026-12-04T19:30:00+08:00",
            "address": "深圳市坪山区坪山街道东门路与人民街交叉口",
        }
        body.update(changes)
        return body

    def signed(
        self,
        body: dict[str, Any] | bytes,
        *,
        at: datetime | None = None,
        secret: str = WEBHOOK_SECRET,
    ) -> tuple[bytes, dict[str, str]]:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return raw, push.signed_headers(secret, raw, at=at or datetime.now(UTC))

    async def send(self, raw: bytes, headers: dict[str, str]) -> httpx.Response:
        return await self.client.post("/v1/detections", content=raw, headers=headers)

    async def push(self, body: dict[str, Any], **options: Any) -> httpx.Response:
        return await self.send(*self.signed(body, **options))


@pytest.fixture
async def snapshots() -> AsyncIterator[PictureServer]:
    """The platform's snapshot server, listening."""
    async with serving_pictures("snapshots") as host:
        yield host


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'aivideo.db'}"


@pytest.fixture
def settings(store_url: str, tmp_path: Path, intake: LoopbackIntake) -> AivideoSettings:
    return AivideoSettings(
        **delivery_settings(store_url, tmp_path / "aivideo", intake),
        intake_api_key=intake.channel_key("ai-video"),
        webhook_secrets=WEBHOOK_SECRET,
        public_url=PUBLIC_URL,
        duty_contact=DUTY_PHONE,
        snapshot_timeout_seconds=2.0,
    )


@pytest.fixture
def channel() -> str:
    return "ai-video"


@pytest.fixture
def app_factory() -> Callable[[AivideoSettings], FastAPI]:
    return create_app


@pytest.fixture
def base_url() -> str:
    return PUBLIC_URL


@pytest.fixture
def platform(anonymous: httpx.AsyncClient, snapshots: PictureServer) -> Platform:
    """The video platform, pushing without credentials but with its signature."""
    return Platform(anonymous, snapshots)


@pytest.fixture
def platform_of(snapshots: PictureServer) -> Callable[[httpx.AsyncClient], Platform]:
    """The video platform pushing through another client (another app's)."""
    return lambda client: Platform(client, snapshots)
