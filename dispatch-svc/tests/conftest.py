"""Fixtures of dispatch's tests: a migrated and seeded store, dispatch's context on a
fixed clock, and builders of the events dispatch consumes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common import db, migrations
from minsheng_common.auth.provisioning import add_key
from minsheng_common.auth.roles import Role
from minsheng_common.bus.outbox import Outbox
from minsheng_common.bus.tables import outbox as outbox_table
from minsheng_common.clock import FixedClock, SharedClock
from minsheng_common.devstack.broker import free_port
from minsheng_common.events import (
    AppealFiled,
    DeadlineReached,
    DeadlineSet,
    Envelope,
    EventData,
    NoticeSent,
    TopicNames,
    seal,
)
from minsheng_common.reference import load_reference
from minsheng_common.rules import load_rule_book
from minsheng_dispatch import seeding
from minsheng_dispatch.app import MIGRATIONS, create_app
from minsheng_dispatch.consumers import DispatchHandlers
from minsheng_dispatch.service import DispatchContext
from minsheng_dispatch.settings import DispatchSettings

# Monday 9 March 2026, 10:00 in Shanghai: a working day under the fourth edition.
NOW = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)

Sessions = async_sessionmaker[AsyncSession]


async def migrated_store(url: str) -> tuple[Any, Sessions]:
    """An engine and sessions on a store upgraded to head and seeded."""
    await asyncio.to_thread(migrations.upgrade, MIGRATIONS, url)
    engine = db.make_engine(url)
    sessions = db.make_sessions(engine)
    await seeding.seed(
        sessions,
        load_reference(),
        valid_from=seeding.seeded_valid_from(load_rule_book()),
    )
    return engine, sessions


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[Sessions]:
    """Sessions on a fresh SQLite store, migrated and seeded from the reference."""
    engine, made = await migrated_store(f"sqlite+aiosqlite:///{tmp_path / 'd.db'}")
    yield made
    await engine.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def context(clock: FixedClock) -> DispatchContext:
    return DispatchContext(
        rule_book=load_rule_book(),
        outbox=Outbox(producer="dispatch", topics=TopicNames(), clock=clock),
        clock=clock,
        fallback_unit_id="center",
    )


@pytest.fixture
def handlers(context: DispatchContext) -> DispatchHandlers:
    return DispatchHandlers(context)


def filed(**changes: Any) -> AppealFiled:
    """An appeal.filed body as intake emits it, with `changes` applied."""
    values: dict[str, Any] = {
        "appeal_id": "appeal-1",
        "tracking_code": "MS20260309000001",
        "channel": "hotline-12345",
        "appeal_type": "complaint",
        "category_id": "municipal-facilities",
        "subdistrict_id": "kengzi-jd",
        "community": "秀新社区",
        "title": "路灯不亮",
        "content": "坑梓街道秀新社区某路段路灯不亮，夜间出行不便。",
        "address": "坑梓街道秀新社区",
        "received_at": NOW - timedelta(minutes=20),
        "filed_at": NOW - timedelta(minutes=15),
        "contact_kind": "phone",
        "contact_encrypted": "gAAAA-not-readable-here",
    }
    values.update(changes)
    return AppealFiled(**values)


def sign_off_reached(work_order_id: str, **changes: Any) -> DeadlineReached:
    """A deadline.reached body for a sign-off deadline, as sla emits it."""
    values: dict[str, Any] = {
        "deadline_id": "deadline-1",
        "work_order_id": work_order_id,
        "appeal_id": "appeal-1",
        "unit_id": "cgj",
        "kind": "sign_off",
        "due_at": NOW + timedelta(hours=2),
        "reached_at": NOW + timedelta(hours=2),
    }
    values.update(changes)
    return DeadlineReached(**values)


def sign_off_set(work_order_id: str, **changes: Any) -> DeadlineSet:
    """A deadline.set body for a sign-off deadline, as sla emits it: 2 working hours
    after dispatch (Art. 13)."""
    values: dict[str, Any] = {
        "deadline_id": "deadline-1",
        "work_order_id": work_order_id,
        "appeal_id": "appeal-1",
        "unit_id": "cgj",
        "kind": "sign_off",
        "starts_at": NOW,
        "due_at": NOW + timedelta(hours=2),
        "provisional": False,
        "article": "Art. 13",
        "period": "PT2H",
        "rules_edition": "measures-v4",
    }
    values.update(changes)
    return DeadlineSet(**values)


def envelope(data: EventData, occurred_at: datetime = NOW) -> Envelope:
    return seal(data, producer="test", occurred_at=occurred_at)


@pytest.fixture
def appeal_filed() -> Callable[..., AppealFiled]:
    return filed


@pytest.fixture
def deadline_reached() -> Callable[..., DeadlineReached]:
    return sign_off_reached


@pytest.fixture
def deadline_set() -> Callable[..., DeadlineSet]:
    return sign_off_set


@pytest.fixture
def wrap() -> Callable[..., Envelope]:
    return envelope


async def staged_events(sessions: Sessions) -> list[tuple[str, dict[str, Any]]]:
    """(event type, body) of every event in the outbox, oldest first."""
    async with sessions() as session:
        rows = await session.execute(
            select(outbox_table.c.event_type, outbox_table.c.payload).order_by(
                outbox_table.c.id
            )
        )
        return [
            (event_type, Envelope.model_validate_json(payload).data)
            for event_type, payload in rows.all()
        ]


@pytest.fixture
def outbox_events() -> Callable[[Sessions], Any]:
    return staged_events


@pytest.fixture
def store_factory() -> Callable[[str], Any]:
    return migrated_store


# The life of an order through the running API (test_dispatch_lifecycle_*.py).

JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
PDF_HEAD = b"%PDF-1.7\n"


class Life:
    """A running dispatch app with clients of the center (operator), of two units'
    systems (cgj gets the sample appeals, swj is another unit), of a leader (no
    dispatch scope) and of nobody; it feeds the app the events sla and notify
    would send, on a clock the test moves."""

    def __init__(self, app: Any, clock: Any, wrap: Callable[..., Envelope]) -> None:
        self.app = app
        self.clock = clock
        self.handlers = DispatchHandlers(app.state.context)
        self._wrap = wrap
        self.clients: dict[str, Any] = {}

    @property
    def center(self) -> Any:
        return self.clients["operator"]

    @property
    def cgj(self) -> Any:
        return self.clients["cgj"]

    @property
    def swj(self) -> Any:
        return self.clients["swj"]

    def now(self) -> datetime:
        now: datetime = self.clock.now()
        return now

    async def deliver(
        self, data: EventData, *, occurred_at: datetime | None = None
    ) -> None:
        """Hand an event to dispatch's consumer, in one transaction, as its loop
        would."""
        envelope = self._wrap(data, occurred_at or self.now())
        handler = self.handlers.by_event_type()[data.event_type]
        async with self.app.state.runtime.sessions() as session, session.begin():
            await handler(session, envelope, data)

    async def file(self, appeal_id: str = "appeal-1", **changes: Any) -> dict[str, Any]:
        """A filed appeal dispatched as an order; the order as the center sees it."""
        await self.deliver(filed(appeal_id=appeal_id, **changes))
        response = await self.center.get(
            "/v1/work-orders", params={"appeal_id": appeal_id}
        )
        (order,) = response.json()["items"]
        return dict(order)

    async def order(self, order_id: str) -> dict[str, Any]:
        response = await self.center.get(f"/v1/work-orders/{order_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def signed(
        self, appeal_id: str = "appeal-1", **changes: Any
    ) -> dict[str, Any]:
        """An order of cgj, signed, with its handling deadline 7 days on."""
        order = await self.file(appeal_id, **changes)
        response = await self.cgj.post(
            f"/v1/work-orders/{order['id']}/sign", json={"signed_by": "王科员"}
        )
        assert response.status_code == 200, response.text
        await self.handling_due(order["id"], self.now() + timedelta(days=7))
        return dict(response.json())

    async def handling_due(self, order_id: str, due_at: datetime) -> None:
        await self.deliver(
            sign_off_set(
                order_id,
                kind="handling",
                due_at=due_at,
                article="Art. 15",
                period="P7D",
                deadline_id=f"handling-{due_at.isoformat()}",
            )
        )

    async def upload(
        self, client: Any, content: bytes, filename: str = "photo.jpg"
    ) -> str:
        response = await client.post(
            "/v1/attachments", files={"file": (filename, content)}
        )
        assert response.status_code == 201, response.text
        attachment_id: str = response.json()["id"]
        return attachment_id

    async def photos(self) -> list[dict[str, str]]:
        """A photo before and one after, uploaded by cgj."""
        before = await self.upload(self.cgj, JPEG_HEAD + b"before" * 20, "before.jpg")
        after = await self.upload(self.cgj, PNG_HEAD + b"after" * 20, "after.png")
        return [{"id": before, "role": "before"}, {"id": after, "role": "after"}]

    def reply(self, **changes: Any) -> dict[str, Any]:
        """A complete closure request, handled an hour ago."""
        body: dict[str, Any] = {
            "handled_at": (self.now() - timedelta(hours=1)).isoformat(),
            "actions": "更换灯泡并检修线路",
            "result": "路灯已恢复照明",
        }
        body.update(changes)
        return body

    async def closure_requested(self, **changes: Any) -> dict[str, Any]:
        """A signed order of cgj whose closure, with photos and the handling
        notice, waits for the center; a day has passed."""
        order = await self.signed()
        self.clock.advance(timedelta(days=1))
        body = self.reply(
            attachments=await self.photos(),
            handling_notice={"message": "您反映的路灯问题已修复"},
            **changes,
        )
        response = await self.cgj.post(
            f"/v1/work-orders/{order['id']}/closure", json=body
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def notice_sent(self, order_id: str) -> None:
        """notify's notice.sent for the order's latest handling notice."""
        history = (await self.order(order_id))["history"]
        (request_id,) = [
            a["detail"]["request_id"]
            for a in history
            if a["action"] == "handling_notice_requested"
        ][-1:]
        await self.deliver(
            NoticeSent(
                notice_id=f"notice-{request_id}",
                request_id=request_id,
                appeal_id="appeal-1",
                work_order_id=order_id,
                kind="handling",
                channel="sms",
                recipient_masked="138****0000",
                sent_at=self.now(),
                provider_ref="mailbox-1",
                attempts=1,
            )
        )

    async def closed(self) -> dict[str, Any]:
        order = await self.closure_requested()
        await self.notice_sent(order["id"])
        response = await self.center.post(
            f"/v1/work-orders/{order['id']}/closure/approve", json={}
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def events(self) -> list[tuple[str, dict[str, Any]]]:
        return await staged_events(self.app.state.runtime.sessions)

    async def event_types(self) -> list[str]:
        return [event_type for event_type, _ in await self.events()]


@pytest.fixture
async def life(tmp_path: Path, wrap: Callable[..., Envelope]) -> AsyncIterator[Life]:
    """Dispatch running on SQLite with no broker, keys for the center and two
    units, attachments up to 64 KiB."""
    clock_file = tmp_path / "clock.json"
    clock = SharedClock(clock_file)
    clock.set_now(NOW)
    settings = DispatchSettings(
        database_url=f"sqlite:///{tmp_path / 'dispatch.db'}",
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        data_dir=tmp_path,
        clock_file=clock_file,
        attachment_max_bytes=64 * 1024,
    )
    path = settings.credentials_path()
    keys = {
        "operator": add_key(path, name="operator", role=Role.OPERATOR),
        "leader": add_key(path, name="leader", role=Role.LEADER),
        "cgj": add_key(path, name="cgj", role=Role.UNIT, unit_id="cgj"),
        "swj": add_key(path, name="swj", role=Role.UNIT, unit_id="swj"),
    }
    app = create_app(settings)
    async with app.router.lifespan_context(app), AsyncExitStack() as stack:
        made = Life(app, clock, wrap)
        transport = httpx.ASGITransport(app=app)
        for name, key in [*keys.items(), ("anonymous", None)]:
            headers = {"X-API-Key": key} if key else {}
            made.clients[name] = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=transport, base_url="http://dispatch", headers=headers
                )
            )
        yield made
