"""Call records the call centres push (POST /v1/lines/{line}/calls): taken only with
the line's own valid signature made inside the window of the real clock and never
seen before; a body that is not a record, or that intake would refuse, answers 422
with the field at fault and stores nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import func, select

from minsheng_hotline.app import create_app
from minsheng_hotline.models import HotlineCall, WebhookReceipt
from minsheng_hotline.settings import HotlineSettings
from tests.adapter_support import client_of, running


async def count(app: FastAPI, model: Any) -> int:
    async with app.state.runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def stored(app: FastAPI, item_id: str) -> HotlineCall:
    async with app.state.runtime.sessions() as session:
        item = await session.get(HotlineCall, item_id)
    assert item is not None
    return item


async def test_hotline_a_signed_record_is_stored_as_an_appeal_of_its_line(
    app: FastAPI, centre: Any
) -> None:
    answer = await centre.push(centre.record(), line="12345")

    assert answer.status_code == 202
    body = answer.json()
    assert body["line"] == "12345"
    assert body["call_id"] == "C20261204-0001"
    assert body["status"] == "pending"
    assert body["duplicate"] is False
    item = await stored(app, body["id"])
    assert item.source == "12345"
    assert item.agent == "A1023"
    assert item.payload["channel"] == "hotline-12345"
    assert item.payload["channel_ref"] == "C20261204-0001"


async def test_hotline_a_tampered_body_is_refused(app: FastAPI, centre: Any) -> None:
    raw, headers = centre.signed(centre.record())
    tampered = raw.replace(b"A1023", b"A9999")

    answer = await centre.send(tampered, headers)

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "bad_signature"
    assert answer.json()["error"]["field"] == "X-Minsheng-Signature"
    assert await count(app, HotlineCall) == 0
    assert await count(app, WebhookReceipt) == 0


async def test_hotline_a_record_signed_with_another_lines_secret_is_refused(
    app: FastAPI, centre: Any
) -> None:
    # The 12319 centre's secret, pushed as a record of 12345.
    raw, headers = centre.signed(centre.record(), line="12319")

    answer = await centre.send(raw, headers, line="12345")

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "bad_signature"
    assert await count(app, HotlineCall) == 0


async def test_hotline_an_unsigned_record_is_refused(centre: Any) -> None:
    raw = json.dumps(centre.record()).encode()

    answer = await centre.send(raw, {"Content-Type": "application/json"})

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "bad_signature"


@pytest.mark.parametrize("offset", [timedelta(minutes=-6), timedelta(minutes=6)])
async def test_hotline_a_record_signed_outside_the_window_is_refused(
    app: FastAPI, centre: Any, offset: timedelta
) -> None:
    answer = await centre.push(centre.record(), at=datetime.now(UTC) + offset)

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "stale_request"
    assert answer.json()["error"]["field"] == "X-Minsheng-Timestamp"
    assert await count(app, HotlineCall) == 0


async def test_hotline_a_replayed_record_is_refused(app: FastAPI, centre: Any) -> None:
    raw, headers = centre.signed(centre.record())

    first = await centre.send(raw, headers)
    again = await centre.send(raw, headers)

    assert first.status_code == 202
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "replayed_request"
    assert await count(app, HotlineCall) == 1


async def test_hotline_the_same_call_pushed_again_answers_its_first_item(
    app: FastAPI, centre: Any
) -> None:
    first = await centre.push(centre.record())
    # The centre retries after a lost answer: a new timestamp, a new signature.
    retry = await centre.push(
        centre.record(), at=datetime.now(UTC) + timedelta(seconds=2)
    )

    assert retry.status_code == 202
    assert retry.json()["id"] == first.json()["id"]
    assert retry.json()["duplicate"] is True
    assert await count(app, HotlineCall) == 1


async def test_hotline_the_same_call_id_on_another_line_is_another_call(
    app: FastAPI, centre: Any
) -> None:
    on_12345 = await centre.push(centre.record(), line="12345")
    on_12319 = await centre.push(centre.record(), line="12319")

    assert on_12319.status_code == 202
    assert on_12319.json()["id"] != on_12345.json()["id"]
    item = await stored(app, on_12319.json()["id"])
    assert item.payload["channel"] == "hotline-12319"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"summary": None}, "summary"),
        ({"summary": "\u200b\u202e "}, "summary"),
        ({"call_id": "../etc/passwd"}, "call_id"),
        ({"caller_number": "call me maybe"}, "caller_number"),
        ({"called_at": "yesterday"}, "called_at"),
        ({"agent": ""}, "agent"),
        ({"recording_url": "not a url"}, "recording_url"),
        ({"recording_url": "https://rec.example/C1.exe"}, "recording_url"),
        ({"called_at": "2099-01-01T08:00:00+08:00"}, "called_at"),
        ({"called_at": "1999-12-31T08:00:00+08:00"}, "called_at"),
    ],
)
async def test_hotline_a_malformed_record_is_refused_with_its_field(
    app: FastAPI, centre: Any, changes: dict[str, Any], field: str
) -> None:
    body = centre.record(**changes)
    body = {key: value for key, value in body.items() if value is not None}
    raw, headers = centre.signed(body)

    answer = await centre.send(raw, headers)
    again = await centre.send(raw, headers)

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_call"
    assert answer.json()["error"]["field"] == field
    assert again.status_code == 422, "a refused body is not recorded as seen"
    assert await count(app, HotlineCall) == 0


async def test_hotline_a_body_that_is_not_json_is_refused(
    app: FastAPI, centre: Any
) -> None:
    answer = await centre.send(*centre.signed(b"{not json"))

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_call"
    assert answer.json()["error"]["field"] == "body"


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"summary": "很长" * 2501}, "summary"), ({"title": "长" * 201}, "title")],
)
async def test_hotline_a_record_longer_than_intake_takes_is_refused(
    app: FastAPI, centre: Any, changes: dict[str, Any], field: str
) -> None:
    answer = await centre.push(centre.record(**changes))

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "too_long"
    assert answer.json()["error"]["field"] == field
    assert await count(app, HotlineCall) == 0


async def test_hotline_a_line_not_served_answers_404(centre: Any) -> None:
    answer = await centre.push(centre.record(), line="12345")
    raw, headers = centre.signed(centre.record("C2"), line="12345")

    unknown = await centre.send(raw, headers, line="110")

    assert answer.status_code == 202
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "unknown_line"


async def test_hotline_a_line_without_a_secret_is_not_configured(
    settings: HotlineSettings, keys: Any
) -> None:
    settings.line_secrets = {"12345": SecretStr("k" * 40)}
    async with (
        running(create_app(settings)) as application,
        client_of(application, "http://h") as http,
    ):
        raw = json.dumps({"call_id": "C1"}).encode()
        answer = await http.post(
            "/v1/lines/12319/calls",
            content=raw,
            headers={"X-Minsheng-Signature": "x"},
        )

    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == "webhook_not_configured"
    assert 'HOTLINE_LINE_SECRETS["12319"]' in answer.json()["error"]["message"]


async def test_hotline_records_over_the_lines_budget_answer_429(
    settings: HotlineSettings, keys: Any, centre_of: Any
) -> None:
    settings.webhook_per_minute = 1
    async with (
        running(create_app(settings)) as application,
        client_of(application, "http://h") as http,
    ):
        from_centre = centre_of(http)
        first = await from_centre.push(from_centre.record("C1"))
        second = await from_centre.push(from_centre.record("C2"))
        other_line = await from_centre.push(from_centre.record("C3"), line="12319")

    assert first.status_code == 202
    assert second.status_code == 429
    assert second.json()["error"]["code"] == "rate_limited"
    assert other_line.status_code == 202, "each line has its own budget"


@pytest.mark.parametrize(
    ("line_secrets", "intake_keys", "problem"),
    [
        ("p" * 40, "", 'HOTLINE_INTAKE_API_KEYS["12345"]'),
        ("", "ms_k_s", 'HOTLINE_LINE_SECRETS["12345"]'),
        ("short", "ms_k_s", 'HOTLINE_LINE_SECRETS["12345"]'),
        (f"{'p' * 40},changeme", "ms_k_s", 'HOTLINE_LINE_SECRETS["12345"]'),
    ],
)
def test_hotline_production_refuses_to_start_without_each_lines_secrets(
    settings: HotlineSettings, line_secrets: str, intake_keys: str, problem: str
) -> None:
    settings.environment = "production"
    settings.token_secrets = "t" * 40
    settings.lines = ("12345",)
    settings.line_secrets = {"12345": SecretStr(line_secrets)}
    settings.intake_api_keys = {"12345": SecretStr(intake_keys)}

    with pytest.raises(ValueError, match=problem.replace("[", r"\[")):
        create_app(settings)
