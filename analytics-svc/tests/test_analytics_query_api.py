"""GET /v1/series and GET /v1/breakdown, the query API other dashboards read: periods
in Asia/Shanghai, filters, stable pages, the definitions in the OpenAPI document and
clear errors for what cannot be answered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from minsheng_analytics import indicators
from minsheng_common.reference import load_reference


def five_appeals(story: Callable[..., Any]) -> list[Any]:
    """Received on Monday 2 March (two), Tuesday 3 March and Wednesday 11 March 2026
    (Shanghai), through four channels; three dispatched, two of them to swj.

    a-3 is received at 23:59 in Shanghai on 2 March (15:59 UTC), a-4 a minute after
    midnight: the Shanghai day, not the UTC one, decides where they fall."""
    one = story("a-1", channel="hotline-12345")
    two = story("a-2", channel="wechat", unit_id="swj", received=60)
    three = story("a-3", channel="mailbox", received=14 * 60 + 59)
    four = story("a-4", channel="wechat", unit_id="swj", received=15 * 60 + 1)
    five = story("a-5", channel="forum-people", received=9 * 24 * 60)
    return [
        *(each.appeal_received() for each in (one, two, three, four, five)),
        one.appeal_filed(),
        one.dispatched(),
        two.appeal_filed(),
        two.dispatched(),
        four.appeal_filed(),
        four.dispatched(),
    ]


@pytest.fixture
async def five_projected(app_projector: Any, story: Callable[..., Any]) -> None:
    """The five appeals of `five_appeals`, projected into the app's store."""
    await app_projector.apply_all(five_appeals(story))


async def read(client: httpx.AsyncClient, path: str, params: dict[str, Any]) -> Any:
    """The body of a query the API answers."""
    answer = await client.get(path, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.mark.usefixtures("five_projected")
async def test_analytics_series_counts_each_shanghai_day_and_fills_empty_ones(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get(
        "/v1/series",
        params={"indicator": "received", "from": "2026-03-02", "to": "2026-03-06"},
    )

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["source"] == "rollups"
    assert body["interval"] == "day"
    assert body["indicator"]["key"] == "received"
    assert body["indicator"]["definition"] == indicators.RECEIVED.describe()
    assert body["window"] == {
        "from": "2026-03-01T16:00:00Z",
        "to": "2026-03-05T16:00:00Z",
    }
    assert [(point["period"], point["value"]) for point in body["points"]] == [
        ("2026-03-02", 3),
        ("2026-03-03", 1),
        ("2026-03-04", 0),
        ("2026-03-05", 0),
    ]


@pytest.mark.usefixtures("five_projected")
async def test_analytics_series_by_week_and_month_with_a_filter(
    client: httpx.AsyncClient,
) -> None:
    weeks = await read(
        client, "/v1/series", {"indicator": "received", "interval": "week"}
    )
    months = await read(
        client, "/v1/series", {"indicator": "received", "interval": "month"}
    )
    swj = await read(
        client, "/v1/series", {"indicator": "dispatch_within_limit", "unit": "swj"}
    )

    # Open window: from the first period with facts to the last.
    assert [(p["period"], p["value"]) for p in weeks["points"]] == [
        ("2026-03-02", 4),
        ("2026-03-09", 1),
    ]
    assert [(p["period"], p["value"]) for p in months["points"]] == [("2026-03-01", 5)]
    # a-2 (2 March) and a-4 (3 March) went to swj, each within the hour.
    assert [(p["period"], p["numerator"], p["denominator"]) for p in swj["points"]] == [
        ("2026-03-02", 1, 1),
        ("2026-03-03", 1, 1),
    ]
    assert swj["filters"] == {
        "unit": "swj",
        "subdistrict": None,
        "category": None,
        "channel": None,
    }


@pytest.mark.usefixtures("five_projected")
async def test_analytics_breakdown_pages_are_stable_and_counted(
    client: httpx.AsyncClient,
) -> None:
    params = {"indicator": "received", "by": "channel", "limit": 2}

    first = await read(client, "/v1/breakdown", params)
    second = await read(client, "/v1/breakdown", {**params, "offset": 2})
    whole = await read(client, "/v1/breakdown", {**params, "limit": 10})

    assert first["total"] == second["total"] == 4
    assert [item["key"] for item in whole["items"]] == [
        "forum-people",
        "hotline-12345",
        "mailbox",
        "wechat",
    ]
    assert first["items"] + second["items"] == whole["items"]
    assert whole["items"][3] == {
        "key": "wechat",
        "name": "微信",
        "value": 2,
        "numerator": None,
        "denominator": None,
    }


@pytest.mark.usefixtures("five_projected")
async def test_analytics_breakdown_by_value_puts_the_highest_first_then_by_key(
    client: httpx.AsyncClient,
) -> None:
    body = await read(
        client,
        "/v1/breakdown",
        {"indicator": "received", "by": "channel", "sort": "value"},
    )

    assert [(item["key"], item["value"]) for item in body["items"]] == [
        ("wechat", 2),
        ("forum-people", 1),
        ("hotline-12345", 1),
        ("mailbox", 1),
    ]


@pytest.mark.usefixtures("five_projected")
async def test_analytics_breakdown_by_unit_period_and_with_filters(
    client: httpx.AsyncClient,
) -> None:
    by_unit = await read(
        client, "/v1/breakdown", {"indicator": "dispatched", "by": "unit"}
    )
    by_period = await read(
        client,
        "/v1/breakdown",
        {
            "indicator": "received",
            "by": "period",
            "interval": "week",
            "channel": "wechat",
        },
    )

    names = {unit.id: unit.name for unit in load_reference().units}
    assert [(i["key"], i["name"], i["value"]) for i in by_unit["items"]] == [
        ("cgj", names["cgj"], 1),
        ("swj", names["swj"], 2),
    ]
    assert [(i["key"], i["value"]) for i in by_period["items"]] == [("2026-03-02", 2)]
    assert by_period["filters"]["channel"] == "wechat"


@pytest.mark.usefixtures("five_projected")
async def test_analytics_a_window_inside_a_day_is_answered_from_the_facts(
    client: httpx.AsyncClient,
) -> None:
    # From 09:30 on 2 March in Shanghai: a-2 (10:00), a-3, a-4 and a-5.
    body = await read(
        client,
        "/v1/breakdown",
        {
            "indicator": "received",
            "by": "period",
            "from": "2026-03-02T09:30",
        },
    )

    assert body["source"] == "facts"
    assert sum(item["value"] for item in body["items"]) == 4


async def error_of(client: httpx.AsyncClient, path: str, **params: Any) -> Any:
    answer = await client.get(path, params=params)
    assert answer.status_code == 422, answer.text
    return answer.json()["error"]


async def test_analytics_query_errors_name_their_code_and_field(
    client: httpx.AsyncClient,
) -> None:
    unknown = await error_of(client, "/v1/series", indicator="happiness")
    dimension = await error_of(client, "/v1/breakdown", indicator="received", by="road")
    unit_filter = await error_of(client, "/v1/series", indicator="received", unit="cgj")
    unit_breakdown = await error_of(
        client, "/v1/breakdown", indicator="filed", by="unit"
    )
    bad_date = await error_of(
        client, "/v1/series", indicator="received", **{"from": "2026-13-01"}
    )
    backwards = await error_of(
        client,
        "/v1/series",
        indicator="received",
        **{"from": "2026-03-05", "to": "2026-03-01"},
    )
    too_long = await error_of(
        client,
        "/v1/series",
        indicator="received",
        **{"from": "2000-01-01", "to": "2026-01-01"},
    )
    no_indicator = await error_of(client, "/v1/series")

    assert (unknown["code"], unknown["field"]) == ("unknown_indicator", "indicator")
    assert "/v1/kpis/definitions" in unknown["message"]
    assert (dimension["code"], dimension["field"]) == ("unknown_dimension", "by")
    assert "subdistrict" in dimension["message"]
    assert (unit_filter["code"], unit_filter["field"]) == ("not_applicable", "unit")
    assert (unit_breakdown["code"], unit_breakdown["field"]) == ("not_applicable", "by")
    assert (bad_date["code"], bad_date["field"]) == ("invalid_request", "query.from")
    assert (backwards["code"], backwards["field"]) == ("invalid_window", "to")
    assert (too_long["code"], too_long["field"]) == ("too_many_periods", "interval")
    assert (no_indicator["code"], no_indicator["field"]) == (
        "invalid_request",
        "query.indicator",
    )


async def test_analytics_query_routes_document_every_indicator(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()

    for path in ("/v1/series", "/v1/breakdown"):
        route = document["paths"][path]["get"]
        for indicator in indicators.ALL:
            assert indicator.describe() in route["description"], (path, indicator.key)
        parameters = {parameter["name"]: parameter for parameter in route["parameters"]}
        assert parameters["indicator"]["schema"]["enum"] == [
            indicator.key for indicator in indicators.ALL
        ]
        assert {"from", "to", "unit", "subdistrict", "category", "channel"} <= set(
            parameters
        )
    breakdown = document["paths"]["/v1/breakdown"]["get"]["parameters"]
    by = next(parameter for parameter in breakdown if parameter["name"] == "by")
    assert by["schema"]["enum"] == [
        "unit",
        "subdistrict",
        "category",
        "channel",
        "period",
    ]


async def test_analytics_query_routes_need_a_reader(
    anonymous: httpx.AsyncClient,
) -> None:
    for path in ("/v1/series", "/v1/breakdown"):
        answer = await anonymous.get(
            path, params={"indicator": "received", "by": "unit"}
        )

        assert answer.status_code == 401
