"""The citizen's status read: open without credentials, but only with the last
four digits of the contact; wrong digits answer as an unknown code; ten wrong tries
a minute and the code answers 429; the dated steps without personal data. On
SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

Submit = Callable[..., Awaitable[dict[str, Any]]]
Dispatch = Callable[[str, str], Awaitable[None]]
ClientFor = Callable[[str | None], Any]

PERSONAL = {
    "name": "李四",
    "title": "李四反映井盖缺失",
    "content": "龙田街道竹坑社区竹坑路16号门口井盖缺失，李四电话13912345678。",
    "contact": {"kind": "phone", "value": "139 1234 5678"},
    "address": None,
}


def status_path(code: str) -> str:
    return f"/v1/appeals/{code}/status"


async def test_the_right_digits_give_the_dated_steps(
    client_for: ClientFor, submit: Submit, dispatch: Dispatch
) -> None:
    appeal = await submit(**PERSONAL)
    await dispatch(appeal["id"], "cgj")

    async with client_for(None) as anonymous:
        answer = await anonymous.get(
            status_path(appeal["tracking_code"]), params={"last4": "5678"}
        )

    assert answer.status_code == 200, answer.text
    status = answer.json()
    assert status["state"] == "dispatched"
    assert [step["step"] for step in status["steps"]] == [
        "received",
        "filed",
        "dispatched",
    ]
    assert status["steps"][0]["at"] == "2026-12-04T02:00:00Z"
    assert status["steps"][2]["unit"] == "区城市管理和综合执法局"
    for personal in ("李四", "李*", "1391234", "5678", "竹坑路", "井盖", "cgj", "wo-"):
        assert personal not in answer.text


async def test_a_rejected_appeal_says_why_and_where_to_turn(
    client_for: ClientFor, submit: Submit
) -> None:
    appeal = await submit(
        content="坪山街道六和社区和平路8号的房东拖欠押金，我已起诉至法院，请督促。",
    )

    async with client_for(None) as anonymous:
        answer = await anonymous.get(
            status_path(appeal["tracking_code"]), params={"last4": "2345"}
        )

    rejected = answer.json()["steps"][-1]
    assert answer.json()["state"] == "rejected"
    assert rejected["reason"] == "属于涉法涉诉事项"
    assert "法律援助" in rejected["advice"]
    assert "已起诉" not in answer.text


async def test_a_held_appeal_shows_it_waits_for_the_grid_worker(
    client_for: ClientFor, submit: Submit
) -> None:
    appeal = await submit(
        content="坑梓街道秀新社区秀新路12号楼顶有人私搭乱建一层铁皮房。"
    )

    async with client_for(None) as anonymous:
        answer = await anonymous.get(
            status_path(appeal["tracking_code"]), params={"last4": "2345"}
        )

    assert answer.json()["state"] == "pending_verification"
    assert answer.json()["steps"][-1]["summary"] == "待网格员现场核实"


async def test_wrong_digits_answer_exactly_as_an_unknown_code(
    client_for: ClientFor, submit: Submit
) -> None:
    appeal = await submit()
    code = appeal["tracking_code"]

    async with client_for(None) as anonymous:
        wrong = await anonymous.get(status_path(code), params={"last4": "0000"})
        unknown = await anonymous.get(
            status_path("MS00000000000000"), params={"last4": "2345"}
        )

    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json()["error"]["code"] == unknown.json()["error"]["code"]
    assert wrong.json()["error"]["field"] == unknown.json()["error"]["field"]


async def test_full_width_digits_read_as_the_digits_they_stand_for(
    client_for: ClientFor, submit: Submit
) -> None:
    appeal = await submit(**PERSONAL)

    async with client_for(None) as anonymous:
        right = await anonymous.get(
            status_path(appeal["tracking_code"]), params={"last4": "５６７８"}
        )
        wrong = await anonymous.get(
            status_path(appeal["tracking_code"]), params={"last4": "５６７９"}
        )

    assert right.status_code == 200, right.text
    assert right.json()["tracking_code"] == appeal["tracking_code"]
    assert wrong.status_code == 404


async def test_an_email_contact_is_matched_by_its_last_four_characters(
    client_for: ClientFor, submit: Submit
) -> None:
    appeal = await submit(contact={"kind": "email", "value": "wang.xm@example.cn"})

    async with client_for(None) as anonymous:
        right = await anonymous.get(
            status_path(appeal["tracking_code"]), params={"last4": "e.cn"}
        )

    assert right.status_code == 200
    assert "example" not in right.text


async def test_ten_wrong_tries_a_minute_close_the_code(
    client_for: ClientFor, submit: Submit
) -> None:
    appeal = await submit()
    path = status_path(appeal["tracking_code"])

    async with client_for(None) as anonymous:
        wrong = [
            (await anonymous.get(path, params={"last4": f"{n:04d}"})).status_code
            for n in range(10)
        ]
        blocked = await anonymous.get(path, params={"last4": "2345"})

    assert wrong == [404] * 10
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "too_many_attempts"
    assert int(blocked.headers["Retry-After"]) >= 1


@pytest.mark.parametrize("last4", ["123", "12345"])
async def test_last4_must_be_four_characters(
    client_for: ClientFor, submit: Submit, last4: str
) -> None:
    appeal = await submit()

    async with client_for(None) as anonymous:
        answer = await anonymous.get(
            status_path(appeal["tracking_code"]), params={"last4": last4}
        )

    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "query.last4"


async def test_an_appeal_without_contact_has_no_status_to_read(
    client_for: ClientFor, submit: Submit
) -> None:
    appeal = await submit(contact=None)

    async with client_for(None) as anonymous:
        answer = await anonymous.get(
            status_path(appeal["tracking_code"]), params={"last4": "2345"}
        )

    assert answer.status_code == 404


async def test_the_center_reads_the_parts_and_grade_the_citizen_does_not(
    client: httpx.AsyncClient, client_for: ClientFor, submit: Submit
) -> None:
    appeal = await submit(**PERSONAL)

    seen = (await client.get(f"/v1/appeals/{appeal['id']}")).json()
    async with client_for(None) as anonymous:
        status = await anonymous.get(
            status_path(appeal["tracking_code"]), params={"last4": "5678"}
        )

    assert seen["address_parts"]["number"] == "16"
    assert seen["grade"] == {"level": 2, "basis": seen["grade"]["basis"]}
    assert "grade" not in status.json() and "address_parts" not in status.json()
