"""The triage queue's API: the center reads the appeals waiting for a category
(GET /v1/triage) and an operator chooses one with a reason (POST
/v1/appeals/{id}/classification); everyone else is refused (Art. 8, 41)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from minsheng_common import web
from minsheng_common.runtime import ServiceRuntime
from minsheng_intake.classification import service
from minsheng_intake.classification.models import AppealTriage
from minsheng_intake.classification.suggester import Suggestion
from minsheng_intake.models import Appeal

ClientFor = Callable[[str | None], AbstractAsyncContextManager[httpx.AsyncClient]]
Submit = Callable[..., Awaitable[dict[str, Any]]]

QUEUED_AT = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
WEAK = Suggestion(
    category_id="planning-construction",
    confidence=0.31,
    ranked=[("planning-construction", 0.31), ("city-sanitation", 0.27)],
)
CHOICE = {"category_id": "city-sanitation", "reason": "垃圾清运属市容环卫"}


async def queue(app: FastAPI, appeal_id: str, at: datetime = QUEUED_AT) -> None:
    runtime: ServiceRuntime = app.state.runtime
    async with runtime.sessions() as session:
        appeal = await session.get(Appeal, appeal_id)
        assert appeal is not None
        await service.queue_for_triage(session, appeal=appeal, suggestion=WEAK, at=at)
        await session.commit()


async def entry(app: FastAPI, appeal_id: str) -> AppealTriage | None:
    runtime: ServiceRuntime = app.state.runtime
    async with runtime.sessions() as session:
        return await session.get(AppealTriage, appeal_id)


async def still_waiting(app: FastAPI, appeal_id: str) -> bool:
    queued = await entry(app, appeal_id)
    return queued is not None and queued.resolved_at is None


def triage_routes(appeal_id: str) -> list[tuple[str, str]]:
    return [
        ("GET", "/v1/triage"),
        ("POST", f"/v1/appeals/{appeal_id}/classification"),
    ]


def test_the_triage_routes_are_served_and_guarded(app: FastAPI) -> None:
    served = set(web.guarded_routes(app))

    assert ("GET", "/v1/triage") in served
    assert ("POST", "/v1/appeals/{appeal_id}/classification") in served


async def test_without_credentials_the_triage_routes_answer_401(
    app: FastAPI, client_for: ClientFor, submit: Submit
) -> None:
    appeal = await submit()
    await queue(app, appeal["id"])

    async with client_for(None) as anonymous:
        for method, path in triage_routes(appeal["id"]):
            answer = await anonymous.request(
                method, path, json=CHOICE if method == "POST" else None
            )
            assert answer.status_code == 401, (method, path)
            assert answer.json()["error"]["code"] == "unauthenticated"
    assert await still_waiting(app, appeal["id"])


@pytest.mark.parametrize(
    "caller", ["operations", "leader", "dashboard", "hotline", "cgj"]
)
async def test_callers_outside_the_center_get_403_on_the_triage_routes(
    app: FastAPI, client_for: ClientFor, submit: Submit, caller: str
) -> None:
    appeal = await submit()
    await queue(app, appeal["id"])

    async with client_for(caller) as http:
        for method, path in triage_routes(appeal["id"]):
            answer = await http.request(
                method, path, json=CHOICE if method == "POST" else None
            )
            assert answer.status_code == 403, (caller, method, path)
            assert answer.json()["error"]["code"] == "forbidden"
    assert await still_waiting(app, appeal["id"])


async def test_the_center_reads_the_waiting_appeals_oldest_first_with_suggestions(
    app: FastAPI, client: httpx.AsyncClient, submit: Submit
) -> None:
    later = await submit(channel_ref="later", title="张三反映垃圾没人清理13911112222")
    earlier = await submit(channel_ref="earlier")
    filed = await submit(channel_ref="filed")
    await queue(app, later["id"], QUEUED_AT + timedelta(minutes=5))
    await queue(app, earlier["id"], QUEUED_AT)

    answer = await client.get("/v1/triage")

    assert answer.status_code == 200
    page = answer.json()
    assert page["total"] == 2
    assert [item["appeal_id"] for item in page["items"]] == [
        earlier["id"],
        later["id"],
    ]
    assert filed["id"] not in answer.text
    first = page["items"][0]
    assert first["suggested_category_id"] == "planning-construction"
    assert first["confidence"] == pytest.approx(0.31)
    assert first["ranked"] == [
        {
            "category_id": "planning-construction",
            "name": "规土城建",
            "confidence": 0.31,
        },
        {"category_id": "city-sanitation", "name": "市容环卫", "confidence": 0.27},
    ]
    assert first["tracking_code"] == earlier["tracking_code"]
    assert "13911112222" not in answer.text


async def test_the_waiting_list_pages(
    app: FastAPI, client: httpx.AsyncClient, submit: Submit
) -> None:
    for number in range(3):
        appeal = await submit(channel_ref=f"page-{number}")
        await queue(app, appeal["id"], QUEUED_AT + timedelta(minutes=number))

    answer = await client.get("/v1/triage", params={"limit": 1, "offset": 1})

    assert answer.json()["total"] == 3
    assert len(answer.json()["items"]) == 1


async def test_an_operator_classifies_a_waiting_appeal_once(
    app: FastAPI, client_for: ClientFor, submit: Submit
) -> None:
    appeal = await submit(category_hint=None)
    await queue(app, appeal["id"])

    async with client_for("operator") as http:
        answer = await http.post(
            f"/v1/appeals/{appeal['id']}/classification", json=CHOICE
        )
        listed = await http.get("/v1/triage")
        again = await http.post(
            f"/v1/appeals/{appeal['id']}/classification",
            json={"category_id": "transport", "reason": "改为交通"},
        )
        seen = await http.get(f"/v1/appeals/{appeal['id']}")

    assert answer.status_code == 200
    body = answer.json()
    assert body["appeal_id"] == appeal["id"]
    assert body["category_id"] == "city-sanitation"
    assert body["reason"] == "垃圾清运属市容环卫"
    assert body["resolved_by"]
    assert body["suggested_category_id"] == "planning-construction"
    assert listed.json()["total"] == 0
    assert again.status_code == 409
    assert again.json()["error"] == {
        "code": "already_classified",
        "message": f"appeal {appeal['id']} was classified already, as "
        f"city-sanitation by {body['resolved_by']}",
        "field": "appeal_id",
    }
    assert seen.json()["category_id"] == "city-sanitation"


async def test_a_supervisor_may_classify_too(
    app: FastAPI, client_for: ClientFor, submit: Submit
) -> None:
    appeal = await submit()
    await queue(app, appeal["id"])

    async with client_for("supervisor") as http:
        answer = await http.post(
            f"/v1/appeals/{appeal['id']}/classification", json=CHOICE
        )

    assert answer.status_code == 200


async def test_an_appeal_never_queued_or_unknown_answers_404(
    client: httpx.AsyncClient, submit: Submit
) -> None:
    never_queued = await submit()

    for appeal_id in (never_queued["id"], "no-such-appeal"):
        answer = await client.post(
            f"/v1/appeals/{appeal_id}/classification", json=CHOICE
        )
        assert answer.status_code == 404
        assert answer.json()["error"] == {
            "code": "appeal_not_in_triage",
            "message": f"appeal {appeal_id} is not waiting for classification",
            "field": "appeal_id",
        }


@pytest.mark.parametrize(
    ("choice", "code", "field"),
    [
        (
            {"category_id": "no-such-category", "reason": "理由"},
            "unknown_category",
            "category_id",
        ),
        ({"category_id": "transport", "reason": "。。。"}, "reason_missing", "reason"),
    ],
)
async def test_a_bad_choice_answers_422_with_its_field_and_changes_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    submit: Submit,
    choice: dict[str, str],
    code: str,
    field: str,
) -> None:
    appeal = await submit()
    await queue(app, appeal["id"])

    answer = await client.post(
        f"/v1/appeals/{appeal['id']}/classification", json=choice
    )

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == code
    assert answer.json()["error"]["field"] == field
    waiting = await entry(app, appeal["id"])
    assert waiting is not None
    assert waiting.resolved_at is None


@pytest.mark.parametrize(
    "choice",
    [
        {"category_id": "transport"},
        {"reason": "理由"},
        {"category_id": "", "reason": "理由"},
        {"category_id": "transport", "reason": "理由", "extra": 1},
    ],
)
async def test_an_incomplete_body_answers_422(
    app: FastAPI, client: httpx.AsyncClient, submit: Submit, choice: dict[str, Any]
) -> None:
    appeal = await submit()
    await queue(app, appeal["id"])

    answer = await client.post(
        f"/v1/appeals/{appeal['id']}/classification", json=choice
    )

    assert answer.status_code == 422
    assert await still_waiting(app, appeal["id"])


async def test_a_reason_is_kept_without_invisible_characters(
    app: FastAPI, client: httpx.AsyncClient, submit: Submit
) -> None:
    appeal = await submit()
    await queue(app, appeal["id"])

    answer = await client.post(
        f"/v1/appeals/{appeal['id']}/classification",
        content='{"category_id": "transport", "reason": " 改为\\u200b交通\\u0000\\t"}',
        headers={"Content-Type": "application/json"},
    )

    assert answer.status_code == 200
    assert answer.json()["reason"] == "改为交通"
