"""Email through SMTP (aiosmtplib), against a real aiosmtpd server on 127.0.0.1:
plain and with STARTTLS, a temporary failure and recovery, a refused address, and
a server that is down (Art. 28, 36: email with send time and delivery status)."""

from __future__ import annotations

import logging
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
    SmtpSender,
)

NOW = datetime(2026, 12, 4, 1, 30, tzinfo=UTC)
ADDRESS = "citizen.li@example.com"
BODY = "【民生诉求】您的诉求（编号MS20261204000123）已受理。"


def message(**changes: Any) -> OutgoingNotice:
    values: dict[str, Any] = {
        "notice_id": "n-1",
        "appeal_id": "a-1",
        "kind": "acceptance",
        "contact_kind": "email",
        "contact": ADDRESS,
        "body": BODY,
        "at": NOW,
        "subject": "诉求受理告知",
    }
    values.update(changes)
    return OutgoingNotice(**values)


def smtp(server: Any, **options: Any) -> SmtpSender:
    values: dict[str, Any] = {
        "host": server.host,
        "port": server.port,
        "from_address": "民生诉求 <noreply@ms.example.cn>",
        "starttls": False,
        "timeout": 5,
    }
    values.update(options)
    return SmtpSender(**values)


async def test_notify_email_arrives_as_utf8_mail_with_its_message_id(
    make_mail_server: Any,
) -> None:
    server = await make_mail_server()

    result = await smtp(server).send(message())

    (mail,) = server.mails
    assert mail.recipients == [ADDRESS]
    assert mail.sender == "noreply@ms.example.cn"
    assert mail.message["Subject"] == "诉求受理告知"
    assert mail.message["Message-ID"] == "<n-1@ms.example.cn>"
    assert mail.message.get_content().strip() == BODY
    assert result.provider_ref == "<n-1@ms.example.cn>"
    assert result.detail == "2.0.0 Ok: queued as Q1"


async def test_notify_email_goes_over_starttls_when_the_server_requires_it(
    make_mail_server: Any, tmp_path: Path
) -> None:
    server = await make_mail_server(tls=True)
    sender = smtp(server, starttls=True, ca_file=tmp_path / "smtp-cert.pem")

    await sender.send(message())

    assert server.tls_used == [True]
    assert server.mails[0].message.get_content().strip() == BODY


async def test_notify_email_without_starttls_is_refused_by_a_server_requiring_it(
    make_mail_server: Any,
) -> None:
    server = await make_mail_server(tls=True)

    with pytest.raises(SendRefused) as raised:
        await smtp(server, starttls=False).send(message())

    assert server.mails == []
    assert raised.value.message.startswith("the mail server refused")


async def test_notify_email_untrusted_certificate_fails_the_attempt(
    make_mail_server: Any,
) -> None:
    server = await make_mail_server(tls=True)

    with pytest.raises(SendFailed) as raised:
        await smtp(server, starttls=True).send(message())

    assert raised.value.retriable is True
    assert server.mails == []


async def test_notify_email_temporary_failure_may_pass(make_mail_server: Any) -> None:
    server = await make_mail_server()
    server.plan("tempfail")

    with pytest.raises(SendFailed) as raised:
        await smtp(server).send(message())

    assert raised.value.retriable is True
    assert raised.value.message == "the mail server refused the message (451)"


async def test_notify_email_refused_address_is_final_and_never_quoted(
    make_mail_server: Any,
) -> None:
    server = await make_mail_server()
    server.plan("reject")

    with pytest.raises(SendRefused) as raised:
        await smtp(server).send(message())

    assert raised.value.message == "the mail server refused the recipient (550)"
    assert ADDRESS not in raised.value.message


async def test_notify_email_server_down_fails_the_attempt() -> None:
    sender = SmtpSender(
        host="127.0.0.1",
        port=free_port(),
        from_address="noreply@ms.example.cn",
        starttls=False,
        timeout=2,
    )

    with pytest.raises(SendFailed) as raised:
        await sender.send(message())

    assert raised.value.message.startswith("the mail server unreachable")


async def test_notify_email_refuses_a_contact_that_is_not_an_address(
    make_mail_server: Any,
) -> None:
    server = await make_mail_server()

    with pytest.raises(SendRefused):
        await smtp(server).send(message(contact_kind="phone", contact="13800138000"))

    assert server.sessions == 0


async def test_notify_email_failing_then_recovering_delivers_exactly_one_message(
    make_harness: Any,
    make_mail_server: Any,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    server = await make_mail_server()
    server.plan("tempfail", "tempfail")
    senders = SenderChoice(
        default=MailboxFolderSender(tmp_path / "unused"),
        by_contact_kind={"email": smtp(server)},
    )
    notify = await make_harness(senders=senders)
    await notify.file_appeal("a-1", contact=ADDRESS, contact_kind="email")
    await notify.request_acceptance("a-1")

    for _ in range(3):
        await notify.send()
        notify.clock.advance(timedelta(minutes=5))

    notice = await notify.notice("a-1")
    (mail,) = server.mails
    assert mail.message["Message-ID"] == notice.provider_ref
    assert mail.message["Subject"] == "诉求受理告知"
    assert notice.status == "sent"
    attempts = await notify.attempts(notice.id)
    assert [(a.outcome, a.channel) for a in attempts] == [
        ("failed", "email"),
        ("failed", "email"),
        ("sent", "email"),
    ]
    assert attempts[2].detail == "2.0.0 Ok: queued as Q1"
    assert {a.recipient_masked for a in attempts} == {"c***@example.com"}
    # Only the fake server itself (aiosmtpd's mail.log) may log the address.
    ours = [r.getMessage() for r in caplog.records if r.name != "mail.log"]
    assert ours
    assert not [line for line in ours if ADDRESS in line]
