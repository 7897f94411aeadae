"""Intake's API: filing decisions, idempotency by channel reference, clear errors."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from minsheng_common.bus.tables import outbox
from minsheng_common.runtime import ServiceRuntime
from minsheng_intake.models import Appeal


def appeal(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channel": "hotline-12345",
        "channel_ref": "call-0001",
        "type": "complaint",
        "category_hint": "city-sanitation",
        "title": "垃圾桶满了没人清理",
        "content": "坑梓街道秀新社区某小区门口垃圾桶三天没人清理，气味很大。",
        "contact": {"kind": "phone", "value": "13800012345"},
        "address": "坑梓街道秀新社区秀新路12号",
        "received_at": "2026-12-04T10:00:00+08:00",
    }
    body.update(overrides)
    return body


async def staged_events(app: FastAPI) -> list[dict[str, Any]]:
    runtime: ServiceRuntime = app.state.runtime
    async with runtime.sessions() as session:
        rows = await session.execute(select(outbox.c.payload).order_by(outbox.c.id))
        return [json.loads(row.payload) for row in rows]


async def test_a_complete_appeal_is_filed_and_announced(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    answer = await client.post("/v1/appeals", json=appeal())

    assert answer.status_code == 201
    body = answer.json()
    assert body["decision"]["status"] == "filed"
    assert body["place"] == {
        "subdistrict_id": "kengzi-jd",
        "community": "秀新社区",
        "found_in": "address",
    }
    assert body["contact"] == {"kind": "phone", "masked": "+86 138****2345"}
    events = await staged_events(app)
    assert [event["type"] for event in events] == ["appeal.received", "appeal.filed"]
    assert all(event["key"] == body["id"] for event in events)
    filed = events[1]["data"]
    assert "13800012345" not in json.dumps(filed)
    assert filed["contact_encrypted"]


async def test_the_same_channel_reference_returns_the_first_result_and_emits_nothing(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    first = await client.post("/v1/appeals", json=appeal())
    again = await client.post(
        "/v1/appeals", json=appeal(title="另一个标题", category_hint="transport")
    )

    assert again.status_code == 200
    assert again.json() == first.json()
    assert len(await staged_events(app)) == 2


async def test_an_appeal_without_a_place_in_the_district_is_rejected_with_its_reason(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    answer = await client.post(
        "/v1/appeals",
        json=appeal(address=None, content="K8县丁字街的商户乱摆摊，影响交通。"),
    )

    decision = answer.json()["decision"]
    assert answer.status_code == 201
    assert decision["status"] == "rejected"
    assert decision["reason_code"] == "no_place_in_district"
    assert decision["article"].startswith("Art. 11")
    events = await staged_events(app)
    assert [event["type"] for event in events] == ["appeal.received", "appeal.rejected"]
    assert events[1]["data"]["reason_code"] == "no_place_in_district"


async def test_an_appeal_without_contact_is_rejected(client: httpx.AsyncClient) -> None:
    answer = await client.post("/v1/appeals", json=appeal(contact=None))
    assert answer.json()["decision"]["reason_code"] == "missing_contact"


async def test_an_invalid_phone_number_is_a_named_reason(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post(
        "/v1/appeals", json=appeal(contact={"kind": "phone", "value": "12345"})
    )
    assert answer.status_code == 201
    assert answer.json()["decision"]["reason_code"] == "invalid_contact"


async def test_a_naive_time_is_read_as_shanghai_and_recorded_as_such(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post(
        "/v1/appeals", json=appeal(received_at="2026-12-04 10:00:00")
    )
    body = answer.json()
    assert body["received_at"] == "2026-12-04T02:00:00Z"
    assert body["received_zone_assumed"] is True


async def test_an_unknown_channel_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    answer = await client.post("/v1/appeals", json=appeal(channel="fax"))

    assert answer.status_code == 422
    assert answer.json()["error"] == {
        "code": "unknown_channel",
        "message": "unknown channel 'fax'",
        "field": "channel",
    }
    runtime: ServiceRuntime = app.state.runtime
    async with runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Appeal)) == 0
    assert await staged_events(app) == []


async def test_a_malformed_body_names_the_field_at_fault(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post("/v1/appeals", json=appeal(type="praise"))

    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["field"] == "body.type"


async def test_content_over_the_limit_is_refused_not_cut(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post(
        "/v1/appeals", json=appeal(content="坑梓街道" + "很" * 6000)
    )

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "too_long"
    assert answer.json()["error"]["field"] == "content"


async def test_get_and_list_and_count(client: httpx.AsyncClient) -> None:
    filed = (await client.post("/v1/appeals", json=appeal())).json()
    await client.post("/v1/appeals", json=appeal(channel_ref="call-0002", contact=None))

    fetched = await client.get(f"/v1/appeals/{filed['id']}")
    rejected = await client.get("/v1/appeals", params={"decision": "rejected"})
    counts = await client.get("/v1/appeal-counts")

    assert fetched.json() == filed
    assert rejected.json()["total"] == 1
    assert counts.json() == {
        "total": 2,
        "filed": 1,
        "rejected": 1,
        "pending": 0,
        "answered": 0,
        "by_reason": {"missing_contact": 1},
        "by_channel": {"hotline-12345": 2},
        "by_status": {"filed": 1, "rejected": 1},
    }


async def test_an_unknown_appeal_is_not_found(client: httpx.AsyncClient) -> None:
    answer = await client.get("/v1/appeals/nope")
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "appeal_not_found"


async def test_a_receipt_time_in_the_future_is_refused(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post(
        "/v1/appeals", json=appeal(received_at="2999-01-01T00:00")
    )

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "received_at_out_of_range"
    assert answer.json()["error"]["field"] == "received_at"


async def test_a_receipt_time_at_the_edge_of_the_calendar_is_refused_not_a_500(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post(
        "/v1/appeals", json=appeal(received_at="0001-01-01T00:00")
    )

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "received_at_out_of_range"


async def test_invisible_characters_never_reach_the_store(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post(
        "/v1/appeals",
        json=appeal(
            title="路灯\u202e不亮", content="坑梓街道\x00秀新社区\u200b路灯不亮"
        ),
    )

    body = answer.json()
    assert answer.status_code == 201
    assert body["title"] == "路灯不亮"
    assert body["content"] == "坑梓街道秀新社区路灯不亮"


async def test_the_same_reference_typed_differently_is_the_same_appeal(
    client: httpx.AsyncClient,
) -> None:
    first = await client.post("/v1/appeals", json=appeal(channel_ref="T-1"))
    spaced = await client.post("/v1/appeals", json=appeal(channel_ref=" T-1 "))
    wide = await client.post("/v1/appeals", json=appeal(channel_ref="Ｔ-1"))

    assert (first.status_code, spaced.status_code, wide.status_code) == (201, 200, 200)
    assert spaced.json()["id"] == wide.json()["id"] == first.json()["id"]


async def test_a_local_number_is_read_in_the_districts_area_code(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post(
        "/v1/appeals", json=appeal(contact={"kind": "phone", "value": "28339260"})
    )

    assert answer.json()["decision"]["status"] == "filed"
    assert answer.json()["contact"]["masked"] == "+86 755****9260"


async def test_content_of_punctuation_only_is_missing_content(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post("/v1/appeals", json=appeal(title="   ", content="。"))

    assert answer.json()["decision"]["reason_code"] == "missing_content"


async def test_a_body_over_the_size_limit_is_refused_before_it_is_read(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post(
        "/v1/appeals", json=appeal(address="坑梓街道" + "很" * 1_000_000)
    )

    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "payload_too_large"


async def test_attachments_of_accepted_kinds_are_kept(
    client: httpx.AsyncClient,
) -> None:
    photos = ["https://files.example.cn/a/before.JPG", "https://files.example.cn/b.pdf"]

    answer = await client.post("/v1/appeals", json=appeal(attachments=photos))

    assert answer.status_code == 201


@pytest.mark.parametrize(
    "url",
    [
        "https://files.example.cn/run.exe",
        "https://files.example.cn/photo",
        "https://files.example.cn/page.html?x=.jpg",
    ],
)
async def test_an_attachment_of_another_kind_is_refused_and_nothing_stored(
    client: httpx.AsyncClient, app: FastAPI, url: str
) -> None:
    answer = await client.post(
        "/v1/appeals", json=appeal(attachments=["https://files.example.cn/a.png", url])
    )

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "attachment_not_allowed"
    assert answer.json()["error"]["field"] == "attachments.1"
    assert await staged_events(app) == []
