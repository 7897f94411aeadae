"""Delivery to intake over real HTTP on loopback: requests filed while intake is
stopped reach it once it is started, in order and exactly once, across a restart
of the server too; a lost answer is made good by intake's idempotency; a refused
key keeps requests waiting (Art. 4, 5)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from minsheng_common.adapters import queue
from minsheng_open311 import repository
from minsheng_open311.app import create_app
from minsheng_open311.models import ServiceRequest
from minsheng_open311.settings import Open311Settings

File = Callable[..., Awaitable[httpx.Response]]
Poll = Callable[..., Awaitable[None]]


@pytest.fixture
def settings(settings: Open311Settings) -> Open311Settings:
    # Intake is stopped in these tests: the client gets its token at once.
    settings.post_wait_seconds = 0
    return settings


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'open311.db'}"
    create_database: Callable[[str], str] = request.getfixturevalue("create_database")
    return create_database("open311")


async def stats(client: httpx.AsyncClient, operator: str) -> dict[str, Any]:
    answer = await client.get("/v1/stats", headers={"X-API-Key": operator})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def service_request_id(client: httpx.AsyncClient, token: str) -> str | None:
    found: str | None = (await client.get(f"/tokens/{token}.json")).json()[0][
        "service_request_id"
    ]
    return found


async def test_open311_intake_stopped_then_started_loses_and_doubles_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    file: File,
    fake_intake: Any,
    keys: dict[str, str],
    poll: Poll,
) -> None:
    tokens = []
    for number in range(5):
        answer = await file(description=f"坪山街道和平路{number + 1}号垃圾无人清理")
        assert answer.status_code == 201
        [entry] = answer.json()
        assert entry["service_request_id"] is None
        tokens.append(entry["token"])

    async def tried(times: int) -> bool:
        async with app.state.runtime.sessions() as session:
            head = await queue.head(session, ServiceRequest, "open311")
        return head is not None and head.attempts >= times

    # Intake stopped: nothing listens on its port.
    await poll(lambda: tried(2))
    counts = await stats(client, keys["operator"])
    assert (counts["pending"], counts["delivered"]) == (5, 0)

    # Intake up but unavailable: 503 answers.
    fake_intake.mode = "unavailable"
    await fake_intake.start()
    await poll(lambda: len(fake_intake.received) >= 2)
    assert (await stats(client, keys["operator"]))["delivered"] == 0

    # Intake back.
    fake_intake.mode = "accepting"

    async def all_delivered() -> bool:
        return bool((await stats(client, keys["operator"]))["delivered"] == 5)

    await poll(all_delivered)
    unavailable = {r.channel_ref for r in fake_intake.received if r.status == 503}
    assert unavailable == {tokens[0]}, "the requests behind the first waited"
    accepted = fake_intake.accepted()
    assert [r.channel_ref for r in accepted] == tokens, "in the order they came"
    assert Counter(r.status for r in accepted) == {201: 5}, "each exactly once"
    ids = [await service_request_id(client, token) for token in tokens]
    assert ids == [fake_intake.first_answers[t]["tracking_code"] for t in tokens]
    listed = (await client.get("/requests.json")).json()
    assert sorted(e["service_request_id"] for e in listed) == sorted(ids)
    counts = await stats(client, keys["operator"])
    assert counts == {
        "total": 5,
        "pending": 0,
        "delivered": 5,
        "refused": 0,
        "already_received": 0,
        "by_decision": {"filed": 5, "rejected": 0},
    }
    items = (
        await client.get("/v1/items", headers={"X-API-Key": keys["operator"]})
    ).json()["items"]
    assert [item["id"] for item in items] == tokens
    assert all(item["service_code"] == "city-sanitation" for item in items)
    assert all(item["tracking_code"] in ids for item in items)


async def test_open311_a_restart_of_the_server_loses_and_doubles_nothing(
    settings: Open311Settings,
    keys: dict[str, str],
    fake_intake: Any,
    valid_form: dict[str, str],
    poll: Poll,
) -> None:
    form = {**valid_form, "api_key": keys["channel"]}
    first = create_app(settings)
    async with first.router.lifespan_context(first):
        transport = httpx.ASGITransport(app=first)
        async with httpx.AsyncClient(transport=transport, base_url="http://o") as http:
            tokens = [
                (await http.post("/requests.json", data=form)).json()[0]["token"]
                for _ in range(3)
            ]

    await fake_intake.start()
    second = create_app(settings)
    async with second.router.lifespan_context(second):
        transport = httpx.ASGITransport(app=second)
        async with httpx.AsyncClient(transport=transport, base_url="http://o") as http:

            async def delivered() -> bool:
                counts = await stats(http, keys["operator"])
                return bool(counts["delivered"] == 3)

            await poll(delivered)
            ids = [await service_request_id(http, token) for token in tokens]

    assert [r.channel_ref for r in fake_intake.received] == tokens
    assert all(r.status == 201 for r in fake_intake.received)
    assert all(ids)


async def test_open311_a_lost_answer_is_made_good_by_the_same_token(
    app: FastAPI,
    client: httpx.AsyncClient,
    file: File,
    fake_intake: Any,
    poll: Poll,
) -> None:
    token = (await file()).json()[0]["token"]
    # Intake took the appeal before, but its answer never arrived.
    fake_intake.first_answers[token] = {
        "id": "appeal-taken-before",
        "tracking_code": "PS20260302770001",
        "decision": {"status": "filed", "decided_at": "2026-03-02T01:00:00+00:00"},
    }
    await fake_intake.start()

    async def known() -> bool:
        return await service_request_id(client, token) == "PS20260302770001"

    await poll(known)
    assert [r.status for r in fake_intake.received] == [200]
    async with app.state.runtime.sessions() as session:
        stored = await repository.by_token(session, token)
    assert stored is not None
    assert (stored.answer_status, stored.appeal_id) == (200, "appeal-taken-before")


async def test_open311_the_citizens_contact_leaves_the_store_once_intake_has_it(
    app: FastAPI, file: File, fake_intake: Any, poll: Poll
) -> None:
    token = (await file(email="z@example.org", first_name="三", last_name="张")).json()[
        0
    ]["token"]
    async with app.state.runtime.sessions() as session:
        waiting = await repository.by_token(session, token)
    assert waiting is not None
    assert waiting.payload["contact"] == {"kind": "phone", "value": "13800138000"}

    await fake_intake.start()

    async def delivered() -> bool:
        async with app.state.runtime.sessions() as session:
            stored = await repository.by_token(session, token)
        return stored is not None and stored.status == "delivered"

    await poll(delivered)
    assert fake_intake.received[0].body["name"] == "张三"
    async with app.state.runtime.sessions() as session:
        stored = await repository.by_token(session, token)
    assert stored is not None
    payload = stored.payload
    assert (payload["contact"], payload["second_contact"], payload["name"]) == (
        None,
        None,
        None,
    )
    assert payload["content"], "the rest stays"


@pytest.mark.parametrize("refusal", [401, 403])
async def test_open311_a_refused_key_keeps_requests_waiting_until_it_is_fixed(
    app: FastAPI,
    client: httpx.AsyncClient,
    file: File,
    fake_intake: Any,
    keys: dict[str, str],
    poll: Poll,
    caplog: pytest.LogCaptureFixture,
    refusal: int,
) -> None:
    fake_intake.expected_key = "ms_other_key-intake-expects"
    fake_intake.key_refusal = refusal
    await fake_intake.start()
    caplog.set_level(logging.WARNING, logger="minsheng_open311.delivery")

    token = (await file()).json()[0]["token"]
    await file()

    async def tried(times: int) -> bool:
        async with app.state.runtime.sessions() as session:
            stored = await repository.by_token(session, token)
        return stored is not None and stored.attempts >= times

    await poll(lambda: tried(3))
    async with app.state.runtime.sessions() as session:
        stored = await repository.by_token(session, token)
    assert stored is not None
    assert stored.status == "pending"
    assert str(refusal) in (stored.last_error or "")
    assert "open311test" in (stored.last_error or ""), "the key's public id"
    assert {r.channel_ref for r in fake_intake.received} == {token}, "the rest wait"
    assert (await stats(client, keys["operator"]))["refused"] == 0
    warnings = [r.getMessage() for r in caplog.records]
    assert warnings
    assert all("the-servers-own-channel-key-secret" not in w for w in warnings)

    fake_intake.expected_key = fake_intake_key(app)

    async def delivered() -> bool:
        return bool((await stats(client, keys["operator"]))["delivered"] == 2)

    await poll(delivered)


def fake_intake_key(app: FastAPI) -> str:
    key: str | None = app.state.runtime.settings.intake_key()
    assert key is not None
    return key
