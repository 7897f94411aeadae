"""Delivery receipts pushed by the SMS gateway (POST /v1/receipts/{provider}): taken
only with a good HMAC signature made within the window, they set the delivery status
and receipt time of the attempt and its notice (Art. 36); the first final status
stays."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from minsheng_common.auth import webhooks
from minsheng_notify.models import NoticeAttempt

SECRET = "sms-receipt-secret-sms-receipt-secret"
OLD_SECRET = "sms-receipt-secret-before-rotation!!"
DELIVERED_AT = "2026-12-04T01:31:05Z"


def signed(
    payload: Any, *, secret: str = SECRET, stamp: int | None = None
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    stamp = stamp if stamp is not None else int(time.time())
    return body, {
        webhooks.TIMESTAMP_HEADER: str(stamp),
        webhooks.SIGNATURE_HEADER: webhooks.sign(secret, stamp, body),
        "Content-Type": "application/json",
    }


def receipt(message_id: str, status: str = "delivered", **more: Any) -> Any:
    return {"receipts": [{"message_id": message_id, "status": status, **more}]}


@pytest.fixture
async def notify(make_running_notify: Any, providers: Any) -> Any:
    """notify with the SMS gateway and its receipt secrets, one acceptance notice
    sent by SMS."""
    running = await make_running_notify(
        sms_gateway_url=f"{providers.url}/sms",
        sms_gateway_key="gw-key",
        receipt_secrets={"sms": f"{SECRET},{OLD_SECRET}"},
    )
    await running.file_appeal("a-1")
    await running.request_acceptance("a-1")
    await running.wait_for("a-1", lambda n: n["status"] == "sent")
    return running


async def post(notify: Any, payload: Any, provider: str = "sms", **sign: Any) -> Any:
    body, headers = signed(payload, **sign)
    return await notify.anonymous.post(
        f"/v1/receipts/{provider}", content=body, headers=headers
    )


async def test_notify_signed_receipt_sets_delivery_status_and_time(
    notify: Any,
) -> None:
    sent = await notify.notice("a-1")
    assert sent["delivery_status"] == "accepted"

    answer = await post(notify, receipt(sent["provider_ref"], at=DELIVERED_AT))

    assert answer.status_code == 200
    assert answer.json() == {"applied": 1, "unchanged": 0, "unknown": 0}
    notice = await notify.notice("a-1")
    assert notice["delivery_status"] == "delivered"
    assert notice["receipt_at"] == DELIVERED_AT
    sms_attempt = [a for a in notice["attempt_log"] if a["channel"] == "sms"][-1]
    assert sms_attempt["delivery_status"] == "delivered"
    assert sms_attempt["receipt_at"] == DELIVERED_AT
    assert sms_attempt["provider_ref"] == sent["provider_ref"]


async def test_notify_receipt_signed_with_the_previous_secret_is_taken(
    notify: Any,
) -> None:
    sent = await notify.notice("a-1")

    answer = await post(notify, receipt(sent["provider_ref"]), secret=OLD_SECRET)

    assert answer.status_code == 200
    assert (await notify.notice("a-1"))["delivery_status"] == "delivered"


async def test_notify_first_final_status_stays(notify: Any) -> None:
    sent = await notify.notice("a-1")
    await post(notify, receipt(sent["provider_ref"], at=DELIVERED_AT))

    again = await post(notify, receipt(sent["provider_ref"], "undelivered"))

    assert again.json() == {"applied": 0, "unchanged": 1, "unknown": 0}
    notice = await notify.notice("a-1")
    assert (notice["delivery_status"], notice["receipt_at"]) == (
        "delivered",
        DELIVERED_AT,
    )


@pytest.mark.parametrize(
    ("sign", "code"),
    [
        ({"secret": "a-guessed-secret-a-guessed-secret-a"}, "bad_signature"),
        ({"stamp": int(time.time()) - 600}, "stale_request"),
    ],
)
async def test_notify_receipt_with_bad_signature_changes_nothing(
    notify: Any, sign: dict[str, Any], code: str
) -> None:
    sent = await notify.notice("a-1")

    answer = await post(notify, receipt(sent["provider_ref"]), **sign)

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == code
    assert (await notify.notice("a-1"))["delivery_status"] == "accepted"


async def test_notify_tampered_receipt_is_refused(notify: Any) -> None:
    sent = await notify.notice("a-1")
    body, headers = signed(receipt(sent["provider_ref"], "undelivered"))
    tampered = body.replace(b"undelivered", b"delivered")

    answer = await notify.anonymous.post(
        "/v1/receipts/sms", content=tampered, headers=headers
    )

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "bad_signature"
    assert (await notify.notice("a-1"))["delivery_status"] == "accepted"


async def test_notify_receipts_of_a_provider_without_secret_are_refused(
    notify: Any,
) -> None:
    answer = await post(notify, receipt("1"), provider="wechat_template")

    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "unknown_provider"


async def test_notify_unreadable_receipt_is_422_with_its_field(notify: Any) -> None:
    answer = await post(notify, {"receipts": [{"message_id": "x", "status": "lost"}]})

    assert answer.status_code == 422
    error = answer.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_receipt", "receipts.0.status")


async def test_notify_receipt_for_an_unknown_message_is_counted(notify: Any) -> None:
    answer = await post(notify, receipt("sms-999"))

    assert answer.json() == {"applied": 0, "unchanged": 0, "unknown": 1}


async def test_notify_undelivered_receipt_is_kept_masked_and_logged(
    notify: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    sent = await notify.notice("a-1")

    answer = await post(
        notify,
        receipt(
            sent["provider_ref"],
            "undelivered",
            detail="handset 13800138000 switched off",
        ),
    )

    assert answer.json()["applied"] == 1
    notice = await notify.notice("a-1")
    assert notice["delivery_status"] == "undelivered"
    async with notify.runtime.sessions() as session:
        attempt = await session.scalar(
            select(NoticeAttempt).where(
                NoticeAttempt.notice_id == notice["id"],
                NoticeAttempt.channel == "sms",
            )
        )
    assert attempt is not None
    assert attempt.detail == "receipt: handset 138****8000 switched off"
    assert attempt.receipt_at is not None
    assert attempt.receipt_at <= datetime.now(UTC)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any(notice["id"] in r.getMessage() for r in warnings)
    assert "13800138000" not in caplog.text


async def test_notify_an_answer_its_channel_could_not_deliver_goes_by_sms(
    make_running_notify: Any, providers: Any
) -> None:
    """The WeChat adapter took the answer, then WeChat refused it (outside the
    48-hour window): the undelivered receipt sends the citizen an SMS instead."""
    notify = await make_running_notify(
        sms_gateway_url=f"{providers.url}/sms",
        sms_gateway_key="gw-key",
        channel_reply_urls={"wechat": f"{providers.url}/reply/wechat"},
        receipt_secrets={"reply:wechat": SECRET},
    )
    await notify.file_appeal("a-1", channel="wechat")
    await notify.request_acceptance("a-1")
    handed = await notify.wait_for("a-1", lambda n: n["status"] == "sent")

    answer = await post(
        notify,
        receipt(handed["provider_ref"], "undelivered", detail="errcode 45015"),
        provider="reply:wechat",
    )
    texted = await notify.wait_for(
        "a-1", lambda n: n["status"] == "sent" and n["channel"] == "sms"
    )

    assert handed["channel"] == "reply:wechat"
    assert answer.json() == {"applied": 1, "unchanged": 0, "unknown": 0}
    assert [(a["channel"], a["delivery_status"]) for a in texted["attempt_log"]] == [
        ("reply:wechat", "undelivered"),
        ("sms", "accepted"),
    ]
    assert texted["delivery_status"] == "accepted"


async def test_notify_an_undelivered_sms_is_not_sent_again(notify: Any) -> None:
    sent = await notify.notice("a-1")

    await post(notify, receipt(sent["provider_ref"], "undelivered"))
    await asyncio.sleep(0.2)

    after = await notify.notice("a-1")
    assert (after["status"], after["delivery_status"]) == ("sent", "undelivered")
    assert [a["channel"] for a in after["attempt_log"]] == ["sms"]
