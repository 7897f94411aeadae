"""Which senders carry a message to whom: a citizen who came through a channel that
can answer is answered there through its adapter; otherwise SMS for a mobile
number, email for an address; the mailbox folder when nothing is configured, so
`make run` sends without any gateway."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from minsheng_common.auth import webhooks
from minsheng_notify.senders import (
    ChannelReplySender,
    GovWeChatSender,
    MailboxFolderSender,
    OutgoingNotice,
    SenderChoice,
    SendFailed,
    SmsGatewaySender,
    SmtpSender,
    WeChatTemplateSender,
    build_senders,
)
from minsheng_notify.settings import NotifySettings

NOW = datetime(2026, 12, 4, 1, 30, tzinfo=UTC)
SECRET = "reply-secret-reply-secret-reply-secret"


class Named:
    def __init__(self, channel: str) -> None:
        self.channel = channel

    async def send(self, message: OutgoingNotice) -> Any:
        raise AssertionError("not sent in these tests")


def choice() -> SenderChoice:
    return SenderChoice(
        default=Named("mailbox"),
        by_contact_kind={
            "phone": Named("sms"),
            "email": Named("email"),
            "wechat_openid": Named("wechat_template"),
        },
        by_channel={"wechat": Named("reply:wechat")},
    )


def channels(route: list[Any]) -> list[tuple[str, int]]:
    return [(step.sender.channel, step.contact) for step in route]


@pytest.mark.parametrize(
    ("channel", "kinds", "expected"),
    [
        ("hotline-12345", ["phone"], [("sms", 0)]),
        ("mailbox", ["email"], [("email", 0)]),
        ("hotline-12345", ["phone", "email"], [("sms", 0), ("email", 1)]),
        ("mailbox", ["email", "phone"], [("email", 0), ("sms", 1)]),
        ("wechat", ["phone"], [("reply:wechat", 0), ("sms", 0)]),
        ("wechat", ["wechat_openid"], [("reply:wechat", 0), ("wechat_template", 0)]),
        ("forum-people", ["forum_account"], [("mailbox", 0)]),
        ("hotline-12345", ["phone", "phone"], [("sms", 0)]),
        (None, ["telephone", "phone"], [("sms", 1)]),
        (None, ["telephone"], []),
        (None, [], []),
    ],
)
def test_notify_route_by_channel_and_contacts(
    channel: str | None, kinds: list[str], expected: list[tuple[str, int]]
) -> None:
    assert channels(choice().route(channel=channel, contact_kinds=kinds)) == expected


def test_notify_without_gateways_everything_goes_to_the_mailbox(
    tmp_path: Path,
) -> None:
    senders = build_senders(NotifySettings(data_dir=tmp_path))

    for kind in ("phone", "email", "wechat_openid", "gov_wechat_user"):
        route = senders.route(channel="wechat", contact_kinds=[kind])
        assert [type(step.sender) for step in route] == [MailboxFolderSender]


def test_notify_configured_gateways_are_built_from_settings(tmp_path: Path) -> None:
    settings = NotifySettings(
        data_dir=tmp_path,
        sms_gateway_url="http://127.0.0.1:9/sms/",
        smtp_host="127.0.0.1",
        wechat_api_url="http://127.0.0.1:9",
        gov_wechat_api_url="http://127.0.0.1:9",
        channel_reply_urls={"forum-people": "http://127.0.0.1:9/reply"},
    )

    senders = build_senders(settings)

    route = senders.route(channel="forum-people", contact_kinds=["phone", "email"])
    assert [type(step.sender) for step in route] == [
        ChannelReplySender,
        SmsGatewaySender,
        SmtpSender,
    ]
    assert route[1].sender.url == "http://127.0.0.1:9/sms"  # type: ignore[attr-defined]
    wechat = senders.route(channel=None, contact_kinds=["wechat_openid"])
    gov = senders.route(channel=None, contact_kinds=["gov_wechat_user"])
    assert type(wechat[0].sender) is WeChatTemplateSender
    assert type(gov[0].sender) is GovWeChatSender


def test_notify_gateway_url_must_be_http(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="http"):
        NotifySettings(data_dir=tmp_path, sms_gateway_url="ftp://gateway")


def test_notify_production_refuses_a_gateway_without_its_key(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="NOTIFY_SMS_GATEWAY_KEY"):
        NotifySettings(
            environment="production",
            data_dir=tmp_path,
            sms_gateway_url="https://sms.example.cn/send",
        )


def test_notify_production_refuses_a_short_receipt_secret(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="receipt secrets for sms"):
        NotifySettings(
            environment="production",
            data_dir=tmp_path,
            receipt_secrets={"sms": "short"},
        )


async def test_notify_reply_adapter_gets_the_signed_answer(providers: Any) -> None:
    sender = ChannelReplySender(
        channel_id="forum-people",
        url=f"{providers.url}/reply/forum-people",
        secret=SECRET,
        timeout=2,
    )
    message = OutgoingNotice(
        notice_id="n-1",
        appeal_id="a-1",
        kind="handling",
        contact_kind="forum_account",
        contact="forum-user-8",
        body="【民生诉求】您的诉求已办结。",
        at=NOW,
    )

    result = await sender.send(message)

    (call,) = providers.calls_to("reply:forum-people")
    assert call.body == {
        "notice_id": "n-1",
        "appeal_id": "a-1",
        "kind": "handling",
        "contact_kind": "forum_account",
        "contact": "forum-user-8",
        "text": "【民生诉求】您的诉求已办结。",
    }
    assert call.headers["idempotency-key"] == "n-1"
    verified = webhooks.verify(
        secrets=[SECRET],
        timestamp=call.headers[webhooks.TIMESTAMP_HEADER.lower()],
        signature=call.headers[webhooks.SIGNATURE_HEADER.lower()],
        body=call.raw,
        now=datetime.now(UTC),
    )
    assert verified.startswith("sha256=")
    assert sender.channel == "reply:forum-people"
    assert result.provider_ref == "reply:forum-people-1"


async def test_notify_reply_adapter_failure_may_pass(providers: Any) -> None:
    providers.plan("reply:wechat", "fail")
    sender = ChannelReplySender(
        channel_id="wechat", url=f"{providers.url}/reply/wechat", secret=None, timeout=2
    )

    with pytest.raises(SendFailed):
        await sender.send(
            OutgoingNotice(
                notice_id="n-1",
                appeal_id="a-1",
                kind="handling",
                contact_kind="wechat_openid",
                contact="o-1",
                body="x",
                at=NOW,
            )
        )

    (call,) = providers.calls_to("reply:wechat")
    assert webhooks.SIGNATURE_HEADER.lower() not in call.headers
