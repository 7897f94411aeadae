"""Who may call the hotline adapter: its own API needs channel:operate (center
operators and supervisors); the call centres' push route takes a line's signature,
never a key."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from minsheng_common import web

OPERATE = {("GET", "/v1/items"), ("GET", "/v1/stats")}
SIGNED = {("POST", "/v1/lines/{line}/calls")}
OTHERS = ("channel", "unit", "leader", "dashboard", "operations")


def test_hotline_every_route_is_in_the_access_table(app: FastAPI) -> None:
    assert set(web.guarded_routes(app)) == OPERATE | SIGNED


async def test_hotline_the_operating_routes_refuse_a_caller_without_credentials(
    anonymous: httpx.AsyncClient,
) -> None:
    for _, path in sorted(OPERATE):
        answer = await anonymous.get(path)

        assert answer.status_code == 401, path
        assert answer.json()["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize("role", OTHERS)
async def test_hotline_the_operating_routes_refuse_a_key_without_the_scope(
    anonymous: httpx.AsyncClient, keys: dict[str, str], role: str
) -> None:
    for _, path in sorted(OPERATE):
        answer = await anonymous.get(path, headers={"X-API-Key": keys[role]})

        assert answer.status_code == 403, path


@pytest.mark.parametrize("role", ["operator", "supervisor"])
async def test_hotline_the_operating_routes_answer_the_center(
    anonymous: httpx.AsyncClient, keys: dict[str, str], role: str
) -> None:
    for _, path in sorted(OPERATE):
        answer = await anonymous.get(path, headers={"X-API-Key": keys[role]})

        assert answer.status_code == 200, path


@pytest.mark.parametrize("role", ["operator", "supervisor", *OTHERS])
async def test_hotline_a_key_never_replaces_the_lines_signature(
    anonymous: httpx.AsyncClient, keys: dict[str, str], role: str
) -> None:
    answer = await anonymous.post(
        "/v1/lines/12345/calls", json={}, headers={"X-API-Key": keys[role]}
    )

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "bad_signature"


async def test_hotline_the_items_never_show_the_caller_or_the_address(
    client: httpx.AsyncClient, centre: Any
) -> None:
    record = centre.record(title="夜市扰民")
    await centre.push(record)

    listed = (await client.get("/v1/items")).text

    assert "夜市扰民" in listed
    assert "13800138000" not in listed
    assert "东门路12号" not in listed
    assert "噪音" not in listed, "nor the summary"
