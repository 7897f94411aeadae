"""Who reaches what in intake: every route needs credentials and its scope; a unit
reads only the appeals it holds, redacted; a channel submits only for itself and
reads only its own submissions' status (Art. 41)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from minsheng_common import web
from minsheng_common.runtime import ServiceRuntime
from minsheng_intake.models import Appeal

ClientFor = Callable[[str | None], AbstractAsyncContextManager[httpx.AsyncClient]]
Submit = Callable[..., Awaitable[dict[str, Any]]]
Dispatch = Callable[[str, str], Awaitable[None]]
Body = Callable[..., dict[str, Any]]


PERSONAL = {
    "contact": {"kind": "phone", "value": "13800012345"},
    "name": "张三",
    "title": "张三反映路灯不亮",
    "content": "坑梓街道秀新社区12栋门口路灯SJ-0231不亮，张三电话13911112222。",
    "address": "坑梓街道秀新社区12栋1203",
}


# Open on purpose, like an Open311 status read: the citizen's own status, given the
# tracking code and the last four digits of the contact; it answers 404 to wrong
# digits exactly as to an unknown code and holds no personal data
# (test_intake_filing_status.py).
OPEN_ROUTES = {("GET", "/v1/appeals/{tracking_code}/status")}

# Intake's own routes; other modules add theirs, and every one is checked.
OWN_ROUTES = {
    ("POST", "/v1/appeals"),
    ("GET", "/v1/appeals"),
    ("GET", "/v1/appeals/{appeal_id}"),
    ("GET", "/v1/appeal-counts"),
    ("POST", "/v1/appeals/{appeal_id}/contact-disclosures"),
    ("GET", "/v1/appeals/{appeal_id}/contact-disclosures"),
    ("GET", "/v1/appeals/search"),
    ("POST", "/v1/appeals/{appeal_id}/verification"),
    ("POST", "/v1/appeals/{appeal_id}/grade"),
    ("GET", "/v1/appeals/{appeal_id}/grades"),
    ("GET", "/v1/grading-rules"),
    ("PUT", "/v1/grading-rules"),
}


def guarded_routes(app: FastAPI, appeal_id: str) -> list[tuple[str, str]]:
    """(method, path) of every route that needs credentials, its path filled in."""
    return [
        (method, path.replace("{appeal_id}", appeal_id))
        for method, path in web.guarded_routes(app)
        if (method, path) not in OPEN_ROUTES
    ]


async def call(
    http: httpx.AsyncClient, method: str, path: str, body: dict[str, Any]
) -> httpx.Response:
    return await http.request(
        method, path, json=body if method in ("POST", "PUT") else None
    )


async def test_every_route_but_the_open_ones_answers_401_without_credentials(
    app: FastAPI, client_for: ClientFor, submit: Submit, body: Body
) -> None:
    appeal = await submit()
    routes = guarded_routes(app, appeal["id"])

    assert set(web.guarded_routes(app)) >= OWN_ROUTES
    async with client_for(None) as anonymous:
        for method, path in routes:
            answer = await call(anonymous, method, path, body(channel_ref="x"))
            assert answer.status_code == 401, (method, path)
            assert answer.json()["error"]["code"] == "unauthenticated"


async def test_every_route_answers_403_to_a_role_without_its_scope(
    app: FastAPI, client_for: ClientFor, submit: Submit, body: Body
) -> None:
    appeal = await submit()

    for caller in ("operations", "leader", "dashboard"):
        async with client_for(caller) as http:
            for method, path in guarded_routes(app, appeal["id"]):
                answer = await call(http, method, path, body(channel_ref="y"))
                assert answer.status_code == 403, (caller, method, path)
                assert answer.json()["error"]["code"] == "forbidden"


async def test_center_only_routes_refuse_channels_and_units(
    client_for: ClientFor, submit: Submit, dispatch: Dispatch
) -> None:
    appeal = await submit()
    await dispatch(appeal["id"], "cgj")
    center_only = [
        "/v1/appeals",
        "/v1/appeal-counts",
        f"/v1/appeals/{appeal['id']}/contact-disclosures",
    ]

    for caller in ("hotline", "cgj"):
        async with client_for(caller) as http:
            for path in center_only:
                answer = await http.get(path)
                assert answer.status_code == 403, (caller, path)


async def test_a_channel_cannot_submit_or_disclose_contacts(
    client_for: ClientFor, submit: Submit, dispatch: Dispatch
) -> None:
    appeal = await submit(consent_to_disclose=True)

    async with client_for("hotline") as http:
        answer = await http.post(
            f"/v1/appeals/{appeal['id']}/contact-disclosures",
            json={"reason": "回访核实"},
        )

    assert answer.status_code == 403


async def test_a_unit_cannot_submit_appeals(client_for: ClientFor, body: Body) -> None:
    async with client_for("cgj") as http:
        answer = await http.post("/v1/appeals", json=body())
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "forbidden"


async def test_a_channel_submits_for_itself_and_gets_the_status_back(
    client_for: ClientFor, body: Body
) -> None:
    async with client_for("hotline") as http:
        answer = await http.post("/v1/appeals", json=body(**PERSONAL))
        again = await http.post("/v1/appeals", json=body(**PERSONAL))

    assert answer.status_code == 201
    assert again.status_code == 200
    assert answer.json() == again.json()
    assert answer.json()["channel"] == "hotline-12345"
    assert answer.json()["decision"]["status"] == "filed"
    assert "content" not in answer.json()
    assert "contact" not in answer.json()


async def test_a_channel_submitting_for_another_channel_is_refused_and_nothing_stored(
    app: FastAPI, client_for: ClientFor, body: Body, events: Any
) -> None:
    async with client_for("wechat") as http:
        answer = await http.post("/v1/appeals", json=body(channel="hotline-12345"))

    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "channel_mismatch"
    assert answer.json()["error"]["field"] == "channel"
    runtime: ServiceRuntime = app.state.runtime
    async with runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Appeal)) == 0
    assert await events() == []


async def test_the_center_submits_for_any_channel(
    client_for: ClientFor, body: Body
) -> None:
    async with client_for("supervisor") as http:
        answer = await http.post("/v1/appeals", json=body(channel="wechat"))
    assert answer.status_code == 201


async def test_a_channel_reads_only_the_status_of_its_own_submission(
    client_for: ClientFor, body: Body
) -> None:
    async with client_for("hotline") as http:
        posted = (await http.post("/v1/appeals", json=body(**PERSONAL))).json()
        answer = await http.get(f"/v1/appeals/{posted['id']}")

    status = answer.json()
    assert answer.status_code == 200
    assert set(status) == {
        "id",
        "tracking_code",
        "channel",
        "channel_ref",
        "type",
        "type_inferred",
        "decision",
        "received_at",
        "instant_answer",
    }
    assert status["decision"]["status"] == "filed"
    text = answer.text
    for personal in ("张三", "张*", "138*", "1391111", "路灯", "12栋", "contact"):
        assert personal not in text


async def test_another_channels_appeal_answers_exactly_as_a_missing_one(
    client_for: ClientFor, submit: Submit
) -> None:
    appeal = await submit()

    async with client_for("wechat") as http:
        other = await http.get(f"/v1/appeals/{appeal['id']}")
        missing = await http.get("/v1/appeals/no-such-appeal")

    assert other.status_code == missing.status_code == 404
    assert other.json()["error"] == {
        "code": "appeal_not_found",
        "message": f"no appeal {appeal['id']}",
        "field": "appeal_id",
    }
    assert missing.json()["error"]["message"] == "no appeal no-such-appeal"


async def test_a_unit_reads_only_the_appeals_it_holds(
    client_for: ClientFor, submit: Submit, dispatch: Dispatch
) -> None:
    held = await submit(channel_ref="held")
    other = await submit(channel_ref="other")
    await dispatch(held["id"], "cgj")
    await dispatch(other["id"], "jtj")

    async with client_for("cgj") as http:
        own = await http.get(f"/v1/appeals/{held['id']}")
        not_own = await http.get(f"/v1/appeals/{other['id']}")

    assert own.status_code == 200
    assert own.json()["id"] == held["id"]
    assert not_own.status_code == 404
    assert not_own.json()["error"]["code"] == "appeal_not_found"


async def test_a_unit_sees_the_texts_redacted_and_the_contact_masked(
    client_for: ClientFor, submit: Submit, dispatch: Dispatch
) -> None:
    appeal = await submit(**PERSONAL)
    await dispatch(appeal["id"], "cgj")

    async with client_for("cgj") as http:
        seen = (await http.get(f"/v1/appeals/{appeal['id']}")).json()

    assert seen["title"] == "张*反映路灯不亮"
    assert seen["content"] == (
        "坑梓街道秀新社区12栋门口路灯SJ-0231不亮，张*电话139****2222。"
    )
    assert seen["address"] == "坑梓街道秀新社区12栋1203"
    assert seen["contact"] == {"kind": "phone", "masked": "+86 138****2345"}
    assert "name" not in seen


async def test_the_center_reads_the_texts_redacted_too(
    client: httpx.AsyncClient, submit: Submit
) -> None:
    appeal = await submit(**PERSONAL)

    seen = (await client.get(f"/v1/appeals/{appeal['id']}")).json()

    assert seen["title"] == "张*反映路灯不亮"
    assert seen["content"] == (
        "坑梓街道秀新社区12栋门口路灯SJ-0231不亮，张*电话139****2222。"
    )
    assert seen["contact"]["masked"] == "+86 138****2345"
    assert "张三" not in str(seen["contact"])
    assert "name" not in seen


async def test_a_unit_without_any_order_sees_nothing(
    client_for: ClientFor, submit: Submit
) -> None:
    appeal = await submit()

    async with client_for("jtj") as http:
        answer = await http.get(f"/v1/appeals/{appeal['id']}")

    assert answer.status_code == 404
