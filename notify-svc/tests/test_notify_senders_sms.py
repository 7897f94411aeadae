"""SMS through the HTTP gateway, against a real gateway on 127.0.0.1 that fails,
times out and answers slowly: what it is sent, what it answers, and that a message
that had to be tried again still reaches the citizen once (Art. 28, 36)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from minsheng_common.devstack.broker import free_port
from minsheng_notify.senders import (
    MailboxFolderSender,
    OutgoingNotice,
    SenderChoice,
    SendFailed,
    SendRefused,
    SmsGatewaySender,
)
from minsheng_notify.sending import content_sha256

NOW = datetime(2026, 12, 4, 1, 30, tzinfo=UTC)
PHONE = "13800138000"


def message(**changes: Any) -> OutgoingNotice:
    values: dict[str, Any] = {
        "notice_id": "n-1",
        "appeal_id": "a-1",
        "kind": "acceptance",
        "contact_kind": "phone",
        "contact": PHONE,
        "body": "【民生诉求】您的诉求已受理",
        "at": NOW,
    }
    values.update(changes)
    return OutgoingNotice(**values)


def gateway(providers: Any, *, timeout: float = 0.4) -> SmsGatewaySender:
    return SmsGatewaySender(url=f"{providers.url}/sms", key="gw-key", timeout=timeout)


async def test_notify_sms_posts_json_with_key_and_reference(providers: Any) -> None:
    result = await gateway(providers).send(message())

    (call,) = providers.calls_to("sms")
    assert call.body == {
        "to": PHONE,
        "text": "【民生诉求】您的诉求已受理",
        "reference": "n-1",
    }
    assert call.headers["authorization"] == "Bearer gw-key"
    assert call.headers["idempotency-key"] == "n-1"
    assert call.headers["content-type"] == "application/json"
    assert result.provider_ref == "sms-1"


@pytest.mark.parametrize("step", ["fail", "garbage"])
async def test_notify_sms_gateway_trouble_may_pass(providers: Any, step: str) -> None:
    providers.plan("sms", step)

    with pytest.raises(SendFailed) as raised:
        await gateway(providers).send(message())

    assert raised.value.retriable is True
    assert PHONE not in raised.value.message


async def test_notify_sms_refused_number_is_final(providers: Any) -> None:
    providers.plan("sms", "refuse")

    with pytest.raises(SendRefused) as raised:
        await gateway(providers).send(message())

    assert raised.value.retriable is False
    assert raised.value.message == "the SMS gateway answered 400 (invalid_number)"


async def test_notify_sms_gateway_slower_than_the_timeout_fails_the_attempt(
    providers: Any,
) -> None:
    providers.plan("sms", "slow")

    with pytest.raises(SendFailed) as raised:
        await gateway(providers, timeout=0.2).send(message())

    assert raised.value.message == "the SMS gateway did not answer in time"


async def test_notify_sms_gateway_down_fails_the_attempt() -> None:
    sender = SmsGatewaySender(
        url=f"http://127.0.0.1:{free_port()}/sms", key="k", timeout=1
    )

    with pytest.raises(SendFailed) as raised:
        await sender.send(message())

    assert raised.value.message.startswith("the SMS gateway unreachable")


async def test_notify_sms_refuses_a_contact_that_is_not_a_phone(
    providers: Any,
) -> None:
    with pytest.raises(SendRefused):
        await gateway(providers).send(
            message(contact_kind="email", contact="li@example.com")
        )

    assert providers.calls_to("sms") == []


async def test_notify_sms_failing_then_recovering_delivers_exactly_one_message(
    make_harness: Any, providers: Any, tmp_path: Path
) -> None:
    providers.plan("sms", "fail", "slow", "ok")
    providers.slow_seconds = 1.5
    mailbox = tmp_path / "unused-mailbox"
    senders = SenderChoice(
        default=MailboxFolderSender(mailbox),
        by_contact_kind={"phone": gateway(providers, timeout=0.5)},
    )
    notify = await make_harness(senders=senders, backoff=timedelta(seconds=30))
    await notify.file_appeal("a-1")
    await notify.request_acceptance("a-1")

    for _ in range(3):
        await notify.send()
        notify.clock.advance(timedelta(minutes=5))

    notice = await notify.notice("a-1")
    calls = providers.calls_to("sms")
    assert len(calls) == 3
    assert {call.headers["idempotency-key"] for call in calls} == {notice.id}
    assert len(providers.delivered_by("sms")) == 1
    assert notice.status == "sent"
    assert notice.provider_ref == "sms-1"
    attempts = await notify.attempts(notice.id)
    assert [(a.outcome, a.channel) for a in attempts] == [
        ("failed", "sms"),
        ("failed", "sms"),
        ("sent", "sms"),
    ]
    assert attempts[0].detail == "send_failed: the SMS gateway answered 503 (busy)"
    assert attempts[1].detail == "send_failed: the SMS gateway did not answer in time"
    assert {a.content_sha256 for a in attempts} == {content_sha256(notice.body)}
    assert {a.recipient_masked for a in attempts} == {"138****8000"}
    (event,) = await notify.events("notice.sent")
    assert (event["channel"], event["attempts"]) == ("sms", 3)
    assert not mailbox.exists()
