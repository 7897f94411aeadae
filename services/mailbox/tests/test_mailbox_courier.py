"""Answers going back to the mailbox sender, against a real SMTP server on loopback
(aiosmtpd): a reply in the citizen's own conversation (Re:, In-Reply-To,
References), a Message-ID made from the notice id and the same on a retry, a
temporary failure and a refusal told apart, a server that is down, and an answer
whose contact is no address."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from aiosmtpd.smtp import SMTP
from fastapi import FastAPI

from minsheng_common import smtp
from minsheng_common.adapters import queue
from minsheng_common.adapters.answers import Answer, AnswerFailed, AnswerRefused
from minsheng_common.auth import webhooks
from minsheng_common.devstack.broker import free_port
from minsheng_common.devstack.loopback import wait_for
from minsheng_common.runtime import ServiceRuntime
from minsheng_mailbox import courier, service
from minsheng_mailbox.app import create_app
from minsheng_mailbox.imap import Fetched
from minsheng_mailbox.models import MailboxItem
from minsheng_mailbox.settings import MailboxSettings
from tests.adapter_support import running

FROM = "坪山区政府信箱 <xinxiang@pingshan.example.cn>"
APPEAL = "appeal-0001"
TEXT = "您反映的镕堃路路灯问题已修复，感谢您的监督。"
ANSWER_SECRET = "notify-signs-the-answers-for-the-mailbox-with-this"


@dataclass
class Mail:
    recipients: list[str]
    message: EmailMessage


@dataclass
class SmtpServer:
    """An aiosmtpd server on 127.0.0.1 that answers as a test plans: "tempfail"
    (451 to the data) or "reject" (550 to the recipient), then accepts."""

    port: int = 0
    mails: list[Mail] = field(default_factory=list)
    plan: list[str] = field(default_factory=list)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.plan[:1] == ["reject"]:
            self.plan.pop(0)
            return "550 5.1.1 Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        if self.plan[:1] == ["tempfail"]:
            self.plan.pop(0)
            return "451 4.3.0 Try again later"
        message = message_from_bytes(
            envelope.original_content, policy=email_policy.default
        )
        assert isinstance(message, EmailMessage)
        self.mails.append(Mail(list(envelope.rcpt_tos), message))
        return "250 2.0.0 Ok: queued"


@pytest.fixture
async def smtp_server() -> AsyncIterator[SmtpServer]:
    fake = SmtpServer()
    server = await asyncio.get_running_loop().create_server(
        lambda: SMTP(fake, hostname="mail.test"), "127.0.0.1", 0
    )
    fake.port = server.sockets[0].getsockname()[1]
    yield fake
    server.close()
    await server.wait_closed()


@pytest.fixture
async def idle_app(tmp_path: Any) -> AsyncIterator[FastAPI]:
    """The adapter with its store migrated and no mail server to read."""
    settings = MailboxSettings(
        database_url=f"sqlite:///{tmp_path / 'mailbox.db'}",
        data_dir=tmp_path,
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        environment="test",
        smtp_from=FROM,
    )
    async with running(create_app(settings)) as app:
        yield app


@pytest.fixture
async def received_mail(idle_app: FastAPI, samples: Any) -> MailboxItem:
    """The GB2312 sample taken from the mailbox and answered by intake as APPEAL."""
    runtime: ServiceRuntime = idle_app.state.runtime
    fetched = Fetched(
        uid=1,
        size=len(samples.mails["gb2312"]),
        internal_date=None,
        raw=samples.mails["gb2312"],
        whole=True,
    )
    async with runtime.sessions() as session:
        row = await service.take(
            session, idle_app.state.context, fetched, uidvalidity=7
        )
        assert row.item_id is not None
        await queue.settle(
            session,
            MailboxItem,
            row.item_id,
            {"status": "delivered", "appeal_id": APPEAL, "answer_status": 201},
        )
        await session.commit()
        item = await session.get(MailboxItem, row.item_id)
    assert item is not None
    return item


@pytest.fixture
def courier_to(idle_app: FastAPI) -> Callable[..., courier.MailboxCourier]:
    def make(port: int) -> courier.MailboxCourier:
        runtime: ServiceRuntime = idle_app.state.runtime
        return courier.MailboxCourier(
            server=smtp.SmtpServer(
                host="127.0.0.1", port=port, starttls=False, timeout=3
            ),
            from_address=FROM,
            sessions=runtime.sessions,
        )

    return make


def answer(**changes: Any) -> Answer:
    values: dict[str, Any] = {
        "notice_id": "notice-42",
        "appeal_id": APPEAL,
        "kind": "handling_result",
        "contact_kind": "email",
        "contact": "wang.rong@example.cn",
        "text": TEXT,
    }
    values.update(changes)
    return Answer(**values)


async def test_mailbox_courier_replies_in_the_citizens_conversation(
    smtp_server: SmtpServer,
    received_mail: MailboxItem,
    courier_to: Callable[..., courier.MailboxCourier],
    samples: Any,
) -> None:
    reference = await courier_to(smtp_server.port).carry(answer())

    [mail] = smtp_server.mails
    assert mail.recipients == ["wang.rong@example.cn"]
    assert mail.message["Subject"] == f"Re: {samples.GB2312_SUBJECT}"
    assert mail.message["In-Reply-To"] == "<gb2312.1@mail.example.cn>"
    assert mail.message["References"] == "<gb2312.1@mail.example.cn>"
    assert mail.message["Message-ID"] == "<notice-42@pingshan.example.cn>"
    assert mail.message.get_content_charset() == "utf-8"
    assert mail.message.get_content().strip() == TEXT
    assert reference == "<notice-42@pingshan.example.cn>"


async def test_mailbox_courier_retry_carries_the_same_message_id(
    smtp_server: SmtpServer,
    received_mail: MailboxItem,
    courier_to: Callable[..., courier.MailboxCourier],
) -> None:
    smtp_server.plan.append("tempfail")
    carrier = courier_to(smtp_server.port)

    with pytest.raises(AnswerFailed) as failed:
        await carrier.carry(answer())
    reference = await carrier.carry(answer())

    assert failed.value.retriable is True
    assert failed.value.message == "the mail server refused the message (451)"
    [mail] = smtp_server.mails
    assert reference == mail.message["Message-ID"] == "<notice-42@pingshan.example.cn>"


async def test_mailbox_courier_answers_an_appeal_from_elsewhere_plainly(
    smtp_server: SmtpServer,
    received_mail: MailboxItem,
    courier_to: Callable[..., courier.MailboxCourier],
) -> None:
    await courier_to(smtp_server.port).carry(answer(appeal_id="from-the-hotline"))

    [mail] = smtp_server.mails
    assert mail.message["Subject"] == courier.DEFAULT_SUBJECT
    assert mail.message["In-Reply-To"] is None
    assert mail.message["References"] is None


async def test_mailbox_courier_refused_address_is_final_and_never_quoted(
    smtp_server: SmtpServer,
    received_mail: MailboxItem,
    courier_to: Callable[..., courier.MailboxCourier],
) -> None:
    smtp_server.plan.append("reject")

    with pytest.raises(AnswerRefused) as refused:
        await courier_to(smtp_server.port).carry(answer())

    assert refused.value.retriable is False
    assert refused.value.message == "the mail server refused the recipient (550)"
    assert smtp_server.mails == []


async def test_mailbox_courier_fails_the_attempt_when_the_server_is_down(
    courier_to: Callable[..., courier.MailboxCourier],
) -> None:
    with pytest.raises(AnswerFailed) as failed:
        await courier_to(free_port()).carry(answer())

    assert failed.value.retriable is True
    assert failed.value.message.startswith("the mail server unreachable")


@pytest.mark.parametrize(
    ("kind", "contact"),
    [("phone", "13800138000"), ("email", "a@example.cn\r\nBcc: b@example.cn")],
)
async def test_mailbox_courier_refuses_a_contact_that_is_no_address(
    smtp_server: SmtpServer,
    courier_to: Callable[..., courier.MailboxCourier],
    kind: str,
    contact: str,
) -> None:
    with pytest.raises(AnswerRefused):
        await courier_to(smtp_server.port).carry(
            answer(contact_kind=kind, contact=contact)
        )

    assert smtp_server.mails == []


@pytest.mark.parametrize(
    ("subject", "reply"),
    [
        ("路灯不亮", "Re: 路灯不亮"),
        ("RE: 路灯不亮", "RE: 路灯不亮"),
        ("回复：路灯不亮", "回复：路灯不亮"),
        ("  ", f"Re: {courier.DEFAULT_SUBJECT}"),
    ],
)
def test_mailbox_a_reply_subject_is_re_once(subject: str, reply: str) -> None:
    assert courier.reply_subject(subject) == reply


def test_mailbox_courier_is_made_only_with_a_mail_server(tmp_path: Any) -> None:
    without = MailboxSettings(data_dir=tmp_path)
    with_server = MailboxSettings(
        data_dir=tmp_path, smtp_host="smtp.example.cn", smtp_implicit_tls=True
    )

    assert courier.make(without, sessions=None) is None  # type: ignore[arg-type]
    made = courier.make(with_server, sessions=None)  # type: ignore[arg-type]
    assert made is not None
    assert (made.server.implicit_tls, made.server.starttls) == (True, False)


async def test_mailbox_notifys_answer_reaches_the_sender_through_the_adapter(
    smtp_server: SmtpServer, tmp_path: Any
) -> None:
    """Wired: notify hands the answer to POST /v1/answers/mailbox, signed, and the
    adapter's carrier sends it as an email reply; without a mail server for
    replies the adapter answers nothing (404) and notify reaches the citizen
    another way."""
    settings = MailboxSettings(
        database_url=f"sqlite:///{tmp_path / 'mailbox.db'}",
        data_dir=tmp_path,
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        environment="test",
        smtp_from=FROM,
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        smtp_starttls=False,
        answer_secrets=ANSWER_SECRET,
        delivery_poll_seconds=0.02,
    )
    silent = settings.model_copy(update={"smtp_host": ""})
    body = json.dumps(
        {
            "notice_id": "notice-wired",
            "appeal_id": "from-the-hotline",
            "kind": "filed",
            "contact_kind": "email",
            "contact": "wang.rong@example.cn",
            "text": TEXT,
        },
        ensure_ascii=False,
    ).encode()

    async with running(create_app(settings)) as app:
        taken = await _hand_over(app, body)
        await wait_for(lambda: len(smtp_server.mails) == 1)
    async with running(create_app(silent)) as app:
        not_answered = await _hand_over(app, body)

    assert taken.status_code == 202, taken.text
    [mail] = smtp_server.mails
    assert mail.recipients == ["wang.rong@example.cn"]
    assert mail.message.get_content().strip() == TEXT
    assert not_answered.status_code == 404
    assert not_answered.json()["error"]["code"] == "channel_not_answered"


async def _hand_over(app: FastAPI, body: bytes) -> httpx.Response:
    stamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        webhooks.TIMESTAMP_HEADER: str(stamp),
        webhooks.SIGNATURE_HEADER: webhooks.sign(ANSWER_SECRET, stamp, body),
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://m") as http:
        return await http.post("/v1/answers/mailbox", content=body, headers=headers)
