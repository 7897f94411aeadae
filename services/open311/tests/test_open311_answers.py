"""Answers going back the way they came (issue 9): notify hands the Open311 server an
answer for a citizen who filed here (POST /v1/answers/open311, signed), the server
adds it to the request's update feed with personal data masked, and reports the
delivery to notify as a signed receipt notify's own schema reads.

Notify's receipt endpoint is stood in for by a loopback server that checks the
signature and reads the body with notify's `ReceiptBatch`; the answers' route is
the server's own, over its ASGI app."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import SecretStr

from minsheng_common.auth import webhooks
from minsheng_common.devstack.loopback import LoopbackServer, wait_for
from minsheng_notify.schemas import ReceiptBatch
from minsheng_open311.settings import Open311Settings

File = Callable[..., Awaitable[httpx.Response]]
ANSWER_SECRET = "answers-from-notify-signed-with-this-long-secret"
RECEIPT_SECRET = "receipts-to-notify-signed-with-this-long-secret"
PATH = "/v1/answers/open311"


class NotifyReceipts:
    """Notify's POST /v1/receipts/{provider} as the server sees it."""

    def __init__(self) -> None:
        self.batches: list[tuple[str, ReceiptBatch]] = []
        self.refuse = False
        self.server = LoopbackServer(self._app)

    def _app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/receipts/{provider}")
        async def receipts(provider: str, request: Request) -> JSONResponse:
            body = await request.body()
            webhooks.verify(
                secrets=[RECEIPT_SECRET],
                timestamp=request.headers.get(webhooks.TIMESTAMP_HEADER),
                signature=request.headers.get(webhooks.SIGNATURE_HEADER),
                body=body,
                now=datetime.now(UTC),
            )
            if self.refuse:
                return JSONResponse({"code": "unavailable"}, status_code=503)
            self.batches.append((provider, ReceiptBatch.model_validate_json(body)))
            return JSONResponse({"applied": 1, "unchanged": 0, "unknown": 0})

        return app

    @property
    def receipts(self) -> list[tuple[str, str, str, str | None]]:
        return [
            (provider, r.message_id, r.status, r.detail)
            for provider, batch in self.batches
            for r in batch.receipts
        ]


@pytest.fixture
async def notify() -> AsyncIterator[NotifyReceipts]:
    stand_in = NotifyReceipts()
    await stand_in.server.start()
    yield stand_in
    await stand_in.server.stop()


@pytest.fixture
def settings(settings: Open311Settings, notify: NotifyReceipts) -> Open311Settings:
    settings.answer_secrets = SecretStr(ANSWER_SECRET)
    settings.notify_url = notify.server.url
    settings.notify_receipt_secret = SecretStr(RECEIPT_SECRET)
    return settings


def signed(body: dict[str, Any], *, secret: str = ANSWER_SECRET, age: int = 0) -> Any:
    raw = json.dumps(body, ensure_ascii=False).encode()
    stamp = int(datetime.now(UTC).timestamp()) - age
    return {
        "content": raw,
        "headers": {
            "Content-Type": "application/json",
            webhooks.TIMESTAMP_HEADER: str(stamp),
            webhooks.SIGNATURE_HEADER: webhooks.sign(secret, stamp, raw),
        },
    }


def answer(appeal_id: str | None, notice_id: str = "n-1", **extra: Any) -> Any:
    return {
        "notice_id": notice_id,
        "appeal_id": appeal_id,
        "kind": "handling_result",
        "contact_kind": "phone",
        "contact": "13800138000",
        "text": "您反映的问题已办结。如有疑问请致电13912345678。",
        **extra,
    }


async def filed(file: File, intake: Any) -> tuple[str, str]:
    entry = (await file()).json()[0]
    return entry["service_request_id"], intake.first_answers[entry["token"]]["id"]


async def feed(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    answer_ = await client.get(
        "/servicerequestupdates.json",
        params={
            "start_date": (now - timedelta(days=1)).isoformat(),
            "end_date": (now + timedelta(days=1)).isoformat(),
        },
    )
    assert answer_.status_code == 200, answer_.text
    return list(answer_.json())


async def test_open311_an_answer_becomes_an_update_and_a_receipt(
    client: httpx.AsyncClient, file: File, intake: Any, notify: NotifyReceipts
) -> None:
    request_id, appeal = await filed(file, intake)

    taken = await client.post(PATH, **signed(answer(appeal)))

    assert taken.status_code == 202, taken.text
    assert taken.json() == {"message_id": "n-1", "status": "pending"}
    await wait_for(lambda: len(notify.receipts) == 1)
    provider, message_id, status, detail = notify.receipts[0]
    assert (provider, message_id, status) == ("reply:open311", "n-1", "delivered")
    assert detail is not None and detail.startswith("open311: update:")
    updates = [u for u in await feed(client) if u["service_request_id"] == request_id]
    assert [u["description"] for u in updates] == [
        "您反映的问题已办结。如有疑问请致电139****5678。"
    ]
    assert updates[0]["status"] == "open"


async def test_open311_the_same_notice_again_is_one_update(
    client: httpx.AsyncClient, file: File, intake: Any, notify: NotifyReceipts
) -> None:
    request_id, appeal = await filed(file, intake)
    first = await client.post(PATH, **signed(answer(appeal)))
    await wait_for(lambda: len(notify.receipts) == 1)

    # notify signs each handover anew: a later time stamp, another signature.
    again = await client.post(PATH, **signed(answer(appeal), age=-1))

    assert first.status_code == 202
    assert again.status_code == 200, again.text
    assert again.json() == {"message_id": "n-1", "status": "delivered"}
    updates = [u for u in await feed(client) if u["service_request_id"] == request_id]
    assert len(updates) == 1
    assert len(notify.receipts) == 1


async def test_open311_an_answer_for_an_appeal_not_filed_here_is_undelivered(
    client: httpx.AsyncClient, notify: NotifyReceipts
) -> None:
    taken = await client.post(PATH, **signed(answer("no-such-appeal")))

    assert taken.status_code == 202
    await wait_for(lambda: len(notify.receipts) == 1)
    _, message_id, status, detail = notify.receipts[0]
    assert (message_id, status) == ("n-1", "undelivered")
    assert detail == "no request here was filed as appeal no-such-appeal"


async def test_open311_a_receipt_notify_refuses_is_sent_again(
    client: httpx.AsyncClient,
    file: File,
    intake: Any,
    notify: NotifyReceipts,
    keys: dict[str, str],
) -> None:
    _, appeal = await filed(file, intake)
    notify.refuse = True

    await client.post(PATH, **signed(answer(appeal)))
    stats = await _wait_stats(client, keys["operator"], delivered=1)
    notify.refuse = False

    assert stats["pending"] == 0
    await wait_for(lambda: len(notify.receipts) == 1, within=10)
    assert notify.receipts[0][1:3] == ("n-1", "delivered")


async def _wait_stats(
    client: httpx.AsyncClient, key: str, **expected: int
) -> dict[str, int]:
    seen: dict[str, int] = {}

    async def reached() -> bool:
        nonlocal seen
        answer_ = await client.get("/v1/answers/stats", headers={"X-API-Key": key})
        seen = answer_.json()
        return all(seen.get(k) == v for k, v in expected.items())

    await wait_for(reached)
    return seen


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"secret": "not-the-secret-notify-signs-answers-with"}, 401, "bad_signature"),
        ({"age": 600}, 401, "stale_request"),
    ],
)
async def test_open311_an_answer_not_signed_by_notify_is_refused(
    client: httpx.AsyncClient,
    change: dict[str, Any],
    status: int,
    code: str,
    notify: NotifyReceipts,
) -> None:
    refused = await client.post(PATH, **signed(answer("a"), **change))

    assert refused.status_code == status
    assert refused.json()["error"]["code"] == code
    assert (await client.post(PATH, json=answer("a"))).status_code == 401


async def test_open311_the_same_signed_answer_again_is_taken_once(
    client: httpx.AsyncClient, keys: dict[str, str], notify: NotifyReceipts
) -> None:
    request = signed(answer("a"))

    first = await client.post(PATH, **request)
    again = await client.post(PATH, **request)

    assert first.status_code == 202
    assert again.status_code == 200, again.text
    assert again.json()["message_id"] == "n-1"
    stats = await _wait_stats(client, keys["operator"], undelivered=1)
    assert stats == {"pending": 0, "delivered": 0, "undelivered": 1}


async def test_open311_an_answer_for_another_channel_is_404(
    client: httpx.AsyncClient,
) -> None:
    refused = await client.post("/v1/answers/wechat", **signed(answer("a")))

    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "channel_not_answered"


async def test_open311_an_unreadable_answer_names_its_field(
    client: httpx.AsyncClient,
) -> None:
    refused = await client.post(PATH, **signed(answer("a", text="")))

    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invalid_input"
    assert refused.json()["error"]["field"] == "text"


async def test_open311_settled_answers_are_forgotten_after_their_retention(
    app: FastAPI,
    client: httpx.AsyncClient,
    file: File,
    intake: Any,
    notify: NotifyReceipts,
    keys: dict[str, str],
) -> None:
    _, appeal = await filed(file, intake)
    await client.post(PATH, **signed(answer(appeal)))
    await wait_for(lambda: len(notify.receipts) == 1)
    desk = app.state.answers
    runtime = app.state.runtime

    kept = await desk.forget_old(runtime, days=1, reported=True)
    forgotten = await desk.forget_old(runtime, days=0, reported=True)

    assert (kept, forgotten) == (0, 1)
    assert await _wait_stats(client, keys["operator"], delivered=0) == {
        "pending": 0,
        "delivered": 0,
        "undelivered": 0,
    }
