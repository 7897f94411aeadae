"""Merging (并案, Art. 18) through the API: the center merges orders of several
citizens about one event into a surviving order before it is finished; the merged
orders end with their history, and work_order.merged names them and their appeals
so every citizen is told the result. Same-channel reports of one event cluster are
merged as they are dispatched; others are suggested to the center."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

NOW = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
Life = Any
"""The `life` fixture of conftest.py: dispatch running with clients and events."""


def error(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()["error"]
    return body


def url(order: dict[str, Any], step: str) -> str:
    return f"/v1/work-orders/{order['id']}/{step}"


async def three_reports(life: Life) -> list[dict[str, Any]]:
    """Three citizens' appeals about one street lamp, each dispatched to cgj (no
    event cluster, so nothing is merged at dispatch)."""
    return [
        await life.file(f"appeal-{n}", tracking_code=f"MS2026030900000{n}")
        for n in (1, 2, 3)
    ]


def merge_body(*orders: dict[str, Any], reason: str = "同一路灯") -> dict[str, Any]:
    return {"work_order_ids": [order["id"] for order in orders], "reason": reason}


def actions(order: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [a for a in order["history"] if a["action"] == name]


async def test_dispatch_special_merge_ends_the_others_and_names_every_appeal(
    life: Life,
) -> None:
    """Art. 18: the merged orders end (merged, history kept); work_order.merged
    names them and their appeals so notify tells every citizen the result."""
    first, second, third = await three_reports(life)
    life.clock.advance(timedelta(minutes=30))

    response = await life.center.post(
        url(first, "merge"),
        json=merge_body(second, third, reason="同一路灯 电话13800138000"),
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["work_order"]["id"] == first["id"]
    assert body["work_order"]["status"] == "dispatched"
    assert [o["status"] for o in body["merged"]] == ["merged", "merged"]
    assert {o["merged_into"] for o in body["merged"]} == {first["id"]}
    (merged,) = [d for t, d in await life.events() if t == "work_order.merged"]
    assert merged["work_order_id"] == first["id"]
    assert merged["appeal_id"] == "appeal-1"
    assert merged["merged_work_order_ids"] == [second["id"], third["id"]]
    assert merged["merged_appeal_ids"] == ["appeal-2", "appeal-3"]
    merged_at = datetime.fromisoformat(merged["merged_at"])
    assert NOW + timedelta(minutes=30) <= merged_at <= life.now()
    assert merged["merged_by"].startswith("operator:")
    # Who, when and why, on both sides; the reason with the phone masked.
    ended = await life.order(second["id"])
    (into,) = actions(ended, "merged_into")
    assert into["detail"]["work_order_id"] == first["id"]
    assert "13800138000" not in into["detail"]["reason"]
    assert [a["action"] for a in ended["history"]] == ["dispatched", "merged_into"]
    (kept,) = actions(await life.order(first["id"]), "merged")
    assert kept["actor"] == into["actor"] == merged["merged_by"]
    assert kept["detail"]["merged_appeal_ids"] == ["appeal-2", "appeal-3"]


async def test_dispatch_special_merged_order_refuses_every_later_step(
    life: Life,
) -> None:
    first, second, _ = await three_reports(life)
    await life.center.post(url(first, "merge"), json=merge_body(second))

    sign = await life.cgj.post(url(second, "sign"), json={"signed_by": "王科员"})
    back = await life.cgj.post(url(second, "return"), json={"reason": "不属本单位"})
    again = await life.center.post(url(first, "merge"), json=merge_body(second))

    for refused in (sign, back, again):
        assert refused.status_code == 409, refused.text
        assert error(refused)["code"] == "order_ended"
        assert "Art. 18" in error(refused)["message"]
    assert (await life.order(first["id"]))["status"] == "dispatched"


async def test_dispatch_special_merge_keeps_a_signed_survivor_signed(
    life: Life,
) -> None:
    survivor = await life.signed()
    other = await life.file("appeal-2", tracking_code="MS20260309000002")

    response = await life.center.post(url(survivor, "merge"), json=merge_body(other))

    assert response.status_code == 200, response.text
    assert response.json()["work_order"]["status"] == "signed"
    assert (await life.order(other["id"]))["status"] == "merged"


async def test_dispatch_special_merge_into_itself_is_refused(life: Life) -> None:
    first, second, _ = await three_reports(life)

    itself = await life.center.post(url(first, "merge"), json=merge_body(first))
    twice = await life.center.post(url(first, "merge"), json=merge_body(second, second))

    for refused in (itself, twice):
        assert refused.status_code == 409
        assert error(refused)["code"] == "merge_same_order"
        assert "Art. 18" in error(refused)["message"]
    assert (await life.order(second["id"]))["status"] == "dispatched"


async def test_dispatch_special_merge_into_a_closed_order_is_refused(
    life: Life,
) -> None:
    """Art. 18: only before the event is finished."""
    closed = await life.closed()
    other = await life.file("appeal-2", tracking_code="MS20260309000002")

    into_closed = await life.center.post(url(closed, "merge"), json=merge_body(other))
    closed_into = await life.center.post(url(other, "merge"), json=merge_body(closed))

    for refused in (into_closed, closed_into):
        assert refused.status_code == 409, refused.text
        assert error(refused)["code"] == "order_finished"
        assert "Art. 18" in error(refused)["message"]
    assert (await life.order(other["id"]))["status"] == "dispatched"
    assert not [t for t in await life.event_types() if t == "work_order.merged"]


async def test_dispatch_special_merge_refused_once_closure_or_notice_is_asked(
    life: Life,
) -> None:
    """A closure request, or a handling notice already sent for the survivor,
    means the result is out: the merged citizens would not be told it."""
    asked = await life.closure_requested()
    told = await life.signed("appeal-2", tracking_code="MS20260309000002")
    await life.cgj.post(url(told, "handling-notice"), json={"message": "已修复"})
    fresh = await life.file("appeal-3", tracking_code="MS20260309000003")

    into_asked = await life.center.post(url(asked, "merge"), json=merge_body(fresh))
    into_told = await life.center.post(url(told, "merge"), json=merge_body(fresh))
    asked_into = await life.center.post(url(fresh, "merge"), json=merge_body(asked))

    for refused in (into_asked, into_told, asked_into):
        assert refused.status_code == 409, refused.text
        assert error(refused)["code"] == "order_finished"
    assert (await life.order(fresh["id"]))["status"] == "dispatched"


async def test_dispatch_special_merge_of_a_returned_order_is_refused(
    life: Life,
) -> None:
    first, second, _ = await three_reports(life)
    await life.cgj.post(url(second, "return"), json={"reason": "不属本单位"})
    await life.center.post(
        url(second, "return/approve"), json={"unit_id": "swj", "reason": "水务"}
    )

    response = await life.center.post(url(first, "merge"), json=merge_body(second))

    assert response.status_code == 409
    assert error(response)["code"] == "order_returned"


async def test_dispatch_special_merge_names_an_unknown_order(life: Life) -> None:
    first, second, _ = await three_reports(life)

    response = await life.center.post(
        url(first, "merge"),
        json={"work_order_ids": [second["id"], "no-such-order"], "reason": "同一事件"},
    )

    assert response.status_code == 404
    assert error(response)["code"] == "work_order_not_found"
    assert error(response)["field"] == "work_order_ids.1"
    assert (await life.order(second["id"]))["status"] == "dispatched"


async def test_dispatch_special_merge_ends_a_pending_return(life: Life) -> None:
    """A return the merged order's unit asked for ends with it: nothing is left for
    the center to decide."""
    first, second, _ = await three_reports(life)
    await life.cgj.post(url(second, "return"), json={"reason": "不属本单位"})

    merged = await life.center.post(url(first, "merge"), json=merge_body(second))
    decide = await life.center.post(
        url(second, "return/approve"), json={"unit_id": "swj", "reason": "水务"}
    )

    assert merged.status_code == 200
    (into,) = actions(await life.order(second["id"]), "merged_into")
    assert into["detail"]["pending_return"] is True
    assert decide.status_code == 409 and error(decide)["code"] == "order_ended"


async def test_dispatch_special_merge_is_idempotent_by_key(life: Life) -> None:
    first, second, third = await three_reports(life)
    key = {"Idempotency-Key": "merge-1"}

    once = await life.center.post(
        url(first, "merge"), json=merge_body(second), headers=key
    )
    again = await life.center.post(
        url(first, "merge"), json=merge_body(second), headers=key
    )
    other = await life.center.post(
        url(first, "merge"), json=merge_body(third), headers=key
    )

    assert once.status_code == again.status_code == 200
    assert again.json() == once.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 409
    assert error(other)["code"] == "idempotency_key_reused"
    assert [t for t in await life.event_types() if t == "work_order.merged"] == [
        "work_order.merged"
    ]
    assert (await life.order(third["id"]))["status"] == "dispatched"


# Event clusters of intake: merged at dispatch, or suggested.


async def test_dispatch_special_same_channel_cluster_is_merged_at_dispatch(
    life: Life,
) -> None:
    """Art. 18: several people report the same event through the same channel;
    the later reports go into the first one's order as they are dispatched."""
    first = await life.file(cluster_id="cluster-lamp")
    life.clock.advance(timedelta(minutes=10))
    second = await life.file(
        "appeal-2", tracking_code="MS20260309000002", cluster_id="cluster-lamp"
    )

    assert first["status"] == "dispatched"
    assert second["status"] == "merged" and second["merged_into"] == first["id"]
    assert second["channel"] == "hotline-12345"
    events = await life.events()
    assert [t for t, _ in events] == [
        "work_order.dispatched",
        "work_order.dispatched",
        "work_order.merged",
    ]
    merged = events[2][1]
    assert merged["merged_work_order_ids"] == [second["id"]]
    assert merged["merged_appeal_ids"] == ["appeal-2"]
    assert merged["merged_by"] == "system"
    (kept,) = actions(await life.order(first["id"]), "merged")
    assert kept["detail"]["how"] == "automatic"
    assert "Art. 18" in kept["detail"]["reason"]


async def test_dispatch_special_other_channel_is_only_suggested(life: Life) -> None:
    """Product choice of the rules: matches across channels are suggested to the
    operator, not merged."""
    first = await life.file(cluster_id="cluster-lamp")
    second = await life.file(
        "appeal-2",
        tracking_code="MS20260309000002",
        cluster_id="cluster-lamp",
        channel="wechat-pingshan",
    )
    lone = await life.file(
        "appeal-3", tracking_code="MS20260309000003", cluster_id="cluster-other"
    )

    page = await life.center.get("/v1/merge-suggestions")
    narrowed = await life.center.get(
        "/v1/merge-suggestions", params={"work_order_id": lone["id"]}
    )

    assert second["status"] == "dispatched"
    assert page.status_code == 200
    (suggestion,) = page.json()["items"]
    assert page.json()["total"] == 1
    assert suggestion["cluster_id"] == "cluster-lamp"
    assert suggestion["same_channel"] is False
    assert suggestion["channels"] == ["hotline-12345", "wechat-pingshan"]
    assert suggestion["suggested_work_order_id"] == first["id"]
    assert [o["id"] for o in suggestion["orders"]] == [first["id"], second["id"]]
    assert narrowed.json() == {"items": [], "total": 0}
    merged = await life.center.post(url(first, "merge"), json=merge_body(second))
    assert merged.status_code == 200
    after = await life.center.get("/v1/merge-suggestions")
    assert after.json() == {"items": [], "total": 0}


async def test_dispatch_special_finished_first_report_takes_no_later_one(
    life: Life,
) -> None:
    """A report arriving after the first order was finished is an order of its own
    (Art. 18: before it is finished)."""
    asked = await life.signed(cluster_id="cluster-lamp")
    await life.cgj.post(url(asked, "handling-notice"), json={"message": "已修复"})

    later = await life.file(
        "appeal-2", tracking_code="MS20260309000002", cluster_id="cluster-lamp"
    )

    assert later["status"] == "dispatched" and later["merged_into"] is None
    assert "work_order.merged" not in await life.event_types()


@pytest.mark.parametrize("client", ["cgj", "leader"])
async def test_dispatch_special_only_the_center_merges(life: Life, client: str) -> None:
    first, second, _ = await three_reports(life)

    response = await life.clients[client].post(
        url(first, "merge"), json=merge_body(second)
    )
    listed = await life.clients[client].get("/v1/merge-suggestions")

    assert response.status_code == listed.status_code == 403
    assert (await life.order(second["id"]))["status"] == "dispatched"


async def test_dispatch_special_merged_signed_order_sends_no_acceptance_notice(
    life: Life,
) -> None:
    """The surviving order's unit tells the citizens; the merged one no longer
    does (Art. 18, 28)."""
    survivor = await life.file("appeal-2", tracking_code="MS20260309000002")
    signed = await life.signed()
    await life.center.post(url(survivor, "merge"), json=merge_body(signed))

    response = await life.cgj.post(
        url(signed, "acceptance-notice"),
        json={"requested_by": "王科员", "accepted": True, "message": "已受理"},
    )

    assert response.status_code == 409
    assert error(response)["code"] == "order_ended"
    assert "work_order.acceptance_notice_requested" not in await life.event_types()
