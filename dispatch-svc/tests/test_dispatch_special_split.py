"""Splitting (拆分, Art. 19) through the API: one appeal with several events for
different units becomes several event numbers; each part is its own order, timed
from its own dispatch (work_order.dispatched with clock_from "dispatched" and
split_from the original order) and closed and assessed on its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

NOW = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
Life = Any
"""The `life` fixture of conftest.py: dispatch running with clients and events."""

PARTS = [
    {"unit_id": "cgj", "summary": "路灯不亮，需维修"},
    {"unit_id": "swj", "summary": "同一路段污水外溢"},
]


def error(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()["error"]
    return body


def url(order: dict[str, Any], step: str) -> str:
    return f"/v1/work-orders/{order['id']}/{step}"


def split_body(parts: list[dict[str, str]] = PARTS) -> dict[str, Any]:
    return {"parts": parts, "reason": "一个诉求含两个事件"}


async def split(life: Life, order: dict[str, Any]) -> dict[str, Any]:
    response = await life.center.post(url(order, "split"), json=split_body())
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_dispatch_special_split_makes_one_order_per_event_with_its_clock(
    life: Life,
) -> None:
    """Art. 19: one appeal, several event numbers, each unit timed from its own
    dispatch."""
    order = await life.file()
    life.clock.advance(timedelta(hours=2))

    body = await split(life, order)

    origin, parts = body["work_order"], body["parts"]
    assert origin["id"] == order["id"] and origin["status"] == "split"
    assert [p["unit_id"] for p in parts] == ["cgj", "swj"]
    assert [p["tracking_code"] for p in parts] == [
        "MS20260309000001-1",
        "MS20260309000001-2",
    ]
    assert {p["split_from"] for p in parts} == {order["id"]}
    assert {p["appeal_id"] for p in parts} == {"appeal-1"}
    assert {p["clock_from"] for p in parts} == {"dispatched"}
    assert {p["role"] for p in parts} == {"sole"}
    assert parts[1]["content"].startswith("同一路段污水外溢")
    assert order["content"] in parts[1]["content"]
    events = await life.events()
    assert [t for t, _ in events] == [
        "work_order.dispatched",
        "work_order.replaced",
        "work_order.dispatched",
        "work_order.dispatched",
    ]
    replaced = events[1][1]
    assert replaced["kind"] == "split"
    assert replaced["work_order_id"] == order["id"]
    assert replaced["replacement_ids"] == [p["id"] for p in parts]
    for (_, dispatched), part in zip(events[2:], parts, strict=True):
        assert dispatched["work_order_id"] == part["id"]
        assert dispatched["clock_from"] == "dispatched"
        assert dispatched["split_from"] == order["id"]
        assert dispatched["role"] == "sole"
        assert dispatched["parallel_group_id"] is None
        # The clock starts at the split, not at the filing (Art. 19).
        assert datetime.fromisoformat(dispatched["dispatched_at"]) >= NOW + timedelta(
            hours=2
        )
        assert datetime.fromisoformat(dispatched["created_at"]) < NOW
    assert events[0][1]["clock_from"] == "created"


async def test_dispatch_special_split_is_audited_on_every_order(life: Life) -> None:
    order = await life.file()

    parts = (await split(life, order))["parts"]

    origin = await life.order(order["id"])
    (ended,) = [a for a in origin["history"] if a["action"] == "split"]
    assert ended["actor"].startswith("operator:")
    assert ended["detail"]["reason"] == "一个诉求含两个事件"
    assert ended["detail"]["replaced_by"] == [p["id"] for p in parts]
    part = await life.order(parts[0]["id"])
    (dispatched,) = part["history"]
    assert dispatched["action"] == "dispatched"
    assert dispatched["detail"]["split_from"] == order["id"]
    assert dispatched["detail"]["replaces"] == order["id"]


async def test_dispatch_special_split_parts_are_closed_and_assessed_apart(
    life: Life,
) -> None:
    """Each part closes on its own; the appeal is closed with its last part."""
    order = await life.file(appeal_type="suggestion", category_id="transport")
    parts = (await split(life, order))["parts"]
    clients = {"cgj": life.cgj, "swj": life.swj}

    closed: list[dict[str, Any]] = []
    for part in parts:
        client = clients[part["unit_id"]]
        await client.post(url(part, "sign"), json={"signed_by": "科员"})
        await life.handling_due(part["id"], life.now() + timedelta(days=3))
        life.clock.advance(timedelta(hours=2))
        asked = await client.post(
            url(part, "closure"),
            json={**life.reply(), "handling_notice": {"message": "已处理"}},
        )
        assert asked.status_code == 200, asked.text
        await life.notice_sent(part["id"])
        approved = await life.center.post(url(part, "closure/approve"), json={})
        assert approved.status_code == 200, approved.text
        closed.append(approved.json())

    assert [c["outcome"] for c in closed] == ["on_time", "on_time"]
    events = [d for t, d in await life.events() if t == "work_order.closed"]
    assert [(e["work_order_id"], e["appeal_closed"]) for e in events] == [
        (parts[0]["id"], False),
        (parts[1]["id"], True),
    ]


async def test_dispatch_special_split_of_a_signed_order_sends_it_again(
    life: Life,
) -> None:
    """Before it is finished, a signed order may be split too; the part for the
    same unit is a new order to sign again."""
    order = await life.signed()

    parts = (await split(life, order))["parts"]

    assert {p["status"] for p in parts} == {"dispatched"}
    assert (await life.order(order["id"]))["status"] == "split"
    late = await life.cgj.post(url(order, "progress"), json={"note": "处理中"})
    assert late.status_code == 409 and error(late)["code"] == "order_ended"
    assert "Art. 19" in error(late)["message"]


async def test_dispatch_special_split_answers_a_pending_return(life: Life) -> None:
    order = await life.file()
    await life.cgj.post(url(order, "return"), json={"reason": "部分不属本单位"})

    await split(life, order)
    decide = await life.center.post(url(order, "return/refuse"), json={"reason": "x"})

    (ended,) = [
        a for a in (await life.order(order["id"]))["history"] if a["action"] == "split"
    ]
    assert ended["detail"]["pending_return"] is True
    assert decide.status_code == 409 and error(decide)["code"] == "order_ended"


async def test_dispatch_special_split_of_a_closed_order_is_refused(
    life: Life,
) -> None:
    order = await life.closed()

    response = await life.center.post(url(order, "split"), json=split_body())

    assert response.status_code == 409
    assert error(response)["code"] == "order_finished"
    assert "Art. 19" in error(response)["message"]
    assert "work_order.replaced" not in await life.event_types()


async def test_dispatch_special_split_after_the_handling_notice_is_refused(
    life: Life,
) -> None:
    order = await life.signed()
    await life.cgj.post(url(order, "handling-notice"), json={"message": "已修复"})

    response = await life.center.post(url(order, "split"), json=split_body())

    assert response.status_code == 409
    assert error(response)["code"] == "order_finished"


async def test_dispatch_special_split_twice_is_refused(life: Life) -> None:
    order = await life.file()
    await split(life, order)

    again = await life.center.post(url(order, "split"), json=split_body())

    assert again.status_code == 409
    assert error(again)["code"] == "order_ended"
    listed = await life.center.get("/v1/work-orders", params={"appeal_id": "appeal-1"})
    assert listed.json()["total"] == 3


@pytest.mark.parametrize(
    ("parts", "status", "code", "field"),
    [
        (
            [{"unit_id": "cgj", "summary": "a"}, {"unit_id": "cgj", "summary": "b"}],
            422,
            "units_repeated",
            "parts.1.unit_id",
        ),
        (
            [{"unit_id": "cgj", "summary": "a"}, {"unit_id": "nobody", "summary": "b"}],
            422,
            "unknown_unit",
            "parts.1.unit_id",
        ),
        ([{"unit_id": "cgj", "summary": "a"}], 422, "invalid_input", "body.parts"),
    ],
)
async def test_dispatch_special_split_parts_must_name_known_different_units(
    life: Life,
    parts: list[dict[str, str]],
    status: int,
    code: str,
    field: str,
) -> None:
    order = await life.file()

    response = await life.center.post(url(order, "split"), json=split_body(parts))

    assert response.status_code == status, response.text
    assert error(response)["field"] == field
    if code != "invalid_input":
        assert error(response)["code"] == code
    assert (await life.order(order["id"]))["status"] == "dispatched"


async def test_dispatch_special_returned_part_hands_its_origin_on(
    life: Life,
) -> None:
    """A part returned and sent elsewhere is still a part of the split."""
    order = await life.file()
    part = (await split(life, order))["parts"][1]
    await life.swj.post(url(part, "return"), json={"reason": "不属本单位"})

    approved = await life.center.post(
        url(part, "return/approve"), json={"unit_id": "jtj", "reason": "交通"}
    )

    assert approved.status_code == 200, approved.text
    assert approved.json()["split_from"] == order["id"]
    assert approved.json()["tracking_code"] == "MS20260309000001-2"
    last = [d for t, d in await life.events() if t == "work_order.dispatched"][-1]
    assert last["split_from"] == order["id"]
    assert last["clock_from"] == "dispatched"


async def test_dispatch_special_split_is_idempotent_by_key(life: Life) -> None:
    order = await life.file()
    key = {"Idempotency-Key": "split-1"}

    once = await life.center.post(url(order, "split"), json=split_body(), headers=key)
    again = await life.center.post(url(order, "split"), json=split_body(), headers=key)

    assert once.status_code == again.status_code == 200
    assert again.json() == once.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    types = await life.event_types()
    assert types.count("work_order.replaced") == 1
    assert types.count("work_order.dispatched") == 3


async def test_dispatch_special_a_unit_cannot_split(life: Life) -> None:
    order = await life.file()

    response = await life.cgj.post(url(order, "split"), json=split_body())

    assert response.status_code == 403
    assert (await life.order(order["id"]))["status"] == "dispatched"
