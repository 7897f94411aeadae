"""Who may call the Open311 server: GeoReport v2 reads are open to anyone (a key,
when given, must be a 311 client's); filing needs a 311 client's api_key (403
otherwise, as the specification has it); the operators' count needs
channel:operate. Reads without a key are budgeted per address."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from minsheng_common import web
from minsheng_open311 import repository
from minsheng_open311.settings import Open311Settings

GEOREPORT_READS = {
    ("GET", "/services.{response_format}"),
    ("GET", "/services/{service_code}.{response_format}"),
    ("GET", "/tokens/{token}.{response_format}"),
    ("GET", "/requests.{response_format}"),
    ("GET", "/requests/{service_request_id}.{response_format}"),
    ("GET", "/servicerequestupdates.{response_format}"),
}
FILING = {("POST", "/requests.{response_format}")}
OPERATE = {("GET", "/v1/items"), ("GET", "/v1/stats"), ("GET", "/v1/answers/stats")}
SIGNED_BY_NOTIFY = {("POST", "/v1/answers/{channel}")}
READ_PATHS = [
    "/services.json",
    "/services/transport.xml",
    "/tokens/unknown.json",
    "/requests.json",
    "/requests/PS1.xml",
    "/servicerequestupdates.json",
]


def test_open311_every_route_is_in_the_access_table(app: FastAPI) -> None:
    assert set(web.guarded_routes(app)) == (
        GEOREPORT_READS | FILING | OPERATE | SIGNED_BY_NOTIFY
    )


@pytest.mark.parametrize("path", READ_PATHS)
async def test_open311_reads_need_no_key(client: httpx.AsyncClient, path: str) -> None:
    answer = await client.get(path)

    assert answer.status_code in (200, 404), answer.text
    assert answer.status_code != 404 or "is not known here" in answer.text


@pytest.mark.parametrize("path", READ_PATHS)
async def test_open311_a_read_with_a_key_not_a_clients_is_403(
    client: httpx.AsyncClient, keys: dict[str, str], path: str
) -> None:
    for key in ("ms_wrong_key", keys["unit"]):
        answer = await client.get(path, params={"api_key": key})

        assert answer.status_code == 403, (path, answer.text)


@pytest.mark.parametrize("path", ["/v1/items", "/v1/stats", "/v1/answers/stats"])
async def test_open311_the_operators_view_needs_channel_operate(
    client: httpx.AsyncClient, keys: dict[str, str], path: str
) -> None:
    anonymous = await client.get(path)
    assert anonymous.status_code == 401
    for role in ("channel", "unit", "dashboard"):
        answer = await client.get(path, headers={"X-API-Key": keys[role]})
        assert answer.status_code == 403, role
        assert answer.json()["error"]["code"] == "forbidden"
    for role in ("operator", "supervisor"):
        answer = await client.get(path, headers={"X-API-Key": keys[role]})
        assert answer.status_code == 200, role


@pytest.fixture
def settings(settings: Open311Settings) -> Open311Settings:
    settings.public_reads_per_minute = 3
    return settings


async def test_open311_reads_without_a_key_are_budgeted_per_address(
    client: httpx.AsyncClient, client_key: str, xml: Any
) -> None:
    answers = [await client.get("/services.json") for _ in range(3)]
    over = await client.get("/services.xml")
    with_key = await client.get("/services.json", params={"api_key": client_key})

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert over.status_code == 429
    assert over.headers["Retry-After"]
    root = xml(over)
    assert root[0].findtext("code") == "429"
    assert with_key.status_code == 200, "a client's key has its own budget"


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_open311_an_unexpected_failure_is_500_in_the_specifications_shape(
    client: httpx.AsyncClient,
    xml: Any,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
) -> None:
    async def broken(*_args: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(repository, "by_token", broken)

    answer = await client.get(f"/tokens/t.{fmt}")

    assert answer.status_code == 500
    if fmt == "json":
        assert answer.json() == [
            {"code": 500, "description": "an unexpected error occurred"}
        ]
    else:
        assert xml(answer)[0].findtext("code") == "500"
