"""OA letters (Art. 23) through the office system's HTTP interface, against a real
server on 127.0.0.1: what it is sent, what it answers, and which sender carries
`oa` letters with and without the interface configured."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from minsheng_notify import oa
from minsheng_notify.senders import (
    MailboxFolderSender,
    OutgoingNotice,
    SenderChoice,
    SendFailed,
    SendRefused,
)
from minsheng_notify.settings import NotifySettings

NOW = datetime(2026, 12, 4, 1, 30, tzinfo=UTC)
INBOX = "oa://placeholder.pingshan.invalid/zfw"


def letter(**changes: Any) -> OutgoingNotice:
    values: dict[str, Any] = {
        "notice_id": "n-1",
        "appeal_id": "a-1",
        "kind": "level_1_alert",
        "contact_kind": "oa",
        "contact": INBOX,
        "body": "区委政法委：一级民生诉求MS20261204000123，请即关注。",
        "at": NOW,
        "subject": "一级民生诉求告知",
    }
    values.update(changes)
    return OutgoingNotice(**values)


def gateway(providers: Any) -> oa.OaGatewaySender:
    return oa.OaGatewaySender(url=f"{providers.url}/oa", key="oa-key", timeout=2)


async def test_notify_oa_letter_is_posted_with_key_and_reference(
    providers: Any,
) -> None:
    result = await gateway(providers).send(letter())

    (call,) = providers.calls_to("oa")
    assert call.body == {
        "to": INBOX,
        "subject": "一级民生诉求告知",
        "kind": "level_1_alert",
        "text": "区委政法委：一级民生诉求MS20261204000123，请即关注。",
        "reference": "n-1",
    }
    assert call.headers["authorization"] == "Bearer oa-key"
    assert call.headers["idempotency-key"] == "n-1"
    assert result.provider_ref == "oa-1"


async def test_notify_oa_letter_sent_twice_is_filed_once(providers: Any) -> None:
    sender = gateway(providers)

    first = await sender.send(letter())
    again = await sender.send(letter())

    assert first.provider_ref == again.provider_ref
    assert len(providers.calls_to("oa")) == 2
    assert len(providers.delivered_by("oa")) == 1


async def test_notify_oa_system_busy_may_pass_refusal_is_final(
    providers: Any,
) -> None:
    providers.plan("oa", "fail", "refuse")

    with pytest.raises(SendFailed) as busy:
        await gateway(providers).send(letter())
    with pytest.raises(SendRefused) as refused:
        await gateway(providers).send(letter())

    assert busy.value.retriable is True
    assert refused.value.retriable is False
    assert refused.value.message == "the OA system answered 400 (invalid_number)"


async def test_notify_oa_system_takes_only_oa_inboxes(providers: Any) -> None:
    with pytest.raises(SendRefused):
        await gateway(providers).send(
            letter(contact_kind="phone", contact="13800138000")
        )

    assert providers.calls == []


def choice(tmp_path: Path) -> SenderChoice:
    return SenderChoice(default=MailboxFolderSender(tmp_path / "mailbox"))


def test_notify_oa_letters_go_to_the_configured_interface(tmp_path: Path) -> None:
    senders = choice(tmp_path)
    settings = NotifySettings(
        data_dir=tmp_path,
        environment="test",
        oa_gateway_url=" http://127.0.0.1:9/oa/ ",
        oa_gateway_key="k",
    )

    oa.register(senders, settings)

    sender = senders.for_contact("oa")
    assert isinstance(sender, oa.OaGatewaySender)
    assert sender.url == "http://127.0.0.1:9/oa"
    assert sender.channel == "oa"


def test_notify_without_an_interface_oa_letters_go_to_the_folder(
    tmp_path: Path,
) -> None:
    senders = choice(tmp_path)

    oa.register(senders, NotifySettings(data_dir=tmp_path, environment="test"))

    sender = senders.for_contact("oa")
    assert isinstance(sender, oa.OaFolderSender)
    assert sender.channel == "oa"


def test_notify_production_needs_a_real_oa_key(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="NOTIFY_OA_GATEWAY_KEY"):
        NotifySettings(
            data_dir=tmp_path,
            environment="production",
            oa_gateway_url="https://oa.example.gov.cn/letters",
            oa_gateway_key="changeme",
        )
