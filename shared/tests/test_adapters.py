"""The machinery every channel adapter shares: the backoff between tries, the key
each channel's appeals go with, reading and signing a push, what the launcher
gives each adapter, and the delivery loop: it stops when told even as an item
wakes it, keeps intake's longest decision, and an answer it cannot keep refuses
only its own item (Art. 4, 5)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar, Literal, cast

import httpx
import pytest
import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase

from minsheng_common import db
from minsheng_common.adapters import push, queue, receipts
from minsheng_common.adapters.delivery import Backoff, Delivery
from minsheng_common.adapters.errors import WebhookNotConfigured
from minsheng_common.adapters.intake import IntakeClient, IntakeKey, IntakeKeys
from minsheng_common.adapters.settings import SingleChannelSettings
from minsheng_common.auth import webhooks
from minsheng_common.auth.provisioning import DevCredentials
from minsheng_common.clock import FixedClock
from minsheng_common.devstack.stack import ServiceSpec, Stack, StackConfig
from minsheng_common.errors import InvalidInput
from minsheng_common.runtime import ServiceRuntime

NOW = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)


def test_backoff_doubles_and_is_capped() -> None:
    backoff = Backoff(base_seconds=0.5, cap_seconds=30)

    delays = [backoff.delay(n).total_seconds() for n in (1, 2, 3, 6, 7, 50)]

    assert delays == [0.5, 1.0, 2.0, 16.0, 30.0, 30.0]


def test_each_channel_has_its_key_and_the_rest_the_default() -> None:
    keys = IntakeKeys(
        default=IntakeKey(None, "X_INTAKE_API_KEYS"),
        by_channel={"hotline-12345": IntakeKey("ms_k12345_s", 'X["12345"]')},
    )

    assert keys.for_channel("hotline-12345").value == "ms_k12345_s"
    assert keys.for_channel("hotline-12319").label == (
        "no key (X_INTAKE_API_KEYS is not set)"
    )
    assert keys.for_channel("hotline-12345").label == 'key k12345 (X["12345"])'


class Reading(BaseModel):
    meter: str = Field(pattern=r"^[A-Z0-9-]+$")
    values: list[int]


class BadReading(InvalidInput):
    code = "bad_reading"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"meter": "M-1", "values": [1, "x"]}', "values.1"),
        (b'{"meter": "m 1", "values": []}', "meter"),
        (b"[1, 2", "body"),
    ],
)
def test_a_pushed_body_is_refused_naming_the_field_at_fault(
    body: bytes, field: str
) -> None:
    with pytest.raises(BadReading) as refused:
        push.parse(Reading, body, error=BadReading)

    assert refused.value.field == field
    assert refused.value.status_code == 422


def test_signed_headers_carry_a_signature_the_channel_check_accepts() -> None:
    body = b'{"meter": "M-1", "values": [3]}'

    headers = push.signed_headers("s" * 40, body, at=NOW)

    assert webhooks.verify(
        secrets=["s" * 40],
        timestamp=headers[webhooks.TIMESTAMP_HEADER],
        signature=headers[webhooks.SIGNATURE_HEADER],
        body=body,
        now=NOW,
    )


def test_a_push_without_a_secret_is_not_configured() -> None:
    pushed = push.Pushed(body=b"{}", timestamp="1", signature="x", now=NOW)

    with pytest.raises(WebhookNotConfigured, match="X_WEBHOOK_SECRETS is not set"):
        push.verify(pushed, secrets=[], setting="X_WEBHOOK_SECRETS")


def test_each_adapters_receipts_table_gets_its_own_index() -> None:
    first, second = receipts.table_args(), receipts.table_args()

    assert first[0] is not second[0]
    assert first[0].name == second[0].name == "ix_webhook_receipts_received_at"


def test_the_launcher_gives_each_adapter_its_keys_and_intakes_address(
    tmp_path: Path,
) -> None:
    specs = tuple(
        ServiceSpec(name, f"minsheng_{name}", port, f"{name.upper()}_")
        for name, port in (("intake", 9001), ("hotline", 9012), ("aivideo", 9013))
    )
    stack = Stack(
        config=StackConfig(broker_port=9092, services=specs),
        data_dir=tmp_path,
        bootstrap_servers="127.0.0.1:9092",
    )
    channels = ["hotline-12345", "hotline-12319", "hotline-28339260", "ai-video"]
    stack.credentials = DevCredentials(
        keys={f"channel:{c}": f"ms_{c}_secret" for c in channels}, passwords={}
    )

    hotline = stack.environment_for(stack.config.spec("hotline"))
    aivideo = stack.environment_for(stack.config.spec("aivideo"))

    assert json.loads(hotline["HOTLINE_INTAKE_API_KEYS"]) == {
        "12345": "ms_hotline-12345_secret",
        "12319": "ms_hotline-12319_secret",
        "28339260": "ms_hotline-28339260_secret",
    }
    assert aivideo["AIVIDEO_INTAKE_API_KEY"] == "ms_ai-video_secret"
    assert hotline["HOTLINE_INTAKE_URL"] == "http://127.0.0.1:9001"
    assert aivideo["AIVIDEO_PORT"] == "9013"


def test_the_launcher_lets_notify_hand_answers_to_the_open311_server(
    tmp_path: Path,
) -> None:
    specs = tuple(
        ServiceSpec(name, f"minsheng_{name}", port, f"{name.upper()}_")
        for name, port in (
            ("notify", 9004),
            ("forum", 9011),
            ("aivideo", 9013),
            ("open311", 9016),
        )
    )
    stack = Stack(
        config=StackConfig(broker_port=9092, services=specs),
        data_dir=tmp_path,
        bootstrap_servers="127.0.0.1:9092",
    )

    notify = stack.environment_for(stack.config.spec("notify"))
    open311 = stack.environment_for(stack.config.spec("open311"))
    aivideo = stack.environment_for(stack.config.spec("aivideo"))
    forum = stack.environment_for(stack.config.spec("forum"))
    again = Stack(
        config=stack.config, data_dir=tmp_path, bootstrap_servers="127.0.0.1:9092"
    ).environment_for(stack.config.spec("notify"))

    assert json.loads(notify["NOTIFY_CHANNEL_REPLY_URLS"]) == {
        "open311": "http://127.0.0.1:9016/v1/answers/open311"
    }
    assert notify["NOTIFY_CHANNEL_REPLY_SECRET"] == open311["OPEN311_ANSWER_SECRETS"]
    assert json.loads(notify["NOTIFY_RECEIPT_SECRETS"]) == {
        "reply:open311": open311["OPEN311_NOTIFY_RECEIPT_SECRET"]
    }
    assert len(open311["OPEN311_ANSWER_SECRETS"]) >= 32
    assert open311["OPEN311_NOTIFY_URL"] == "http://127.0.0.1:9004"
    assert not any(name.startswith("AIVIDEO_ANSWER") for name in aivideo)
    # The forum answers no one here, but its answers route knows notify's secret.
    assert forum["FORUM_ANSWER_SECRETS"] == notify["NOTIFY_CHANNEL_REPLY_SECRET"]
    assert again["NOTIFY_CHANNEL_REPLY_SECRET"] == notify["NOTIFY_CHANNEL_REPLY_SECRET"]
    assert (tmp_path / "answer-secrets.json").stat().st_mode & 0o077 == 0


def test_the_launcher_makes_no_answer_secrets_where_nothing_answers(
    tmp_path: Path,
) -> None:
    specs = tuple(
        ServiceSpec(name, f"minsheng_{name}", port, f"{name.upper()}_")
        for name, port in (("notify", 9004), ("aivideo", 9013))
    )
    stack = Stack(
        config=StackConfig(broker_port=9092, services=specs),
        data_dir=tmp_path,
        bootstrap_servers="127.0.0.1:9092",
    )

    notify = stack.environment_for(stack.config.spec("notify"))
    stack.environment_for(stack.config.spec("aivideo"))

    assert "NOTIFY_CHANNEL_REPLY_URLS" not in notify
    assert not (tmp_path / "answer-secrets.json").exists()


def test_the_launcher_wires_the_answers_of_each_forum_with_a_reply_url(
    tmp_path: Path,
) -> None:
    specs = tuple(
        ServiceSpec(name, f"minsheng_{name}", port, f"{name.upper()}_")
        for name, port in (("notify", 9004), ("forum", 9011))
    )
    sources = [
        {
            "name": "sz",
            "channel": "forum-shenzhen",
            "feed_url": "http://f/a",
            "reply_url": "http://f/r",
        },
        {"name": "jz", "channel": "forum-jiazaipingshan", "feed_url": "http://f/b"},
    ]
    stack = Stack(
        config=StackConfig(broker_port=9092, services=specs),
        data_dir=tmp_path,
        bootstrap_servers="127.0.0.1:9092",
        common_env={
            "FORUM_SOURCES": json.dumps(sources),
            "NOTIFY_RECEIPT_SECRETS": json.dumps({"sms": "the-sms-gateways-secret"}),
        },
    )
    channels = ["forum-people", "forum-shenzhen", "forum-jiazaipingshan"]
    stack.credentials = DevCredentials(
        keys={f"channel:{c}": f"ms_{c}_secret" for c in channels}, passwords={}
    )

    notify = stack.environment_for(stack.config.spec("notify"))
    forum = stack.environment_for(stack.config.spec("forum"))

    assert json.loads(notify["NOTIFY_CHANNEL_REPLY_URLS"]) == {
        "forum-shenzhen": "http://127.0.0.1:9011/v1/answers/forum-shenzhen"
    }
    receipts_ = json.loads(notify["NOTIFY_RECEIPT_SECRETS"])
    assert receipts_["sms"] == "the-sms-gateways-secret"
    assert receipts_["reply:forum-shenzhen"] == forum["FORUM_NOTIFY_RECEIPT_SECRET"]
    assert forum["FORUM_ANSWER_SECRETS"] == notify["NOTIFY_CHANNEL_REPLY_SECRET"]
    assert json.loads(forum["FORUM_INTAKE_API_KEYS"]) == {
        "forum-jiazaipingshan": "ms_forum-jiazaipingshan_secret",
        "forum-shenzhen": "ms_forum-shenzhen_secret",
    }


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: db.UTCDateTime()}


class TrialItem(queue.QueueItem, Base):
    """An adapter's queue as the shared columns make it; one appeal per item, as
    the Open311 server's requests are."""

    __tablename__ = "trial_items"
    __table_args__ = (
        sa.UniqueConstraint("appeal_id", name="uq_trial_items_appeal_id"),
        *queue.indexes("trial_items"),
    )


LOG = "trial.delivery"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'trial.db'}"
    create_database: Callable[[str], str] = request.getfixturevalue("create_database")
    return create_database("adapter-queue")


@pytest.fixture
async def sessions(store_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A store whose queue table is built by `queue.columns()`, as the adapters'
    migrations build theirs."""
    engine = db.make_engine(store_url)
    table = sa.Table(
        "trial_items",
        sa.MetaData(),
        *queue.columns(),
        sa.UniqueConstraint("appeal_id", name="uq_trial_items_appeal_id"),
    )
    async with engine.begin() as connection:
        await connection.run_sync(table.create)
    yield db.make_sessions(engine)
    await engine.dispose()


async def stored(
    sessions: async_sessionmaker[AsyncSession], *refs: str
) -> list[TrialItem]:
    """Items for `refs` queued in one source, in that order."""
    async with sessions() as session:
        items = [
            await queue.enqueue(
                session,
                TrialItem,
                source="trial",
                payload={"channel": "trial", "channel_ref": ref},
                now=NOW,
            )
            for ref in refs
        ]
        await session.commit()
    return items


def answer(
    ref: str,
    *,
    appeal_id: str | None = None,
    tracking_code: str = "MS20261204000001",
    decision: str = "filed",
) -> dict[str, Any]:
    """Intake's 201 body for the appeal sent with channel reference `ref`."""
    return {
        "id": appeal_id or f"appeal-{ref}",
        "tracking_code": tracking_code,
        "decision": {"status": decision},
    }


@contextlib.asynccontextmanager
async def intake_answering(
    answers: dict[str, dict[str, Any]],
) -> AsyncIterator[IntakeClient]:
    """Intake as the delivery calls it, answering 201 with `answers[channel_ref]`."""

    def submit(request: httpx.Request) -> httpx.Response:
        ref = json.loads(request.content)["channel_ref"]
        return httpx.Response(201, json=answers[ref])

    async with httpx.AsyncClient(
        transport=httpx.MockTransport(submit), base_url="http://intake"
    ) as http:
        yield IntakeClient(http, keys=IntakeKeys(IntakeKey(None, "TRIAL_KEY")))


async def deliver(
    sessions: async_sessionmaker[AsyncSession], answers: dict[str, dict[str, Any]]
) -> int:
    """One pass of the delivery over everything due."""
    delivery = Delivery(model=TrialItem, log=logging.getLogger(LOG))
    async with intake_answering(answers) as intake:
        return await delivery.deliver_ready(
            sessions=sessions,
            intake=intake,
            clock=FixedClock(NOW),
            backoff=Backoff(base_seconds=0.1, cap_seconds=1),
        )


async def settled(sessions: async_sessionmaker[AsyncSession]) -> list[TrialItem]:
    async with sessions() as session:
        rows = await session.scalars(sa.select(TrialItem).order_by(TrialItem.position))
        return list(rows)


@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
async def test_intakes_pending_classification_decision_is_recorded(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    [item] = await stored(sessions, "P1")

    count = await deliver(
        sessions, {"P1": answer("P1", decision="pending_classification")}
    )

    [row] = await settled(sessions)
    assert count == 1
    assert (row.id, row.status) == (item.id, "delivered")
    assert row.decision == "pending_classification"


async def test_an_answer_too_long_to_keep_refuses_only_its_item(
    sessions: async_sessionmaker[AsyncSession], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=LOG)
    long_id, long_code, fine = await stored(sessions, "L1", "L2", "L3")

    count = await deliver(
        sessions,
        {
            "L1": answer("L1", appeal_id="a" * 37),
            "L2": answer("L2", tracking_code="MS" + "0" * 31),
            "L3": answer("L3"),
        },
    )

    rows = await settled(sessions)
    assert count == 3, "the items behind the overlong answers went on"
    assert [row.status for row in rows] == ["refused", "refused", "delivered"]
    assert rows[2].appeal_id == "appeal-L3"
    assert rows[0].last_error == (
        "intake answered 201, but its appeal_id has 37 characters; the queue "
        "keeps at most 36"
    )
    assert rows[1].last_error is not None
    assert "its tracking_code has 33 characters" in rows[1].last_error
    assert (rows[0].appeal_id, rows[0].answer_status) == (None, 201)
    assert all(row.next_attempt_at is None for row in rows)
    warned = [
        record.getMessage()
        for record in caplog.records
        if record.name == LOG and record.levelno == logging.WARNING
    ]
    assert [message for message in warned if long_id.id in message]
    assert [message for message in warned if long_code.id in message]
    assert not [message for message in warned if fine.id in message]


async def test_an_answer_the_store_refuses_refuses_only_its_item(
    sessions: async_sessionmaker[AsyncSession], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=LOG)
    first, twin, last = await stored(sessions, "U1", "U2", "U3")

    # Intake names for U2 the appeal it named for U1: the table's one appeal per
    # item refuses the write.
    count = await deliver(
        sessions,
        {
            "U1": answer("U1"),
            "U2": answer("U2", appeal_id="appeal-U1"),
            "U3": answer("U3"),
        },
    )

    rows = await settled(sessions)
    assert count == 3
    assert [row.status for row in rows] == ["delivered", "refused", "delivered"]
    assert rows[1].appeal_id is None
    assert rows[1].answer_status == 201
    assert rows[1].last_error is not None
    assert rows[1].last_error.startswith("the store refused intake's answer: ")
    assert "appeal_id" in rows[1].last_error
    assert "U2" not in rows[1].last_error, "no statement or parameters"
    warned = [
        record.getMessage()
        for record in caplog.records
        if record.name == LOG and record.levelno == logging.WARNING
    ]
    assert len(warned) == 1
    assert twin.id in warned[0]
    assert first.id not in warned[0] and last.id not in warned[0]


class WatchedEvent(asyncio.Event):
    """The loop's wake-up, telling when the loop has begun to wait on it."""

    def __init__(self) -> None:
        super().__init__()
        self.awaited = asyncio.Event()

    async def wait(self) -> Literal[True]:
        self.awaited.set()
        return await super().wait()


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
async def test_the_loop_stops_when_cancelled_as_an_item_wakes_it(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    wake = WatchedEvent()
    delivery = Delivery(model=TrialItem, log=logging.getLogger(LOG), wake=wake)
    settings = SingleChannelSettings(data_dir=tmp_path, delivery_poll_seconds=5)
    runtime = SimpleNamespace(
        settings=settings, sessions=sessions, clock=FixedClock(NOW)
    )
    loop = asyncio.create_task(delivery.deliver_due(cast(ServiceRuntime, runtime)))
    await asyncio.wait_for(wake.awaited.wait(), 5)

    # An item stored as the service stops: the wake-up and the cancellation come
    # in the same turn of the event loop.
    wake.set()
    loop.cancel()
    done, _ = await asyncio.wait({loop}, timeout=2)

    try:
        assert loop in done, "the loop went on after it was cancelled"
        assert loop.cancelled()
    finally:
        loop.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loop
