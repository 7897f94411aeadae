"""Reply templates (Art. 43) on SQLite and PostgreSQL: after a unit closes the third
order of the same kind, intake asks it for a handling-notice and a handling-feedback
template (`knowledge.reply_template_requested`, with the inbox row in one
transaction), once per unit and category; the unit sends them for its own request
only, they are kept for operators, and `knowledge.reply_template_received` says
so."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from minsheng_common import web
from minsheng_common.bus import inbox
from minsheng_common.bus.tables import inbox as inbox_table
from minsheng_common.events import (
    EventData,
    WorkOrderClosed,
    WorkOrderReopened,
    seal,
)
from minsheng_common.runtime import ServiceRuntime
from minsheng_common.timeutil import SHANGHAI
from minsheng_intake import consumers
from minsheng_intake.knowledge.models import ReplyTemplateRequest, UnitClosure

ClientFor = Callable[[str | None], AbstractAsyncContextManager[httpx.AsyncClient]]
Submit = Callable[..., Awaitable[dict[str, Any]]]
Events = Callable[[], Awaitable[list[dict[str, Any]]]]

REQUESTED = "knowledge.reply_template_requested"
RECEIVED = "knowledge.reply_template_received"
STREETLIGHT = {
    "category_hint": "municipal-facilities",
    "title": "路灯不亮",
    "content": "石井街道田心社区路灯编号 SJ-0231 晚上不亮，行人看不清路。",
    "address": "石井街道田心社区",
}
TEMPLATES = {
    "handling_notice_template": "您好，您反映的{地点}垃圾清运问题已处理：{处理结果}。"
    "感谢您的监督。",
    "handling_feedback_template": "经核查，{地点}垃圾桶满溢属实，已于{时间}安排清运，"
    "并增加清运频次。",
}


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def closure(
    appeal_id: str, work_order_id: str, at: str, *, unit_id: str = "cgj"
) -> WorkOrderClosed:
    return WorkOrderClosed(
        work_order_id=work_order_id,
        appeal_id=appeal_id,
        unit_id=unit_id,
        outcome="on_time",
        handled_at=local(at),
        closed_at=local(at),
        closed_by="operator:center-1",
    )


async def apply(app: FastAPI, data: EventData, *, commit: bool = True) -> None:
    """Apply one event as intake's consumer loop does: the inbox row and the
    handler's changes in one transaction (rolled back when `commit` is false, as
    after a failure)."""
    runtime: ServiceRuntime = app.state.runtime
    handlers = {
        event_type: handler
        for spec in consumers.specs(app.state.context)
        for event_type, handler in spec.handlers.items()
    }
    envelope = seal(data, producer="dispatch", occurred_at=runtime.clock.now())
    async with runtime.sessions() as session:
        await inbox.claim(
            session,
            envelope,
            topic=data.topic,
            partition=0,
            offset=0,
            applied_at=runtime.clock.now(),
        )
        await handlers[envelope.type](session, envelope, data)
        if commit:
            await session.commit()
        else:
            await session.rollback()


def of_type(events: list[dict[str, Any]], event_type: str) -> list[dict[str, Any]]:
    return [event for event in events if event["type"] == event_type]


@pytest.fixture
async def rubbish(submit: Submit) -> AsyncIterator[list[str]]:
    """Five filed appeals about overflowing bins (city-sanitation), from five
    callers."""
    ids = []
    for number in range(5):
        appeal = await submit(
            channel_ref=f"bin-{number}",
            contact={"kind": "phone", "value": f"1380001234{number}"},
        )
        assert appeal["decision"]["status"] == "filed"
        ids.append(appeal["id"])
    yield ids


@pytest.fixture
async def requested(app: FastAPI, rubbish: list[str], events: Events) -> dict[str, Any]:
    """The request after cgj's third closure of a city-sanitation order."""
    for number in range(3):
        await apply(
            app,
            closure(rubbish[number], f"wo-{number}", f"2026-12-0{number + 1} 16:00"),
        )
    [event] = of_type(await events(), REQUESTED)
    data: dict[str, Any] = event["data"]
    return data


async def test_art_43_the_third_closure_of_a_kind_asks_for_templates(
    app: FastAPI, rubbish: list[str], events: Events
) -> None:
    await apply(app, closure(rubbish[0], "wo-0", "2026-12-01 16:00"))
    await apply(app, closure(rubbish[1], "wo-1", "2026-12-02 16:00"))
    after_two = of_type(await events(), REQUESTED)

    await apply(app, closure(rubbish[2], "wo-2", "2026-12-03 16:00"))

    assert after_two == []
    [event] = of_type(await events(), REQUESTED)
    data = event["data"]
    assert data["unit_id"] == "cgj"
    assert data["category_id"] == "city-sanitation"
    assert data["work_order_id"] == "wo-2"
    assert data["appeal_id"] == rubbish[2]
    assert data["closed_work_order_ids"] == ["wo-0", "wo-1", "wo-2"]
    assert datetime.fromisoformat(data["closed_at"]) == local("2026-12-03 16:00")
    assert event["key"] == rubbish[2]


async def test_art_43_a_unit_is_asked_once_per_category(
    app: FastAPI, requested: dict[str, Any], rubbish: list[str], events: Events
) -> None:
    """The fourth and fifth closures ask nothing more: one request per unit and
    category, whether or not the templates came (they are optional)."""
    await apply(app, closure(rubbish[3], "wo-3", "2026-12-04 16:00"))
    await apply(app, closure(rubbish[4], "wo-4", "2026-12-04 17:00"))

    assert len(of_type(await events(), REQUESTED)) == 1


async def test_art_43_closures_count_by_unit_and_by_category(
    app: FastAPI, rubbish: list[str], submit: Submit, events: Events
) -> None:
    """Two closures of cgj, one of jtj in the same category, and two of cgj in
    another category: no unit has closed three of one kind."""
    lights = [
        (
            await submit(
                **STREETLIGHT,
                channel_ref=f"light-{number}",
                contact={"kind": "phone", "value": f"1390005678{number}"},
            )
        )["id"]
        for number in range(2)
    ]
    await apply(app, closure(rubbish[0], "wo-0", "2026-12-01 16:00"))
    await apply(app, closure(rubbish[1], "wo-1", "2026-12-02 16:00"))
    await apply(app, closure(rubbish[2], "wo-2", "2026-12-02 17:00", unit_id="jtj"))
    await apply(app, closure(lights[0], "wo-l0", "2026-12-03 10:00"))
    await apply(app, closure(lights[1], "wo-l1", "2026-12-03 11:00"))

    assert of_type(await events(), REQUESTED) == []


async def test_art_43_an_order_closed_again_after_reopening_counts_once(
    app: FastAPI, rubbish: list[str], events: Events
) -> None:
    await apply(app, closure(rubbish[0], "wo-0", "2026-12-01 16:00"))
    await apply(
        app,
        WorkOrderReopened(
            work_order_id="wo-0",
            appeal_id=rubbish[0],
            unit_id="cgj",
            round=2,
            reason="回访不满意",
            reopened_at=local("2026-12-02 09:00"),
            reopened_by="operator:center-1",
        ),
    )
    await apply(app, closure(rubbish[0], "wo-0", "2026-12-02 16:00"))
    await apply(app, closure(rubbish[1], "wo-1", "2026-12-03 16:00"))

    assert of_type(await events(), REQUESTED) == []


async def test_art_43_the_clock_starts_at_the_third_closure_in_time(
    app: FastAPI, rubbish: list[str], events: Events
) -> None:
    """Closures may arrive out of order: the request names the third by closure
    time, where the 3 working days count from."""
    await apply(app, closure(rubbish[2], "wo-2", "2026-12-03 16:00"))
    await apply(app, closure(rubbish[0], "wo-0", "2026-12-01 16:00"))
    await apply(app, closure(rubbish[1], "wo-1", "2026-12-02 16:00"))

    [event] = of_type(await events(), REQUESTED)
    assert event["data"]["work_order_id"] == "wo-2"
    assert event["data"]["closed_work_order_ids"] == ["wo-0", "wo-1", "wo-2"]
    assert datetime.fromisoformat(event["data"]["closed_at"]) == local(
        "2026-12-03 16:00"
    )


async def test_art_43_the_request_leaves_with_the_inbox_row_or_not_at_all(
    app: FastAPI, rubbish: list[str], events: Events
) -> None:
    """The handler does not commit: when the consumer's transaction fails, neither
    the inbox row, nor the closure, nor the request, nor its event stay."""
    await apply(app, closure(rubbish[0], "wo-0", "2026-12-01 16:00"))
    await apply(app, closure(rubbish[1], "wo-1", "2026-12-02 16:00"))

    await apply(app, closure(rubbish[2], "wo-2", "2026-12-03 16:00"), commit=False)

    runtime: ServiceRuntime = app.state.runtime
    async with runtime.sessions() as session:
        inbox_rows = await session.scalar(select(func.count()).select_from(inbox_table))
        closures = await session.scalar(select(func.count(UnitClosure.work_order_id)))
        asked = await session.scalar(select(func.count(ReplyTemplateRequest.id)))
    assert (inbox_rows, closures, asked) == (2, 2, 0)
    assert of_type(await events(), REQUESTED) == []


async def test_art_43_a_closure_of_an_unknown_appeal_is_not_counted(
    app: FastAPI, events: Events
) -> None:
    for number in range(3):
        await apply(
            app, closure(f"not-ours-{number}", f"wo-{number}", "2026-12-01 16:00")
        )

    runtime: ServiceRuntime = app.state.runtime
    async with runtime.sessions() as session:
        closures = await session.scalar(select(func.count(UnitClosure.work_order_id)))
    assert closures == 0
    assert of_type(await events(), REQUESTED) == []


async def test_art_43_the_unit_sends_its_templates_and_operators_read_them(
    client_for: ClientFor, requested: dict[str, Any], events: Events
) -> None:
    path = f"/v1/knowledge/reply-templates/{requested['request_id']}"
    async with client_for("cgj") as unit:
        sent = await unit.post(
            path,
            json={
                "handling_notice_template": "\u3000"
                + TEMPLATES["handling_notice_template"],
                "handling_feedback_template": TEMPLATES["handling_feedback_template"],
            },
        )
    async with client_for("operator") as operator:
        read = await operator.get(path)
        listed = await operator.get(
            "/v1/knowledge/reply-templates",
            params={"category_id": "city-sanitation", "status": "received"},
        )

    assert sent.status_code == 200, sent.text
    body = sent.json()
    assert body["status"] == "received"
    assert body["handling_notice_template"] == TEMPLATES["handling_notice_template"]
    assert body["handling_feedback_template"] == TEMPLATES["handling_feedback_template"]
    assert body["received_by"].endswith("@cgj")
    assert read.json() == body
    assert [item["id"] for item in listed.json()["items"]] == [requested["request_id"]]
    [event] = of_type(await events(), RECEIVED)
    assert event["data"]["request_id"] == requested["request_id"]
    assert event["data"]["work_order_id"] == requested["work_order_id"]
    assert event["data"]["appeal_id"] == requested["appeal_id"]
    assert event["data"]["closed_at"] == requested["closed_at"]
    assert event["key"] == requested["appeal_id"]


async def test_art_43_templates_are_kept_once(
    client_for: ClientFor, requested: dict[str, Any], events: Events
) -> None:
    path = f"/v1/knowledge/reply-templates/{requested['request_id']}"
    async with client_for("cgj") as unit:
        first = await unit.post(path, json=TEMPLATES)
        again = await unit.post(
            path,
            json=TEMPLATES | {"handling_notice_template": "另一版本的办理告知模板"},
        )
        kept = await unit.get(path)

    assert first.status_code == 200, first.text
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "reply_templates_received"
    assert (
        kept.json()["handling_notice_template"] == TEMPLATES["handling_notice_template"]
    )
    assert len(of_type(await events(), RECEIVED)) == 1


async def test_art_43_only_the_unit_asked_sends_templates(
    client_for: ClientFor, requested: dict[str, Any], events: Events
) -> None:
    """Another unit's key answers as for a missing request; the center does not send
    a unit's templates."""
    path = f"/v1/knowledge/reply-templates/{requested['request_id']}"
    async with client_for("jtj") as other_unit:
        by_other_unit = await other_unit.post(path, json=TEMPLATES)
        read_by_other_unit = await other_unit.get(path)
        listed_by_other_unit = await other_unit.get(
            "/v1/knowledge/reply-templates", params={"unit_id": "cgj"}
        )
    async with client_for("operator") as operator:
        by_center = await operator.post(path, json=TEMPLATES)
    async with client_for("cgj") as unit:
        missing = await unit.post("/v1/knowledge/reply-templates/nope", json=TEMPLATES)
        still = await unit.get(path)

    assert (by_other_unit.status_code, missing.status_code) == (404, 404)
    assert by_other_unit.json()["error"]["code"] == "reply_template_request_not_found"
    assert missing.json()["error"]["code"] == "reply_template_request_not_found"
    assert by_other_unit.json()["error"]["field"] == "request_id"
    assert read_by_other_unit.status_code == 404
    assert listed_by_other_unit.json() == {"items": [], "total": 0}
    assert by_center.status_code == 403
    assert still.json()["status"] == "requested"
    assert of_type(await events(), RECEIVED) == []


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        (
            {"handling_notice_template": " \t\u3000 "},
            "empty_text",
            "handling_notice_template",
        ),
        (
            {"handling_feedback_template": "很" * 2001},
            "too_long",
            "handling_feedback_template",
        ),
    ],
)
async def test_bad_templates_name_the_field_and_store_nothing(
    client_for: ClientFor,
    requested: dict[str, Any],
    events: Events,
    change: dict[str, str],
    code: str,
    field: str,
) -> None:
    path = f"/v1/knowledge/reply-templates/{requested['request_id']}"
    async with client_for("cgj") as unit:
        answer = await unit.post(path, json=TEMPLATES | change)
        missing_one = await unit.post(
            path, json={"handling_notice_template": "只有一个模板"}
        )
        still = await unit.get(path)

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == code
    assert answer.json()["error"]["field"] == field
    assert missing_one.status_code == 422
    assert still.json()["status"] == "requested"
    assert still.json()["handling_notice_template"] is None
    assert of_type(await events(), RECEIVED) == []


async def test_the_unit_lists_its_own_requests_waiting_for_templates(
    client_for: ClientFor, requested: dict[str, Any]
) -> None:
    async with client_for("cgj") as unit:
        waiting = await unit.get(
            "/v1/knowledge/reply-templates", params={"status": "requested"}
        )
        received = await unit.get(
            "/v1/knowledge/reply-templates", params={"status": "received"}
        )
        bad = await unit.get("/v1/knowledge/reply-templates", params={"status": "x"})

    assert waiting.json()["total"] == 1
    item = waiting.json()["items"][0]
    assert (item["id"], item["status"]) == (requested["request_id"], "requested")
    assert received.json() == {"items": [], "total": 0}
    assert bad.status_code == 422


# --- who may do what -------------------------------------------------------------

TEMPLATE_ROUTES = {
    ("GET", "/v1/knowledge/reply-templates"): "read",
    ("GET", "/v1/knowledge/reply-templates/{request_id}"): "read",
    ("POST", "/v1/knowledge/reply-templates/{request_id}"): "unit",
}
# Callers without the scope of each kind of route: the templates are a unit's to
# send; every unit and the center read (a unit only its own).
REFUSED = {
    "read": ("leader", "dashboard", "operations", "hotline", "wechat"),
    "unit": ("operator", "supervisor", "leader", "dashboard", "operations", "hotline"),
}


def template_routes(app: FastAPI) -> set[tuple[str, str]]:
    return {
        (method, path)
        for method, path in web.guarded_routes(app)
        if path.startswith("/v1/knowledge/reply-templates")
    }


async def test_the_route_table_here_covers_every_template_route(app: FastAPI) -> None:
    assert template_routes(app) == set(TEMPLATE_ROUTES)


async def test_every_template_route_refuses_callers_without_its_scope(
    client_for: ClientFor, requested: dict[str, Any]
) -> None:
    for (method, path), kind in TEMPLATE_ROUTES.items():
        url = path.replace("{request_id}", requested["request_id"])
        body = TEMPLATES if method == "POST" else None
        async with client_for(None) as anonymous:
            unknown = await anonymous.request(method, url, json=body)
        assert unknown.status_code == 401, (method, path)
        for caller in REFUSED[kind]:
            async with client_for(caller) as http:
                answer = await http.request(method, url, json=body)
            assert answer.status_code == 403, (caller, method, path)
            assert answer.json()["error"]["code"] == "forbidden"
    async with client_for("cgj") as unit:
        still = await unit.get(
            f"/v1/knowledge/reply-templates/{requested['request_id']}"
        )
    assert still.json()["status"] == "requested"
