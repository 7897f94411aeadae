"""Analytics' store, the handlers applied as the consumer loop applies them, and a
small story of appeals built from catalogue events."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_analytics import consumers
from minsheng_analytics.app import MIGRATIONS, create_app
from minsheng_analytics.settings import AnalyticsSettings
from minsheng_analytics.warning_detection import WarningDetector
from minsheng_analytics.warning_rules import load_warning_rules
from minsheng_common import db, migrations
from minsheng_common.auth import provisioning
from minsheng_common.auth.roles import Role
from minsheng_common.bus.consumer import EventConsumer
from minsheng_common.bus.kafka import KafkaPublisher, OutgoingMessage
from minsheng_common.clock import FixedClock
from minsheng_common.devstack.broker import free_port
from minsheng_common.events import (
    AcceptanceNoticeRequested,
    AppealAnswered,
    AppealFiled,
    AppealGraded,
    AppealHeld,
    AppealReceived,
    AppealRejected,
    DeadlineMet,
    DeadlineReached,
    DeadlineSet,
    Envelope,
    EventData,
    NoticeFailed,
    NoticeSent,
    WorkOrderDispatched,
    WorkOrderSigned,
    read,
    seal,
)
from minsheng_common.rules import load_rule_book

# Monday 2 March 2026, 09:00 in Shanghai: a plain working day.
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

Step = tuple[EventData, datetime]


class Projector:
    """Applies events through `EventConsumer.apply`: one transaction, inbox row and
    handler together, exactly as the consumer loop does."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self.handlers = consumers.handlers(load_rule_book())
        self.consumer = EventConsumer(
            name="projection",
            group_id="test",
            topics=[],
            bootstrap_servers="127.0.0.1:1",
            sessions=sessions,
            handlers=self.handlers,
            publisher=KafkaPublisher("127.0.0.1:1", client_id="test"),
            clock=FixedClock(T0),
        )
        self._offsets = itertools.count()

    def envelope(self, step: Step) -> Envelope:
        data, occurred_at = step
        return seal(data, producer="test", occurred_at=occurred_at)

    async def apply(self, step: Step | Envelope) -> bool:
        """Apply one event; False when the inbox had it already."""
        envelope = step if isinstance(step, Envelope) else self.envelope(step)
        # Through the wire format, as the consumer reads it.
        envelope = Envelope.model_validate_json(envelope.to_bytes())
        data = read(envelope)
        record = SimpleNamespace(
            topic=data.topic, partition=0, offset=next(self._offsets)
        )
        return await self.consumer.apply(
            record,
            envelope,
            data,
            self.handlers[envelope.type],
        )

    async def apply_all(self, steps: list[Step]) -> None:
        for step in steps:
            assert await self.apply(step)


@dataclass
class Story:
    """One appeal's events with consistent ids and times; `at` is minutes after T0."""

    appeal_id: str
    channel: str = "hotline-12345"
    appeal_type: str = "complaint"
    received: int = 0
    title: str = "垃圾桶满了没人清理"
    work_order_id: str = field(default="")
    unit_id: str = "cgj"

    def __post_init__(self) -> None:
        self.work_order_id = self.work_order_id or f"wo-{self.appeal_id}"
        self.tracking_code = f"MS{self.appeal_id[-6:]:0>6}"

    @staticmethod
    def at(minutes: float) -> datetime:
        return T0 + timedelta(minutes=minutes)

    def appeal_received(self) -> Step:
        return (
            AppealReceived(
                appeal_id=self.appeal_id,
                tracking_code=self.tracking_code,
                channel=self.channel,
                channel_ref=f"ref-{self.appeal_id}",
                appeal_type=self.appeal_type,
                category_hint="city-sanitation",
                received_at=self.at(self.received),
            ),
            self.at(self.received + 1),
        )

    def appeal_filed(
        self, *, minutes: float = 1, level: int = 3, cluster_id: str | None = None
    ) -> Step:
        filed_at = self.at(self.received + minutes)
        return (
            AppealFiled(
                appeal_id=self.appeal_id,
                tracking_code=self.tracking_code,
                channel=self.channel,
                appeal_type=self.appeal_type,
                category_id="city-sanitation",
                subdistrict_id="kengzi-jd",
                community="秀新社区",
                title=self.title,
                content="坑梓街道秀新社区某小区门口垃圾桶三天没人清理。",
                address="坑梓街道秀新社区",
                received_at=self.at(self.received),
                filed_at=filed_at,
                contact_kind="phone",
                contact_encrypted="gAAAA-ciphertext-of-the-contact",
                level=level,
                cluster_id=cluster_id,
            ),
            filed_at,
        )

    def appeal_held(self, reason: str = "verification", *, minutes: float = 1) -> Step:
        held_at = self.at(self.received + minutes)
        return (
            AppealHeld(
                appeal_id=self.appeal_id,
                tracking_code=self.tracking_code,
                channel=self.channel,
                reason=reason,
                held_at=held_at,
            ),
            held_at,
        )

    def appeal_graded(
        self, level: int, *, minutes: float = 2, previous: int | None = None
    ) -> Step:
        graded_at = self.at(self.received + minutes)
        return (
            AppealGraded(
                appeal_id=self.appeal_id,
                tracking_code=self.tracking_code,
                level=level,
                previous_level=previous,
                basis="危险边坡，可能危及公共安全",
                graded_at=graded_at,
                graded_by="operator-1",
            ),
            graded_at,
        )

    def appeal_answered(self, *, minutes: float = 0.5) -> Step:
        answered_at = self.at(self.received + minutes)
        return (
            AppealAnswered(
                appeal_id=self.appeal_id,
                tracking_code=self.tracking_code,
                channel=self.channel,
                knowledge_entry_id="kb-social-security-card",
                answer="社保卡补办可在坪山区政务服务中心一楼办理，需携带身份证。",
                confidence=0.93,
                answered_at=answered_at,
                contact_kind="phone",
                contact_encrypted="gAAAA-ciphertext-of-the-contact",
            ),
            answered_at,
        )

    def appeal_rejected(self, reason: str = "missing_contact") -> Step:
        rejected_at = self.at(self.received + 1)
        return (
            AppealRejected(
                appeal_id=self.appeal_id,
                tracking_code=self.tracking_code,
                channel=self.channel,
                appeal_type=self.appeal_type,
                reason_code=reason,
                article="Art. 11(2)1",
                detail="未留真实有效的联系方式",
                received_at=self.at(self.received),
                rejected_at=rejected_at,
                contact_kind=None,
                contact_encrypted=None,
            ),
            rejected_at,
        )

    def dispatched(self, *, after_filing: float = 10) -> Step:
        filed_at = self.at(self.received + 1)
        dispatched_at = filed_at + timedelta(minutes=after_filing)
        return (
            WorkOrderDispatched(
                work_order_id=self.work_order_id,
                appeal_id=self.appeal_id,
                tracking_code=self.tracking_code,
                unit_id=self.unit_id,
                appeal_type=self.appeal_type,
                category_id="city-sanitation",
                subdistrict_id="kengzi-jd",
                filed_at=filed_at,
                created_at=filed_at,
                dispatched_at=dispatched_at,
                route_basis="category",
                rules_edition="measures-v4",
            ),
            dispatched_at,
        )

    def sign_off_due(self, *, after_filing: float = 10) -> datetime:
        # Two working hours after a dispatch inside the morning period.
        return self.at(self.received + 1 + after_filing + 120)

    def deadline_set(
        self,
        kind: str = "sign_off",
        *,
        due: datetime | None = None,
        occurred: datetime | None = None,
    ) -> Step:
        due_at = due or self.sign_off_due()
        occurred_at = occurred or self.at(self.received + 12)
        return (
            DeadlineSet(
                deadline_id=f"dl-{kind}-{self.appeal_id}",
                work_order_id=self.work_order_id,
                appeal_id=self.appeal_id,
                unit_id=self.unit_id,
                kind=kind,
                starts_at=self.at(self.received + 11),
                due_at=due_at,
                provisional=False,
                article="Art. 13",
                period="PT2H",
                rules_edition="measures-v4",
            ),
            occurred_at,
        )

    def signed(self, *, minutes: float, mode: str = "manual") -> Step:
        signed_at = self.at(self.received + minutes)
        return (
            WorkOrderSigned(
                work_order_id=self.work_order_id,
                appeal_id=self.appeal_id,
                unit_id=self.unit_id,
                signed_at=signed_at,
                mode=mode,
                signed_by="clerk" if mode == "manual" else None,
            ),
            signed_at,
        )

    def deadline_reached(self, kind: str = "sign_off") -> Step:
        due = self.sign_off_due()
        return (
            DeadlineReached(
                deadline_id=f"dl-{kind}-{self.appeal_id}",
                work_order_id=self.work_order_id,
                appeal_id=self.appeal_id,
                unit_id=self.unit_id,
                kind=kind,
                due_at=due,
                reached_at=due,
            ),
            due,
        )

    def deadline_met(self, *, minutes: float, kind: str = "sign_off") -> Step:
        due = self.sign_off_due()
        met_at = self.at(self.received + minutes)
        return (
            DeadlineMet(
                deadline_id=f"dl-{kind}-{self.appeal_id}",
                work_order_id=self.work_order_id,
                appeal_id=self.appeal_id,
                unit_id=self.unit_id,
                kind=kind,
                due_at=due,
                met_at=met_at,
                late=met_at > due,
            ),
            met_at,
        )

    def acceptance_requested(self, *, minutes: float, request: str = "1") -> Step:
        requested_at = self.at(self.received + minutes)
        return (
            AcceptanceNoticeRequested(
                request_id=f"rq-{request}-{self.appeal_id}",
                work_order_id=self.work_order_id,
                appeal_id=self.appeal_id,
                unit_id=self.unit_id,
                tracking_code=self.tracking_code,
                accepted=True,
                message="您的诉求已受理",
                requested_at=requested_at,
                requested_by="clerk",
            ),
            requested_at,
        )

    def notice_sent(self, *, minutes: float, request: str = "1") -> Step:
        sent_at = self.at(self.received + minutes)
        return (
            NoticeSent(
                notice_id=f"nt-{request}-{self.appeal_id}",
                request_id=f"rq-{request}-{self.appeal_id}",
                appeal_id=self.appeal_id,
                work_order_id=self.work_order_id,
                kind="acceptance",
                channel="sms",
                recipient_masked="+86*******2345",
                sent_at=sent_at,
                provider_ref="mailbox/0001.txt",
                attempts=1,
            ),
            sent_at,
        )

    def notice_failed(self, *, minutes: float, request: str = "1") -> Step:
        failed_at = self.at(self.received + minutes)
        return (
            NoticeFailed(
                notice_id=f"nt-{request}-{self.appeal_id}",
                request_id=f"rq-{request}-{self.appeal_id}",
                appeal_id=self.appeal_id,
                work_order_id=self.work_order_id,
                kind="acceptance",
                channel="sms",
                failed_at=failed_at,
                reason="gateway refused",
                attempts=5,
            ),
            failed_at,
        )

    def full_life(self) -> list[Step]:
        """Received, filed, dispatched, deadlines, signed on time, notice sent."""
        return [
            self.appeal_received(),
            self.appeal_filed(),
            self.dispatched(),
            self.deadline_set("sign_off"),
            self.deadline_set("handling", due=self.at(self.received + 60 * 24 * 7)),
            self.signed(minutes=40),
            self.deadline_met(minutes=40),
            self.deadline_set("acceptance_notice", due=self.at(self.received + 1440)),
            self.acceptance_requested(minutes=41),
            self.deadline_met(minutes=41, kind="acceptance_notice"),
            self.notice_sent(minutes=42),
        ]


async def migrated_sessions(url: str) -> tuple[Any, async_sessionmaker[AsyncSession]]:
    await migrations.upgrade_async(MIGRATIONS, url)
    engine = db.make_engine(url)
    return engine, db.make_sessions(engine)


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A migrated SQLite store of analytics."""
    engine, made = await migrated_sessions(
        f"sqlite+aiosqlite:///{tmp_path / 'analytics.db'}"
    )
    yield made
    await engine.dispose()


@pytest.fixture
def projector(sessions: async_sessionmaker[AsyncSession]) -> Projector:
    return Projector(sessions)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty store of analytics: SQLite, then PostgreSQL. A plain
    fixture: the database factory runs its own event loop."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    create_database: Callable[[str], str] = request.getfixturevalue("create_database")
    return create_database("analytics")


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A migrated store of analytics, once on each dialect."""
    engine, made = await migrated_sessions(store_url)
    yield made
    await engine.dispose()


@pytest.fixture
def store_projector(store: async_sessionmaker[AsyncSession]) -> Projector:
    """Applies events into `store`."""
    return Projector(store)


@pytest.fixture
def story() -> Callable[..., Story]:
    return Story


@pytest.fixture
def settings(tmp_path: Path) -> AnalyticsSettings:
    # No broker: the consumer never connects; tests apply events themselves.
    return AnalyticsSettings(
        database_url=f"sqlite:///{tmp_path / 'analytics-app.db'}",
        data_dir=tmp_path,
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        environment="test",
    )


PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Credentials:
    """Keys by role (`unit` is the city management bureau's), and people who sign
    in with `PASSWORD`: one per role in `PEOPLE`."""

    keys: dict[str, str]
    people: tuple[str, ...] = ("operator", "leader", "unit")


def make_credentials(path: Path) -> Credentials:
    """Keys and people for every role the tests need, in the credentials file at
    `path` (the app reads it on the first request)."""
    keys = {
        role.value: provisioning.add_key(
            path,
            name=f"{role.value} (test)",
            role=role,
            unit_id="cgj" if role is Role.UNIT else None,
            channel_id="wechat" if role is Role.CHANNEL else None,
        )
        for role in Role
    }
    credentials = Credentials(keys=keys)
    for username in credentials.people:
        provisioning.add_user(
            path,
            username=username,
            password=PASSWORD,
            role=Role(username),
            unit_id="cgj" if username == "unit" else None,
        )
    return credentials


@pytest.fixture
def credentials(settings: AnalyticsSettings) -> Credentials:
    return make_credentials(settings.credentials_path())


@pytest.fixture
async def app(
    settings: AnalyticsSettings, credentials: Credentials
) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def app_projector(app: FastAPI) -> Projector:
    """Applies events into the running app's store with warning detection around
    the handlers, staging into the app's outbox, as the service's projection
    consumer does."""
    projector = Projector(app.state.runtime.sessions)
    runtime = app.state.runtime
    detector = WarningDetector(
        outbox=runtime.outbox,
        rules=load_warning_rules(
            app.state.context.reference, runtime.settings.warning_rules_file
        ),
    )
    projector.handlers = detector.wrap(projector.handlers)
    return projector


@pytest.fixture
async def client(
    app: FastAPI, credentials: Credentials
) -> AsyncIterator[httpx.AsyncClient]:
    """A client reading with a dashboard system's key."""
    async with dashboard_client(app, credentials) as http:
        yield http


@asynccontextmanager
async def dashboard_client(
    app: FastAPI, credentials: Credentials
) -> AsyncIterator[httpx.AsyncClient]:
    """A client reading `app` with a dashboard system's key."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://analytics",
        headers={"X-API-Key": credentials.keys["dashboard"]},
    ) as http:
        yield http


@pytest.fixture
async def anonymous(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client without credentials (a browser before signing in)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://analytics"
    ) as http:
        yield http


# --- the running service on the test broker ------------------------------------


@pytest.fixture
async def live_app(
    broker: str, topic_prefix: str, tmp_path: Path, credentials: Credentials
) -> AsyncIterator[FastAPI]:
    """The whole service, consuming from and publishing to this test's topics."""
    settings = AnalyticsSettings(
        database_url=f"sqlite:///{tmp_path / 'analytics-live.db'}",
        data_dir=tmp_path,
        kafka_bootstrap_servers=broker,
        topic_prefix=topic_prefix,
        topic_partitions=1,
        environment="test",
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def live_client(
    live_app: FastAPI, credentials: Credentials
) -> AsyncIterator[httpx.AsyncClient]:
    """A client reading the running service with a dashboard system's key (the
    same data folder as the `credentials` fixture's, so its keys work there)."""
    async with dashboard_client(live_app, credentials) as http:
        yield http


Publish = Callable[[Sequence[Step], str], Awaitable[None]]


@pytest.fixture
def publish(broker: str, topic_prefix: str) -> Publish:
    """Publishes steps onto this test's topics, each sealed as `producer` sent it
    at the step's instant."""

    async def publish_steps(steps: Sequence[Step], producer: str) -> None:
        publisher = KafkaPublisher(broker, client_id=f"analytics-test-{producer}")
        await publisher.start()
        try:
            await publisher.publish(
                [
                    OutgoingMessage(
                        topic=f"{topic_prefix}{data.topic}",
                        key=data.key(),
                        value=seal(data, producer=producer, occurred_at=at).to_bytes(),
                    )
                    for data, at in steps
                ]
            )
        finally:
            await publisher.stop()

    return publish_steps
