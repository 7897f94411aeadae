"""The evidence of Art. 36 for every attempt, failed ones too, read and exported as
CSV and JSON for a unit's appeal against a deduction (Art. 35); a unit sees only
its own work orders."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
from typing import Any

import pytest

from minsheng_common.auth import webhooks

PHONE = "13800138000"
ADDRESS = "citizen.li@example.com"
RECEIPT_SECRET = "email-receipt-secret-email-receipt-secret"


@pytest.fixture
async def notify(
    make_running_notify: Any, providers: Any, make_mail_server: Any
) -> Any:
    """notify whose SMS gateway keeps failing for a citizen who also gave an email:
    the acceptance notice of wo-1 (unit cgj) goes by email after two SMS attempts
    (so does the filing notice); the email provider's receipt says it was
    delivered; an operator also called."""
    mail = await make_mail_server()
    providers.plan("sms", "fail", "fail", "fail", "fail")
    running = await make_running_notify(
        sms_gateway_url=f"{providers.url}/sms",
        smtp_host=mail.host,
        smtp_port=mail.port,
        smtp_starttls=False,
        smtp_from="noreply@ms.example.cn",
        send_max_attempts=2,
        send_backoff_seconds=0.05,
        send_backoff_max_seconds=0.05,
        receipt_secrets={"email": RECEIPT_SECRET},
    )
    await running.file_appeal("a-1", second=("email", ADDRESS))
    await running.request_acceptance("a-1")
    sent = await running.wait_for("a-1", lambda n: n["status"] == "sent")

    body = json.dumps(
        {
            "receipts": [
                {
                    "message_id": sent["provider_ref"],
                    "status": "delivered",
                    "at": "2026-12-04T02:00:00Z",
                }
            ]
        }
    ).encode()
    stamp = int(time.time())
    await running.anonymous.post(
        "/v1/receipts/email",
        content=body,
        headers={
            webhooks.TIMESTAMP_HEADER: str(stamp),
            webhooks.SIGNATURE_HEADER: webhooks.sign(RECEIPT_SECRET, stamp, body),
        },
    )
    recorded = await running.operator.post(
        f"/v1/notices/{sent['id']}/call-record",
        json={
            "called_by": "王坐席",
            "called_at": "2026-12-04T02:10:00Z",
            "outcome": "reached",
            "duration_seconds": 95,
            "note": "已电话告知受理结果，回拨号码13912345678",
        },
    )
    assert recorded.status_code == 201
    return running


async def test_notify_evidence_holds_every_attempt_with_its_proof(
    notify: Any,
) -> None:
    answer = await notify.operator.get("/v1/evidence", params={"work_order_id": "wo-1"})

    assert answer.status_code == 200
    evidence = answer.json()
    assert evidence["work_order_id"] == "wo-1"
    (notice,) = evidence["notices"]
    assert (notice["kind"], notice["status"], notice["unit_id"]) == (
        "acceptance",
        "sent",
        "cgj",
    )
    digest = hashlib.sha256(notice["body"].encode("utf-8")).hexdigest()
    attempts = notice["attempts"]
    assert [
        (a["number"], a["outcome"], a["channel"], a["recipient_masked"])
        for a in attempts
    ] == [
        (1, "failed", "sms", "138****8000"),
        (2, "failed", "sms", "138****8000"),
        (3, "sent", "email", "c***@example.com"),
        (4, "sent", "call", "138****8000"),
    ]
    assert all(a["at"] for a in attempts)
    assert {a["content_sha256"] for a in attempts} == {digest}
    failed = attempts[:2]
    assert [a["provider_ref"] for a in failed] == [None, None]
    assert [a["delivery_status"] for a in failed] == [None, None]
    assert failed[0]["detail"] == "send_failed: the SMS gateway answered 503 (busy)"
    email = attempts[2]
    assert email["provider_ref"].endswith("@ms.example.cn>")
    assert (email["delivery_status"], email["receipt_at"]) == (
        "delivered",
        "2026-12-04T02:00:00Z",
    )
    call = attempts[3]
    assert call["at"] == "2026-12-04T02:10:00Z"
    assert (call["delivery_status"], call["receipt_at"]) == (
        "delivered",
        "2026-12-04T02:10:00Z",
    )
    assert call["call"]["called_by"] == "王坐席"
    assert call["call"]["outcome"] == "reached"
    assert call["call"]["duration_seconds"] == 95
    assert call["call"]["note"] == "已电话告知受理结果，回拨号码139****5678"
    assert call["call"]["recorded_by"].startswith("operator:")
    assert PHONE not in answer.text
    assert ADDRESS not in answer.text


async def test_notify_evidence_exports_as_csv_one_row_per_attempt(
    notify: Any,
) -> None:
    answer = await notify.clients["cgj"].get(
        "/v1/evidence/export", params={"work_order_id": "wo-1", "format": "csv"}
    )

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == (
        'attachment; filename="evidence-wo-1.csv"'
    )
    assert answer.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert [(r["attempt"], r["channel"], r["outcome"]) for r in rows] == [
        ("1", "sms", "failed"),
        ("2", "sms", "failed"),
        ("3", "email", "sent"),
        ("4", "call", "sent"),
    ]
    assert rows[2]["delivery_status"] == "delivered"
    assert rows[2]["at_local"].endswith("(UTC+08:00)")
    assert rows[3]["called_by"] == "王坐席"
    assert rows[3]["duration_seconds"] == "95"
    assert all(len(r["content_sha256"]) == 64 for r in rows)
    assert PHONE not in answer.text


async def test_notify_evidence_exports_as_json_like_the_api(notify: Any) -> None:
    exported = await notify.operator.get(
        "/v1/evidence/export", params={"work_order_id": "wo-1", "format": "json"}
    )
    read = await notify.operator.get("/v1/evidence", params={"work_order_id": "wo-1"})

    assert exported.status_code == 200
    assert exported.headers["content-type"] == "application/json"
    assert exported.headers["content-disposition"] == (
        'attachment; filename="evidence-wo-1.json"'
    )
    assert exported.json()["notices"] == read.json()["notices"]


async def test_notify_evidence_of_another_units_order_reads_as_empty(
    notify: Any,
) -> None:
    theirs = await notify.clients["swj"].get(
        "/v1/evidence", params={"work_order_id": "wo-1"}
    )
    own = await notify.clients["cgj"].get(
        "/v1/evidence", params={"work_order_id": "wo-1"}
    )
    missing = await notify.clients["cgj"].get(
        "/v1/evidence", params={"work_order_id": "wo-404"}
    )

    assert theirs.status_code == 200
    assert theirs.json()["notices"] == []
    assert missing.json()["notices"] == []
    assert len(own.json()["notices"]) == 1


async def test_notify_evidence_refuses_callers_without_a_notices_scope(
    notify: Any,
) -> None:
    answer = await notify.clients["channel"].get(
        "/v1/evidence", params={"work_order_id": "wo-1"}
    )

    assert answer.status_code == 403


@pytest.mark.parametrize("work_order_id", ["", "wo 1", 'wo"; x', "w" * 37])
async def test_notify_evidence_refuses_an_odd_work_order_id(
    notify: Any, work_order_id: str
) -> None:
    answer = await notify.operator.get(
        "/v1/evidence/export", params={"work_order_id": work_order_id}
    )

    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "query.work_order_id"


def test_notify_csv_cells_that_look_like_formulas_are_defused() -> None:
    from datetime import UTC, datetime

    from minsheng_notify import evidence
    from minsheng_notify.schemas import EvidenceAttempt, EvidenceNotice, EvidenceOut

    at = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
    found = EvidenceOut(
        work_order_id="wo-1",
        generated_at=at,
        notices=[
            EvidenceNotice(
                notice_id="n-1",
                request_id="=HYPERLINK(1)",
                kind="acceptance",
                audience="citizen",
                appeal_id="a-1",
                work_order_id="wo-1",
                unit_id="cgj",
                status="failed",
                body="x",
                created_at=at,
                sent_at=None,
                failed_at=at,
                attempts=[
                    EvidenceAttempt(
                        number=1,
                        at=at,
                        outcome="failed",
                        channel="sms",
                        recipient_masked=None,
                        provider_ref=None,
                        delivery_status=None,
                        receipt_at=None,
                        content_sha256=None,
                        detail="+cmd|' /C calc'!A0",
                        call=None,
                    )
                ],
            )
        ],
    )

    rows = list(csv.DictReader(io.StringIO(evidence.to_csv(found).lstrip("\ufeff"))))

    assert rows[0]["request_id"] == "'=HYPERLINK(1)"
    assert rows[0]["detail"] == "'+cmd|' /C calc'!A0"
