"""Detections the video platform pushes (POST /v1/detections): taken only with a
valid signature made inside the window of the real clock and never seen before; a
body that is not a detection answers 422 with the field at fault; a snapshot that
cannot be had refuses the push and stores nothing; a low-confidence detection is
recorded, not delivered."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import func, select

from minsheng_aivideo.app import create_app
from minsheng_aivideo.models import (
    Snapshot,
    VideoAppeal,
    VideoDetection,
    WebhookReceipt,
)
from minsheng_aivideo.settings import AivideoSettings
from tests.adapter_support import client_of, running


async def count(app: FastAPI, model: Any) -> int:
    async with app.state.runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def nothing_stored(app: FastAPI) -> bool:
    counts = [
        await count(app, model)
        for model in (VideoAppeal, VideoDetection, Snapshot, WebhookReceipt)
    ]
    return counts == [0, 0, 0, 0]


async def test_aivideo_a_signed_detection_opens_an_appeal(
    app: FastAPI, platform: Any
) -> None:
    answer = await platform.push(platform.detection("D-1"))

    assert answer.status_code == 202
    body = answer.json()
    assert body["detection_id"] == "D-1"
    assert body["outcome"] == "opened"
    assert body["appeal_item"]
    assert body["duplicate"] is False
    assert await count(app, VideoAppeal) == 1


async def test_aivideo_a_tampered_body_is_refused(app: FastAPI, platform: Any) -> None:
    raw, headers = platform.signed(platform.detection())

    answer = await platform.send(raw.replace(b"0.93", b"0.99"), headers)

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "bad_signature"
    assert await nothing_stored(app)
    assert platform.snapshots.requests == [], "nothing fetched for a bad signature"


async def test_aivideo_a_detection_signed_with_another_secret_is_refused(
    platform: Any,
) -> None:
    answer = await platform.push(platform.detection(), secret="x" * 40)

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "bad_signature"


@pytest.mark.parametrize("offset", [timedelta(minutes=-6), timedelta(minutes=6)])
async def test_aivideo_a_detection_signed_outside_the_window_is_refused(
    app: FastAPI, platform: Any, offset: timedelta
) -> None:
    answer = await platform.push(platform.detection(), at=datetime.now(UTC) + offset)

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "stale_request"
    assert await nothing_stored(app)


async def test_aivideo_a_replayed_detection_is_refused(
    app: FastAPI, platform: Any
) -> None:
    raw, headers = platform.signed(platform.detection())

    first = await platform.send(raw, headers)
    again = await platform.send(raw, headers)

    assert first.status_code == 202
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "replayed_request"
    assert await count(app, VideoDetection) == 1


async def test_aivideo_the_same_detection_pushed_again_answers_its_first_outcome(
    app: FastAPI, platform: Any
) -> None:
    body = platform.detection("D-7")
    first = await platform.push(body)
    retry = await platform.push(body, at=datetime.now(UTC) + timedelta(seconds=2))

    assert retry.status_code == 202
    assert retry.json() == {**first.json(), "duplicate": True}
    assert await count(app, VideoDetection) == 1
    assert await count(app, VideoAppeal) == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "ufo_landing"}, "kind"),
        ({"confidence": 1.5}, "confidence"),
        ({"latitude": 91}, "latitude"),
        ({"snapshot_url": "ftp://cams/1.png"}, "snapshot_url"),
        ({"snapshot_url": None}, "snapshot_url"),
        ({"camera_id": "PS 0012; drop"}, "camera_id"),
        ({"detected_at": "2099-01-01T00:00:00+08:00"}, "detected_at"),
    ],
)
async def test_aivideo_a_malformed_detection_is_refused_with_its_field(
    app: FastAPI, platform: Any, changes: dict[str, Any], field: str
) -> None:
    body = platform.detection(**changes)
    body = {key: value for key, value in body.items() if value is not None}

    answer = await platform.push(body)

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_detection"
    assert answer.json()["error"]["field"] == field
    assert await nothing_stored(app)


async def test_aivideo_a_low_confidence_detection_is_recorded_not_delivered(
    app: FastAPI, platform: Any, client: httpx.AsyncClient
) -> None:
    answer = await platform.push(platform.detection("D-low", confidence=0.41))

    assert answer.status_code == 202
    assert answer.json()["outcome"] == "ignored"
    assert answer.json()["appeal_item"] is None
    assert platform.snapshots.requests == [], "its snapshot is not fetched"
    assert await count(app, VideoAppeal) == 0
    [recorded] = (await client.get("/v1/detections?outcome=ignored")).json()["items"]
    assert recorded["detection_id"] == "D-low"
    assert recorded["confidence"] == 0.41
    assert recorded["snapshot_url"] is None
    assert (await client.get("/v1/stats")).json()["total"] == 0


async def test_aivideo_the_threshold_itself_is_confident_enough(
    app: FastAPI, platform: Any
) -> None:
    answer = await platform.push(platform.detection("D-edge", confidence=0.6))

    assert answer.json()["outcome"] == "opened"


async def test_aivideo_a_snapshot_its_server_does_not_give_refuses_the_push(
    app: FastAPI, platform: Any
) -> None:
    body = platform.detection(snapshot_url=platform.snapshots.url("gone.png"))

    answer = await platform.push(body)

    assert answer.status_code == 502
    assert answer.json()["error"]["code"] == "snapshot_unavailable"
    assert answer.json()["error"]["field"] == "snapshot_url"
    assert "404" in answer.json()["error"]["message"]
    assert await nothing_stored(app)
    # The platform pushes again once the picture is there: it is taken.
    platform.snapshots.serve("gone.png", platform.snapshots.pictures["D-1.png"])
    again = await platform.push(body, at=datetime.now(UTC) + timedelta(seconds=1))
    assert again.status_code == 202


async def test_aivideo_a_snapshot_server_that_is_down_refuses_the_push(
    app: FastAPI, platform: Any
) -> None:
    body = platform.detection()
    await platform.snapshots.server.stop()

    answer = await platform.push(body)

    assert answer.status_code == 502
    assert answer.json()["error"]["code"] == "snapshot_unavailable"
    assert await nothing_stored(app)


async def test_aivideo_a_snapshot_that_is_no_picture_is_refused(
    app: FastAPI, platform: Any
) -> None:
    url = platform.snapshots.serve("page.png", b"<html>login first</html>")

    answer = await platform.push(platform.detection(snapshot_url=url))

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "snapshot_not_an_image"
    assert answer.json()["error"]["field"] == "snapshot_url"
    assert await nothing_stored(app)


async def test_aivideo_a_snapshot_too_large_is_refused(
    settings: AivideoSettings, keys: Any, platform_of: Any
) -> None:
    settings.snapshot_max_bytes = 2048
    async with (
        running(create_app(settings)) as application,
        client_of(application, "http://v") as http,
    ):
        platform = platform_of(http)
        big = platform.snapshots.serve("big.png", b"\x89PNG\r\n\x1a\n" + b"0" * 4096)
        answer = await platform.push(platform.detection(snapshot_url=big))

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "snapshot_too_large"


async def test_aivideo_a_snapshot_on_a_host_not_allowed_is_not_fetched(
    settings: AivideoSettings, keys: Any, platform_of: Any
) -> None:
    settings.snapshot_hosts = "cameras.pingshan.example"
    async with (
        running(create_app(settings)) as application,
        client_of(application, "http://v") as http,
    ):
        platform = platform_of(http)
        answer = await platform.push(platform.detection())

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "snapshot_host_not_allowed"
    assert platform.snapshots.requests == []


async def test_aivideo_a_snapshot_on_an_allowed_host_and_port_is_fetched(
    settings: AivideoSettings, keys: Any, platform_of: Any, snapshots: Any
) -> None:
    settings.snapshot_hosts = (
        f"cameras.pingshan.example, 127.0.0.1:{snapshots.server.port}"
    )
    async with (
        running(create_app(settings)) as application,
        client_of(application, "http://v") as http,
    ):
        platform = platform_of(http)
        answer = await platform.push(platform.detection())

    assert answer.status_code == 202


async def test_aivideo_without_secrets_the_push_route_is_not_configured(
    settings: AivideoSettings, keys: Any
) -> None:
    settings.webhook_secrets = SecretStr("")
    async with (
        running(create_app(settings)) as application,
        client_of(application, "http://v") as http,
    ):
        answer = await http.post(
            "/v1/detections", content=json.dumps({}).encode(), headers={}
        )

    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == "webhook_not_configured"
    assert "AIVIDEO_WEBHOOK_SECRETS" in answer.json()["error"]["message"]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"intake_api_key": SecretStr("")}, "AIVIDEO_INTAKE_API_KEY"),
        ({"webhook_secrets": SecretStr("short")}, "AIVIDEO_WEBHOOK_SECRETS"),
        ({"duty_contact": ""}, "AIVIDEO_DUTY_CONTACT"),
        ({"snapshot_hosts": ""}, "AIVIDEO_SNAPSHOT_HOSTS"),
        ({"public_url": ""}, "AIVIDEO_PUBLIC_URL"),
    ],
)
def test_aivideo_production_refuses_to_start_without_its_settings(
    settings: AivideoSettings, changes: dict[str, Any], problem: str
) -> None:
    settings.environment = "production"
    settings.token_secrets = "t" * 40
    settings.snapshot_hosts = "cameras.pingshan.example"
    for name, value in changes.items():
        setattr(settings, name, value)

    with pytest.raises(ValueError, match=problem):
        create_app(settings)
