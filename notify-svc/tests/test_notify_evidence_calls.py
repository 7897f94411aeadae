"""Call records staff enter (POST /v1/notices/{id}/call-record): the call record of
Art. 36 and the telephone letter (电函) of Art. 23. A call that reached the citizen
delivers a notice not sent yet; any other outcome is kept as a failed attempt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from minsheng_notify import delivery, repository
from minsheng_notify.delivery import Address, Audience


def call(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "called_by": "王坐席",
        "called_at": (datetime.now(UTC) - timedelta(minutes=3)).isoformat(),
        "outcome": "reached",
        "duration_seconds": 62,
    }
    values.update(changes)
    return values


@pytest.fixture
async def notify(make_running_notify: Any, providers: Any) -> Any:
    """notify whose SMS gateway is down for an hour: a-1's acceptance notice waits
    for its next attempt."""
    providers.plan("sms", *["fail"] * 10)
    running = await make_running_notify(
        sms_gateway_url=f"{providers.url}/sms",
        send_backoff_seconds=3600,
        send_backoff_max_seconds=3600,
    )
    await running.file_appeal("a-1")
    await running.request_acceptance("a-1")
    await running.wait_for("a-1", lambda n: n["attempts"] == 1)
    return running


async def test_notify_reached_call_delivers_a_pending_notice(notify: Any) -> None:
    pending = await notify.notice("a-1")
    called_at = call()["called_at"]

    answer = await notify.operator.post(
        f"/v1/notices/{pending['id']}/call-record", json=call(called_at=called_at)
    )

    assert answer.status_code == 201
    record = answer.json()
    assert (record["outcome"], record["notice_status"]) == ("reached", "sent")
    notice = await notify.notice("a-1")
    assert notice["status"] == "sent"
    assert notice["channel"] == "call"
    assert notice["provider_ref"] == f"call:{record['id']}"
    assert notice["delivery_status"] == "delivered"
    assert datetime.fromisoformat(notice["sent_at"]) == datetime.fromisoformat(
        called_at
    )
    sent = [e for e in await notify.events("notice.sent") if e["kind"] == "acceptance"]
    (event,) = sent
    assert (event["channel"], event["notice_id"]) == ("call", pending["id"])
    assert event["recipient_masked"] == "138****8000"
    # The queue no longer holds it: the citizen was told, and no SMS follows.
    async with notify.runtime.sessions() as session:
        due = await repository.claim_due(
            session, now=datetime.now(UTC) + timedelta(days=1)
        )
    assert due is None or due[0].id != pending["id"]


async def test_notify_unanswered_call_is_a_failed_attempt(notify: Any) -> None:
    pending = await notify.notice("a-1")

    answer = await notify.operator.post(
        f"/v1/notices/{pending['id']}/call-record",
        json=call(outcome="no_answer", duration_seconds=0),
    )

    assert answer.status_code == 201
    assert answer.json()["notice_status"] == "pending"
    notice = await notify.notice("a-1")
    assert notice["status"] == "pending"
    last = notice["attempt_log"][-1]
    assert (last["outcome"], last["channel"], last["detail"]) == (
        "failed",
        "call",
        "call: no_answer, 0 s",
    )
    assert last["delivery_status"] is None
    assert last["recipient_masked"] == "138****8000"


async def test_notify_the_same_call_again_answers_the_first_record(
    notify: Any,
) -> None:
    pending = await notify.notice("a-1")
    body = call()

    first = await notify.operator.post(
        f"/v1/notices/{pending['id']}/call-record", json=body
    )
    again = await notify.operator.post(
        f"/v1/notices/{pending['id']}/call-record", json=body
    )

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    notice = await notify.notice("a-1")
    assert [a["channel"] for a in notice["attempt_log"]].count("call") == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"called_at": "2099-01-01T00:00:00Z"}, "called_at"),
        ({"duration_seconds": 0}, "duration_seconds"),
    ],
)
async def test_notify_impossible_call_is_422(
    notify: Any, changes: dict[str, Any], field: str
) -> None:
    pending = await notify.notice("a-1")

    answer = await notify.operator.post(
        f"/v1/notices/{pending['id']}/call-record", json=call(**changes)
    )

    assert answer.status_code == 422
    error = answer.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_call_record", field)
    assert (await notify.notice("a-1"))["status"] == "pending"


@pytest.mark.parametrize(
    "changes",
    [
        {"outcome": "maybe"},
        {"called_at": "2026-12-04T10:00:00"},
        {"duration_seconds": -1},
        {"called_by": ""},
        {"extra": "field"},
    ],
)
async def test_notify_malformed_call_record_is_422(
    notify: Any, changes: dict[str, Any]
) -> None:
    pending = await notify.notice("a-1")

    answer = await notify.operator.post(
        f"/v1/notices/{pending['id']}/call-record", json=call(**changes)
    )

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_request"


async def test_notify_call_for_an_unknown_notice_is_404(notify: Any) -> None:
    answer = await notify.operator.post(
        "/v1/notices/no-such-notice/call-record", json=call()
    )

    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "notice_not_found"


async def test_notify_a_unit_records_no_call(notify: Any) -> None:
    pending = await notify.notice("a-1")

    answer = await notify.clients["cgj"].post(
        f"/v1/notices/{pending['id']}/call-record", json=call()
    )

    assert answer.status_code == 403
    assert (await notify.notice("a-1"))["status"] == "pending"


async def test_notify_telephone_letter_is_delivered_by_its_call_record(
    notify: Any,
) -> None:
    async with notify.runtime.sessions() as session, session.begin():
        letter = await delivery.queue_message(
            session=session,
            context=notify.context,
            request_id="telephone_letter:ev-1:yjj",
            kind="telephone_letter",
            body="【民生诉求】电函：一级诉求，请即处置。",
            audience=Audience.AGENCY,
            work_order_id="wo-1",
            to=[Address.seal(notify.vault, "telephone", "0755-84000000")],
        )

    answer = await notify.operator.post(
        f"/v1/notices/{letter.id}/call-record", json=call(duration_seconds=40)
    )

    assert answer.status_code == 201
    assert answer.json()["notice_status"] == "sent"
    evidence = await notify.operator.get(
        "/v1/evidence", params={"work_order_id": "wo-1"}
    )
    (found,) = [n for n in evidence.json()["notices"] if n["notice_id"] == letter.id]
    (attempt,) = found["attempts"]
    assert attempt["recipient_masked"] == "075*****0000"
    assert attempt["call"]["duration_seconds"] == 40
    # An official's message is not announced as a citizen's notice.
    assert all(e["notice_id"] != letter.id for e in await notify.events("notice.sent"))
