"""The indicators of Art. 33 added to the KPIs: the acceptance-notice and
handling-notice rates within their working day (Art. 28, 29), the handling notices
asked for and sent, and satisfaction overall and by dimension from the return
visits (Art. 30, 31); each on a small history whose right values are worked out by
hand below, through GET /v1/kpis and through a breakdown by unit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from minsheng_analytics import indicators
from minsheng_common.events import (
    HandlingNoticeRequested,
    NoticeSent,
    ReturnVisitAnswered,
)

Step = tuple[Any, datetime]


def handling_notice_requested(story: Any, minutes: float) -> Step:
    at = story.at(story.received + minutes)
    return (
        HandlingNoticeRequested(
            request_id=f"hn-{story.appeal_id}",
            work_order_id=story.work_order_id,
            appeal_id=story.appeal_id,
            unit_id=story.unit_id,
            tracking_code=story.tracking_code,
            message="已处理完毕",
            requested_at=at,
            requested_by="clerk",
        ),
        at,
    )


def handling_notice_sent(story: Any, minutes: float) -> Step:
    at = story.at(story.received + minutes)
    return (
        NoticeSent(
            notice_id=f"nt-hn-{story.appeal_id}",
            request_id=f"hn-{story.appeal_id}",
            appeal_id=story.appeal_id,
            work_order_id=story.work_order_id,
            kind="handling",
            channel="sms",
            recipient_masked="138****8000",
            sent_at=at,
            provider_ref="mailbox/0003.txt",
            attempts=1,
        ),
        at,
    )


def visit(
    story: Any,
    minutes: float,
    *,
    satisfied: bool,
    ratings: tuple[int | None, int | None, int | None, int | None],
) -> Step:
    speed, effect, service, system = ratings
    at = story.at(story.received + minutes)
    return (
        ReturnVisitAnswered(
            survey_id=f"s-{story.appeal_id}",
            work_order_id=story.work_order_id,
            appeal_id=story.appeal_id,
            unit_id=story.unit_id,
            channel="phone",
            speed=speed,
            effect=effect,
            service=service,
            system=system,
            satisfied=satisfied,
            answered_at=at,
        ),
        at,
    )


def history(story: Callable[..., Any]) -> list[Step]:
    """Four orders, signed; their notice clocks and return visits.

    A deadline.met is late when after the story's sign-off due time, minute 131.

    - a-1 (cgj): acceptance asked at 41 (on time); handling notice asked and sent,
      its clock met at 100 (on time). Visit: satisfied; 5, 4, 3, unrated.
    - a-2 (cgj): acceptance clock ran out, then asked at 200 (late); handling-notice
      clock ran out, nothing asked or sent. Visit: unsatisfied; 2, 1, 4, 5.
    - a-3 (swj): acceptance clock still running; handling notice asked, no clock.
    - a-4 (swj): acceptance asked at 60 (on time); handling notice asked and sent,
      its clock met at 300 (late). Visit answered twice: satisfied with 4, 5, 5, 4,
      then unsatisfied with 3, 4, unrated, 2; the later answer stands.
    """
    one = story("a-1")
    two = story("a-2", received=10)
    three = story("a-3", received=20, unit_id="swj", channel="wechat")
    four = story("a-4", received=30, unit_id="swj", channel="wechat")
    steps: list[Step] = []
    for each in (one, two, three, four):
        steps += [
            each.appeal_received(),
            each.appeal_filed(),
            each.dispatched(),
            each.signed(minutes=40),
            each.deadline_set("acceptance_notice", due=each.at(each.received + 131)),
        ]
    steps += [
        one.deadline_met(minutes=41, kind="acceptance_notice"),
        one.deadline_set("handling_notice", due=one.at(131)),
        handling_notice_requested(one, 90),
        handling_notice_sent(one, 100),
        one.deadline_met(minutes=100, kind="handling_notice"),
        visit(one, 500, satisfied=True, ratings=(5, 4, 3, None)),
        two.deadline_reached("acceptance_notice"),
        two.deadline_met(minutes=200, kind="acceptance_notice"),
        two.deadline_set("handling_notice", due=two.at(10 + 131)),
        two.deadline_reached("handling_notice"),
        visit(two, 500, satisfied=False, ratings=(2, 1, 4, 5)),
        handling_notice_requested(three, 90),
        four.deadline_met(minutes=60, kind="acceptance_notice"),
        four.deadline_set("handling_notice", due=four.at(30 + 131)),
        handling_notice_requested(four, 250),
        handling_notice_sent(four, 300),
        four.deadline_met(minutes=300, kind="handling_notice"),
        visit(four, 500, satisfied=True, ratings=(4, 5, 5, 4)),
        visit(four, 600, satisfied=False, ratings=(3, 4, None, 2)),
    ]
    return steps


def rate(numerator: int, denominator: int) -> dict[str, Any]:
    share = round(numerator / denominator, 4) if denominator else None
    return {"numerator": numerator, "denominator": denominator, "rate": share}


# By hand, from the history's docstring.
EXPECTED_TOTALS = {
    # a-1, a-2 and a-4 clocks ended (a-3's runs); a-1 and a-4 asked in time.
    "acceptance_notice_within_limit": rate(2, 3),
    # a-1 on time, a-2 ran out, a-4 late; a-3 has no clock.
    "handling_notice_within_limit": rate(1, 3),
    # s-a-1 satisfied, s-a-2 not, s-a-4's later answer not.
    "satisfied": rate(1, 3),
    # Ratings of 4 or 5: speed 5 | 2 | 3, effect 4 | 1 | 4, service 3 | 4 | -,
    # system - | 5 | 2.
    "satisfaction_speed": rate(1, 3),
    "satisfaction_effect": rate(2, 3),
    "satisfaction_service": rate(1, 2),
    "satisfaction_system": rate(1, 2),
}
EXPECTED_BY_UNIT = {
    "cgj": {
        "acceptance_notice_within_limit": rate(1, 2),
        "handling_notice_within_limit": rate(1, 2),
        "satisfied": rate(1, 2),
        "satisfaction_speed": rate(1, 2),
        "satisfaction_effect": rate(1, 2),
        "satisfaction_service": rate(1, 2),
        "satisfaction_system": rate(1, 1),
    },
    "swj": {
        "acceptance_notice_within_limit": rate(1, 1),
        "handling_notice_within_limit": rate(0, 1),
        "satisfied": rate(0, 1),
        "satisfaction_speed": rate(0, 1),
        "satisfaction_effect": rate(1, 1),
        "satisfaction_service": rate(0, 0),
        "satisfaction_system": rate(0, 1),
    },
}


async def test_analytics_notice_and_satisfaction_rates_in_the_kpis(
    client: httpx.AsyncClient, app_projector: Any, story: Callable[..., Any]
) -> None:
    await app_projector.apply_all(history(story))

    body = (await client.get("/v1/kpis")).json()

    for key, expected in EXPECTED_TOTALS.items():
        assert body["rates"][key] == expected, key
    # a-1, a-3 and a-4 asked to tell the result; a-1's and a-4's notices went out.
    assert body["totals"]["handling_notices_requested"] == 3
    assert body["totals"]["handling_notices_sent"] == 2
    for unit, rates in EXPECTED_BY_UNIT.items():
        for key, expected in rates.items():
            assert body["by_unit"][unit]["rates"][key] == expected, (unit, key)


async def test_analytics_notice_and_satisfaction_rates_by_unit_in_the_query_api(
    client: httpx.AsyncClient, app_projector: Any, story: Callable[..., Any]
) -> None:
    await app_projector.apply_all(history(story))

    for key in EXPECTED_TOTALS:
        answer = await client.get(
            "/v1/breakdown", params={"indicator": key, "by": "unit"}
        )

        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["source"] == "rollups"
        got = {
            item["key"]: {
                "numerator": item["numerator"],
                "denominator": item["denominator"],
                "rate": item["value"],
            }
            for item in body["items"]
        }
        assert got == {unit: EXPECTED_BY_UNIT[unit][key] for unit in ("cgj", "swj")}


async def test_analytics_new_indicators_are_defined_with_their_limits(
    client: httpx.AsyncClient,
) -> None:
    body = (await client.get("/v1/kpis/definitions")).json()

    by_key = {item["key"]: item for item in body["indicators"]}
    assert by_key["acceptance_notice_within_limit"]["label"] == "1个工作日内受理告知率"
    assert by_key["handling_notice_within_limit"]["label"] == "1个工作日内办理告知率"
    assert by_key["satisfaction_speed"]["subject"] == "return_visit"
    assert "4 or 5" in by_key["satisfaction_speed"]["numerator"]
    assert "run out unmet" in by_key["handling_notice_within_limit"]["denominator"]
    assert {indicator.key for indicator in indicators.RETURN_VISIT_RATES} == {
        "satisfied",
        "satisfaction_speed",
        "satisfaction_effect",
        "satisfaction_service",
        "satisfaction_system",
    }
