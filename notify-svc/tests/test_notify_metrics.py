"""Notify's figures on /metrics: citizens' notices sent and failed by channel,
counted once the transaction that decided them commits."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from minsheng_common.bus.tables import bus_metadata
from minsheng_common.devstack.broker import free_port
from minsheng_common.events import EventData, NoticeFailed, NoticeSent
from minsheng_common.runtime import ServiceRuntime
from minsheng_notify import metrics
from minsheng_notify.settings import NotifySettings

AT = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def sent(notice_id: str, channel: str) -> NoticeSent:
    return NoticeSent(
        notice_id=notice_id,
        request_id=f"req-{notice_id}",
        appeal_id="appeal-1",
        kind="acceptance",
        channel=channel,
        recipient_masked="138****5678",
        sent_at=AT,
        provider_ref=f"ref-{notice_id}",
        attempts=1,
    )


def failed(notice_id: str, channel: str, reason: str) -> NoticeFailed:
    return NoticeFailed(
        notice_id=notice_id,
        request_id=f"req-{notice_id}",
        appeal_id="appeal-1",
        kind="handling",
        channel=channel,
        failed_at=AT,
        reason=reason,
        attempts=5,
    )


def sample(runtime: ServiceRuntime, name: str, **labels: str) -> float | None:
    text = runtime.metrics.exposition().decode()
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return float(found.value)
    return None


async def test_notices_sent_and_failed_are_counted_by_channel(tmp_path: Path) -> None:
    settings = NotifySettings(
        database_url=f"sqlite:///{tmp_path / 'notify.db'}",
        data_dir=tmp_path,
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        environment="test",
    )
    runtime = ServiceRuntime(settings=settings)
    metrics.install(runtime)
    async with runtime.engine.begin() as connection:
        await connection.run_sync(bus_metadata.create_all)

    async def commit(*events: EventData) -> None:
        async with runtime.sessions() as session, session.begin():
            await runtime.outbox.stage_all(session, list(events))

    try:
        await commit(sent("n1", "sms"), sent("n2", "sms"), sent("n3", "email"))
        await commit(failed("n4", "sms", "attempts_exhausted"))
        async with runtime.sessions() as session:
            await runtime.outbox.stage(session, sent("n5", "sms"))
            await session.rollback()
    finally:
        await runtime.engine.dispose()

    name = "minsheng_notify_notices_sent_total"
    assert sample(runtime, name, channel="sms", kind="acceptance") == 2
    assert sample(runtime, name, channel="email", kind="acceptance") == 1
    assert (
        sample(
            runtime,
            "minsheng_notify_notices_failed_total",
            channel="sms",
            reason="attempts_exhausted",
        )
        == 1
    )
