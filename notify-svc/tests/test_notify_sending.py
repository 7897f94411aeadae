"""Sending queued notices: waiting for the recipient, retries with backoff, giving up,
and the evidence and events each outcome leaves (Art. 28, 36)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest

from minsheng_notify.senders import OutgoingNotice, SendRefused, SendResult


async def test_notify_notice_waits_for_recipient_then_is_sent(
    make_harness: Any,
) -> None:
    notify = await make_harness()
    await notify.request_acceptance("a-1")

    early = await notify.send()

    waiting = await notify.notice("a-1")
    assert (early.sent, early.failed) == (0, 0)
    assert waiting.status == "pending"
    assert not notify.mailbox.exists()

    notify.clock.advance(timedelta(minutes=10))
    await notify.file_appeal("a-1")
    late = await notify.send()

    notice = await notify.notice("a-1")
    assert late.sent == 1
    assert notice.status == "sent"
    assert notice.sent_at == notify.start + timedelta(minutes=10)
    assert notice.channel == "mailbox"
    assert notice.provider_ref == f"mailbox:{notice.id}.json"
    assert [path.name for path in notify.mailbox.iterdir()] == [f"{notice.id}.json"]
    (event,) = await notify.events("notice.sent")
    assert event["notice_id"] == notice.id
    assert event["recipient_masked"] == "138****8000"
    assert event["provider_ref"] == notice.provider_ref
    assert event["attempts"] == 1
    assert event["channel"] == "mailbox"
    assert event["sent_at"] == "2026-12-04T01:40:00Z"


async def test_notify_sent_notice_is_not_sent_again(make_harness: Any) -> None:
    notify = await make_harness()
    await notify.file_appeal("a-1")
    await notify.request_acceptance("a-1")
    await notify.send()

    notify.clock.advance(timedelta(hours=2))
    again = await notify.send()

    assert (again.sent, again.failed) == (0, 0)
    assert len(await notify.events("notice.sent")) == 1


async def test_notify_failing_sender_is_retried_with_backoff(
    make_harness: Any, flaky_sender: Any
) -> None:
    sender = flaky_sender(failures=2, channel="sms")
    notify = await make_harness(sender=sender, backoff=timedelta(seconds=30))
    await notify.file_appeal("a-1")
    await notify.request_acceptance("a-1")

    first = await notify.send()
    too_soon = await notify.send()
    notify.clock.advance(timedelta(seconds=30))
    second = await notify.send()
    notify.clock.advance(timedelta(seconds=59))
    still_waiting = await notify.send()
    notify.clock.advance(timedelta(seconds=1))
    third = await notify.send()

    assert first.retrying == 1
    assert too_soon.retrying == too_soon.sent == 0
    assert second.retrying == 1
    assert still_waiting.retrying == still_waiting.sent == 0
    assert third.sent == 1
    assert [message.contact for message in sender.calls] == ["13800138000"] * 3

    notice = await notify.notice("a-1")
    assert notice.status == "sent"
    assert notice.attempts == 3
    assert notice.provider_ref == "flaky-3"
    assert notice.last_error is None
    attempts = await notify.attempts(notice.id)
    assert [attempt.outcome for attempt in attempts] == ["failed", "failed", "sent"]
    assert [attempt.at - notify.start for attempt in attempts] == [
        timedelta(0),
        timedelta(seconds=30),
        timedelta(seconds=90),
    ]
    assert attempts[0].detail == "send_failed: gateway busy (call 1)"
    assert attempts[2].provider_ref == "flaky-3"
    (event,) = await notify.events("notice.sent")
    assert event["attempts"] == 3
    assert event["channel"] == "sms"


async def test_notify_fails_after_max_attempts(
    make_harness: Any, flaky_sender: Any
) -> None:
    sender = flaky_sender(failures=100)
    notify = await make_harness(
        sender=sender,
        max_attempts=3,
        backoff=timedelta(seconds=30),
        backoff_max=timedelta(seconds=40),
    )
    await notify.file_appeal("a-1")
    await notify.request_acceptance("a-1", work_order_id="wo-9")

    for _ in range(5):
        await notify.send()
        notify.clock.advance(timedelta(seconds=40))

    notice = await notify.notice("a-1")
    assert len(sender.calls) == 3
    assert notice.status == "failed"
    assert notice.attempts == 3
    assert notice.failed_at == notify.start + timedelta(seconds=80)
    assert notice.last_error == "send_failed: gateway busy (call 3)"
    assert await notify.events("notice.sent") == []
    (event,) = await notify.events("notice.failed")
    assert event["notice_id"] == notice.id
    assert event["work_order_id"] == "wo-9"
    assert event["reason"] == "attempts_exhausted"
    assert event["attempts"] == 3
    assert event["channel"] == "flaky"


async def test_notify_refused_message_fails_at_once(make_harness: Any) -> None:
    class RefusingSender:
        channel = "sms"

        async def send(self, message: OutgoingNotice) -> SendResult:
            raise SendRefused("number not in service")

    notify = await make_harness(sender=RefusingSender())
    await notify.file_appeal("a-1")
    await notify.request_acceptance("a-1")

    report = await notify.send()

    notice = await notify.notice("a-1")
    assert report.failed == 1
    assert notice.status == "failed"
    assert notice.attempts == 1
    (event,) = await notify.events("notice.failed")
    assert event["reason"] == "send_refused"


async def test_notify_sender_fault_counts_as_failed_attempt(
    make_harness: Any, caplog: pytest.LogCaptureFixture
) -> None:
    class BrokenSender:
        channel = "sms"

        async def send(self, message: OutgoingNotice) -> SendResult:
            raise KeyError(message.contact)

    notify = await make_harness(sender=BrokenSender())
    await notify.file_appeal("a-1")
    await notify.request_acceptance("a-1")

    report = await notify.send()

    notice = await notify.notice("a-1")
    assert report.retrying == 1
    assert notice.status == "pending"
    assert notice.last_error == "sender_error: unexpected KeyError in the sender"
    assert "notice" in caplog.text
    assert "38000" not in caplog.text


async def test_notify_notice_without_recipient_fails_after_wait_limit(
    make_harness: Any,
) -> None:
    notify = await make_harness(recipient_wait=timedelta(hours=1))
    await notify.request_acceptance("a-1")

    notify.clock.advance(timedelta(minutes=59, seconds=59))
    before = await notify.send()
    notify.clock.advance(timedelta(seconds=1))
    at_limit = await notify.send()

    notice = await notify.notice("a-1")
    assert before.failed == 0
    assert at_limit.failed == 1
    assert notice.status == "failed"
    assert notice.attempts == 0
    (attempt,) = await notify.attempts(notice.id)
    assert attempt.outcome == "recipient_unknown"
    (event,) = await notify.events("notice.failed")
    assert event["reason"] == "recipient_unknown"
    assert event["channel"] == "none"
    assert event["attempts"] == 0

    await notify.file_appeal("a-1")
    after = await notify.send()
    assert after.sent == 0


async def test_notify_logs_never_hold_the_contact(
    make_harness: Any, flaky_sender: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    contact = "citizen.li@example.com"
    notify = await make_harness(sender=flaky_sender(failures=1), max_attempts=2)
    await notify.file_appeal("a-1", contact=contact, contact_kind="email")
    await notify.request_acceptance("a-1")

    await notify.send()
    notify.clock.advance(timedelta(minutes=1))
    await notify.send()

    assert (await notify.notice("a-1")).status == "sent"
    assert "a-1" in caplog.text
    assert contact not in caplog.text
