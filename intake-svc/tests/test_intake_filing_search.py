"""An operator finds appeals by tracking code, by the citizen's phone (through its
keyed hash), by place and by words, each with its filing decision and reasons and
personal data masked. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

Submit = Callable[..., Awaitable[dict[str, Any]]]
ClientFor = Callable[[str | None], Any]

SEARCH = "/v1/appeals/search"


@pytest.fixture
async def three(submit: Submit) -> list[dict[str, Any]]:
    """A filed appeal in Kengzi, a rejected one, and one from another citizen in
    Longtian."""
    return [
        await submit(channel_ref="s-1"),
        await submit(channel_ref="s-2", title="", content="你好，在吗？", address=None),
        await submit(
            channel_ref="s-3",
            contact={"kind": "phone", "value": "13912345678"},
            title="井盖缺失",
            content="龙田街道竹坑社区竹坑路16号门口井盖缺失，晚上很危险，"
            "我的电话13912345678。",
            address=None,
        ),
    ]


def ids(answer: httpx.Response) -> set[str]:
    assert answer.status_code == 200, answer.text
    return {item["id"] for item in answer.json()["items"]}


async def test_by_tracking_code(
    client: httpx.AsyncClient, three: list[dict[str, Any]]
) -> None:
    code = three[1]["tracking_code"]

    answer = await client.get(SEARCH, params={"tracking_code": f" {code.lower()} "})

    assert ids(answer) == {three[1]["id"]}
    decision = answer.json()["items"][0]["decision"]
    assert decision["reason_code"] == "no_evident_request"
    assert decision["article"] == "Art. 11(3)3"
    assert decision["evidence"]["field"] == "title, content"
    assert decision["advice"]


@pytest.mark.parametrize(
    "written", ["13800012345", "+86 138 0001 2345", "０086-13800012345"]
)
async def test_by_phone_written_any_way(
    client: httpx.AsyncClient, three: list[dict[str, Any]], written: str
) -> None:
    answer = await client.get(SEARCH, params={"phone": written})

    assert ids(answer) == {three[0]["id"], three[1]["id"]}
    assert answer.json()["total"] == 2


@pytest.mark.parametrize("place", ["longtian-jd", "龙田街道", "竹坑社区", "竹坑"])
async def test_by_place(
    client: httpx.AsyncClient, three: list[dict[str, Any]], place: str
) -> None:
    answer = await client.get(SEARCH, params={"place": place})
    assert ids(answer) == {three[2]["id"]}


async def test_by_words_with_the_texts_masked(
    client: httpx.AsyncClient, three: list[dict[str, Any]]
) -> None:
    answer = await client.get(SEARCH, params={"q": "井盖"})

    assert ids(answer) == {three[2]["id"]}
    item = answer.json()["items"][0]
    assert "13912345678" not in answer.text
    assert "139****5678" in item["content"]
    assert item["address_parts"]["road"] == "竹坑路"
    assert item["grade"]["level"] == 2


async def test_criteria_together_must_all_match(
    client: httpx.AsyncClient, three: list[dict[str, Any]]
) -> None:
    both = await client.get(
        SEARCH, params={"phone": "13800012345", "place": "坑梓街道"}
    )
    none = await client.get(
        SEARCH, params={"phone": "13800012345", "place": "龙田街道"}
    )

    assert ids(both) == {three[0]["id"]}
    assert ids(none) == set()


async def test_words_with_percent_signs_are_searched_as_written(
    client: httpx.AsyncClient, three: list[dict[str, Any]]
) -> None:
    assert ids(await client.get(SEARCH, params={"q": "%%"})) == set()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "query"),
        ({"q": "井"}, "q"),
        ({"q": "138 0001 2345"}, "q"),
        ({"phone": "12345"}, "phone"),
        ({"place": "布吉街道"}, "place"),
        ({"limit": 0, "q": "井盖"}, "query.limit"),
    ],
)
async def test_a_search_that_cannot_be_run_names_the_field(
    client: httpx.AsyncClient, params: dict[str, Any], field: str
) -> None:
    answer = await client.get(SEARCH, params=params)

    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == field


async def test_search_is_for_the_center_only(client_for: ClientFor) -> None:
    for caller in ("cgj", "hotline", "leader"):
        async with client_for(caller) as http:
            answer = await http.get(SEARCH, params={"q": "井盖"})
        assert answer.status_code == 403, caller
