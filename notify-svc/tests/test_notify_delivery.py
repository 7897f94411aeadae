"""Delivery against real gateways on 127.0.0.1: fallback to the citizen's second
channel, a channel's own adapter first, one message however often an event
arrives, quiet hours for citizens' SMS except level 1, and messages to officials
(Art. 9, 23, 28, 29, 36, 39)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from minsheng_notify import delivery
from minsheng_notify.delivery import Address, Audience
from minsheng_notify.senders import (
    ChannelReplySender,
    GovWeChatSender,
    MailboxFolderSender,
    SenderChoice,
    SmsGatewaySender,
    SmtpSender,
)

PHONE = "13800138000"
ADDRESS = "citizen.li@example.com"
# 23:00 in Shanghai, a Friday.
NIGHT = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)


def senders(
    providers: Any,
    tmp_path: Path,
    *,
    mail: Any = None,
    reply_channels: tuple[str, ...] = (),
) -> SenderChoice:
    by_kind: dict[str, Any] = {
        "phone": SmsGatewaySender(url=f"{providers.url}/sms", key="k", timeout=2),
        "gov_wechat_user": GovWeChatSender(
            base_url=providers.url, corp_id="c", corp_secret="s", agent_id=1
        ),
    }
    if mail is not None:
        by_kind["email"] = SmtpSender(
            host=mail.host,
            port=mail.port,
            from_address="noreply@ms.example.cn",
            starttls=False,
            timeout=5,
        )
    by_channel: dict[str, Any] = {
        channel: ChannelReplySender(
            channel_id=channel,
            url=f"{providers.url}/reply/{channel}",
            secret=None,
            timeout=2,
        )
        for channel in reply_channels
    }
    return SenderChoice(
        default=MailboxFolderSender(tmp_path / "mailbox"),
        by_contact_kind=by_kind,
        by_channel=by_channel,
    )


async def send_until_settled(notify: Any, rounds: int = 8) -> None:
    for _ in range(rounds):
        await notify.send()
        notify.clock.advance(timedelta(minutes=10))


async def test_notify_refused_sms_falls_back_to_the_citizens_email(
    make_harness: Any, providers: Any, make_mail_server: Any, tmp_path: Path
) -> None:
    mail = await make_mail_server()
    providers.plan("sms", "refuse")
    notify = await make_harness(senders=senders(providers, tmp_path, mail=mail))
    await notify.file_appeal("a-1", second=("email", ADDRESS))
    await notify.request_acceptance("a-1")

    report = await notify.send()

    notice = await notify.notice("a-1")
    # The fallback is at once, in the same pass.
    assert (report.retrying, report.sent) == (1, 1)
    assert providers.delivered_by("sms") == []
    (sent,) = mail.mails
    assert sent.recipients == [ADDRESS]
    assert notice.status == "sent"
    assert notice.channel == "email"
    assert notice.recipient_masked == "c***@example.com"
    attempts = await notify.attempts(notice.id)
    assert [(a.outcome, a.channel, a.recipient_masked) for a in attempts] == [
        ("failed", "sms", "138****8000"),
        ("sent", "email", "c***@example.com"),
    ]
    assert attempts[0].detail == (
        "send_refused: the SMS gateway answered 400 (invalid_number)"
    )
    (event,) = await notify.events("notice.sent")
    assert (event["channel"], event["attempts"]) == ("email", 2)
    assert await notify.events("notice.failed") == []


async def test_notify_email_failing_every_attempt_falls_back_to_sms(
    make_harness: Any, providers: Any, make_mail_server: Any, tmp_path: Path
) -> None:
    mail = await make_mail_server()
    mail.plan("tempfail", "tempfail", "tempfail")
    notify = await make_harness(
        senders=senders(providers, tmp_path, mail=mail), max_attempts=3
    )
    await notify.file_appeal(
        "a-1", contact=ADDRESS, contact_kind="email", second=("phone", PHONE)
    )
    await notify.request_acceptance("a-1")

    await send_until_settled(notify)

    notice = await notify.notice("a-1")
    assert mail.mails == []
    assert len(providers.delivered_by("sms")) == 1
    assert notice.status == "sent"
    assert notice.channel == "sms"
    assert notice.attempts == 4
    attempts = await notify.attempts(notice.id)
    assert [(a.outcome, a.channel) for a in attempts] == [
        ("failed", "email"),
        ("failed", "email"),
        ("failed", "email"),
        ("sent", "sms"),
    ]


async def test_notify_without_a_second_channel_the_notice_fails(
    make_harness: Any, providers: Any, tmp_path: Path
) -> None:
    providers.plan("sms", "fail", "fail", "fail")
    notify = await make_harness(senders=senders(providers, tmp_path), max_attempts=3)
    await notify.file_appeal("a-1")
    await notify.request_acceptance("a-1", work_order_id="wo-7")

    await send_until_settled(notify)

    notice = await notify.notice("a-1")
    assert notice.status == "failed"
    assert len(providers.calls_to("sms")) == 3
    (event,) = await notify.events("notice.failed")
    assert (event["reason"], event["channel"], event["attempts"]) == (
        "attempts_exhausted",
        "sms",
        3,
    )
    assert event["work_order_id"] == "wo-7"


async def test_notify_a_channel_that_can_answer_is_used_first_then_sms(
    make_harness: Any, providers: Any, tmp_path: Path
) -> None:
    providers.plan("reply:wechat", "fail")
    notify = await make_harness(
        senders=senders(providers, tmp_path, reply_channels=("wechat",)),
        max_attempts=1,
    )
    await notify.file_appeal("a-1", channel="wechat")
    await notify.file_appeal("a-2", channel="wechat", tracking_code="MS2")
    await notify.request_acceptance("a-1")
    notify.clock.advance(timedelta(seconds=1))
    await notify.request_acceptance("a-2", work_order_id="wo-2")

    await send_until_settled(notify, rounds=2)

    first, second = await notify.notice("a-1"), await notify.notice("a-2")
    assert (first.channel, second.channel) == ("sms", "reply:wechat")
    (answered,) = providers.delivered_by("reply:wechat")
    assert answered["body"]["appeal_id"] == "a-2"
    assert answered["body"]["contact"] == PHONE
    (texted,) = providers.delivered_by("sms")
    assert texted["body"]["reference"] == first.id


async def test_notify_same_event_twice_makes_one_message(
    make_harness: Any, providers: Any, tmp_path: Path
) -> None:
    notify = await make_harness(senders=senders(providers, tmp_path))
    filed = await notify.file_appeal("a-1", told=False)
    request = await notify.request_acceptance("a-1", request_id="req-1")

    await notify.apply(filed, notify.consumers.on_appeal_filed)
    await notify.apply(request, notify.consumers.on_acceptance_notice_requested)
    await send_until_settled(notify, rounds=2)
    await notify.apply(request, notify.consumers.on_acceptance_notice_requested)
    await send_until_settled(notify, rounds=2)

    assert len(await notify.notices("a-1", "filed")) == 1
    assert len(await notify.notices("a-1", "acceptance")) == 1
    texts = sorted(call.body["reference"] for call in providers.calls_to("sms"))
    assert len(texts) == 2
    assert len(set(texts)) == 2
    assert len(await notify.events("notice.sent")) == 2


async def test_notify_quiet_hours_hold_a_citizens_sms_until_eight(
    make_harness: Any, providers: Any, tmp_path: Path
) -> None:
    notify = await make_harness(senders=senders(providers, tmp_path))
    notify.clock.advance(NIGHT - notify.clock.now())
    await notify.file_appeal("a-1")
    await notify.request_acceptance("a-1")

    at_night = await notify.send()
    notify.clock.advance(timedelta(hours=8, minutes=59, seconds=59))  # 07:59:59
    before_eight = await notify.send()
    notify.clock.advance(timedelta(seconds=1))
    at_eight = await notify.send()

    assert (at_night.held, at_night.sent) == (1, 0)
    assert (before_eight.held, before_eight.sent) == (0, 0)
    assert at_eight.sent == 1
    notice = await notify.notice("a-1")
    (call,) = providers.calls_to("sms")
    assert call.body["reference"] == notice.id
    assert notice.sent_at == datetime(2026, 12, 5, 0, 0, tzinfo=UTC)
    held, sent = await notify.attempts(notice.id)
    assert (held.outcome, held.channel, held.at) == ("held", "sms", NIGHT)
    assert held.detail == "quiet hours: held until 2026-12-05 08:00 (UTC+08:00)"
    assert held.provider_ref is None
    assert sent.outcome == "sent"
    assert notice.attempts == 1


async def test_notify_level_1_citizen_is_texted_even_at_night(
    make_harness: Any, providers: Any, tmp_path: Path
) -> None:
    notify = await make_harness(senders=senders(providers, tmp_path))
    notify.clock.advance(NIGHT - notify.clock.now())
    await notify.file_appeal("a-1", level=1)
    await notify.file_appeal("a-2", tracking_code="MS2")
    await notify.request_acceptance("a-1")
    await notify.request_acceptance("a-2", work_order_id="wo-2")

    report = await notify.send()

    assert (report.sent, report.held) == (1, 1)
    assert (await notify.notice("a-1")).status == "sent"
    assert (await notify.notice("a-2")).status == "pending"


async def test_notify_appeal_graded_level_1_lifts_the_quiet_hours(
    make_harness: Any, providers: Any, tmp_path: Path
) -> None:
    from minsheng_common.events import AppealGraded

    notify = await make_harness(senders=senders(providers, tmp_path))
    notify.clock.advance(NIGHT - notify.clock.now())
    await notify.file_appeal("a-1")
    await notify.apply(
        AppealGraded(
            appeal_id="a-1",
            tracking_code="MS20261204000123",
            level=1,
            basis="road collapse",
            graded_at=NIGHT,
            graded_by="operator-1",
        ),
        notify.consumers.on_appeal_graded,
    )
    await notify.request_acceptance("a-1")

    report = await notify.send()

    assert report.sent == 1
    assert (await notify.recipient("a-1")).level == 1  # type: ignore[union-attr]


async def test_notify_quiet_hours_do_not_hold_email(
    make_harness: Any, providers: Any, make_mail_server: Any, tmp_path: Path
) -> None:
    mail = await make_mail_server()
    notify = await make_harness(senders=senders(providers, tmp_path, mail=mail))
    notify.clock.advance(NIGHT - notify.clock.now())
    await notify.file_appeal("a-1", contact=ADDRESS, contact_kind="email")
    await notify.request_acceptance("a-1")

    report = await notify.send()

    assert report.sent == 1
    assert len(mail.mails) == 1


async def test_notify_official_message_falls_back_and_is_not_held_at_night(
    make_harness: Any, providers: Any, tmp_path: Path
) -> None:
    providers.plan("wechat_send", "invaliduser")
    notify = await make_harness(senders=senders(providers, tmp_path))
    notify.clock.advance(NIGHT - notify.clock.now())
    to = [
        Address.seal(notify.vault, "gov_wechat_user", "LiMing"),
        Address.seal(notify.vault, "phone", "13900139000"),
    ]
    key = delivery.delivery_key(event_id="ev-1", recipient="leader-1", kind="alert")
    async with notify.sessions() as session, session.begin():
        queued = await delivery.queue_message(
            session=session,
            context=notify.context,
            request_id=key,
            kind="level_1_alert",
            body="【民生诉求】一级诉求：坪山大道路面塌陷，请即处置。联系13800138000",
            audience=Audience.LEADER,
            appeal_id="a-9",
            to=to,
        )
        again = await delivery.queue_message(
            session=session,
            context=notify.context,
            request_id=key,
            kind="level_1_alert",
            body="ignored",
            audience=Audience.LEADER,
            to=to,
        )

    await notify.send()
    await notify.send()

    assert again.id == queued.id
    (texted,) = providers.delivered_by("sms")
    assert texted["body"]["to"] == "13900139000"
    assert "13800138000" not in texted["body"]["text"]
    async with notify.sessions() as session:
        notice = await session.get(type(queued), queued.id)
    assert notice is not None
    assert (notice.status, notice.channel, notice.audience) == ("sent", "sms", "leader")
    attempts = await notify.attempts(queued.id)
    assert [(a.outcome, a.channel) for a in attempts] == [
        ("failed", "gov_wechat"),
        ("sent", "sms"),
    ]
    assert await notify.events("notice.sent") == []


async def test_notify_official_without_address_fails_at_once_quietly(
    make_harness: Any, tmp_path: Path
) -> None:
    notify = await make_harness()
    async with notify.sessions() as session, session.begin():
        notice = await delivery.queue_message(
            session=session,
            context=notify.context,
            request_id="urging:wo-1:unit-x",
            kind="urging",
            body="【民生诉求】请加快办理。",
            audience=Audience.UNIT,
            work_order_id="wo-1",
            unit_id="cgj",
        )

    assert notice.status == "failed"
    assert notice.last_error == "no_contact: the message has no address to send it to"
    (attempt,) = await notify.attempts(notice.id)
    assert attempt.outcome == "no_contact"
    assert await notify.events("notice.failed") == []


async def test_notify_telephone_only_message_waits_for_a_staff_call(
    make_harness: Any,
) -> None:
    notify = await make_harness()
    async with notify.sessions() as session, session.begin():
        notice = await delivery.queue_message(
            session=session,
            context=notify.context,
            request_id="telephone_letter:ev-1:yjj",
            kind="telephone_letter",
            body="【民生诉求】电函：一级诉求，请即处置。",
            audience=Audience.AGENCY,
            to=[Address.seal(notify.vault, "telephone", "0755-84000000")],
        )

    report = await notify.send()

    assert notice.status == "manual"
    assert (report.sent, report.failed) == (0, 0)
    assert not notify.mailbox.exists()
