"""The trace id of a request follows its events: into the envelope and the Kafka
headers the relay sends, into the consumer's context, into the events the consumer
stages in turn, and into every JSON log line on the way."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest
from aiokafka import ConsumerRecord
from pydantic_settings import SettingsConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.bus.kafka import OutgoingMessage
from minsheng_common.bus.tables import bus_metadata
from minsheng_common.devstack.broker import free_port
from minsheng_common.events import AppealReceived, Envelope, open_envelope
from minsheng_common.ids import new_id
from minsheng_common.logs import JsonFormatter, RedactingFilter
from minsheng_common.runtime import ConsumerSpec, ServiceRuntime
from minsheng_common.settings import ServiceSettings
from minsheng_common.tracing import current_trace_id

T0 = datetime(2026, 10, 9, 1, 0, tzinfo=UTC)
log = logging.getLogger("test.trace")


class DemoSettings(ServiceSettings):
    service_name: ClassVar[str] = "demo"
    model_config = SettingsConfigDict(env_prefix="DEMO_", extra="ignore")


class Recorder:
    def __init__(self) -> None:
        self.sent: list[OutgoingMessage] = []

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        self.sent.extend(messages)


def received(code: str) -> AppealReceived:
    return AppealReceived(
        appeal_id=new_id(),
        tracking_code=code,
        channel="hotline-12345",
        channel_ref=f"call-{code}",
        appeal_type="complaint",
        received_at=T0,
    )


def as_read(message: OutgoingMessage, offset: int) -> ConsumerRecord[Any, Any]:
    """The message as a consumer reads it from the broker, headers included."""
    return ConsumerRecord(
        topic=message.topic,
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=message.key.encode(),
        value=message.value,
        checksum=None,
        serialized_key_size=len(message.key),
        serialized_value_size=len(message.value),
        headers=message.headers,
    )


@pytest.fixture
def json_lines() -> Any:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter())
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    log.removeHandler(handler)


async def test_the_trace_id_travels_with_the_events_and_into_the_logs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, json_lines: Any
) -> None:
    runtime = ServiceRuntime(
        settings=DemoSettings(
            database_url=f"sqlite:///{tmp_path / 'demo.db'}",
            data_dir=tmp_path,
            kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        )
    )
    async with runtime.engine.begin() as connection:
        await connection.run_sync(bus_metadata.create_all)
    recorder = Recorder()
    monkeypatch.setattr(runtime.publisher, "publish", recorder.publish)
    seen: list[str | None] = []

    async def follow_up(session: AsyncSession, envelope: Envelope, _: Any) -> None:
        seen.append(current_trace_id.get())
        log.info("applying %s, phone 13812345678", envelope.event_id)
        if envelope.data["tracking_code"] == "first":
            await runtime.outbox.stage(session, received("second"))

    runtime.add_consumer(
        ConsumerSpec(
            name="follow", topics=["appeals"], handlers={"appeal.received": follow_up}
        )
    )
    [consumer] = runtime.event_consumers
    consumer._publisher = recorder

    # As intake does while it serves a request with X-Trace-Id: trace-7.
    token = current_trace_id.set("trace-7")
    try:
        async with runtime.sessions() as session, session.begin():
            await runtime.outbox.stage(session, received("first"))
    finally:
        current_trace_id.reset(token)
    await runtime.relay.publish_batch()
    await consumer.redeliver(as_read(recorder.sent[0], 0))
    await runtime.relay.publish_batch()
    await runtime.engine.dispose()

    first, second = recorder.sent
    assert ("trace_id", b"trace-7") in first.headers
    assert ("event_type", b"appeal.received") in first.headers
    assert open_envelope(first.value).trace_id == "trace-7"
    assert seen == ["trace-7"]
    # The consumer's own event carries the trace on, in envelope and headers.
    assert ("trace_id", b"trace-7") in second.headers
    assert open_envelope(second.value).trace_id == "trace-7"

    [line] = json_lines()
    assert line["trace_id"] == "trace-7"
    assert line["level"] == "INFO"
    assert "13812345678" not in line["message"]
    assert current_trace_id.get() is None
