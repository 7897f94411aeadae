"""Delivery to intake itself, over real HTTP on loopback: appeals opened while
intake is stopped are all there once it is started again, each once and with the
snapshot attached the way intake takes attachments (a reference to a file, here
the adapter's copy), which a unit can open; folded detections never reach intake
as appeals (Art. 4, 5)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.adapter_support import LoopbackIntake, sqlite_or_postgresql

Poll = Callable[..., Awaitable[None]]


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return sqlite_or_postgresql(request, tmp_path, "aivideo")


async def stats(client: httpx.AsyncClient) -> dict[str, Any]:
    body: dict[str, Any] = (await client.get("/v1/stats")).json()
    return body


async def items(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (
        await client.get("/v1/items", params={"limit": 500})
    ).json()["items"]
    return found


# (detection, camera, kind, minute): two appeals at PS-0012 (one with a folded
# detection), one at PS-0013.
ARRIVALS = [
    ("V-1", "PS-0012", "street_vending", 0),
    ("V-2", "PS-0013", "overflowing_bin", 2),
    ("V-3", "PS-0012", "street_vending", 9),
    ("V-4", "PS-0012", "overflowing_bin", 12),
]


async def test_aivideo_appeals_opened_while_intake_is_stopped_reach_it_once(
    client: httpx.AsyncClient,
    platform: Any,
    intake: LoopbackIntake,
    keys: dict[str, str],
    poll: Poll,
) -> None:
    for detection_id, camera, kind, minute in ARRIVALS:
        answer = await platform.push(
            platform.detection(
                detection_id,
                camera_id=camera,
                kind=kind,
                detected_at=f"2026-12-04T19:{minute:02d}:00+08:00",
            )
        )
        assert answer.status_code == 202

    async def heads_tried() -> bool:
        tries = {i["first_detection_id"]: i["attempts"] for i in await items(client)}
        return tries["V-1"] >= 2 and tries["V-2"] >= 2

    await poll(heads_tried)
    waiting = {i["first_detection_id"]: i for i in await items(client)}
    assert waiting["V-4"]["attempts"] == 0, "behind V-1 in its camera's queue"
    assert (await stats(client))["pending"] == 3
    await intake.start()

    async def delivered(count: int) -> bool:
        return bool((await stats(client))["delivered"] == count)

    await poll(lambda: delivered(3), within=30)
    appeals = await intake.appeals("ai-video")
    assert Counter(a.channel_ref for a in appeals) == {"V-1": 1, "V-2": 1, "V-4": 1}
    by_ref = {appeal.channel_ref: appeal for appeal in appeals}
    street = by_ref["V-1"]
    assert street.appeal_type == "complaint"
    assert street.category_id == "city-sanitation"
    assert (street.latitude, street.longitude) == (22.7085, 114.3464)
    assert street.contact_kind == "phone"
    assert "占道经营" in street.title

    # The attachment intake holds is the adapter's copy of the camera's picture,
    # which a unit opens with its own key.
    [attachment] = street.attachments
    assert attachment.startswith("http://aivideo.test/v1/snapshots/")
    picture = await client.get(
        urlsplit(attachment).path, headers={"X-API-Key": keys["unit"]}
    )
    assert picture.status_code == 200
    assert picture.headers["content-type"] == "image/png"
    assert picture.content == platform.snapshots.pictures["V-1.png"]

    # Intake up: a detection folded into a delivered appeal adds none there.
    await platform.push(
        platform.detection("V-5", detected_at="2026-12-04T19:20:00+08:00")
    )
    await platform.push(
        platform.detection("V-6", kind="waterlogging", camera_id="PS-0014")
    )
    await poll(lambda: delivered(4), within=30)
    refs = sorted(a.channel_ref for a in await intake.appeals("ai-video"))
    assert refs == ["V-1", "V-2", "V-4", "V-6"]
    first = next(i for i in await items(client) if i["first_detection_id"] == "V-1")
    assert first["detections"] == 3
    assert first["appeal_id"] == street.id
