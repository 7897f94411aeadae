"""Parallel dispatch (并行, Art. 20, 22) through the API: one event number, several
units, each with its own order timed from its own dispatch and sharing a parallel
group. Candidates (ownership unclear) confirm or return; a lead gathers its
cooperating units' opinions and gives the single reply."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from minsheng_common.events import DeadlineReached, DeadlineSet

NOW = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
Life = Any
"""The `life` fixture of conftest.py: dispatch running with clients and events."""


def error(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()["error"]
    return body


def url(order: dict[str, Any], step: str) -> str:
    return f"/v1/work-orders/{order['id']}/{step}"


CANDIDATES = {"mode": "candidates", "unit_ids": ["cgj", "swj"], "reason": "权属不清"}
LEAD = {
    "mode": "lead",
    "lead_unit_id": "cgj",
    "cooperating_unit_ids": ["swj"],
    "reason": "城管牵头，水务协同",
}


async def parallel(
    life: Life, body: dict[str, Any], **changes: Any
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """A filed suggestion (no photos needed to close) sent in parallel; the group
    and each unit's order by unit."""
    order = await life.file(
        appeal_type="suggestion", category_id="transport", **changes
    )
    life.clock.advance(timedelta(minutes=40))
    response = await life.center.post(url(order, "parallel"), json=body)
    assert response.status_code == 200, response.text
    group = response.json()
    orders = {
        m["unit_id"]: await life.order(m["work_order_id"]) for m in group["members"]
    }
    return group, orders


def sign_off_set(order: dict[str, Any], due_at: datetime) -> DeadlineSet:
    return DeadlineSet(
        deadline_id=f"sign-off-{order['id']}",
        work_order_id=order["id"],
        appeal_id=order["appeal_id"],
        unit_id=order["unit_id"],
        kind="sign_off",
        starts_at=NOW,
        due_at=due_at,
        provisional=False,
        article="Art. 13",
        period="PT2H",
        rules_edition="measures-v4",
    )


def sign_off_reached(order: dict[str, Any], due_at: datetime) -> DeadlineReached:
    return DeadlineReached(
        deadline_id=f"sign-off-{order['id']}",
        work_order_id=order["id"],
        appeal_id=order["appeal_id"],
        unit_id=order["unit_id"],
        kind="sign_off",
        due_at=due_at,
        reached_at=due_at,
    )


def actions(order: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [a for a in order["history"] if a["action"] == name]


async def test_dispatch_special_parallel_gives_each_unit_its_order_and_clock(
    life: Life,
) -> None:
    """Art. 20, 22: one event number, each unit timed from its own dispatch."""
    group, orders = await parallel(life, CANDIDATES)

    origin = await life.order(group["origin_work_order_id"])
    assert origin["status"] == "parallel"
    assert group["mode"] == "candidates" and group["owner_work_order_id"] is None
    assert set(orders) == {"cgj", "swj"}
    for order in orders.values():
        assert order["role"] == "candidate"
        assert order["parallel_group_id"] == group["id"]
        assert order["tracking_code"] == origin["tracking_code"]
        assert order["clock_from"] == "dispatched"
        assert order["status"] == "dispatched"
    events = await life.events()
    assert [t for t, _ in events] == [
        "work_order.dispatched",
        "work_order.replaced",
        "work_order.dispatched",
        "work_order.dispatched",
    ]
    assert events[1][1]["kind"] == "parallel"
    assert events[1][1]["parallel_group_id"] == group["id"]
    for _, dispatched in events[2:]:
        assert dispatched["role"] == "candidate"
        assert dispatched["parallel_group_id"] == group["id"]
        assert dispatched["clock_from"] == "dispatched"
        assert dispatched["split_from"] is None
        assert datetime.fromisoformat(dispatched["dispatched_at"]) >= NOW + timedelta(
            minutes=40
        )


async def test_dispatch_special_lead_mode_gives_roles(life: Life) -> None:
    group, orders = await parallel(life, LEAD)

    assert group["mode"] == "lead"
    assert orders["cgj"]["role"] == "lead" and orders["swj"]["role"] == "cooperating"
    roles = {
        d["unit_id"]: d["role"]
        for t, d in await life.events()
        if t == "work_order.dispatched" and d["parallel_group_id"] == group["id"]
    }
    assert roles == {"cgj": "lead", "swj": "cooperating"}
    assert group["opinions_missing"] == [orders["swj"]["id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**CANDIDATES, "unit_ids": ["cgj", "cgj"]}, "unit_ids.1"),
        ({**LEAD, "cooperating_unit_ids": ["cgj"]}, "cooperating_unit_ids.0"),
    ],
)
async def test_dispatch_special_parallel_names_each_unit_once(
    life: Life, body: dict[str, Any], field: str
) -> None:
    order = await life.file()

    response = await life.center.post(url(order, "parallel"), json=body)

    assert response.status_code == 422
    assert error(response)["code"] == "units_repeated"
    assert error(response)["field"] == field
    assert (await life.order(order["id"]))["status"] == "dispatched"


async def test_dispatch_special_parallel_of_a_closed_order_is_refused(
    life: Life,
) -> None:
    order = await life.closed()

    response = await life.center.post(url(order, "parallel"), json=CANDIDATES)

    assert response.status_code == 409
    assert error(response)["code"] == "order_finished"
    assert "Art. 20" in error(response)["message"]


async def test_dispatch_special_a_group_member_moves_only_with_its_group(
    life: Life,
) -> None:
    """Art. 20: no member is split, merged or sent in parallel again on its own."""
    _, orders = await parallel(life, LEAD)
    other = await life.file("appeal-2", tracking_code="MS20260309000002")
    member = orders["swj"]

    again = await life.center.post(url(member, "parallel"), json=CANDIDATES)
    split = await life.center.post(
        url(member, "split"),
        json={
            "parts": [
                {"unit_id": "cgj", "summary": "a"},
                {"unit_id": "jtj", "summary": "b"},
            ],
            "reason": "x",
        },
    )
    merged = await life.center.post(
        url(other, "merge"), json={"work_order_ids": [member["id"]], "reason": "x"}
    )
    into = await life.center.post(
        url(member, "merge"), json={"work_order_ids": [other["id"]], "reason": "x"}
    )

    for refused in (again, split, merged, into):
        assert refused.status_code == 409, refused.text
        assert error(refused)["code"] == "parallel_member"
        assert "Art. 20" in error(refused)["message"]


# Candidates: ownership unclear (Art. 20).


async def test_dispatch_special_candidate_confirms_and_the_other_returns_freely(
    life: Life,
) -> None:
    """The one that confirms handles it; the others return it without the center
    deciding."""
    group, orders = await parallel(life, CANDIDATES)
    cgj, swj = orders["cgj"], orders["swj"]

    confirmed = await life.cgj.post(url(cgj, "confirm"), json={"signed_by": "王科员"})
    returned = await life.swj.post(url(swj, "return"), json={"reason": "不属本单位"})

    assert confirmed.status_code == 200, confirmed.text
    owner = confirmed.json()
    assert owner["status"] == "signed" and owner["role"] == "sole"
    assert owner["sign_mode"] == "manual" and owner["signed_by"] == "王科员"
    assert returned.status_code == 200, returned.text
    assert returned.json()["status"] == "returned"
    assert returned.json()["redispatched_to"] == cgj["id"]
    view = (await life.center.get(url(cgj, "parallel-group"))).json()
    assert view["owner_work_order_id"] == cgj["id"]
    seen = await life.order(swj["id"])
    assert [a["action"] for a in seen["history"]] == [
        "dispatched",
        "owner_confirmed",
        "returned_as_candidate",
    ]
    events = await life.events()
    signed = [d for t, d in events if t == "work_order.signed"]
    assert [(d["work_order_id"], d["mode"]) for d in signed] == [(cgj["id"], "manual")]
    decided = [d for t, d in events if t == "work_order.return_decided"]
    assert [(d["work_order_id"], d["approved"]) for d in decided] == [(swj["id"], True)]
    assert decided[0]["decided_by"] == "system"
    assert decided[0]["redispatched_to"] == cgj["id"]
    assert "work_order.return_requested" in [t for t, _ in events]
    assert group["id"] == owner["parallel_group_id"]
    # The owner signed: it can no longer give the event back (Art. 13).
    back = await life.cgj.post(url(cgj, "return"), json={"reason": "不属本单位"})
    assert back.status_code == 409 and error(back)["code"] == "already_signed"


async def test_dispatch_special_a_candidate_does_not_sign(life: Life) -> None:
    _, orders = await parallel(life, CANDIDATES)

    response = await life.cgj.post(url(orders["cgj"], "sign"), json={"signed_by": "王"})

    assert response.status_code == 409
    assert error(response)["code"] == "candidate_confirms"
    assert "Art. 20" in error(response)["message"]
    assert (await life.order(orders["cgj"]["id"]))["status"] == "dispatched"


async def test_dispatch_special_second_confirmation_is_refused(life: Life) -> None:
    _, orders = await parallel(life, CANDIDATES)
    await life.cgj.post(url(orders["cgj"], "confirm"), json={"signed_by": "王科员"})

    late = await life.swj.post(url(orders["swj"], "confirm"), json={"signed_by": "李"})
    repeated = await life.cgj.post(
        url(orders["cgj"], "confirm"), json={"signed_by": "王科员"}
    )

    assert late.status_code == 409
    assert error(late)["code"] == "owner_confirmed"
    assert orders["cgj"]["id"] in error(late)["message"]
    assert (await life.order(orders["swj"]["id"]))["status"] == "dispatched"
    # The same clerk confirming again gets the order as it stands.
    assert repeated.status_code == 200 and repeated.json()["role"] == "sole"


async def test_dispatch_special_confirming_an_ordinary_order_is_refused(
    life: Life,
) -> None:
    order = await life.file()

    response = await life.cgj.post(url(order, "confirm"), json={"signed_by": "王"})

    assert response.status_code == 409
    assert error(response)["code"] == "not_candidate"


async def test_dispatch_special_the_last_candidate_asks_the_center_to_return(
    life: Life,
) -> None:
    """Before anyone confirmed, a candidate returns freely while another is still
    deciding; the last one left asks the center as for any return."""
    _, orders = await parallel(life, CANDIDATES)

    first = await life.swj.post(url(orders["swj"], "return"), json={"reason": "否"})
    last = await life.cgj.post(url(orders["cgj"], "return"), json={"reason": "否"})
    approved = await life.center.post(
        url(orders["cgj"], "return/approve"), json={"unit_id": "jtj", "reason": "交通"}
    )

    assert first.json()["status"] == "returned"
    assert last.json()["status"] == "return_requested"
    assert approved.status_code == 200, approved.text
    # The unit the center names takes the candidate's place and confirms it.
    assert approved.json()["role"] == "candidate"
    confirmed = await life.clients["operator"].get(
        url(approved.json(), "parallel-group")
    )
    assert confirmed.json()["owner_work_order_id"] is None


async def test_dispatch_special_candidate_time_out_returns_it_once_owned(
    life: Life,
) -> None:
    """Art. 13 meets Art. 20: a candidate's sign-off time runs out; with an owner it
    is returned by default, without one it waits (never signed by default)."""
    _, orders = await parallel(life, {**CANDIDATES, "unit_ids": ["cgj", "swj", "jtj"]})
    due = life.now() + timedelta(hours=2)
    for order in orders.values():
        await life.deliver(sign_off_set(order, due))

    life.clock.advance(timedelta(hours=3))
    await life.deliver(sign_off_reached(orders["jtj"], due))
    waiting = await life.order(orders["jtj"]["id"])
    confirmed = await life.cgj.post(
        url(orders["cgj"], "confirm"), json={"signed_by": "王科员"}
    )
    swept = await life.order(orders["jtj"]["id"])
    await life.deliver(sign_off_reached(orders["swj"], due))
    timed_out = await life.order(orders["swj"]["id"])

    assert waiting["status"] == "dispatched" and waiting["signed_at"] is None
    assert actions(waiting, "sign_off_time_passed")
    assert confirmed.status_code == 200
    # At the confirmation, a candidate whose time ran out is returned at once.
    assert swept["status"] == "returned"
    assert actions(swept, "returned_by_default")
    assert timed_out["status"] == "returned"
    assert timed_out["redispatched_to"] == orders["cgj"]["id"]
    (default,) = actions(timed_out, "returned_by_default")
    assert default["actor"] == "system" and "Art. 13" in default["detail"]["reason"]
    signed = [
        d["work_order_id"] for t, d in await life.events() if t == "work_order.signed"
    ]
    assert signed == [orders["cgj"]["id"]]


async def test_dispatch_special_late_candidate_return_is_not_a_default_sign(
    life: Life,
) -> None:
    _, orders = await parallel(life, CANDIDATES)
    due = life.now() + timedelta(hours=2)
    await life.deliver(sign_off_set(orders["swj"], due))
    life.clock.advance(timedelta(hours=3))

    response = await life.swj.post(url(orders["swj"], "return"), json={"reason": "否"})

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "returned"
    assert response.json()["signed_at"] is None


async def test_dispatch_special_confirm_is_idempotent_by_key(life: Life) -> None:
    _, orders = await parallel(life, CANDIDATES)
    key = {"Idempotency-Key": "confirm-1"}
    body = {"signed_by": "王科员"}

    once = await life.cgj.post(url(orders["cgj"], "confirm"), json=body, headers=key)
    again = await life.cgj.post(url(orders["cgj"], "confirm"), json=body, headers=key)

    assert once.status_code == again.status_code == 200
    assert again.json() == once.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (await life.event_types()).count("work_order.signed") == 1


# A lead and its cooperating units (Art. 20).


async def signed_lead(life: Life) -> dict[str, dict[str, Any]]:
    """A lead-mode group whose orders are signed, each handling due in 3 days."""
    _, orders = await parallel(life, LEAD)
    for unit, client in (("cgj", life.cgj), ("swj", life.swj)):
        order = orders[unit]
        signed = await client.post(url(order, "sign"), json={"signed_by": "科员"})
        assert signed.status_code == 200, signed.text
        await life.handling_due(order["id"], life.now() + timedelta(days=3))
    return orders


async def test_dispatch_special_lead_waits_for_the_opinion_to_close(
    life: Life,
) -> None:
    orders = await signed_lead(life)
    life.clock.advance(timedelta(hours=1))

    refused = await life.cgj.post(url(orders["cgj"], "closure"), json=life.reply())

    assert refused.status_code == 409
    assert error(refused)["code"] == "opinion_missing"
    assert "Art. 20" in error(refused)["message"]
    assert orders["swj"]["id"] in error(refused)["message"]
    assert (await life.order(orders["cgj"]["id"]))["status"] == "signed"


async def test_dispatch_special_cooperating_unit_does_not_reply(life: Life) -> None:
    orders = await signed_lead(life)
    life.clock.advance(timedelta(hours=1))
    swj = orders["swj"]

    closure = await life.swj.post(url(swj, "closure"), json=life.reply())
    notice = await life.swj.post(url(swj, "handling-notice"), json={"message": "好"})

    for refused in (closure, notice):
        assert refused.status_code == 409
        assert error(refused)["code"] == "lead_replies"
        assert "Art. 20" in error(refused)["message"]


async def test_dispatch_special_opinion_reaches_the_lead_and_the_group_closes(
    life: Life,
) -> None:
    """The lead reads the opinion, replies once, and closing it closes the
    cooperating order on time."""
    orders = await signed_lead(life)
    life.clock.advance(timedelta(hours=2))

    given = await life.swj.post(
        url(orders["swj"], "opinion"), json={"opinion": "污水管已疏通，电话13800138000"}
    )
    cooperating_then = await life.order(orders["swj"]["id"])
    lead_view = await life.cgj.get(url(orders["cgj"], "parallel-group"))
    own_view = await life.swj.get(url(orders["swj"], "parallel-group"))
    asked = await life.cgj.post(
        url(orders["cgj"], "closure"),
        json={**life.reply(), "handling_notice": {"message": "已统一答复"}},
    )
    await life.notice_sent(orders["cgj"]["id"])
    closed = await life.center.post(url(orders["cgj"], "closure/approve"), json={})

    assert given.status_code == 201, given.text
    opinion = given.json()
    assert opinion["status"] == "submitted" and opinion["on_time"] is True
    assert "13800138000" not in opinion["opinion"]
    assert cooperating_then["status"] == "in_progress"
    lead = await life.order(orders["cgj"]["id"])
    (received,) = actions(lead, "opinion_submitted")
    assert received["detail"]["work_order_id"] == orders["swj"]["id"]
    assert received["detail"]["opinion"] == opinion["opinion"]
    by_unit = {m["unit_id"]: m for m in lead_view.json()["members"]}
    assert by_unit["swj"]["opinion"]["opinion"] == opinion["opinion"]
    assert lead_view.json()["opinions_missing"] == []
    assert own_view.status_code == 200
    assert asked.status_code == 200, asked.text
    assert closed.status_code == 200, closed.text
    cooperating = await life.order(orders["swj"]["id"])
    assert cooperating["status"] == "closed" and cooperating["outcome"] == "on_time"
    assert actions(cooperating, "closed_with_lead")
    events = await life.events()
    (submitted,) = [d for t, d in events if t == "work_order.opinion_submitted"]
    assert submitted["lead_work_order_id"] == orders["cgj"]["id"]
    assert submitted["on_time"] is True
    assert [
        (d["work_order_id"], d["appeal_closed"])
        for t, d in events
        if t == "work_order.closed"
    ] == [(orders["swj"]["id"], False), (orders["cgj"]["id"], True)]


async def test_dispatch_special_opinion_after_the_period_counts_late(
    life: Life,
) -> None:
    orders = await signed_lead(life)
    life.clock.advance(timedelta(days=4))

    given = await life.swj.post(url(orders["swj"], "opinion"), json={"opinion": "晚"})

    assert given.status_code == 201
    assert given.json()["on_time"] is False
    due = datetime.fromisoformat(given.json()["due_at"])
    assert due < datetime.fromisoformat(given.json()["at"])


async def test_dispatch_special_opinion_once_after_signing_by_cooperating_only(
    life: Life,
) -> None:
    _, orders = await parallel(life, LEAD)
    unsigned = await life.swj.post(url(orders["swj"], "opinion"), json={"opinion": "a"})
    await life.swj.post(url(orders["swj"], "sign"), json={"signed_by": "李"})
    first = await life.swj.post(url(orders["swj"], "opinion"), json={"opinion": "a"})
    second = await life.swj.post(url(orders["swj"], "opinion"), json={"opinion": "b"})
    by_lead = await life.cgj.post(url(orders["cgj"], "opinion"), json={"opinion": "c"})

    assert unsigned.status_code == 409 and error(unsigned)["code"] == "not_signed"
    assert first.status_code == 201
    assert second.status_code == 409
    assert error(second)["code"] == "opinion_already_given"
    assert by_lead.status_code == 409 and error(by_lead)["code"] == "not_cooperating"
    submitted = [
        t for t in await life.event_types() if t == "work_order.opinion_submitted"
    ]
    assert len(submitted) == 1


async def test_dispatch_special_center_waives_a_missing_opinion(life: Life) -> None:
    orders = await signed_lead(life)
    life.clock.advance(timedelta(days=4))

    waived = await life.center.post(
        url(orders["swj"], "opinion/waive"), json={"reason": "协同单位无需意见"}
    )
    again = await life.center.post(
        url(orders["swj"], "opinion/waive"), json={"reason": "再次"}
    )
    asked = await life.cgj.post(
        url(orders["cgj"], "closure"),
        json={**life.reply(), "handling_notice": {"message": "已统一答复"}},
    )
    await life.notice_sent(orders["cgj"]["id"])
    closed = await life.center.post(url(orders["cgj"], "closure/approve"), json={})

    assert waived.status_code == 200, waived.text
    assert waived.json()["status"] == "waived" and waived.json()["on_time"] is False
    assert again.status_code == 409
    assert error(again)["code"] == "opinion_already_given"
    assert asked.status_code == 200, asked.text
    assert closed.status_code == 200
    cooperating = await life.order(orders["swj"]["id"])
    assert cooperating["status"] == "closed" and cooperating["outcome"] == "overdue"
    assert actions(cooperating, "opinion_waived")[0]["actor"].startswith("operator:")
    assert actions(await life.order(orders["cgj"]["id"]), "opinion_waived")
    after = await life.center.post(
        url(orders["swj"], "opinion/waive"), json={"reason": "已办结"}
    )
    assert after.status_code == 409 and error(after)["code"] == "already_closed"


async def test_dispatch_special_opinions_are_walled_between_units(
    life: Life,
) -> None:
    """The center and the lead read every opinion; a cooperating unit its own;
    another unit's order reads as missing."""
    _, orders = await parallel(
        life,
        {**LEAD, "cooperating_unit_ids": ["swj", "jtj"]},
    )
    await life.swj.post(url(orders["swj"], "sign"), json={"signed_by": "李"})
    await life.swj.post(url(orders["swj"], "opinion"), json={"opinion": "水务意见"})
    other = await life.file("appeal-2", tracking_code="MS20260309000002")

    center = await life.center.get(url(orders["swj"], "parallel-group"))
    outsider = await life.cgj.get(url(orders["swj"], "parallel-group"))
    none = await life.cgj.get(url(other, "parallel-group"))

    assert center.status_code == 200
    assert center.json()["opinions_missing"] == [orders["jtj"]["id"]]
    seen = {m["unit_id"]: m["opinion"] for m in center.json()["members"]}
    assert seen["swj"]["opinion"] == "水务意见"
    assert outsider.status_code == 404
    assert error(outsider)["code"] == "work_order_not_found"
    assert none.status_code == 404
    assert error(none)["code"] == "parallel_group_not_found"


async def test_dispatch_special_returned_lead_hands_its_role_on(life: Life) -> None:
    _, orders = await parallel(life, LEAD)
    await life.cgj.post(url(orders["cgj"], "return"), json={"reason": "不属本单位"})

    approved = await life.center.post(
        url(orders["cgj"], "return/approve"), json={"unit_id": "jtj", "reason": "交通"}
    )

    assert approved.status_code == 200, approved.text
    assert approved.json()["role"] == "lead"
    assert approved.json()["parallel_group_id"] == orders["cgj"]["parallel_group_id"]
    last = [d for t, d in await life.events() if t == "work_order.dispatched"][-1]
    assert (last["role"], last["parallel_group_id"]) == (
        "lead",
        orders["cgj"]["parallel_group_id"],
    )


async def test_dispatch_special_parallel_and_opinion_are_idempotent_by_key(
    life: Life,
) -> None:
    order = await life.file(appeal_type="suggestion", category_id="transport")
    key = {"Idempotency-Key": "parallel-1"}

    once = await life.center.post(url(order, "parallel"), json=LEAD, headers=key)
    again = await life.center.post(url(order, "parallel"), json=LEAD, headers=key)
    members = {m["unit_id"]: m for m in once.json()["members"]}
    swj = {"id": members["swj"]["work_order_id"]}
    await life.swj.post(url(swj, "sign"), json={"signed_by": "李"})
    opinion_key = {"Idempotency-Key": "opinion-1"}
    given = await life.swj.post(
        url(swj, "opinion"), json={"opinion": "意见"}, headers=opinion_key
    )
    repeated = await life.swj.post(
        url(swj, "opinion"), json={"opinion": "意见"}, headers=opinion_key
    )

    assert once.status_code == again.status_code == 200
    assert again.json() == once.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert given.status_code == repeated.status_code == 201
    assert repeated.json() == given.json()
    types = await life.event_types()
    assert types.count("work_order.replaced") == 1
    assert types.count("work_order.opinion_submitted") == 1


async def test_dispatch_special_waiver_is_idempotent_by_key(life: Life) -> None:
    orders = await signed_lead(life)
    key = {"Idempotency-Key": "waive-1"}
    body = {"reason": "无需协同意见"}

    once = await life.center.post(
        url(orders["swj"], "opinion/waive"), json=body, headers=key
    )
    again = await life.center.post(
        url(orders["swj"], "opinion/waive"), json=body, headers=key
    )

    assert once.status_code == again.status_code == 200
    assert again.json() == once.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    swj = await life.order(orders["swj"]["id"])
    assert len(actions(swj, "opinion_waived")) == 1


async def test_dispatch_special_waiving_the_leads_opinion_is_refused(
    life: Life,
) -> None:
    orders = await signed_lead(life)

    on_lead = await life.center.post(
        url(orders["cgj"], "opinion/waive"), json={"reason": "x"}
    )

    assert on_lead.status_code == 409
    assert error(on_lead)["code"] == "not_cooperating"


@pytest.mark.parametrize(
    ("client", "step", "body"),
    [
        ("cgj", "parallel", CANDIDATES),
        ("cgj", "opinion/waive", {"reason": "x"}),
        ("operator", "confirm", {"signed_by": "王"}),
        ("operator", "opinion", {"opinion": "x"}),
    ],
)
async def test_dispatch_special_center_steers_and_units_act(
    life: Life, client: str, step: str, body: dict[str, Any]
) -> None:
    order = await life.file()

    response = await life.clients[client].post(url(order, step), json=body)

    assert response.status_code == 403
    assert (await life.order(order["id"]))["status"] == "dispatched"
