"""The AI + video adapter on a fresh store; the video platform's snapshot server
and intake itself, both over real HTTP on loopback, which the tests start when
they need them."""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Response

from minsheng_aivideo.app import create_app
from minsheng_aivideo.settings import AivideoSettings
from minsheng_common.adapters import push
from minsheng_common.devstack.loopback import LoopbackServer

# The fixtures shared by every adapter's tests, registered here by their names.
from tests.adapter_support import (
    LoopbackIntake,
    anonymous_fixture,  # noqa: F401
    client_fixture,  # noqa: F401
    delivery_settings,
    intake_fixture,  # noqa: F401
    poll_fixture,  # noqa: F401
    role_keys,
    running,
)

WEBHOOK_SECRET = "v" * 40
PUBLIC_URL = "http://aivideo.test"
DUTY_PHONE = "0755-28339260"


def png(red: int, green: int = 0, blue: int = 0, *, side: int = 4) -> bytes:
    """A real PNG picture of one colour, as a camera's snapshot."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes((red, green, blue)) * side
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * side))
        + chunk(b"IEND", b"")
    )


@dataclass
class SnapshotServer:
    """The platform's snapshot server: serves what `pictures` holds, counts every
    request, and can be made to answer 404 for chosen names."""

    pictures: dict[str, bytes] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    server: LoopbackServer = field(init=False)

    def __post_init__(self) -> None:
        self.server = LoopbackServer(self.app)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/snapshots/{name}")
        async def snapshot(name: str) -> Response:
            self.requests.append(name)
            if name not in self.pictures:
                return Response(status_code=404)
            return Response(self.pictures[name], media_type="image/png")

        return app

    def url(self, name: str) -> str:
        return f"{self.server.url}/snapshots/{name}"

    def picture(self, name: str, content: bytes) -> str:
        """Serve `content` as `name`; its URL."""
        self.pictures[name] = content
        return self.url(name)


@dataclass
class Platform:
    """What the video platform does: sign a detection and push it."""

    client: httpx.AsyncClient
    snapshots: SnapshotServer

    def detection(self, detection_id: str = "D-1", **changes: Any) -> dict[str, Any]:
        """Street vending seen at camera PS-0012 with a picture of its own."""
        body: dict[str, Any] = {
            "detection_id": detection_id,
            "camera_id": "PS-0012",
            "kind": "street_vending",
            "snapshot_url": self.snapshots.picture(
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
async def snapshots() -> AsyncIterator[SnapshotServer]:
    """The platform's snapshot server, listening."""
    server = SnapshotServer()
    await server.server.start()
    yield server
    await server.server.stop()


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
def keys(settings: AivideoSettings) -> dict[str, str]:
    """A key for every role in the credentials file the adapter reads."""
    return role_keys(settings.credentials_path(), channel="ai-video")


@pytest.fixture
async def app(
    settings: AivideoSettings, keys: dict[str, str]
) -> AsyncIterator[FastAPI]:
    async with running(create_app(settings)) as application:
        yield application


@pytest.fixture
def base_url() -> str:
    return PUBLIC_URL


@pytest.fixture
def platform(anonymous: httpx.AsyncClient, snapshots: SnapshotServer) -> Platform:
    """The video platform, pushing without credentials but with its signature."""
    return Platform(anonymous, snapshots)


@pytest.fixture
def platform_of(snapshots: SnapshotServer) -> Callable[[httpx.AsyncClient], Platform]:
    """The video platform pushing through another client (another app's)."""
    return lambda client: Platform(client, snapshots)
