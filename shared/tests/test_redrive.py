"""Re-driving dead letters: each goes back to the consumer that set it aside, once,
and only that service's letters are touched (on the real broker)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest
from aiokafka import ConsumerRecord
from fastapi import FastAPI
from pydantic_settings import SettingsConfigDict
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import cli, web
from minsheng_common.bus.kafka import OutgoingMessage, ensure_topics
from minsheng_common.bus.redrive import redrive
from minsheng_common.bus.tables import bus_metadata, inbox
from minsheng_common.errors import InvalidInput
from minsheng_common.events import AppealReceived, Envelope, TopicNames, seal
from minsheng_common.ids import new_id
from minsheng_common.runtime import ConsumerSpec, ServiceRuntime
from minsheng_common.settings import ServiceSettings

T0 = datetime(2026, 10, 9, 1, 0, tzinfo=UTC)


class DemoSettings(ServiceSettings):
    service_name: ClassVar[str] = "demo"
    model_config = SettingsConfigDict(env_prefix="DEMO_", extra="ignore")


@dataclass
class Handler:
    """Refuses every event while `broken`, as a bug would; remembers what it applied."""

    broken: bool = True
    applied: list[str] = field(default_factory=list)

    async def __call__(
        self, _session: AsyncSession, envelope: Envelope, _: Any
    ) -> None:
        if self.broken:
            raise InvalidInput("a bug refuses this event")
        self.applied.append(envelope.event_id)


def received(code: str) -> AppealReceived:
    return AppealReceived(
        appeal_id=new_id(),
        tracking_code=code,
        channel="hotline-12345",
        channel_ref=f"call-{code}",
        appeal_type="complaint",
        received_at=T0,
    )


def runtime_of(settings: DemoSettings, handler: Handler) -> ServiceRuntime:
    runtime = ServiceRuntime(settings=settings)
    runtime.add_consumer(
        ConsumerSpec(
            name="notes", topics=["appeals"], handlers={"appeal.received": handler}
        )
    )
    return runtime


async def dead_letter_two(settings: DemoSettings, handler: Handler) -> list[Envelope]:
    """Two events the broken handler dead-letters as it reads them, and a dead
    letter of another service beside them; the store gets the bus tables."""
    runtime = runtime_of(settings, handler)
    async with runtime.engine.begin() as connection:
        await connection.run_sync(bus_metadata.create_all)
    topics = TopicNames(settings.topic_prefix)
    await ensure_topics(
        settings.kafka_bootstrap_servers, topics.all_with_dead_letters(), partitions=1
    )
    events = [seal(received(code), producer="intake", occurred_at=T0) for code in "AB"]
    other = seal(received("C"), producer="intake", occurred_at=T0)
    async with connected(runtime):
        [consumer] = runtime.event_consumers
        for offset, event in enumerate(events):
            await consumer.redeliver(
                record_of(topics.name("appeals"), event.to_bytes(), offset)
            )
        await runtime.publisher.publish(
            [
                OutgoingMessage(
                    topics.name("appeals.dlq"),
                    other.key,
                    other.to_bytes(),
                    headers=[
                        ("dlq_consumer", f"{settings.topic_prefix}other.x".encode()),
                        ("dlq_reason", b"invalid_input"),
                    ],
                )
            ]
        )
    assert consumer.stats.dead_lettered == 2
    return events


def record_of(topic: str, value: bytes, offset: int) -> ConsumerRecord[Any, Any]:
    """A record as the broker would deliver it."""
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
        headers=[],
    )


@pytest.fixture
def settings(tmp_path: Path, broker: str, topic_prefix: str) -> DemoSettings:
    return DemoSettings(
        database_url=f"sqlite:///{tmp_path / 'demo.db'}",
        data_dir=tmp_path,
        kafka_bootstrap_servers=broker,
        topic_prefix=topic_prefix,
    )


@contextlib.asynccontextmanager
async def connected(runtime: ServiceRuntime) -> AsyncIterator[ServiceRuntime]:
    await runtime.publisher.start()
    try:
        yield runtime
    finally:
        await runtime.publisher.stop()
        await runtime.engine.dispose()


async def run_redrive(
    settings: DemoSettings, handler: Handler, *, dry_run: bool = False
) -> Any:
    async with connected(runtime_of(settings, handler)) as runtime:
        return await redrive(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            consumers=runtime.event_consumers,
            group_id=f"{settings.topic_prefix}demo.redrive",
            dry_run=dry_run,
        )


async def inbox_rows(settings: DemoSettings) -> int:
    runtime = ServiceRuntime(settings=settings)
    try:
        async with runtime.sessions() as session:
            return int(
                (
                    await session.execute(select(func.count()).select_from(inbox))
                ).scalar()
                or 0
            )
    finally:
        await runtime.engine.dispose()


async def test_dead_letters_go_back_to_their_consumer_once(
    settings: DemoSettings,
) -> None:
    handler = Handler()
    events = await dead_letter_two(settings, handler)
    handler.broken = False

    listed = await run_redrive(settings, handler, dry_run=True)
    assert [letter.event_type for letter in listed.redriven] == ["appeal.received"] * 2
    assert listed.skipped == 1
    assert handler.applied == []

    report = await run_redrive(settings, handler)
    assert (report.applied, report.skipped) == (2, 1)
    assert handler.applied == [event.event_id for event in events]
    assert await inbox_rows(settings) == 2
    # The original place of each event is what the inbox keeps.
    assert {letter.source.rsplit("/", 2)[0] for letter in report.redriven} == {
        TopicNames(settings.topic_prefix).name("appeals")
    }

    again = await run_redrive(settings, handler)
    assert again.redriven == []
    assert handler.applied == [event.event_id for event in events]


async def test_a_letter_that_fails_again_waits_for_the_next_run(
    settings: DemoSettings,
) -> None:
    handler = Handler()
    await dead_letter_two(settings, handler)

    still_broken = await run_redrive(settings, handler)
    assert (len(still_broken.redriven), still_broken.dead_lettered_again) == (2, 2)

    handler.broken = False
    fixed = await run_redrive(settings, handler)
    assert (len(fixed.redriven), fixed.applied) == (2, 2)


def test_the_redrive_command_prints_what_it_did(
    settings: DemoSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    handler = Handler()
    asyncio.run(dead_letter_two(settings, handler))
    handler.broken = False

    def app_factory(given: ServiceSettings) -> FastAPI:
        return web.create_app(
            title="Demo",
            description="demo",
            runtime=runtime_of(settings, handler),
            routers=[],
        )

    # The command sets up the process's logging as a service would; the test's own
    # logging comes back afterwards.
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        cli.run(
            settings_factory=lambda: settings,
            app_factory=app_factory,
            script_location="unused",
            argv=["redrive", "--topic", "appeals"],
        )
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)

    out = capsys.readouterr().out
    assert "2 dead letters re-driven: 2 applied" in out
    assert "1 belong to other services" in out
    assert len(handler.applied) == 2
