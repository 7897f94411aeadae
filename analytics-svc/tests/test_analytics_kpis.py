"""GET /v1/kpis on a small story built from catalogue events, and the definitions of
every indicator in the API and its docs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from minsheng_analytics import indicators


def six_appeals(story: Callable[..., Any]) -> list[Any]:
    """Three filed and dispatched (one on time, one dispatched late and signed by
    default, one signed late), two rejected, one only received."""
    on_time = story("a-1", channel="hotline-12345", appeal_type="complaint")
    late_dispatch = story(
        "a-2", channel="wechat", appeal_type="consultation", received=60, unit_id="swj"
    )
    late_sign = story("a-3", channel="wechat", appeal_type="suggestion", received=120)
    no_contact = story("a-4", channel="hotline-12345", received=180)
    no_place = story("a-5", channel="wechat", appeal_type="suggestion", received=240)
    pending = story("a-6", channel="mailbox", appeal_type="consultation", received=300)
    return [
        *on_time.full_life(),
        late_dispatch.appeal_received(),
        late_dispatch.appeal_filed(),
        late_dispatch.dispatched(after_filing=70),
        late_dispatch.deadline_set("sign_off"),
        late_dispatch.deadline_reached("sign_off"),
        late_dispatch.signed(minutes=140, mode="auto"),
        late_sign.appeal_received(),
        late_sign.appeal_filed(),
        late_sign.dispatched(after_filing=5),
        late_sign.deadline_set("sign_off"),
        late_sign.signed(minutes=200),
        no_contact.appeal_received(),
        no_contact.appeal_rejected("missing_contact"),
        no_place.appeal_received(),
        no_place.appeal_rejected("no_place_in_district"),
        pending.appeal_received(),
    ]


async def test_analytics_kpis_count_the_story_by_state(
    client: httpx.AsyncClient, app_projector: Any, story: Callable[..., Any]
) -> None:
    steps = six_appeals(story)
    await app_projector.apply_all(steps)

    answer = await client.get("/v1/kpis")

    assert answer.status_code == 200
    body = answer.json()
    assert body["totals"] == {
        "received": 6,
        "filed": 3,
        "rejected": 2,
        "held_verification": 0,
        "held_classification": 0,
        "level_1": 0,
        "level_2": 0,
        "level_3": 3,
        "dispatched": 3,
        "signed": 3,
        "signed_manual": 2,
        "signed_auto": 1,
        "acceptance_notices_requested": 1,
        "acceptance_notices_sent": 1,
        # No unit has asked to close an order, so none has told the result.
        "handling_notices_requested": 0,
        "handling_notices_sent": 0,
        # Nothing of the story gets that far (see test_analytics_closure.py).
        "return_requested": 0,
        "returned": 0,
        "extended": 0,
        "closed": 0,
        "closed_on_time": 0,
        "closed_overdue": 0,
        "closed_staged": 0,
        "closure_rejected": 0,
        "merged": 0,
        "reopened": 0,
        # Urging and reply templates: see test_analytics_oversight.py and
        # test_analytics_deadline_kinds.py.
        "urged_half": 0,
        "urged_two_thirds": 0,
        "urged_overdue": 0,
        "reply_templates_asked": 0,
        "reply_templates_received": 0,
        "reply_templates_in_time": 0,
    }
    assert body["rates"] == {
        "dispatch_within_limit": {"numerator": 2, "denominator": 3, "rate": 0.6667},
        "sign_off_within_limit": {"numerator": 1, "denominator": 3, "rate": 0.3333},
        # Only a-1's acceptance-notice clock started, and the unit asked in time;
        # the other two signed orders have no clock analytics saw.
        "acceptance_notice_within_limit": {
            "numerator": 1,
            "denominator": 1,
            "rate": 1.0,
        },
        "handling_notice_within_limit": {
            "numerator": 0,
            "denominator": 0,
            "rate": None,
        },
        "instant_answer": {"numerator": 0, "denominator": 2, "rate": 0.0},
        # Nothing closed and nothing due yet: no on-time rate to give.
        "on_time_closure": {"numerator": 0, "denominator": 0, "rate": None},
        "total_closure": {"numerator": 0, "denominator": 3, "rate": 0.0},
        "return_rate": {"numerator": 0, "denominator": 3, "rate": 0.0},
        # No return visit was answered (see test_analytics_indicators.py).
        "satisfied": {"numerator": 0, "denominator": 0, "rate": None},
        "satisfaction_speed": {"numerator": 0, "denominator": 0, "rate": None},
        "satisfaction_effect": {"numerator": 0, "denominator": 0, "rate": None},
        "satisfaction_service": {"numerator": 0, "denominator": 0, "rate": None},
        "satisfaction_system": {"numerator": 0, "denominator": 0, "rate": None},
    }
    newest = max(occurred_at for _data, occurred_at in steps)
    assert body["as_of"] == newest.isoformat().replace("+00:00", "Z")
    assert body["window"] == {"from": None, "to": None}
    assert body["by_rejection_reason"] == {
        "missing_contact": 1,
        "no_place_in_district": 1,
    }


async def test_analytics_kpis_slice_by_unit_channel_and_type(
    client: httpx.AsyncClient, app_projector: Any, story: Callable[..., Any]
) -> None:
    await app_projector.apply_all(six_appeals(story))

    body = (await client.get("/v1/kpis")).json()

    city = body["by_unit"]["cgj"]
    assert city["name"] == "区城市管理和综合执法局"
    assert (city["dispatched"], city["signed"], city["signed_auto"]) == (2, 2, 0)
    assert city["rates"]["dispatch_within_limit"]["rate"] == 1.0
    assert city["rates"]["sign_off_within_limit"]["rate"] == 0.5
    water = body["by_unit"]["swj"]
    assert (water["dispatched"], water["signed"], water["signed_auto"]) == (1, 1, 1)
    assert water["rates"]["dispatch_within_limit"]["numerator"] == 0

    channels = body["by_channel"]
    assert set(channels) == {"hotline-12345", "wechat", "mailbox"}
    wechat = channels["wechat"]
    assert (wechat["received"], wechat["filed"], wechat["rejected"]) == (3, 2, 1)
    assert (wechat["dispatched"], wechat["signed_auto"]) == (2, 1)
    assert channels["mailbox"]["received"] == 1
    assert channels["mailbox"]["filed"] == 0

    types = body["by_type"]
    assert {key: value["received"] for key, value in types.items()} == {
        "complaint": 2,
        "consultation": 2,
        "suggestion": 2,
    }
    assert types["consultation"]["signed_auto"] == 1
    assert types["suggestion"]["rates"]["sign_off_within_limit"]["denominator"] == 1


async def test_analytics_kpis_window_counts_appeals_received_inside_it(
    client: httpx.AsyncClient, app_projector: Any, story: Callable[..., Any]
) -> None:
    await app_projector.apply_all(six_appeals(story))

    # 10:40 Shanghai (no offset given: read as Asia/Shanghai) to 13:10.
    answer = await client.get(
        "/v1/kpis",
        params={"from": "2026-03-02T10:40:00", "to": "2026-03-02T13:10:00+08:00"},
    )

    assert answer.status_code == 200
    body = answer.json()
    assert body["window"] == {
        "from": "2026-03-02T02:40:00Z",
        "to": "2026-03-02T05:10:00Z",
    }
    totals = body["totals"]
    assert (totals["received"], totals["filed"], totals["rejected"]) == (3, 1, 2)
    assert (totals["dispatched"], totals["signed"], totals["signed_manual"]) == (
        1,
        1,
        1,
    )
    assert body["rates"]["sign_off_within_limit"] == {
        "numerator": 0,
        "denominator": 1,
        "rate": 0.0,
    }
    assert set(body["by_unit"]) == {"cgj"}


async def test_analytics_kpis_refuse_a_window_that_ends_before_it_starts(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get(
        "/v1/kpis",
        params={"from": "2026-03-02T12:00:00+08:00", "to": "2026-03-02T09:00:00+08:00"},
    )

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_window"
    assert answer.json()["error"]["field"] == "to"


async def test_analytics_kpis_of_an_empty_projection_are_zero(
    client: httpx.AsyncClient,
) -> None:
    body = (await client.get("/v1/kpis")).json()

    assert body["as_of"] is None
    assert set(body["totals"].values()) == {0}
    assert body["rates"]["dispatch_within_limit"]["rate"] is None


async def test_analytics_definitions_state_numerator_denominator_and_exclusions(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/v1/kpis/definitions")

    assert answer.status_code == 200
    body = answer.json()
    assert body["rules_edition"] == "measures-v4"
    by_key = {item["key"]: item for item in body["indicators"]}
    assert set(by_key) == {indicator.key for indicator in indicators.ALL}
    dispatch = by_key["dispatch_within_limit"]
    assert dispatch["label"] == "1小时内派单率"
    assert dispatch["kind"] == "rate"
    assert dispatch["article"] == "Art. 12"
    assert "dispatched" in dispatch["denominator"]
    assert by_key["sign_off_within_limit"]["label"] == "2个工作小时内签收率"
    assert by_key["received"]["label"] == "受理总数"
    assert all(item["exclusions"] for item in body["indicators"])


async def test_analytics_openapi_docs_carry_every_definition(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()

    route = document["paths"]["/v1/kpis"]["get"]
    for indicator in indicators.ALL:
        assert indicator.describe() in route["description"]
    schemas = document["components"]["schemas"]
    rates = schemas["Rates"]["properties"]
    assert rates["sign_off_within_limit"]["description"] == (
        indicators.SIGN_OFF_WITHIN_LIMIT.describe()
    )
    assert schemas["Counts"]["properties"]["received"]["description"] == (
        indicators.RECEIVED.describe()
    )
    assert "/v1/kpis/definitions" in document["paths"]
