"""Appeals of the kinds a grid worker checks on site wait as pending; the center's
finding files them or rejects them with the verification reason (Art. 11,
11(3)6). On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from minsheng_common.runtime import ServiceRuntime
from minsheng_intake.models import Verification

Submit = Callable[..., Awaitable[dict[str, Any]]]
Events = Callable[[], Awaitable[list[dict[str, Any]]]]

ILLEGAL_BUILDING = {
    "title": "小区楼顶私搭乱建",
    "content": "坑梓街道秀新社区秀新路12号楼顶有人私搭乱建一层铁皮房，已经施工三天了。",
}


async def test_an_illegal_building_complaint_waits_for_a_grid_worker(
    submit: Submit, events: Events
) -> None:
    appeal = await submit(**ILLEGAL_BUILDING)

    assert appeal["decision"]["status"] == "pending_verification"
    assert appeal["decision"]["held_reason"] == "verification"
    assert appeal["decision"]["reason_code"] is None
    staged = await events()
    assert [event["type"] for event in staged] == ["appeal.received", "appeal.held"]
    assert staged[1]["data"]["reason"] == "verification"


async def test_a_lamp_post_complaint_is_filed_without_waiting(submit: Submit) -> None:
    appeal = await submit(
        content="石井街道田心社区路灯编号 SJ-0231 不亮，晚上走路很黑。",
        title="路灯不亮",
    )
    assert appeal["decision"]["status"] == "filed"


async def test_a_consultation_about_illegal_building_is_not_held(
    submit: Submit,
) -> None:
    appeal = await submit(
        type="consultation",
        title="违建怎么举报",
        content="请问坑梓街道秀新社区发现违建应该向哪个部门举报？",
    )
    assert appeal["decision"]["status"] == "filed"


async def test_found_true_on_site_files_it(
    client: httpx.AsyncClient, submit: Submit, events: Events
) -> None:
    appeal = await submit(**ILLEGAL_BUILDING)

    answer = await client.post(
        f"/v1/appeals/{appeal['id']}/verification",
        json={"outcome": "true", "note": "现场确有铁皮房正在搭建"},
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["decision"]["status"] == "filed"
    staged = await events()
    assert [event["type"] for event in staged][-1] == "appeal.filed"
    filed = staged[-1]["data"]
    assert filed["appeal_id"] == appeal["id"]
    assert filed["level"] == 3


@pytest.mark.parametrize(
    ("outcome", "reason"),
    [
        ("address_untrue", "verification_address_untrue"),
        ("content_untrue", "verification_content_untrue"),
        ("invented", "verification_invented"),
    ],
)
async def test_found_untrue_rejects_it_with_the_verification_reason(
    client: httpx.AsyncClient,
    submit: Submit,
    events: Events,
    outcome: str,
    reason: str,
) -> None:
    appeal = await submit(**ILLEGAL_BUILDING)

    answer = await client.post(
        f"/v1/appeals/{appeal['id']}/verification",
        json={"outcome": outcome, "note": "网格员现场查看"},
    )

    decision = answer.json()["decision"]
    assert answer.status_code == 200
    assert decision["status"] == "rejected"
    assert decision["reason_code"] == reason
    assert decision["article"] == "Art. 11(3)6"
    assert decision["evidence"] == {
        "field": "verification",
        "found": f"{outcome} on site",
    }
    assert decision["advice"]
    rejected = (await events())[-1]
    assert rejected["type"] == "appeal.rejected"
    assert rejected["data"]["reason_code"] == reason
    assert rejected["data"]["advice"] == decision["advice"]
    assert "网格员现场查看" not in str(rejected)


async def test_a_second_verification_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, submit: Submit, events: Events
) -> None:
    appeal = await submit(**ILLEGAL_BUILDING)
    path = f"/v1/appeals/{appeal['id']}/verification"
    await client.post(path, json={"outcome": "true", "note": "属实"})
    before = await events()

    again = await client.post(path, json={"outcome": "invented", "note": "再查"})

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "not_pending_verification"
    assert await events() == before
    seen = (await client.get(f"/v1/appeals/{appeal['id']}")).json()
    assert seen["decision"]["status"] == "filed"


async def test_a_filed_appeal_is_not_verified(
    client: httpx.AsyncClient, submit: Submit
) -> None:
    appeal = await submit()

    answer = await client.post(
        f"/v1/appeals/{appeal['id']}/verification",
        json={"outcome": "true", "note": "属实"},
    )

    assert answer.status_code == 409


async def test_an_unknown_appeal_is_not_found(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/v1/appeals/nope/verification", json={"outcome": "true", "note": "属实"}
    )
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "appeal_not_found"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"outcome": "maybe", "note": "看不清"}, "body.outcome"),
        ({"outcome": "true", "note": ""}, "body.note"),
        ({"outcome": "true"}, "body.note"),
    ],
)
async def test_a_bad_finding_names_the_field_and_stores_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    submit: Submit,
    events: Events,
    body: dict[str, Any],
    field: str,
) -> None:
    appeal = await submit(**ILLEGAL_BUILDING)
    before = await events()

    answer = await client.post(f"/v1/appeals/{appeal['id']}/verification", json=body)

    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == field
    assert await events() == before
    runtime: ServiceRuntime = app.state.runtime
    async with runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Verification)) == 0


async def test_the_counts_show_the_pending_appeal(
    client: httpx.AsyncClient, submit: Submit
) -> None:
    await submit(**ILLEGAL_BUILDING)
    await submit(channel_ref="call-0002")

    counts = (await client.get("/v1/appeal-counts")).json()
    pending = await client.get(
        "/v1/appeals", params={"decision": "pending_verification"}
    )

    assert (counts["total"], counts["filed"], counts["pending"]) == (2, 1, 1)
    assert counts["by_status"] == {"filed": 1, "pending_verification": 1}
    assert pending.json()["total"] == 1


async def test_a_unit_or_channel_cannot_record_a_verification(
    client_for: Callable[[str | None], Any], submit: Submit
) -> None:
    appeal = await submit(**ILLEGAL_BUILDING)

    for caller in ("cgj", "hotline"):
        async with client_for(caller) as http:
            answer = await http.post(
                f"/v1/appeals/{appeal['id']}/verification",
                json={"outcome": "true", "note": "属实"},
            )
        assert answer.status_code == 403, caller
