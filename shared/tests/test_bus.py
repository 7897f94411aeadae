"""The bus contract: outbox, relay, inbox and consumer on a real broker.

Every test runs against both stores, SQLite and PostgreSQL, so a service behaves the
same whichever it is given (style.md, habit 12).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from minsheng_common import db
from minsheng_common.bus.consumer import EventConsumer
from minsheng_common.bus.kafka import KafkaPublisher, OutgoingMessage, ensure_topics
from minsheng_common.bus.outbox import Outbox, mark_for_republish, wake_after_commit
from minsheng_common.bus.relay import OutboxRelay
from minsheng_common.bus.relay_lock import AdvisoryLock, FileLock, RelayLock
from minsheng_common.bus.tables import bus_metadata, inbox, outbox
from minsheng_common.clock import FixedClock
from minsheng_common.errors import InvalidInput
from minsheng_common.events import (
    AppealReceived,
    Envelope,
    EventData,
    TopicNames,
    open_envelope,
    read,
    seal,
)
from minsheng_common.events import topics as topic_names
from minsheng_common.ids import new_id

PARTITIONS = 3
T0 = datetime(2026, 10, 9, 1, 0, tzinfo=UTC)
# Long enough that anything published within a test's timeouts was woken, not polled.
IDLE_POLL = timedelta(seconds=60)

# A service's own state, changed in the same transactions as the bus tables.
state = MetaData()
notes = Table(
    "notes",
    state,
    Column("id", String(36), primary_key=True),
    Column("text", Text, nullable=False),
)
counters = Table(
    "counters",
    state,
    Column("name", String(50), primary_key=True),
    Column("value", Integer, nullable=False),
)


# --- helpers --------------------------------------------------------------------


async def eventually(
    check: Callable[[], bool | Awaitable[bool]], *, what: str, within: float = 20.0
) -> None:
    """Poll `check` until it is true; fail after `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}")
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def running(work: Coroutine[Any, Any, None]) -> AsyncIterator[asyncio.Task[None]]:
    """Run `work` as a task for the body of the block, then cancel it."""
    task = asyncio.ensure_future(work)
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def read_all(broker: str, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Every message the topic holds now, partition by partition, in offset order."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=broker,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord[bytes, bytes]] = []
        async with asyncio.timeout(15):
            # A fresh topic starts at offset 0: its end offset is its message count.
            while len(records) < sum(ends.values()):
                batch = await consumer.getmany(*partitions, timeout_ms=200)
                for chunk in batch.values():
                    records.extend(chunk)
    finally:
        await consumer.stop()
    return sorted(records, key=lambda record: (record.partition, record.offset))


def event_ids(records: Sequence[ConsumerRecord[bytes, bytes]]) -> list[str]:
    return [open_envelope(record.value).event_id for record in records]


def received(appeal_id: str, code: str) -> AppealReceived:
    return AppealReceived(
        appeal_id=appeal_id,
        tracking_code=code,
        channel="hotline-12345",
        channel_ref=f"call-{code}",
        appeal_type="complaint",
        received_at=T0,
    )


def fake_record(
    topic: str, envelope: Envelope, offset: int
) -> ConsumerRecord[Any, Any]:
    """A record as the broker would deliver it, for calling `apply` directly."""
    value = envelope.to_bytes()
    return ConsumerRecord(
        topic=topic,
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=envelope.key.encode(),
        value=value,
        checksum=None,
        serialized_key_size=len(envelope.key),
        serialized_value_size=len(value),
        headers=[],
    )


class CrashAfterPublish:
    """A publisher that hands messages to the broker, then "crashes" before the relay
    can mark them published."""

    def __init__(self, inner: KafkaPublisher) -> None:
        self._inner = inner

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        await self._inner.publish(messages)
        raise SimulatedCrash("process died after publishing, before marking")


class SimulatedCrash(Exception):
    pass


class WatchedLock:
    """A relay lock that records what each acquisition attempt answered."""

    def __init__(self, inner: RelayLock) -> None:
        self._inner = inner
        self.attempts: list[bool] = []

    async def try_acquire(self) -> bool:
        got = await self._inner.try_acquire()
        self.attempts.append(got)
        return got

    async def still_held(self) -> bool:
        return await self._inner.still_held()

    async def release(self) -> None:
        await self._inner.release()


@dataclass
class Bus:
    """One service's bus parts, wired the way `ServiceRuntime` wires them."""

    url: str
    broker: str
    topics: TopicNames
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: FixedClock
    outbox: Outbox
    publisher: KafkaPublisher
    relay: OutboxRelay = field(init=False)
    wakes: int = 0

    def __post_init__(self) -> None:
        self.relay = self.make_relay()

    @property
    def topic(self) -> str:
        return self.topics.name(topic_names.APPEALS)

    def wake(self) -> None:
        """What `wake_after_commit` calls: count, then wake the relay."""
        self.wakes += 1
        self.relay.wake()

    def new_lock(self) -> RelayLock:
        path = db.sqlite_path(self.url)
        if path is not None:
            return FileLock(path.with_suffix(".relay.lock"))
        return AdvisoryLock(self.engine, "minsheng-outbox-relay:demo")

    def make_relay(self, **changes: Any) -> OutboxRelay:
        options: dict[str, Any] = {
            "service": "demo",
            "sessions": self.sessions,
            "publisher": self.publisher,
            "lock": self.new_lock(),
            "clock": self.clock,
            "poll_interval": IDLE_POLL,
            "batch_size": 50,
            "outbox_retention": timedelta(hours=1),
            "inbox_retention": timedelta(hours=2),
        }
        options.update(changes)
        return OutboxRelay(**options)

    def make_consumer(self, handlers: dict[str, Any]) -> EventConsumer:
        return EventConsumer(
            name="counting",
            group_id=f"{self.topics.prefix}demo.counting",
            topics=[self.topic],
            bootstrap_servers=self.broker,
            sessions=self.sessions,
            handlers=handlers,
            publisher=self.publisher,
            clock=self.clock,
        )

    async def stage(self, *events: EventData) -> list[Envelope]:
        """Change state and stage `events` in one committed transaction."""
        async with self.sessions() as session, session.begin():
            await session.execute(insert(notes).values(id=new_id(), text="changed"))
            return [await self.outbox.stage(session, event) for event in events]

    async def scalar(self, statement: Any) -> Any:
        async with self.sessions() as session:
            return (await session.execute(statement)).scalar_one()

    async def count(self, table: Table) -> int:
        return int(await self.scalar(select(func.count()).select_from(table)))

    async def counter(self) -> int:
        return int(
            await self.scalar(select(counters.c.value).where(counters.c.name == "n"))
        )


async def count_application(
    session: AsyncSession, envelope: Envelope, data: Any
) -> None:
    """A consumer's state change: one more event applied."""
    if isinstance(data, AppealReceived) and data.tracking_code == "refused":
        raise InvalidInput("this event breaks a domain rule")
    await session.execute(
        update(counters)
        .where(counters.c.name == "n")
        .values(value=counters.c.value + 1)
    )


# --- fixtures -------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    create_database = request.getfixturevalue("create_database")
    return str(create_database("bus"))


@pytest.fixture
async def bus(store_url: str, broker: str, topic_prefix: str) -> AsyncIterator[Bus]:
    engine = db.make_engine(store_url)
    async with engine.begin() as connection:
        await connection.run_sync(bus_metadata.create_all)
        await connection.run_sync(state.create_all)
        await connection.execute(insert(counters).values(name="n", value=0))
    topics = TopicNames(topic_prefix)
    await ensure_topics(broker, topics.all_with_dead_letters(), partitions=PARTITIONS)
    session_class = type("DemoSession", (Session,), {})
    sessions = db.make_sessions(engine, sync_session_class=session_class)
    clock = FixedClock(T0)
    publisher = KafkaPublisher(broker, client_id="demo")
    await publisher.start()
    wired = Bus(
        url=store_url,
        broker=broker,
        topics=topics,
        engine=engine,
        sessions=sessions,
        clock=clock,
        outbox=Outbox(producer="demo", topics=topics, clock=clock),
        publisher=publisher,
    )
    wake_after_commit(session_class, wired.wake)
    try:
        yield wired
    finally:
        await publisher.stop()
        await engine.dispose()


# --- (a) publishing in order, and only what was committed -----------------------


async def test_committed_events_are_published_in_order(bus: Bus) -> None:
    appeal_id = new_id()
    staged = await bus.stage(*(received(appeal_id, f"T{i}") for i in range(5)))

    sent = await bus.relay.publish_batch()

    records = await read_all(bus.broker, bus.topic)
    assert sent == 5
    assert event_ids(records) == [envelope.event_id for envelope in staged]
    assert {record.key for record in records} == {appeal_id.encode()}
    assert [open_envelope(r.value) for r in records] == staged
    assert dict(records[0].headers)["event_type"] == b"appeal.received"
    assert await bus.relay.publish_batch() == 0


async def test_events_staged_together_are_published_in_order(bus: Bus) -> None:
    appeal_id = new_id()
    async with bus.sessions() as session, session.begin():
        await session.execute(insert(notes).values(id=new_id(), text="changed"))
        staged = await bus.outbox.stage_all(
            session, [received(appeal_id, f"T{i}") for i in range(5)]
        )

    sent = await bus.relay.publish_batch()

    records = await read_all(bus.broker, bus.topic)
    assert sent == 5
    assert event_ids(records) == [envelope.event_id for envelope in staged]
    assert [open_envelope(r.value) for r in records] == staged
    assert await bus.outbox.stage_all(session, []) == []


async def test_relay_publishes_in_batches_in_order(bus: Bus) -> None:
    relay = bus.make_relay(batch_size=2)
    staged = await bus.stage(*(received(new_id(), f"T{i}") for i in range(5)))

    sent = [await relay.publish_batch() for _ in range(4)]

    records = await read_all(bus.broker, bus.topic)
    assert sent == [2, 2, 1, 0]
    # Different appeals may land on different partitions; each keeps the order.
    position = {envelope.event_id: i for i, envelope in enumerate(staged)}
    for partition in {record.partition for record in records}:
        ids = event_ids([r for r in records if r.partition == partition])
        assert ids == sorted(ids, key=position.__getitem__)
    assert sorted(event_ids(records)) == sorted(position)


async def test_rolled_back_transaction_publishes_nothing(bus: Bus) -> None:
    appeal_id = new_id()
    async with bus.sessions() as session:
        await session.execute(insert(notes).values(id=new_id(), text="changed"))
        await bus.outbox.stage(session, received(appeal_id, "rolled-back"))
        await session.rollback()

    assert await bus.count(outbox) == 0
    assert await bus.count(notes) == 0
    assert await bus.relay.publish_batch() == 0

    # A later event of the same appeal (same partition) is the only one on the topic.
    [committed] = await bus.stage(received(appeal_id, "committed"))
    await bus.relay.publish_batch()
    assert event_ids(await read_all(bus.broker, bus.topic)) == [committed.event_id]


async def test_failing_transaction_publishes_nothing(bus: Bus) -> None:
    with pytest.raises(RuntimeError, match="refused"):
        async with bus.sessions() as session, session.begin():
            await bus.outbox.stage(session, received(new_id(), "failed"))
            raise RuntimeError("the state change was refused")

    assert await bus.count(outbox) == 0
    assert await bus.relay.publish_batch() == 0


# --- (b) the relay is woken by the commit ---------------------------------------


async def test_relay_is_woken_right_after_a_commit_that_staged_events(
    bus: Bus,
) -> None:
    relay = bus.relay
    idle = asyncio.Event()
    publish_batch = relay.publish_batch

    async def watched_publish_batch() -> int:
        sent = await publish_batch()
        if sent == 0:
            idle.set()
        return sent

    # Replace the bound method so the relay's own loop reports when it went idle.
    relay.publish_batch = watched_publish_batch  # type: ignore[method-assign]

    async with running(relay.run()):
        await asyncio.wait_for(idle.wait(), timeout=10)
        # Idle now, next poll in a minute: only a wake can publish sooner.
        assert bus.wakes == 0

        await bus.stage(received(new_id(), "woken"))

        assert bus.wakes == 1
        await eventually(
            lambda: relay.published_total == 1, what="the woken relay", within=10
        )


async def test_commit_without_staged_events_does_not_wake(bus: Bus) -> None:
    async with bus.sessions() as session, session.begin():
        await session.execute(insert(notes).values(id=new_id(), text="changed"))

    assert bus.wakes == 0


async def test_rolled_back_staging_does_not_wake_a_later_commit(bus: Bus) -> None:
    async with bus.sessions() as session:
        await bus.outbox.stage(session, received(new_id(), "rolled-back"))
        await session.rollback()
        await session.execute(insert(notes).values(id=new_id(), text="changed"))
        await session.commit()

    assert bus.wakes == 0


# --- (c) a crash between publishing and marking ---------------------------------


async def test_crash_between_publish_and_mark_publishes_again_and_applies_once(
    bus: Bus,
) -> None:
    [staged] = await bus.stage(received(new_id(), "crash"))
    crashing = bus.make_relay(publisher=CrashAfterPublish(bus.publisher))

    with pytest.raises(SimulatedCrash):
        await crashing.publish_batch()

    unpublished = select(func.count()).where(outbox.c.published_at.is_(None))
    assert await bus.scalar(unpublished) == 1
    assert await bus.relay.publish_batch() == 1
    assert await bus.scalar(unpublished) == 0
    assert event_ids(await read_all(bus.broker, bus.topic)) == [staged.event_id] * 2

    consumer = bus.make_consumer({"appeal.received": count_application})
    async with running(consumer.run()):
        await eventually(
            lambda: consumer.stats.applied + consumer.stats.duplicates == 2,
            what="both copies to be consumed",
        )

    assert (consumer.stats.applied, consumer.stats.duplicates) == (1, 1)
    assert await bus.counter() == 1
    assert await bus.count(inbox) == 1


async def test_crash_between_commit_and_publish_loses_nothing(bus: Bus) -> None:
    [staged] = await bus.stage(received(new_id(), "committed"))
    # The process dies right after the commit: its relay never ran, its
    # connections are gone.
    await bus.engine.dispose()

    engine = db.make_engine(bus.url)
    restarted = db.make_sessions(engine)
    relay = bus.make_relay(sessions=restarted)
    published = await relay.publish_batch()

    assert published == 1
    assert event_ids(await read_all(bus.broker, bus.topic)) == [staged.event_id]
    async with restarted() as session:
        left = await session.scalar(
            select(func.count()).where(outbox.c.published_at.is_(None))
        )
    await engine.dispose()
    assert left == 0


# --- (d) the inbox -------------------------------------------------------------


async def test_event_delivered_twice_is_applied_once(bus: Bus) -> None:
    consumer = bus.make_consumer({})
    envelope = seal(received(new_id(), "twice"), producer="intake", occurred_at=T0)
    data = read(envelope)

    first = await consumer.apply(
        fake_record(bus.topic, envelope, 7), envelope, data, count_application
    )
    # Re-published later: a new offset, the same event id.
    second = await consumer.apply(
        fake_record(bus.topic, envelope, 42), envelope, data, count_application
    )

    assert (first, second) == (True, False)
    assert await bus.counter() == 1
    async with bus.sessions() as session:
        row = (await session.execute(select(inbox))).one()
    assert (row.event_id, row.event_type, row.topic, row.offset) == (
        envelope.event_id,
        "appeal.received",
        bus.topic,
        7,
    )
    assert row.applied_at == T0


async def test_distinct_events_are_each_applied(bus: Bus) -> None:
    consumer = bus.make_consumer({})
    appeal_id = new_id()

    for offset, code in enumerate(["one", "two", "three"]):
        envelope = seal(received(appeal_id, code), producer="intake", occurred_at=T0)
        record = fake_record(bus.topic, envelope, offset)
        assert await consumer.apply(record, envelope, read(envelope), count_application)

    assert await bus.counter() == 3
    assert await bus.count(inbox) == 3


async def test_failed_handler_leaves_no_inbox_row(bus: Bus) -> None:
    consumer = bus.make_consumer({})
    envelope = seal(received(new_id(), "flaky"), producer="intake", occurred_at=T0)
    record = fake_record(bus.topic, envelope, 0)

    async def failing(session: AsyncSession, envelope: Envelope, data: Any) -> None:
        await count_application(session, envelope, data)
        raise RuntimeError("handler failed after changing state")

    with pytest.raises(RuntimeError, match="handler failed"):
        await consumer.apply(record, envelope, read(envelope), failing)

    # The change and the inbox row went back together: a retry applies it.
    assert await bus.count(inbox) == 0
    assert await bus.counter() == 0
    assert await consumer.apply(record, envelope, read(envelope), count_application)
    assert await bus.counter() == 1


async def test_concurrent_duplicates_are_applied_once(bus: Bus) -> None:
    consumer = bus.make_consumer({})
    envelope = seal(received(new_id(), "race"), producer="intake", occurred_at=T0)
    data = read(envelope)

    async def slow(session: AsyncSession, envelope: Envelope, data: Any) -> None:
        await count_application(session, envelope, data)
        await asyncio.sleep(0.1)

    results = await asyncio.gather(
        consumer.apply(fake_record(bus.topic, envelope, 1), envelope, data, slow),
        consumer.apply(fake_record(bus.topic, envelope, 2), envelope, data, slow),
    )

    assert sorted(results) == [False, True]
    assert await bus.counter() == 1


# --- (e) dead letters -----------------------------------------------------------


async def test_unreadable_messages_go_to_the_dead_letter_topic_and_the_next_is_applied(
    bus: Bus,
) -> None:
    appeal_id = new_id()
    newer_major = seal(
        received(appeal_id, "v2"), producer="intake", occurred_at=T0
    ).model_copy(update={"schema_version": "2.0"})
    broken = seal(received(appeal_id, "broken"), producer="intake", occurred_at=T0)
    broken = broken.model_copy(update={"data": {"appeal_id": appeal_id}})
    refused = seal(received(appeal_id, "refused"), producer="intake", occurred_at=T0)
    # A type this consumer has no handler for is skipped, not dead-lettered.
    unhandled = seal(
        received(appeal_id, "other"), producer="intake", occurred_at=T0
    ).model_copy(update={"type": "appeal.commented", "schema_version": "3.0"})
    good = seal(received(appeal_id, "good"), producer="intake", occurred_at=T0)
    values = [
        b"not json",
        newer_major.to_bytes(),
        broken.to_bytes(),
        refused.to_bytes(),
        unhandled.to_bytes(),
        good.to_bytes(),
    ]
    # One key, one partition: the good event comes after every bad one.
    await bus.publisher.publish(
        [OutgoingMessage(topic=bus.topic, key=appeal_id, value=v) for v in values]
    )
    consumer = bus.make_consumer({"appeal.received": count_application})

    async with running(consumer.run()):
        await eventually(
            lambda: consumer.stats.applied == 1, what="the good event after the bad"
        )

    dead = await read_all(bus.broker, bus.topics.dead_letter(bus.topic))
    reasons = [dict(record.headers)["dlq_reason"] for record in dead]
    assert [record.value for record in dead] == values[:4]
    assert reasons == [b"unreadable_event"] * 3 + [b"invalid_input"]
    assert all(record.key == appeal_id.encode() for record in dead)
    source = dict(dead[0].headers)["dlq_source"].decode()
    assert source.startswith(f"{bus.topic}/")
    assert consumer.stats.dead_lettered == 4
    assert consumer.stats.ignored == 1
    assert await bus.counter() == 1


# --- (f) one active relay per store ---------------------------------------------


async def test_relay_lock_is_exclusive(bus: Bus) -> None:
    first, second = bus.new_lock(), bus.new_lock()

    assert await first.try_acquire()
    try:
        assert not await second.try_acquire()
        assert await first.still_held()
    finally:
        await first.release()

    assert await second.try_acquire()
    await second.release()


async def test_only_one_of_two_relays_is_active(bus: Bus) -> None:
    active = bus.relay
    waiting_lock = WatchedLock(bus.new_lock())
    waiting = bus.make_relay(lock=waiting_lock)

    async with running(active.run()) as active_task:
        await eventually(lambda: active.active, what="the first relay to take the lock")
        async with running(waiting.run()):
            await eventually(
                lambda: bool(waiting_lock.attempts), what="the second to try"
            )
            assert waiting_lock.attempts[0] is False
            assert not waiting.active

            [staged] = await bus.stage(received(new_id(), "once"))
            await eventually(lambda: active.published_total == 1, what="publishing")

            assert waiting.published_total == 0
            assert event_ids(await read_all(bus.broker, bus.topic)) == [staged.event_id]

            # When the active relay stops, it frees the lock and the other takes over.
            active_task.cancel()
            await eventually(lambda: waiting.active, what="the standby to take over")

    assert True in waiting_lock.attempts


# --- (g) re-publishing and purging ----------------------------------------------


async def test_mark_for_republish_sends_retained_events_again(bus: Bus) -> None:
    appeal_id = new_id()
    [early] = await bus.stage(received(appeal_id, "early"))
    bus.clock.advance(timedelta(hours=1))
    middle, late = await bus.stage(
        received(appeal_id, "middle"), received(appeal_id, "late")
    )
    await bus.relay.publish_batch()
    [pending] = await bus.stage(received(appeal_id, "pending"))

    async with bus.sessions() as session:
        marked = await mark_for_republish(session, since=T0 + timedelta(minutes=30))
        await session.commit()

    assert marked == 2  # not `early` (too old), not `pending` (never sent)
    assert await bus.relay.publish_batch() == 3
    assert event_ids(await read_all(bus.broker, bus.topic)) == [
        early.event_id,
        middle.event_id,
        late.event_id,
        middle.event_id,
        late.event_id,
        pending.event_id,
    ]


async def test_purge_forgets_only_what_is_past_its_retention(bus: Bus) -> None:
    # Outbox retention 1 hour, inbox retention 2 hours (see Bus.make_relay).
    now = bus.clock.now()
    ages = {
        "published-long-ago": (now - timedelta(hours=3), now - timedelta(minutes=61)),
        "published-recently": (now - timedelta(hours=3), now - timedelta(minutes=59)),
        "never-published": (now - timedelta(days=30), None),
    }
    applied = {
        "applied-long-ago": now - timedelta(minutes=121),
        "applied-after-outbox-retention": now - timedelta(minutes=90),
        "applied-recently": now - timedelta(minutes=1),
    }
    async with bus.sessions() as session, session.begin():
        for name, (created_at, published_at) in ages.items():
            await session.execute(
                insert(outbox).values(
                    event_id=name,
                    event_type="appeal.received",
                    topic=bus.topic,
                    key="k",
                    payload="{}",
                    created_at=created_at,
                    published_at=published_at,
                )
            )
        for offset, (name, applied_at) in enumerate(applied.items()):
            await session.execute(
                insert(inbox).values(
                    event_id=name,
                    event_type="appeal.received",
                    topic=bus.topic,
                    partition=0,
                    offset=offset,
                    applied_at=applied_at,
                )
            )

    await bus.relay.purge()

    async with bus.sessions() as session:
        kept_outbox = set((await session.execute(select(outbox.c.event_id))).scalars())
        kept_inbox = set((await session.execute(select(inbox.c.event_id))).scalars())
    assert kept_outbox == {"published-recently", "never-published"}
    assert kept_inbox == {"applied-after-outbox-retention", "applied-recently"}
