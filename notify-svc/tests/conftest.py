"""A notify store with its rules wired to a fixed clock, a test key and a chosen
sender, plus helpers that apply events the way the consumer loop does."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from minsheng_common import db, ids, migrations, pii
from minsheng_common.bus.outbox import Outbox
from minsheng_common.bus.tables import outbox as outbox_table
from minsheng_common.clock import FixedClock
from minsheng_common.events import (
    AcceptanceNoticeRequested,
    AppealFiled,
    EventData,
    TopicNames,
    read,
    seal,
)
from minsheng_common.reference import load_reference
from minsheng_notify.app import MIGRATIONS
from minsheng_notify.consumers import NotifyConsumers
from minsheng_notify.models import Notice, NoticeAttempt, Recipient
from minsheng_notify.rendering import NoticeTexts
from minsheng_notify.senders import (
    MailboxFolderSender,
    OutgoingNotice,
    Sender,
    SenderChoice,
    SendFailed,
    SendResult,
)
from minsheng_notify.sending import SendReport, send_due
from minsheng_notify.service import NotifyContext, SendPolicy

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
    ) -> None:
        """Apply an event in one transaction, as the consumer loop does."""
        envelope = seal(data, producer="test", occurred_at=self.clock.now())
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
    ) -> AppealFiled:
        """Apply appeal.filed; with `told` the filing notice it queues counts as
        sent already, so a test of later notices sees only its own go out."""
        filed = AppealFiled(
            appeal_id=appeal_id,
            tracking_code=tracking_code,
            channel="hotline-12345",
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
    given; the mailbox folder sender unless another is."""
    engines: list[AsyncEngine] = []

    async def make(
        *,
        url: str | None = None,
        sender: Sender | None = None,
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
            senders=SenderChoice(default=sender or MailboxFolderSender(mailbox)),
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
