"""Who may call the forum adapter: its own API needs channel:operate (center
operators and supervisors); the forum's push route and notify's answers take a
signature, never a key.
The adapter holds no unit's data, so there is no unit wall to test here."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from minsheng_common import web

OPERATE = {
    ("POST", "/v1/replay"),
    ("GET", "/v1/items"),
    ("GET", "/v1/stats"),
    ("GET", "/v1/sources"),
    ("GET", "/v1/answers/stats"),
}
# The forum's pushes, and notify's answers for the forum's citizens.
SIGNED = {("POST", "/v1/posts"), ("POST", "/v1/answers/{channel}")}
OPERATORS = ("operator", "supervisor")
OTHERS = ("channel", "unit", "leader", "dashboard", "operations")
# A valid request to each route, so only the credentials decide the answer.
BODIES: dict[str, Any] = {"/v1/replay": {"limit": 1}}


def routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every route that is not open to anyone by the common rules."""
    return set(web.guarded_routes(app))


async def call(
    client: httpx.AsyncClient, method: str, path: str, **options: Any
) -> httpx.Response:
    return await client.request(method, path, json=BODIES.get(path), **options)


def test_forum_every_route_is_in_the_access_table(app: FastAPI) -> None:
    assert routes(app) == OPERATE | SIGNED


async def test_forum_every_route_refuses_a_caller_without_credentials(
    app: FastAPI, anonymous: httpx.AsyncClient
) -> None:
    for method, path in sorted(routes(app)):
        answer = await call(anonymous, method, path)

        assert answer.status_code == 401, (method, path)
        expected = "bad_signature" if (method, path) in SIGNED else "unauthenticated"
        assert answer.json()["error"]["code"] == expected


@pytest.mark.parametrize("role", OTHERS)
async def test_forum_every_operating_route_refuses_a_key_without_the_scope(
    app: FastAPI, anonymous: httpx.AsyncClient, keys: dict[str, str], role: str
) -> None:
    for method, path in sorted(routes(app) & OPERATE):
        answer = await call(anonymous, method, path, headers={"X-API-Key": keys[role]})

        assert answer.status_code == 403, (method, path)
        assert answer.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("role", OPERATORS)
async def test_forum_every_operating_route_answers_the_center(
    app: FastAPI, anonymous: httpx.AsyncClient, keys: dict[str, str], role: str
) -> None:
    for method, path in sorted(routes(app) & OPERATE):
        answer = await call(anonymous, method, path, headers={"X-API-Key": keys[role]})

        assert answer.status_code in (200, 202), (method, path)


@pytest.mark.parametrize("role", [*OPERATORS, *OTHERS])
async def test_forum_a_key_never_replaces_the_push_signature(
    anonymous: httpx.AsyncClient, keys: dict[str, str], role: str
) -> None:
    answer = await anonymous.post(
        "/v1/posts", json={}, headers={"X-API-Key": keys[role]}
    )

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "bad_signature"


async def test_forum_a_wrong_key_is_refused(anonymous: httpx.AsyncClient) -> None:
    answer = await anonymous.get("/v1/items", headers={"X-API-Key": "ms_x_y"})

    assert answer.status_code == 401
