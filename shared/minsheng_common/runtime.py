"""A service's moving parts, started and stopped together: store, broker connection,
outbox relay, consumers and background loops."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from minsheng_common import db, metrics, migrations
from minsheng_common.bus.consumer import EventConsumer, Handler
from minsheng_common.bus.kafka import KafkaPublisher, ensure_topics
from minsheng_common.bus.outbox import Outbox, mark_for_republish, wake_after_commit
from minsheng_common.bus.relay import OutboxRelay
from minsheng_common.bus.relay_lock import AdvisoryLock, FileLock, RelayLock
from minsheng_common.clock import Clock, clock_from_file
from minsheng_common.errors import MinshengError
from minsheng_common.events import TopicNames
from minsheng_common.settings import ServiceSettings

log = logging.getLogger(__name__)

Background = Callable[["ServiceRuntime"], Awaitable[None]]

# A scrape reads the store and the broker at most this often; scrapes in between
# (several Prometheus servers, a person reloading) get the last figures.
_SAMPLE_EVERY_SECONDS = 2.0
_SAMPLE_TIMEOUT_SECONDS = 5.0


@dataclass
class ConsumerSpec:
    """One consumer group of a service: which topics, which handlers."""

    name: str
    topics: Sequence[str]
    handlers: Mapping[str, Handler]


@dataclass
class ServiceRuntime:
    """Everything a running service shares between its routes and its consumers."""

    settings: ServiceSettings
    script_location: str | None = None
    consumers: Sequence[ConsumerSpec] = ()
    background: Sequence[Background] = ()
    clock: Clock = field(init=False)
    topics: TopicNames = field(init=False)
    extras: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        settings = self.settings
        self.name = settings.service_name
        self.clock = clock_from_file(settings.clock_file)
        self.topics = TopicNames(settings.topic_prefix)
        self.url = settings.store_url()
        self.engine = db.make_engine(self.url)
        session_class = type(f"{self.name.title()}Session", (Session,), {})
        self.sessions = db.make_sessions(self.engine, sync_session_class=session_class)
        self.metrics = metrics.ServiceMetrics()
        self.samplers: list[metrics.Sampler] = []
        self._sampled_at = -_SAMPLE_EVERY_SECONDS
        self._sampling = asyncio.Lock()
        self.outbox = Outbox(producer=self.name, topics=self.topics, clock=self.clock)
        self.publisher = KafkaPublisher(
            settings.kafka_bootstrap_servers, client_id=self.name
        )
        self.relay = OutboxRelay(
            service=self.name,
            sessions=self.sessions,
            publisher=self.publisher,
            lock=self._relay_lock(),
            clock=self.clock,
            poll_interval=timedelta(milliseconds=settings.relay_poll_ms),
            batch_size=settings.relay_batch_size,
            outbox_retention=timedelta(hours=settings.outbox_retention_hours),
            inbox_retention=timedelta(hours=settings.inbox_retention_hours),
            metrics=self.metrics,
        )
        wake_after_commit(session_class, self.relay.wake)
        self.event_consumers = [self._consumer(spec) for spec in self.consumers]
        self._tasks: list[asyncio.Task[None]] = []

    def add_consumer(self, spec: ConsumerSpec) -> None:
        """Add a consumer group before the runtime starts; handlers usually need the
        runtime's outbox and clock, so they are built after the runtime."""
        self.event_consumers.append(self._consumer(spec))

    def _consumer(self, spec: ConsumerSpec) -> EventConsumer:
        settings = self.settings
        return EventConsumer(
            name=spec.name,
            group_id=f"{settings.topic_prefix}{self.name}.{spec.name}",
            topics=[self.topics.name(topic) for topic in spec.topics],
            bootstrap_servers=settings.kafka_bootstrap_servers,
            sessions=self.sessions,
            handlers=spec.handlers,
            publisher=self.publisher,
            clock=self.clock,
            metrics=self.metrics,
        )

    def add_sampler(self, sampler: metrics.Sampler) -> None:
        """Read a figure of the service's own store into a gauge at each scrape
        (such as sla's deadlines due and not yet reached)."""
        self.samplers.append(sampler)

    async def sample_metrics(self) -> None:
        """Refresh the gauges read from the store and the broker (outbox backlog,
        the service's own samplers, consumer lag) before a scrape, at most every
        couple of seconds. Store and broker are read apart, so an outage of one
        leaves the other's figures fresh; a failure keeps the last figures and is
        counted."""
        async with self._sampling:
            if time.monotonic() - self._sampled_at < _SAMPLE_EVERY_SECONDS:
                return
            for part in (self._sample_store, self._sample_lag):
                try:
                    async with asyncio.timeout(_SAMPLE_TIMEOUT_SECONDS):
                        await part()
                except Exception as error:
                    # A scrape answers whatever the store or the broker does: the
                    # failure is itself a figure.
                    self.metrics.sample_failures.inc()
                    log.warning("%s: metrics not sampled: %r", self.name, error)
            self._sampled_at = time.monotonic()

    async def _sample_store(self) -> None:
        now = self.clock.now()
        async with self.sessions() as session:
            await metrics.sample_outbox(self.metrics, session, now)
            for sampler in self.samplers:
                await sampler(session, now)

    async def _sample_lag(self) -> None:
        for consumer in self.event_consumers:
            self.metrics.set_lag(consumer.group_id, await consumer.lag())

    def _relay_lock(self) -> RelayLock:
        path = db.sqlite_path(self.url)
        if path is not None:
            return FileLock(path.with_suffix(".relay.lock"))
        if db.is_sqlite(self.url):
            return FileLock(self.settings.data_dir / f"{self.name}.relay.lock")
        return AdvisoryLock(self.engine, f"minsheng-outbox-relay:{self.name}")

    async def start(
        self, *, prepare: Callable[[ServiceRuntime], Awaitable[None]] | None = None
    ) -> None:
        """Migrate the store, run `prepare` (e.g. seeding reference data), then start
        the bus and the background loops, so no consumer sees an unprepared store."""
        if self.settings.migrate_on_start and self.script_location:
            await migrations.upgrade_async(self.script_location, self.url)
        if prepare is not None:
            await prepare(self)
        self._spawn(self._connect_bus, "bus", restart=False)
        for loop in self.background:
            self._spawn(
                lambda loop=loop: loop(self),  # type: ignore[misc]
                getattr(loop, "__name__", "background"),
            )
        log.info("%s started (store %s)", self.name, self.engine.url.render_as_string())

    def _spawn(
        self, work: Callable[[], Awaitable[None]], label: str, *, restart: bool = True
    ) -> None:
        task = asyncio.ensure_future(self._supervise(work, label, restart=restart))
        task.set_name(f"{self.name}:{label}")
        self._tasks.append(task)

    async def _supervise(
        self, work: Callable[[], Awaitable[None]], label: str, *, restart: bool
    ) -> None:
        """Run a loop; if it dies of an unexpected error, say so and start it again,
        so one bad moment does not silently stop a relay or a consumer."""
        while True:
            try:
                await work()
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s: %s stopped unexpectedly", self.name, label)
                if not restart:
                    return
                await asyncio.sleep(1.0)

    async def _connect_bus(self) -> None:
        """Connect to the broker (retrying until it answers), then start the relay and
        the consumers. The service serves HTTP meanwhile: what it stages waits in the
        outbox."""
        settings = self.settings
        while True:
            try:
                await ensure_topics(
                    settings.kafka_bootstrap_servers,
                    self.topics.all_with_dead_letters(),
                    partitions=settings.topic_partitions,
                )
                await self.publisher.start()
                break
            except MinshengError as error:
                log.warning("%s waiting for the broker: %s", self.name, error.message)
                await asyncio.sleep(1.0)
        if settings.republish_on_start:
            await self._republish_retained()
        self._spawn(self.relay.run, "relay")
        for consumer in self.event_consumers:
            self._spawn(consumer.run, f"consumer:{consumer.name}")

    async def _republish_retained(self) -> None:
        """Send every retained event again: the broker may be new and empty (the
        embedded one keeps nothing across restarts), and consumers' inboxes drop
        what they had already applied."""
        since = self.clock.now() - timedelta(hours=self.settings.outbox_retention_hours)
        async with self.sessions() as session:
            count = await mark_for_republish(session, since=since)
            await session.commit()
        if count:
            log.info(
                "%s republishing %d retained events to a new broker", self.name, count
            )

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        await self.publisher.stop()
        await self.engine.dispose()
        log.info("%s stopped", self.name)

    async def readiness(self) -> dict[str, bool]:
        """What `/readyz` reports: the store answers and the broker is connected."""
        return {
            "store": await db.ping(self.engine),
            "broker": self.publisher.started,
        }
