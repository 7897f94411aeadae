"""WeChat template messages to citizens and government WeChat (政务微信) to officials,
against WeChat-shaped APIs on 127.0.0.1: the access token fetched once and again
when it expires, refusals, failures and slow answers (Art. 23, 36, 39)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from minsheng_notify.senders import (
    GovWeChatSender,
    MailboxFolderSender,
    OutgoingNotice,
    SenderChoice,
    SendFailed,
    SendRefused,
    WeChatTemplateSender,
)

NOW = datetime(2026, 12, 4, 1, 30, tzinfo=UTC)
OPENID = "oPingshan2026citizen"


def message(**changes: Any) -> OutgoingNotice:
    values: dict[str, Any] = {
        "notice_id": "n-1",
        "appeal_id": "a-1",
        "kind": "handling",
        "contact_kind": "wechat_openid",
        "contact": OPENID,
        "body": "【民生诉求】您的诉求已办结。",
        "at": NOW,
    }
    values.update(changes)
    return OutgoingNotice(**values)


def template(providers: Any, *, timeout: float = 2.0) -> WeChatTemplateSender:
    return WeChatTemplateSender(
        base_url=providers.url,
        app_id="wx-app",
        app_secret="wx-secret",
        template_id="tpl-1",
        field="remark",
        timeout=timeout,
    )


def gov(providers: Any) -> GovWeChatSender:
    return GovWeChatSender(
        base_url=providers.url, corp_id="corp", corp_secret="corp-secret", agent_id=7
    )


async def test_notify_template_message_fetches_a_token_once_and_sends(
    providers: Any,
) -> None:
    sender = template(providers)

    first = await sender.send(message())
    second = await sender.send(message(notice_id="n-2"))

    (token_call,) = providers.calls_to("wechat_token")
    assert token_call.path == "/cgi-bin/token"
    assert token_call.params == {
        "grant_type": "client_credential",
        "appid": "wx-app",
        "secret": "wx-secret",
    }
    sends = providers.calls_to("wechat_send")
    assert [call.params["access_token"] for call in sends] == ["token-1", "token-1"]
    assert sends[0].path == "/cgi-bin/message/template/send"
    assert sends[0].body == {
        "touser": OPENID,
        "template_id": "tpl-1",
        "client_msg_id": "n-1",
        "data": {"remark": {"value": "【民生诉求】您的诉求已办结。"}},
    }
    assert (first.provider_ref, second.provider_ref) == ("1", "2")


async def test_notify_template_expired_token_is_fetched_again_and_sent_once(
    providers: Any,
) -> None:
    sender = template(providers)
    await sender.send(message())
    providers.plan("wechat_send", "expire")

    result = await sender.send(message(notice_id="n-2"))

    assert providers.tokens_issued == 2
    sends = providers.calls_to("wechat_send")
    assert [call.params["access_token"] for call in sends] == [
        "token-1",
        "token-1",
        "token-2",
    ]
    assert len(providers.delivered_by("wechat")) == 2
    assert result.provider_ref == "2"


async def test_notify_template_unfollowed_citizen_is_refused_for_good(
    providers: Any,
) -> None:
    providers.plan("wechat_send", "refuse")

    with pytest.raises(SendRefused) as raised:
        await template(providers).send(message())

    assert raised.value.message == "WeChat refused the recipient (errcode 43004)"
    assert OPENID not in raised.value.message


async def test_notify_wechat_token_refused_fails_the_attempt(providers: Any) -> None:
    providers.plan("wechat_token", "refuse")

    with pytest.raises(SendFailed) as raised:
        await template(providers).send(message())

    assert raised.value.retriable is True
    assert "errcode 40125" in raised.value.message
    assert "wx-secret" not in raised.value.message
    assert providers.calls_to("wechat_send") == []


async def test_notify_template_refuses_a_contact_that_is_not_an_openid(
    providers: Any,
) -> None:
    with pytest.raises(SendRefused):
        await template(providers).send(
            message(contact_kind="phone", contact="13800138000")
        )

    assert providers.calls == []


async def test_notify_gov_wechat_sends_text_with_duplicate_check(
    providers: Any,
) -> None:
    result = await gov(providers).send(
        message(contact_kind="gov_wechat_user", contact="LiMing", kind="urging")
    )

    (token_call,) = providers.calls_to("wechat_token")
    assert token_call.path == "/cgi-bin/gettoken"
    assert token_call.params == {"corpid": "corp", "corpsecret": "corp-secret"}
    (send,) = providers.calls_to("wechat_send")
    assert send.path == "/cgi-bin/message/send"
    assert send.body == {
        "touser": "LiMing",
        "msgtype": "text",
        "agentid": 7,
        "text": {"content": "【民生诉求】您的诉求已办结。"},
        "enable_duplicate_check": 1,
        "duplicate_check_interval": 14400,
    }
    assert result.provider_ref == "1"


async def test_notify_gov_wechat_invalid_user_is_refused(providers: Any) -> None:
    providers.plan("wechat_send", "invaliduser")

    with pytest.raises(SendRefused) as raised:
        await gov(providers).send(
            message(contact_kind="gov_wechat_user", contact="Nobody")
        )

    assert (
        raised.value.message == "government WeChat refused the recipient (invaliduser)"
    )


async def test_notify_wechat_failing_then_slow_then_recovering_sends_one_message(
    make_harness: Any, providers: Any, tmp_path: Path
) -> None:
    providers.plan("wechat_token", "fail")
    providers.plan("wechat_send", "slow", "ok")
    providers.slow_seconds = 1.5
    senders = SenderChoice(
        default=MailboxFolderSender(tmp_path / "unused"),
        by_contact_kind={"wechat_openid": template(providers, timeout=0.5)},
    )
    notify = await make_harness(senders=senders)
    await notify.file_appeal(
        "a-1", contact=OPENID, contact_kind="wechat_openid", channel="wechat"
    )
    await notify.request_acceptance("a-1")

    for _ in range(3):
        await notify.send()
        notify.clock.advance(timedelta(minutes=5))

    notice = await notify.notice("a-1")
    assert notice.status == "sent"
    assert len(providers.delivered_by("wechat")) == 1
    sends = providers.calls_to("wechat_send")
    assert [call.body["client_msg_id"] for call in sends] == [notice.id, notice.id]
    attempts = await notify.attempts(notice.id)
    assert [(a.outcome, a.channel) for a in attempts] == [
        ("failed", "wechat_template"),
        ("failed", "wechat_template"),
        ("sent", "wechat_template"),
    ]
    assert attempts[0].detail == "send_failed: WeChat answered 500"
    assert attempts[1].detail == "send_failed: WeChat did not answer in time"
    assert notice.provider_ref == "1"
