"""A notify store with its rules wired to a fixed clock, a test key and a chosen
sender, plus helpers that apply events the way the consumer loop does."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import uvicorn
from aiosmtpd.smtp import SMTP
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from minsheng_common import db, ids, migrations, pii
from minsheng_common.auth.provisioning import add_key
from minsheng_common.auth.roles import Role
from minsheng_common.bus.outbox import Outbox
from minsheng_common.bus.tables import outbox as outbox_table
from minsheng_common.clock import FixedClock
from minsheng_common.devstack.broker import free_port
from minsheng_common.events import (
    AcceptanceNoticeRequested,
    AppealFiled,
    EventData,
    TopicNames,
    read,
    seal,
)
from minsheng_common.reference import Contacts, ReferenceData, load_reference
from minsheng_notify import delivery, oa
from minsheng_notify.app import MIGRATIONS, create_app
from minsheng_notify.consumers import NotifyConsumers
from minsheng_notify.models import Notice, NoticeAttempt, Recipient
from minsheng_notify.official_consumers import OfficialConsumers
from minsheng_notify.official_context import OfficialContext, SurveyPolicy
from minsheng_notify.recipients import Directory
from minsheng_notify.rendering import NoticeTexts
from minsheng_notify.senders import (
    MailboxFolderSender,
    OutgoingNotice,
    Sender,
    SenderChoice,
    SendFailed,
    SendResult,
)
from minsheng_notify.sending import CONTEXT_KEY, SendReport, send_due
from minsheng_notify.service import NotifyContext, SendPolicy
from minsheng_notify.settings import NotifySettings

START = datetime(2026, 12, 4, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai, a Friday
PHONE = "13800138000"


class FlakySender:
    """A sender that fails its first `failures` calls, then takes every message."""

    def __init__(self, failures: int, *, channel: str = "flaky") -> None:
        self.channel = channel
        self.failures = failures
        self.calls: list[OutgoingNotice] = []

    async def send(self, message: OutgoingNotice) -> SendResult:
        self.calls.append(message)
        if len(self.calls) <= self.failures:
            raise SendFailed(f"gateway busy (call {len(self.calls)})")
        return SendResult(provider_ref=f"flaky-{len(self.calls)}")


@dataclass
class Harness:
    """Notify's store and rules, driven step by step by a test."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: FixedClock
    vault: pii.PiiVault
    context: NotifyContext
    consumers: NotifyConsumers
    mailbox: Path
    applied: list[str] = field(default_factory=list)

    start = START
    phone = PHONE

    async def apply(
        self,
        data: EventData,
        handler: Callable[[AsyncSession, Any, Any], Awaitable[None]],
        *,
        extra: dict[str, Any] | None = None,
    ) -> None:
        """Apply an event in one transaction, as the consumer loop does; `extra`
        adds fields to its body, as a later minor version of the event would."""
        envelope = seal(data, producer="test", occurred_at=self.clock.now())
        envelope.data.update(extra or {})
        async with self.sessions() as session, session.begin():
            await handler(session, envelope, read(envelope))
        self.applied.append(envelope.event_id)

    async def file_appeal(
        self,
        appeal_id: str,
        *,
        contact: str = PHONE,
        contact_kind: str = "phone",
        told: bool = True,
        tracking_code: str = "MS20261204000123",
        channel: str = "hotline-12345",
        level: int = 3,
        second: tuple[str, str] | None = None,
    ) -> AppealFiled:
        """Apply appeal.filed; with `told` the filing notice it queues counts as
        sent already, so a test of later notices sees only its own go out.
        `second` is a second contact (kind, value) the event carries."""
        kind, value = second or (None, None)
        filed = AppealFiled(
            appeal_id=appeal_id,
            tracking_code=tracking_code,
            channel=channel,
            level=level,  # type: ignore[arg-type]
            appeal_type="complaint",
            category_id="city-sanitation",
            subdistrict_id="pingshan-jd",
            title="垃圾未清运",
            content="坪山街道六和社区垃圾三天未清运",
            address="坪山区坪山街道六和社区",
            received_at=self.clock.now(),
            filed_at=self.clock.now(),
            contact_kind=contact_kind,
            contact_encrypted=self.vault.encrypt(contact),
            second_contact_kind=kind,
            second_contact_encrypted=self.vault.encrypt(value) if value else None,
        )
        await self.apply(filed, self.consumers.on_appeal_filed)
        if told:
            async with self.sessions() as session, session.begin():
                await session.execute(
                    update(Notice)
                    .where(
                        Notice.request_id == f"filed:{appeal_id}",
                        Notice.status == "pending",
                    )
                    .values(status="sent", sent_at=filed.filed_at)
                )
        return filed

    async def request_acceptance(
        self,
        appeal_id: str,
        *,
        request_id: str | None = None,
        work_order_id: str = "wo-1",
        unit_id: str = "cgj",
        accepted: bool = True,
        message: str = "我单位已安排人员，三个工作日内处理",
    ) -> AcceptanceNoticeRequested:
        request = AcceptanceNoticeRequested(
            request_id=request_id or ids.new_id(),
            work_order_id=work_order_id,
            appeal_id=appeal_id,
            unit_id=unit_id,
            tracking_code="MS20261204000123",
            accepted=accepted,
            message=message,
            requested_at=self.clock.now(),
            requested_by="clerk-1",
        )
        await self.apply(request, self.consumers.on_acceptance_notice_requested)
        return request

    async def send(self) -> SendReport:
        return await send_due(sessions=self.sessions, context=self.context)

    async def notices(self, appeal_id: str, kind: str = "acceptance") -> list[Notice]:
        """The appeal's notices of one kind (acceptance unless named)."""
        async with self.sessions() as session:
            result = await session.scalars(
                select(Notice)
                .where(Notice.appeal_id == appeal_id, Notice.kind == kind)
                .order_by(Notice.created_at, Notice.id)
            )
            return list(result)

    async def notice(self, appeal_id: str, kind: str = "acceptance") -> Notice:
        (only,) = await self.notices(appeal_id, kind)
        return only

    async def recipient(self, appeal_id: str) -> Recipient | None:
        async with self.sessions() as session:
            return await session.get(Recipient, appeal_id)

    async def attempts(self, notice_id: str) -> list[NoticeAttempt]:
        async with self.sessions() as session:
            result = await session.scalars(
                select(NoticeAttempt)
                .where(NoticeAttempt.notice_id == notice_id)
                .order_by(NoticeAttempt.id)
            )
            return list(result)

    async def events(self, event_type: str) -> list[dict[str, Any]]:
        """The bodies of the staged outgoing events of one type, oldest first."""
        async with self.sessions() as session:
            result = await session.execute(
                select(outbox_table.c.payload)
                .where(outbox_table.c.event_type == event_type)
                .order_by(outbox_table.c.id)
            )
            return [json.loads(row[0])["data"] for row in result]


MakeHarness = Callable[..., Awaitable[Harness]]


@pytest.fixture
def flaky_sender() -> type[FlakySender]:
    """The class of a sender that fails a given number of times, then succeeds."""
    return FlakySender


@pytest.fixture
async def make_harness(tmp_path: Path) -> AsyncIterator[MakeHarness]:
    """Builds a harness on a migrated store: SQLite in `tmp_path` unless a URL is
    given; the mailbox folder sender unless another sender, or a whole choice of
    senders, is given."""
    engines: list[AsyncEngine] = []

    async def make(
        *,
        url: str | None = None,
        sender: Sender | None = None,
        senders: SenderChoice | None = None,
        max_attempts: int = 5,
        backoff: timedelta = timedelta(seconds=30),
        backoff_max: timedelta = timedelta(minutes=30),
        recipient_wait: timedelta = timedelta(hours=1),
    ) -> Harness:
        url = url or f"sqlite+aiosqlite:///{tmp_path / 'notify.db'}"
        await migrations.upgrade_async(MIGRATIONS, url)
        engine = db.make_engine(url)
        engines.append(engine)

        clock = FixedClock(START)
        vault = pii.PiiVault([pii.new_key()])
        mailbox = tmp_path / "mailbox"
        context = NotifyContext(
            vault=vault,
            outbox=Outbox(producer="notify", topics=TopicNames(), clock=clock),
            clock=clock,
            texts=NoticeTexts.from_reference(load_reference()),
            senders=senders
            or SenderChoice(default=sender or MailboxFolderSender(mailbox)),
            policy=SendPolicy(
                max_attempts=max_attempts,
                backoff=backoff,
                backoff_max=backoff_max,
                recipient_wait=recipient_wait,
                batch_size=20,
                poll_interval=timedelta(milliseconds=50),
            ),
        )
        return Harness(
            engine=engine,
            sessions=db.make_sessions(engine),
            clock=clock,
            vault=vault,
            context=context,
            consumers=NotifyConsumers(context),
            mailbox=mailbox,
        )

    yield make
    for engine in engines:
        await engine.dispose()


HASH_KEY = "survey-phone-hash-key-for-tests-only"
REPLY_SECRET = "sms-reply-secret-sms-reply-secret-0123"
SURVEY_BASE = "https://notify.test"


@dataclass
class Officials:
    """Notify's messages to units, agencies and leaders, its morning report and its
    return visits, over a harness; events go through the handlers the app joins
    into its one consumer group."""

    notify: Harness
    context: OfficialContext
    handlers: dict[str, Any]
    oa_folder: Path

    async def apply(self, data: EventData) -> None:
        await self.notify.apply(data, self.handlers[data.event_type])

    async def messages(self, kind: str) -> list[Notice]:
        """The notices of one kind, oldest first (then by request id)."""
        async with self.notify.sessions() as session:
            result = await session.scalars(
                select(Notice)
                .where(Notice.kind == kind)
                .order_by(Notice.created_at, Notice.request_id)
            )
            return list(result)

    def addresses(self, notice: Notice) -> list[tuple[str, str]]:
        """A message's own addresses, (contact kind, address in clear), in order."""
        return [
            (address.kind, self.notify.vault.decrypt(address.encrypted))
            for address in delivery.addresses_of(notice)
        ]


MakeOfficials = Callable[..., Awaitable[Officials]]


@pytest.fixture
async def make_officials(make_harness: MakeHarness, tmp_path: Path) -> MakeOfficials:
    """Builds `Officials` on a harness (SQLite unless a URL is given) with the
    packaged reference data or `reference`, its contacts replaced by `contacts`."""

    async def make(
        *,
        contacts: Contacts | None = None,
        reference: ReferenceData | None = None,
        **harness: Any,
    ) -> Officials:
        notify = await make_harness(**harness)
        reference = reference or load_reference()
        directory = Directory(reference, contacts or reference.contacts)
        context = OfficialContext(
            notify=notify.context,
            directory=directory,
            survey=SurveyPolicy(
                base_url=SURVEY_BASE,
                valid_for=timedelta(days=15),
                hash_key=HASH_KEY,
                reply_secrets=(REPLY_SECRET,),
            ),
            report_at=time(8, 0),
            report_check=timedelta(milliseconds=20),
        )
        oa_folder = tmp_path / "oa"
        oa.register_default(notify.context.senders, oa_folder)
        spec = NotifyConsumers(notify.context).spec(OfficialConsumers(context).spec())
        return Officials(
            notify=notify,
            context=context,
            handlers=dict(spec.handlers),
            oa_folder=oa_folder,
        )

    return make


# --- Providers on 127.0.0.1 that the senders talk to, as real servers -------------


@dataclass
class ProviderCall:
    """One request a fake provider received."""

    endpoint: str
    path: str
    headers: dict[str, str]
    params: dict[str, str]
    body: Any
    raw: bytes


class FakeProviders:
    """An SMS gateway, an OA system, WeChat's two APIs and channel reply adapters on
    one loopback port, each answering as a test plans it, like a real provider
    would.

    Steps per endpoint (`plan`): ok; fail (503); refuse (400, or WeChat errcode
    43004); slow (takes the message, then answers after `slow_seconds`); garbage
    (200 that is not JSON); expire (WeChat: the token expired, errcode 42001);
    invaliduser (government WeChat: success naming the user invalid). Unplanned
    calls are ok. Like a real gateway, a message is delivered once per reference
    (the SMS idempotency key, WeChat's client_msg_id, or government WeChat's same
    text to the same person), however often it is sent.
    """

    def __init__(self) -> None:
        self.url = ""
        self.calls: list[ProviderCall] = []
        self.delivered: dict[str, dict[str, Any]] = {}
        self.tokens: set[str] = set()
        self.tokens_issued = 0
        self.slow_seconds = 1.0
        self._plans: dict[str, list[str]] = {}

    def plan(self, endpoint: str, *steps: str) -> None:
        self._plans.setdefault(endpoint, []).extend(steps)

    def calls_to(self, endpoint: str) -> list[ProviderCall]:
        return [call for call in self.calls if call.endpoint == endpoint]

    def delivered_by(self, endpoint: str) -> list[dict[str, Any]]:
        return [m for m in self.delivered.values() if m["endpoint"] == endpoint]

    def _next(self, endpoint: str) -> str:
        steps = self._plans.get(endpoint)
        return steps.pop(0) if steps else "ok"

    async def _record(self, endpoint: str, request: Request) -> ProviderCall:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        call = ProviderCall(
            endpoint=endpoint,
            path=request.url.path,
            headers=dict(request.headers),
            params=dict(request.query_params),
            body=body,
            raw=raw,
        )
        self.calls.append(call)
        return call

    def _deliver(self, endpoint: str, reference: str, call: ProviderCall) -> str:
        key = f"{endpoint}:{reference}"
        if key not in self.delivered:
            self.delivered[key] = {
                "endpoint": endpoint,
                "message_id": f"{endpoint}-{len(self.delivered) + 1}",
                "body": call.body,
                "headers": call.headers,
            }
        return str(self.delivered[key]["message_id"])

    async def sms(self, request: Request) -> Response:
        return await self._gateway("sms", request)

    async def oa(self, request: Request) -> Response:
        return await self._gateway("oa", request)

    async def reply(self, request: Request) -> Response:
        return await self._gateway(f"reply:{request.path_params['channel']}", request)

    async def _gateway(self, endpoint: str, request: Request) -> Response:
        call = await self._record(endpoint, request)
        step = self._next(endpoint)
        if step == "fail":
            return JSONResponse({"error": "busy"}, status_code=503)
        if step == "refuse":
            return JSONResponse({"code": "invalid_number"}, status_code=400)
        if step == "garbage":
            return PlainTextResponse("<html>proxy error</html>")
        message_id = self._deliver(
            endpoint, call.headers.get("idempotency-key", ""), call
        )
        if step == "slow":
            await asyncio.sleep(self.slow_seconds)
        return JSONResponse({"message_id": message_id})

    async def token(self, request: Request) -> Response:
        await self._record("wechat_token", request)
        step = self._next("wechat_token")
        if step == "fail":
            return JSONResponse({"errmsg": "busy"}, status_code=500)
        if step == "refuse":
            return JSONResponse({"errcode": 40125, "errmsg": "invalid appsecret"})
        self.tokens_issued += 1
        token = f"token-{self.tokens_issued}"
        self.tokens.add(token)
        return JSONResponse({"errcode": 0, "access_token": token, "expires_in": 7200})

    async def wechat_send(self, request: Request) -> Response:
        call = await self._record("wechat_send", request)
        if call.params.get("access_token") not in self.tokens:
            return JSONResponse({"errcode": 40001, "errmsg": "invalid credential"})
        step = self._next("wechat_send")
        if step == "fail":
            return JSONResponse({"errmsg": "busy"}, status_code=503)
        if step == "expire":
            self.tokens.clear()
            return JSONResponse({"errcode": 42001, "errmsg": "access_token expired"})
        if step == "refuse":
            return JSONResponse({"errcode": 43004, "errmsg": "require subscribe"})
        if step == "invaliduser":
            return JSONResponse({"errcode": 0, "errmsg": "ok", "invaliduser": "x"})
        body = call.body or {}
        reference = str(
            body.get("client_msg_id")
            or f"{body.get('touser')}:{body.get('text', {}).get('content')}"
        )
        message_id = self._deliver("wechat", reference, call)
        if step == "slow":
            await asyncio.sleep(self.slow_seconds)
        return JSONResponse(
            {"errcode": 0, "errmsg": "ok", "msgid": int(message_id.split("-")[1])}
        )


async def _serve(app: Any) -> AsyncIterator[str]:
    """Serve an ASGI app with uvicorn on a free loopback port; its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            # uvicorn's server has a `started` flag and no event to wait on.
            while not server.started:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def providers() -> AsyncIterator[FakeProviders]:
    """The fake SMS gateway, OA system, WeChat APIs and reply adapters, running."""
    fake = FakeProviders()
    app = Starlette(
        routes=[
            Route("/sms", fake.sms, methods=["POST"]),
            Route("/oa", fake.oa, methods=["POST"]),
            Route("/reply/{channel}", fake.reply, methods=["POST"]),
            Route("/cgi-bin/token", fake.token, methods=["GET"]),
            Route("/cgi-bin/gettoken", fake.token, methods=["GET"]),
            Route("/cgi-bin/message/template/send", fake.wechat_send, methods=["POST"]),
            Route("/cgi-bin/message/send", fake.wechat_send, methods=["POST"]),
        ]
    )
    async for url in _serve(app):
        fake.url = url
        yield fake


@dataclass
class Mail:
    """One email a fake mail server accepted."""

    sender: str
    recipients: list[str]
    message: Any


class FakeMailServer:
    """An aiosmtpd SMTP server on 127.0.0.1 that answers as a test plans it: ok,
    tempfail (451 to the data), reject (550 to the recipient). With a TLS context
    it offers STARTTLS and refuses mail without it."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = 0
        self.mails: list[Mail] = []
        self.sessions = 0
        self.tls_used: list[bool] = []
        self._plan: list[str] = []

    def plan(self, *steps: str) -> None:
        self._plan.extend(steps)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self._plan and self._plan[0] == "reject":
            self._plan.pop(0)
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        if self._plan and self._plan[0] == "tempfail":
            self._plan.pop(0)
            return "451 4.3.0 Try again later"
        self.tls_used.append(session.ssl is not None)
        self.mails.append(
            Mail(
                sender=envelope.mail_from,
                recipients=list(envelope.rcpt_tos),
                message=message_from_bytes(
                    envelope.original_content, policy=email_policy.default
                ),
            )
        )
        return f"250 2.0.0 Ok: queued as Q{len(self.mails)}"


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


MakeMailServer = Callable[..., Awaitable[FakeMailServer]]


@pytest.fixture
async def make_mail_server(tmp_path: Path) -> AsyncIterator[MakeMailServer]:
    """Starts fake mail servers: plain, or with STARTTLS required (`tls=True`, its
    certificate in `tmp_path/smtp-cert.pem`)."""
    servers: list[asyncio.Server] = []

    async def make(*, tls: bool = False) -> FakeMailServer:
        fake = FakeMailServer()
        context = None
        if tls:
            cert_file, key_file = _self_signed(tmp_path)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert_file, key_file)

        def protocol() -> SMTP:
            fake.sessions += 1
            return SMTP(
                fake,
                hostname="mail.test",
                tls_context=context,
                require_starttls=tls,
            )

        server = await asyncio.get_running_loop().create_server(
            protocol, "127.0.0.1", 0
        )
        servers.append(server)
        fake.port = server.sockets[0].getsockname()[1]
        return fake

    yield make
    for server in servers:
        server.close()
        await server.wait_closed()


# --- Notify itself, running with its API, its sending loop and given settings -----


@dataclass
class RunningNotify:
    """A running notify app: clients by role, its runtime, and the vault its
    contacts are encrypted with."""

    app: Any
    runtime: Any
    vault: pii.PiiVault
    clients: dict[str, httpx.AsyncClient]

    @property
    def operator(self) -> httpx.AsyncClient:
        return self.clients["operator"]

    @property
    def anonymous(self) -> httpx.AsyncClient:
        return self.clients["anonymous"]

    @property
    def context(self) -> NotifyContext:
        return cast(NotifyContext, self.runtime.extras[CONTEXT_KEY])

    async def apply(
        self, data: EventData, *, extra: dict[str, Any] | None = None
    ) -> None:
        """Apply an event as notify's consumer loop would."""
        consumers = NotifyConsumers(self.context)
        envelope = seal(data, producer="test", occurred_at=datetime.now(UTC))
        envelope.data.update(extra or {})
        handler = consumers.handlers()[envelope.type]
        async with self.runtime.sessions() as session, session.begin():
            await handler(session, envelope, read(envelope))

    async def file_appeal(
        self,
        appeal_id: str,
        *,
        contact: str = PHONE,
        contact_kind: str = "phone",
        second: tuple[str, str] | None = None,
        channel: str = "hotline-12345",
    ) -> None:
        now = datetime.now(UTC)
        kind, value = second or (None, None)
        await self.apply(
            AppealFiled(
                appeal_id=appeal_id,
                tracking_code="MS20261204000777",
                channel=channel,
                appeal_type="complaint",
                title="噪音扰民",
                content="夜间施工噪音",
                received_at=now,
                filed_at=now,
                contact_kind=contact_kind,
                contact_encrypted=self.vault.encrypt(contact),
                second_contact_kind=kind,
                second_contact_encrypted=self.vault.encrypt(value) if value else None,
            )
        )

    async def request_acceptance(
        self, appeal_id: str, *, work_order_id: str = "wo-1", unit_id: str = "cgj"
    ) -> None:
        await self.apply(
            AcceptanceNoticeRequested(
                request_id=f"req-{appeal_id}",
                work_order_id=work_order_id,
                appeal_id=appeal_id,
                unit_id=unit_id,
                tracking_code="MS20261204000777",
                accepted=True,
                message="已受理",
                requested_at=datetime.now(UTC),
                requested_by="clerk-2",
            )
        )

    async def notice(self, appeal_id: str, kind: str = "acceptance") -> dict[str, Any]:
        answer = await self.operator.get("/v1/notices", params={"appeal_id": appeal_id})
        (found,) = [item for item in answer.json()["items"] if item["kind"] == kind]
        return dict(found)

    async def wait_for(
        self,
        appeal_id: str,
        done: Callable[[dict[str, Any]], bool],
        kind: str = "acceptance",
    ) -> dict[str, Any]:
        """The notice once `done` holds for it (10 s at most)."""
        async with asyncio.timeout(10):
            while True:
                answer = await self.operator.get(
                    "/v1/notices", params={"appeal_id": appeal_id}
                )
                items = [i for i in answer.json()["items"] if i["kind"] == kind]
                if items and done(items[0]):
                    return dict(items[0])
                await asyncio.sleep(0.02)

    async def events(self, event_type: str) -> list[dict[str, Any]]:
        async with self.runtime.sessions() as session:
            result = await session.execute(
                select(outbox_table.c.payload)
                .where(outbox_table.c.event_type == event_type)
                .order_by(outbox_table.c.id)
            )
            return [json.loads(row[0])["data"] for row in result]


MakeRunningNotify = Callable[..., Awaitable[RunningNotify]]


@pytest.fixture
async def make_running_notify(tmp_path: Path) -> AsyncIterator[MakeRunningNotify]:
    """Starts notify with the given settings on a SQLite store in `tmp_path` (or
    `database_url`), quiet hours and the morning report off unless set; clients for
    the operator, a unit of cgj, one of swj, a channel and an anonymous caller."""
    async with AsyncExitStack() as stack:

        async def make(**settings: Any) -> RunningNotify:
            values: dict[str, Any] = {
                "environment": "test",
                "data_dir": tmp_path,
                "database_url": f"sqlite:///{tmp_path / 'notify.db'}",
                "kafka_bootstrap_servers": f"127.0.0.1:{free_port()}",
                "clock_file": None,
                "send_poll_ms": 20,
                "quiet_start_hour": 0,
                "quiet_end_hour": 0,
                # On the real clock the report would go out to the leaders whenever
                # a run passes 08:00 in Shanghai, among the messages a test counts.
                "morning_report_enabled": False,
            }
            values.update(settings)
            notify_settings = NotifySettings(**values)
            path = notify_settings.credentials_path()
            keys = {
                "operator": add_key(path, name="operator", role=Role.OPERATOR),
                "cgj": add_key(path, name="cgj", role=Role.UNIT, unit_id="cgj"),
                "swj": add_key(path, name="swj", role=Role.UNIT, unit_id="swj"),
                "channel": add_key(
                    path, name="wechat", role=Role.CHANNEL, channel_id="wechat"
                ),
            }
            app = create_app(notify_settings)
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app)
            clients = {
                who: await stack.enter_async_context(
                    httpx.AsyncClient(
                        transport=transport,
                        base_url="http://notify",
                        headers={"X-API-Key": key},
                    )
                )
                for who, key in keys.items()
            }
            clients["anonymous"] = await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url="http://notify")
            )
            return RunningNotify(
                app=app,
                runtime=app.state.runtime,
                vault=pii.PiiVault(notify_settings.pii_key_list()),
                clients=clients,
            )

        yield make
