"""What `/metrics` tells: each family counted where the thing happens, in a registry
of its own per service."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from fastapi import APIRouter, FastAPI
from prometheus_client.parser import text_string_to_metric_families
from pydantic_settings import SettingsConfigDict
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import metrics, web
from minsheng_common.bus.kafka import KafkaPublisher, OutgoingMessage, ensure_topics
from minsheng_common.bus.tables import bus_metadata, outbox
from minsheng_common.devstack.broker import free_port
from minsheng_common.errors import NotFound
from minsheng_common.events import AppealReceived, Envelope, TopicNames, seal
from minsheng_common.ids import new_id
from minsheng_common.runtime import ConsumerSpec, ServiceRuntime
from minsheng_common.settings import ServiceSettings

T0 = datetime(2026, 10, 9, 1, 0, tzinfo=UTC)


class DemoSettings(ServiceSettings):
    service_name: ClassVar[str] = "demo"
    model_config = SettingsConfigDict(env_prefix="DEMO_", extra="ignore")


router = APIRouter()


@router.get("/notes/{note_id}")
async def read_note(note_id: str) -> dict[str, str]:
    if note_id == "missing":
        raise NotFound("no such note")
    return {"id": note_id}


@router.get("/broken")
async def broken() -> None:
    raise RuntimeError("a bug")


class Recorder:
    """A publisher that keeps what it was given instead of sending it."""

    def __init__(self) -> None:
        self.sent: list[OutgoingMessage] = []

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        self.sent.extend(messages)


def samples(registry_owner: metrics.ServiceMetrics) -> dict[tuple[Any, ...], float]:
    """Every sample of the exposition, keyed by name and sorted label pairs, read
    back with Prometheus' own parser."""
    text = registry_owner.exposition().decode("utf-8")
    found: dict[tuple[Any, ...], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, *sorted(sample.labels.items()))] = sample.value
    return found


def value(
    registry_owner: metrics.ServiceMetrics, name: str, **labels: str
) -> float | None:
    return samples(registry_owner).get((name, *sorted(labels.items())))


def settings_for(tmp_path: Path, **changes: Any) -> DemoSettings:
    options: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_path / 'demo.db'}",
        "data_dir": tmp_path,
        "kafka_bootstrap_servers": f"127.0.0.1:{free_port()}",
    }
    options.update(changes)
    return DemoSettings(**options)


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[ServiceRuntime]:
    """A service's runtime on a SQLite store with the bus tables, not started."""
    built = ServiceRuntime(settings=settings_for(tmp_path))
    async with built.engine.begin() as connection:
        await connection.run_sync(bus_metadata.create_all)
    yield built
    await built.engine.dispose()


@contextlib.asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        # An error that escapes the app is answered 500 by Starlette, then raised
        # again for the server's log; the client here takes the answer.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as c:
            yield c


def app_of(runtime: ServiceRuntime) -> FastAPI:
    return web.create_app(
        title="Demo", description="demo", runtime=runtime, routers=[router]
    )


def received(appeal_id: str, code: str) -> AppealReceived:
    return AppealReceived(
        appeal_id=appeal_id,
        tracking_code=code,
        channel="hotline-12345",
        channel_ref=f"call-{code}",
        appeal_type="complaint",
        received_at=T0,
    )


def record_of(topic: str, value: bytes, offset: int, **headers: str) -> ConsumerRecord:
    return ConsumerRecord(
        topic=topic,
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=b"k",
        value=value,
        checksum=None,
        serialized_key_size=1,
        serialized_value_size=len(value),
        headers=[(name, text.encode()) for name, text in headers.items()],
    )


async def eventually(
    check: Callable[[], bool | Awaitable[bool]], within: float = 30.0
) -> None:
    """Poll `check` until it is true; fail after `within` seconds."""
    async with asyncio.timeout(within):
        while True:
            result = check()
            if inspect.isawaitable(result):
                result = await result
            if result:
                return
            await asyncio.sleep(0.05)


async def stage(runtime: ServiceRuntime, *events: AppealReceived) -> None:
    async with runtime.sessions() as session, session.begin():
        for event in events:
            await runtime.outbox.stage(session, event)


# --- HTTP ------------------------------------------------------------------------


async def test_requests_are_counted_by_route_template_and_status(
    runtime: ServiceRuntime,
) -> None:
    async with serving(app_of(runtime)) as client:
        for path in ("/notes/a1", "/notes/b2", "/notes/missing", "/no/such/path"):
            await client.get(path)

    counted = runtime.metrics
    name = "minsheng_http_requests_total"
    assert (
        value(counted, name, method="GET", route="/notes/{note_id}", status="200") == 2
    )
    assert (
        value(counted, name, method="GET", route="/notes/{note_id}", status="404") == 1
    )
    assert value(counted, name, method="GET", route="unmatched", status="404") == 1
    # A path is never a label: ids and probes' paths stay out of the series.
    assert b"a1" not in counted.exposition()
    assert b"/no/such/path" not in counted.exposition()


async def test_an_error_escaping_the_app_is_counted_as_500(
    runtime: ServiceRuntime,
) -> None:
    async with serving(app_of(runtime)) as client:
        answer = await client.get("/broken")

    assert answer.status_code == 500
    assert (
        value(
            runtime.metrics,
            "minsheng_http_requests_total",
            method="GET",
            route="/broken",
            status="500",
        )
        == 1
    )


async def test_latency_is_a_histogram_per_route(runtime: ServiceRuntime) -> None:
    async with serving(app_of(runtime)) as client:
        for _ in range(3):
            await client.get("/notes/x")

    name = "minsheng_http_request_duration_seconds"
    labels = {"method": "GET", "route": "/notes/{note_id}"}
    assert value(runtime.metrics, f"{name}_count", **labels) == 3
    assert value(runtime.metrics, f"{name}_bucket", **labels, le="+Inf") == 3
    total = value(runtime.metrics, f"{name}_sum", **labels)
    assert total is not None and total > 0


async def test_the_endpoint_is_open_and_speaks_the_prometheus_format(
    runtime: ServiceRuntime,
) -> None:
    async with serving(app_of(runtime)) as client:
        answer = await client.get("/metrics")

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    families = {f.name for f in text_string_to_metric_families(answer.text)}
    assert {
        "minsheng_http_requests",
        "minsheng_events_published",
        "minsheng_events_consumed",
        "minsheng_events_dead_lettered",
        "minsheng_consumer_lag",
        "minsheng_outbox_backlog",
        "minsheng_outbox_oldest_unpublished_age_seconds",
    } <= families
    assert ("GET", "/metrics") not in web.guarded_routes(app_of(runtime))


async def test_a_scrape_answers_while_the_store_is_down(tmp_path: Path) -> None:
    down = ServiceRuntime(
        settings=settings_for(
            tmp_path,
            database_url=f"postgresql://nobody@127.0.0.1:{free_port()}/none",
        )
    )
    async with serving(app_of(down)) as client:
        answer = await client.get("/metrics")

    assert answer.status_code == 200
    assert value(down.metrics, "minsheng_metrics_sample_failures_total") == 1


# --- the outbox and the relay ------------------------------------------------------


async def test_published_events_are_counted_by_topic_and_type(
    runtime: ServiceRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = Recorder()
    monkeypatch.setattr(runtime.publisher, "publish", recorder.publish)
    await stage(runtime, received(new_id(), "a"), received(new_id(), "b"))

    assert await runtime.relay.publish_batch() == 2

    assert len(recorder.sent) == 2
    assert (
        value(
            runtime.metrics,
            "minsheng_events_published_total",
            topic="appeals",
            type="appeal.received",
        )
        == 2
    )


async def test_an_event_the_broker_refused_is_not_counted_as_published(
    runtime: ServiceRuntime,
) -> None:
    await stage(runtime, received(new_id(), "a"))

    with pytest.raises(Exception, match="not connected"):
        await runtime.relay.publish_batch()

    assert value(
        runtime.metrics,
        "minsheng_events_published_total",
        topic="appeals",
        type="appeal.received",
    ) in (None, 0)


async def test_backlog_and_age_of_the_oldest_unpublished_event(
    runtime: ServiceRuntime,
) -> None:
    await stage(runtime, received(new_id(), "a"), received(new_id(), "b"))
    async with runtime.sessions() as session:
        await session.execute(update(outbox).values(created_at=T0))
        await session.commit()

    async with runtime.sessions() as session:
        await metrics.sample_outbox(
            runtime.metrics, session, T0 + timedelta(seconds=90)
        )
    assert value(runtime.metrics, "minsheng_outbox_backlog") == 2
    assert (
        value(runtime.metrics, "minsheng_outbox_oldest_unpublished_age_seconds") == 90
    )

    async with runtime.sessions() as session:
        await session.execute(update(outbox).values(published_at=T0))
        await session.commit()
        await metrics.sample_outbox(
            runtime.metrics, session, T0 + timedelta(seconds=120)
        )
    assert value(runtime.metrics, "minsheng_outbox_backlog") == 0
    assert value(runtime.metrics, "minsheng_outbox_oldest_unpublished_age_seconds") == 0


async def test_the_relay_holding_the_lock_says_so(runtime: ServiceRuntime) -> None:
    assert value(runtime.metrics, "minsheng_outbox_relay_active") == 0
    task = asyncio.ensure_future(runtime.relay.run())
    try:
        await eventually(lambda: runtime.relay.active)
        assert value(runtime.metrics, "minsheng_outbox_relay_active") == 1
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    assert value(runtime.metrics, "minsheng_outbox_relay_active") == 0


async def test_observers_see_committed_events_only(runtime: ServiceRuntime) -> None:
    seen: list[str] = []
    runtime.outbox.observe(lambda data: seen.append(data.tracking_code))  # type: ignore[attr-defined]

    await stage(runtime, received(new_id(), "kept"))
    async with runtime.sessions() as session:
        await runtime.outbox.stage(session, received(new_id(), "rolled-back"))
        await session.rollback()
    async with runtime.sessions() as session, session.begin():
        await runtime.outbox.stage_all(
            session, [received(new_id(), "x"), received(new_id(), "y")]
        )

    assert seen == ["kept", "x", "y"]


# --- consumers --------------------------------------------------------------------


def consumer_of(runtime: ServiceRuntime, recorder: Recorder, handlers: Any) -> Any:
    runtime.add_consumer(
        ConsumerSpec(name="demo", topics=["appeals"], handlers=handlers)
    )
    consumer = runtime.event_consumers[-1]
    consumer._publisher = recorder  # dead letters go to the recorder
    return consumer


async def test_consumed_events_are_counted_by_topic_type_and_outcome(
    runtime: ServiceRuntime,
) -> None:
    async def apply(_session: AsyncSession, _envelope: Envelope, _data: Any) -> None:
        return None

    recorder = Recorder()
    consumer = consumer_of(runtime, recorder, {"appeal.received": apply})
    event = seal(received(new_id(), "c"), producer="intake", occurred_at=T0)
    unhandled = event.model_copy(update={"event_id": new_id(), "type": "appeal.held"})

    await consumer._process(record_of("appeals", event.to_bytes(), 0))
    await consumer._process(record_of("appeals", event.to_bytes(), 1))
    await consumer._process(record_of("appeals", unhandled.to_bytes(), 2))
    await consumer._process(
        record_of("appeals", b"not json", 3, event_type="appeal.received")
    )

    name = "minsheng_events_consumed_total"
    counted = runtime.metrics
    kind = {"topic": "appeals", "type": "appeal.received"}
    assert value(counted, name, **kind, outcome="applied") == 1
    assert value(counted, name, **kind, outcome="duplicate") == 1
    assert value(counted, name, **kind, outcome="dead_lettered") == 1
    assert (
        value(counted, name, topic="appeals", type="appeal.held", outcome="ignored")
        == 1
    )


async def test_dead_letters_are_counted_by_topic_and_reason(
    runtime: ServiceRuntime,
) -> None:
    recorder = Recorder()
    consumer = consumer_of(runtime, recorder, {})

    for offset in range(2):
        await consumer._process(record_of("appeals", b"{", offset))

    assert [message.topic for message in recorder.sent] == ["appeals.dlq"] * 2
    assert (
        value(
            runtime.metrics,
            "minsheng_events_dead_lettered_total",
            topic="appeals",
            reason="unreadable_event",
        )
        == 2
    )
    # An unreadable message has no type to trust: one label for all of them.
    assert (
        value(
            runtime.metrics,
            "minsheng_events_consumed_total",
            topic="appeals",
            type="other",
            outcome="dead_lettered",
        )
        == 2
    )


def test_a_type_outside_the_catalogue_is_one_label() -> None:
    assert metrics.event_type_label("appeal.filed") == "appeal.filed"
    assert metrics.event_type_label("x" * 200) == metrics.OTHER_TYPE
    assert metrics.event_type_label(None) == metrics.OTHER_TYPE


async def test_consumer_lag_is_end_offset_minus_committed_offset(
    tmp_path: Path, broker: str, topic_prefix: str
) -> None:
    settings = settings_for(
        tmp_path, kafka_bootstrap_servers=broker, topic_prefix=topic_prefix
    )
    runtime = ServiceRuntime(settings=settings)
    async with runtime.engine.begin() as connection:
        await connection.run_sync(bus_metadata.create_all)
    topic = TopicNames(topic_prefix).name("appeals")
    await ensure_topics(broker, [topic], partitions=1)
    publisher = KafkaPublisher(broker, client_id="lag-test")
    await publisher.start()
    appeal_id = new_id()
    events = [
        seal(received(appeal_id, f"L{i}"), producer="intake", occurred_at=T0)
        for i in range(4)
    ]
    await publisher.publish(
        [OutgoingMessage(topic, appeal_id, e.to_bytes()) for e in events]
    )
    await publisher.stop()
    runtime.add_consumer(ConsumerSpec(name="lag", topics=["appeals"], handlers={}))
    consumer = runtime.event_consumers[-1]
    assert await consumer.lag() == {}  # not connected: nothing to say

    # What `run` holds while it reads, assigned by hand: joining a group would
    # cost the broker's rebalance delay, and the end-to-end run scrapes a real one.
    reader = AIOKafkaConsumer(
        bootstrap_servers=broker,
        group_id=consumer.group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await reader.start()
    partition = TopicPartition(topic, 0)
    reader.assign([partition])
    try:
        await reader.getmany(partition, timeout_ms=2000)
        consumer._live = reader
        assert await consumer.lag() == {(topic, 0): 4}
        await runtime.sample_metrics()
        labels = {"group": consumer.group_id, "topic": topic, "partition": "0"}
        assert value(runtime.metrics, "minsheng_consumer_lag", **labels) == 4

        await reader.commit({partition: 3})
        assert await consumer.lag() == {(topic, 0): 1}
    finally:
        consumer._live = None
        await reader.stop()
        await runtime.engine.dispose()


def test_lag_of_a_partition_that_moved_away_is_dropped() -> None:
    counted = metrics.ServiceMetrics()

    counted.set_lag("g", {("appeals", 0): 3, ("appeals", 1): 5})
    counted.set_lag("h", {("appeals", 0): 7})
    counted.set_lag("g", {("appeals", 1): 0})

    lag = "minsheng_consumer_lag"
    assert value(counted, lag, group="g", topic="appeals", partition="0") is None
    assert value(counted, lag, group="g", topic="appeals", partition="1") == 0
    assert value(counted, lag, group="h", topic="appeals", partition="0") == 7


# --- the service's own families and samplers ---------------------------------------


async def test_samplers_run_at_a_scrape_at_most_every_few_seconds(
    runtime: ServiceRuntime,
) -> None:
    due = runtime.metrics.gauge("demo_due", "things due", ("kind",))
    reads: list[datetime] = []

    async def sample_due(_session: AsyncSession, now: datetime) -> None:
        reads.append(now)
        due.labels("sign_off").set(len(reads))

    runtime.add_sampler(sample_due)
    await runtime.sample_metrics()
    await runtime.sample_metrics()

    assert len(reads) == 1
    assert value(runtime.metrics, "demo_due", kind="sign_off") == 1


def test_a_family_is_made_once_per_service_and_services_do_not_collide(
    tmp_path: Path,
) -> None:
    first = ServiceRuntime(settings=settings_for(tmp_path / "a"))
    second = ServiceRuntime(settings=settings_for(tmp_path / "b"))

    fired = first.metrics.counter("demo_fired", "fired", ("kind",))
    assert first.metrics.counter("demo_fired", "fired", ("kind",)) is fired
    other = second.metrics.counter("demo_fired", "fired", ("kind",))
    fired.labels("handling").inc()

    assert other is not fired
    assert value(first.metrics, "demo_fired_total", kind="handling") == 1
    assert value(second.metrics, "demo_fired_total", kind="handling") is None
