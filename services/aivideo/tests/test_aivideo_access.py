"""Who may call the AI + video adapter: following the appeals and detections needs
channel:operate (center operators and supervisors); a snapshot opens for the center
and the units that handle the appeals; the platform's push route takes a
signature, never a key."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from minsheng_common import web

OPERATE = {("GET", "/v1/items"), ("GET", "/v1/stats"), ("GET", "/v1/detections")}
SNAPSHOT = {("GET", "/v1/snapshots/{name}")}
SIGNED = {("POST", "/v1/detections")}


def test_aivideo_every_route_is_in_the_access_table(app: FastAPI) -> None:
    assert set(web.guarded_routes(app)) == OPERATE | SNAPSHOT | SIGNED


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("operator", True),
        ("supervisor", True),
        ("channel", False),
        ("unit", False),
        ("leader", False),
        ("dashboard", False),
        ("operations", False),
    ],
)
async def test_aivideo_only_the_center_follows_the_appeals(
    anonymous: httpx.AsyncClient, keys: dict[str, str], role: str, allowed: bool
) -> None:
    for _, path in sorted(OPERATE):
        answer = await anonymous.get(path, headers={"X-API-Key": keys[role]})

        assert answer.status_code == (200 if allowed else 403), path


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("operator", 200),
        ("supervisor", 200),
        ("unit", 200),
        ("channel", 403),
        ("leader", 403),
        ("dashboard", 403),
        ("operations", 403),
        (None, 401),
    ],
)
async def test_aivideo_a_snapshot_opens_for_the_center_and_the_units(
    anonymous: httpx.AsyncClient,
    client: httpx.AsyncClient,
    platform: Any,
    keys: dict[str, str],
    role: str | None,
    status: int,
) -> None:
    await platform.push(platform.detection())
    [appeal] = (await client.get("/v1/items")).json()["items"]
    path = appeal["snapshot_url"].removeprefix("http://aivideo.test")
    headers = {"X-API-Key": keys[role]} if role else {}

    answer = await anonymous.get(path, headers=headers)

    assert answer.status_code == status


async def test_aivideo_an_unknown_or_malformed_snapshot_name_is_not_found(
    client: httpx.AsyncClient,
) -> None:
    unknown = await client.get(f"/v1/snapshots/{'a' * 64}.png")
    traversal = await client.get("/v1/snapshots/..%2F..%2Fetc%2Fpasswd")

    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "not_found"
    assert traversal.status_code in (404, 422)


async def test_aivideo_a_snapshot_is_served_only_with_its_own_ending(
    client: httpx.AsyncClient, platform: Any
) -> None:
    await platform.push(platform.detection())
    [appeal] = (await client.get("/v1/items")).json()["items"]
    path = appeal["snapshot_url"].removeprefix("http://aivideo.test")

    answer = await client.get(path.replace(".png", ".jpg"))

    assert answer.status_code == 404


@pytest.mark.parametrize("role", ["operator", "supervisor", "channel", "unit"])
async def test_aivideo_a_key_never_replaces_the_push_signature(
    anonymous: httpx.AsyncClient, keys: dict[str, str], role: str
) -> None:
    answer = await anonymous.post(
        "/v1/detections", json={}, headers={"X-API-Key": keys[role]}
    )

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "bad_signature"
