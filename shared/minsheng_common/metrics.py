"""What a service counts for Prometheus (`GET /metrics`): requests, events, the
outbox, consumer lag and the domain counters a service adds.

Each service has its own registry, so many applications can live in one process
(the tests build dozens) without their families colliding. Labels carry only route
templates, topics, event types and similar fixed vocabularies, never a path, an id
or anything a citizen typed: the endpoint can be served without credentials.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from minsheng_common.bus.tables import outbox
from minsheng_common.events import EVENT_TYPES

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""The text format `generate_latest` writes, which every Prometheus reads."""

UNMATCHED = "unmatched"
"""The route label of a request no route took: its path is not a label, or every
probing scanner would add a series."""

OTHER_TYPE = "other"
"""The type label of an event whose type the catalogue does not know."""

_KNOWN_TYPES = frozenset(cls.event_type for cls in EVENT_TYPES)

# From a 5 ms health probe to a 10 s report; the suite's own figures are in
# `make bench`.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

Sampler = Callable[[AsyncSession, datetime], Awaitable[None]]
"""Reads a figure from the service's store into a gauge when /metrics is scraped."""


def event_type_label(event_type: str | None) -> str:
    """An event type as a label: a catalogue type, or `other` for anything else, so
    a stray message cannot add series."""
    return event_type if event_type in _KNOWN_TYPES else OTHER_TYPE


class ServiceMetrics:
    """The metric families every service exposes, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.http_requests = Counter(
            "minsheng_http_requests",
            "HTTP requests answered, by route template and status",
            ("method", "route", "status"),
            registry=registry,
        )
        self.http_latency = Histogram(
            "minsheng_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template",
            ("method", "route"),
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.events_published = Counter(
            "minsheng_events_published",
            "Events the outbox relay handed to the broker, by topic and type",
            ("topic", "type"),
            registry=registry,
        )
        self.events_consumed = Counter(
            "minsheng_events_consumed",
            "Events read by this service's consumers, by topic, type and outcome "
            "(applied, duplicate, ignored, dead_lettered)",
            ("topic", "type", "outcome"),
            registry=registry,
        )
        self.dead_lettered = Counter(
            "minsheng_events_dead_lettered",
            "Messages this service sent to a dead-letter topic, by source topic "
            "and reason",
            ("topic", "reason"),
            registry=registry,
        )
        self.consumer_lag = Gauge(
            "minsheng_consumer_lag",
            "Messages not yet committed by the consumer group on the partitions "
            "this replica holds (end offset minus committed offset)",
            ("group", "topic", "partition"),
            registry=registry,
        )
        self.outbox_backlog = Gauge(
            "minsheng_outbox_backlog",
            "Events staged in the outbox and not yet published",
            registry=registry,
        )
        self.outbox_oldest_age = Gauge(
            "minsheng_outbox_oldest_unpublished_age_seconds",
            "Age of the oldest unpublished outbox event; 0 when none waits",
            registry=registry,
        )
        self.relay_active = Gauge(
            "minsheng_outbox_relay_active",
            "1 on the replica whose outbox relay holds the lock and publishes",
            registry=registry,
        )
        self.sample_failures = Counter(
            "minsheng_metrics_sample_failures",
            "Scrapes whose store or broker figures could not be read (the gauges "
            "then keep their last values)",
            registry=registry,
        )
        self._counters: dict[str, Counter] = {}
        self._gauges: dict[str, Gauge] = {}
        self._lag_series: dict[str, set[tuple[str, str]]] = {}

    def counter(self, name: str, documentation: str, labels: Sequence[str]) -> Counter:
        """A service's own counter family, made once and shared by every caller."""
        family = self._counters.get(name)
        if family is None:
            family = Counter(name, documentation, labels, registry=self.registry)
            self._counters[name] = family
        return family

    def gauge(self, name: str, documentation: str, labels: Sequence[str]) -> Gauge:
        """A service's own gauge family, made once and shared by every caller."""
        family = self._gauges.get(name)
        if family is None:
            family = Gauge(name, documentation, labels, registry=self.registry)
            self._gauges[name] = family
        return family

    def count_published(self, published: Iterable[tuple[str, str]]) -> None:
        """Count events the broker took, given as (topic, type) pairs."""
        for topic, event_type in published:
            self.events_published.labels(topic, event_type_label(event_type)).inc()

    def count_consumed(self, topic: str, event_type: str | None, outcome: str) -> None:
        self.events_consumed.labels(topic, event_type_label(event_type), outcome).inc()

    def set_lag(self, group: str, lag: dict[tuple[str, int], int]) -> None:
        """Replace a group's lag series with `lag` ((topic, partition) → messages):
        partitions that moved to another replica drop out."""
        current = {(topic, str(partition)) for topic, partition in lag}
        for gone_topic, gone_partition in self._lag_series.get(group, set()) - current:
            self.consumer_lag.remove(group, gone_topic, gone_partition)
        for (topic, partition), behind in lag.items():
            self.consumer_lag.labels(group, topic, str(partition)).set(behind)
        self._lag_series[group] = current

    def exposition(self) -> bytes:
        """Every family in the Prometheus text format."""
        return generate_latest(self.registry)


async def sample_outbox(
    metrics: ServiceMetrics, session: AsyncSession, now: datetime
) -> None:
    """Read the outbox backlog and the age of its oldest unpublished event."""
    waiting, oldest = (
        await session.execute(
            select(func.count(), func.min(outbox.c.created_at)).where(
                outbox.c.published_at.is_(None)
            )
        )
    ).one()
    metrics.outbox_backlog.set(waiting)
    age = (now - oldest).total_seconds() if oldest is not None else 0.0
    metrics.outbox_oldest_age.set(max(age, 0.0))


class RequestMetrics:
    """ASGI middleware counting requests and timing them by route template.

    The template is read after the app answered, from the route the router chose;
    a request no route took is counted as `unmatched`. An error that escapes the
    app is counted as 500, which is what the outermost error handler answers.
    """

    def __init__(self, app: ASGIApp, *, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_counting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_counting)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or UNMATCHED
            method = str(scope.get("method", ""))
            self.metrics.http_requests.labels(method, template, str(status)).inc()
            self.metrics.http_latency.labels(method, template).observe(
                time.perf_counter() - started
            )
