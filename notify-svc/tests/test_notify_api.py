"""Notify's HTTP API over the running service: notices with their evidence."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from minsheng_common import pii
from minsheng_common.auth.provisioning import add_key
from minsheng_common.auth.roles import Role
from minsheng_common.bus.kafka import KafkaPublisher, OutgoingMessage, ensure_topics
from minsheng_common.events import (
    AcceptanceNoticeRequested,
    AppealFiled,
    EventData,
    read,
    seal,
)
from minsheng_common.runtime import ServiceRuntime
from minsheng_notify.app import create_app
from minsheng_notify.consumers import NotifyConsumers
from minsheng_notify.models import Notice
from minsheng_notify.sending import CONTEXT_KEY
from minsheng_notify.settings import NotifySettings

NOW = datetime(2026, 12, 4, 1, 30, tzinfo=UTC)


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _filed(appeal_id: str, vault: pii.PiiVault) -> AppealFiled:
    return AppealFiled(
        appeal_id=appeal_id,
        tracking_code="MS20261204000777",
        channel="wechat",
        appeal_type="consultation",
        title="办事咨询",
        content="坪山街道社保卡在哪里办理",
        received_at=NOW,
        filed_at=NOW,
        contact_kind="phone",
        contact_encrypted=vault.encrypt("13912345678"),
    )


def _request(appeal_id: str, work_order_id: str) -> AcceptanceNoticeRequested:
    return AcceptanceNoticeRequested(
        request_id=f"req-{appeal_id}",
        work_order_id=work_order_id,
        appeal_id=appeal_id,
        unit_id="rlzyj",
        tracking_code="MS20261204000777",
        accepted=True,
        message="已受理",
        requested_at=NOW,
        requested_by="clerk-2",
    )


@dataclass
class Service:
    """A running notify with an operator's client (every notice)."""

    client: httpx.AsyncClient
    runtime: ServiceRuntime
    vault: pii.PiiVault
    mailbox: Path

    async def apply(self, data: EventData) -> None:
        """Apply an event as notify's consumer loop would."""
        consumers = NotifyConsumers(self.runtime.extras[CONTEXT_KEY])
        envelope = seal(data, producer="test", occurred_at=NOW)
        handler = consumers.handlers()[envelope.type]
        async with self.runtime.sessions() as session, session.begin():
            await handler(session, envelope, read(envelope))

    async def wait_until_sent(
        self, appeal_id: str, kind: str = "acceptance"
    ) -> dict[str, Any]:
        async with asyncio.timeout(10):
            while True:
                answer = await self.client.get(
                    "/v1/notices", params={"appeal_id": appeal_id}
                )
                items = [i for i in answer.json()["items"] if i["kind"] == kind]
                if items and items[0]["status"] == "sent":
                    return dict(items[0])
                await asyncio.sleep(0.02)


def _settings(tmp_path: Path, bootstrap: str, **more: Any) -> NotifySettings:
    return NotifySettings(
        environment="test",
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'notify.db'}",
        kafka_bootstrap_servers=bootstrap,
        clock_file=None,
        send_poll_ms=20,
        # The real clock: the leaders' morning report stays out of what is counted.
        **{"morning_report_enabled": False, **more},
    )


def _operator_key(settings: NotifySettings) -> dict[str, str]:
    """Headers with a new operator's key; made before the app starts, which reads
    the credentials file at most once a second."""
    key = add_key(settings.credentials_path(), name="operator", role=Role.OPERATOR)
    return {"X-API-Key": key}


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[Service]:
    settings = _settings(tmp_path, f"127.0.0.1:{_unused_port()}")
    headers = _operator_key(settings)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=transport, base_url="http://notify", headers=headers
        ) as client,
    ):
        yield Service(
            client=client,
            runtime=app.state.runtime,
            vault=pii.PiiVault(settings.pii_key_list()),
            mailbox=tmp_path / "mailbox",
        )


async def test_notify_api_lists_notices_with_evidence(service: Service) -> None:
    await service.apply(_request("a-1", "wo-1"))
    await service.apply(_filed("a-1", service.vault))

    notice = await service.wait_until_sent("a-1")

    assert notice["kind"] == "acceptance"
    assert notice["work_order_id"] == "wo-1"
    assert notice["channel"] == "mailbox"
    assert notice["recipient_masked"] == "139****5678"
    assert notice["attempts"] == 1
    assert notice["provider_ref"] == f"mailbox:{notice['id']}.json"
    assert notice["sent_at"] is not None
    assert notice["body"] == (
        "【民生诉求】您的诉求（编号MS20261204000777）已由区人力资源局受理：已受理。"
    )
    (attempt,) = notice["attempt_log"]
    assert attempt["outcome"] == "sent"
    assert attempt["channel"] == "mailbox"
    assert attempt["at"] == notice["sent_at"]
    written = json.loads((service.mailbox / f"{notice['id']}.json").read_text("utf-8"))
    assert written["contact"] == "13912345678"
    assert "13912345678" not in json.dumps(notice)


async def test_notify_api_filters_by_work_order(service: Service) -> None:
    await service.apply(_request("a-1", "wo-1"))
    await service.apply(_request("a-2", "wo-2"))

    answer = await service.client.get("/v1/notices", params={"work_order_id": "wo-2"})

    assert answer.status_code == 200
    items = answer.json()["items"]
    assert [item["appeal_id"] for item in items] == ["a-2"]
    assert items[0]["status"] == "pending"
    assert items[0]["attempt_log"] == []


async def test_notify_api_gets_one_notice(service: Service) -> None:
    await service.apply(_request("a-1", "wo-1"))
    listed = await service.client.get("/v1/notices", params={"appeal_id": "a-1"})
    notice_id = listed.json()["items"][0]["id"]

    answer = await service.client.get(f"/v1/notices/{notice_id}")

    assert answer.status_code == 200
    assert answer.json()["request_id"] == "req-a-1"


async def test_notify_api_unknown_notice_is_404(service: Service) -> None:
    answer = await service.client.get("/v1/notices/no-such-notice")

    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "notice_not_found"


async def test_notify_api_without_filter_is_422(service: Service) -> None:
    answer = await service.client.get("/v1/notices")

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "filter_required"


async def test_notify_consumes_events_from_the_broker(
    tmp_path: Path, broker: str, topic_prefix: str
) -> None:
    settings = _settings(tmp_path, broker, topic_prefix=topic_prefix)
    headers = _operator_key(settings)
    app = create_app(settings)
    runtime: ServiceRuntime = app.state.runtime
    vault = pii.PiiVault(settings.pii_key_list())
    publisher = KafkaPublisher(broker, client_id="notify-test")
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=transport, base_url="http://notify", headers=headers
        ) as client,
    ):
        # The consumer group starts from the earliest offset, so the events may be
        # published before it has joined; only the topics must exist.
        await ensure_topics(
            broker,
            runtime.topics.all_with_dead_letters(),
            partitions=settings.topic_partitions,
        )
        await publisher.start()
        try:
            await publisher.publish(
                [
                    _message(runtime, _filed("a-9", vault)),
                    _message(runtime, _request("a-9", "wo-9")),
                ]
            )
        finally:
            await publisher.stop()

        notice = await Service(client, runtime, vault, tmp_path).wait_until_sent("a-9")

    assert notice["work_order_id"] == "wo-9"
    assert notice["recipient_masked"] == "139****5678"


def _message(runtime: ServiceRuntime, data: EventData) -> OutgoingMessage:
    envelope = seal(data, producer="test", occurred_at=NOW)
    return OutgoingMessage(
        topic=runtime.topics.name(data.topic),
        key=envelope.key,
        value=envelope.to_bytes(),
    )


async def test_notify_api_shows_a_body_masked_even_if_kept_unmasked(
    service: Service,
) -> None:
    await service.apply(_request("a-1", "wo-1"))
    async with service.runtime.sessions() as session, session.begin():
        await session.execute(
            update(Notice)
            .where(Notice.appeal_id == "a-1")
            .values(body="已受理，请440307900101004的市民拨打84000204或发邮件x(at)a.cn")
        )

    answer = await service.client.get("/v1/notices", params={"appeal_id": "a-1"})

    body = answer.json()["items"][0]["body"]
    assert body == "已受理，请[身份证号]的市民拨打840***04或发邮件[邮箱]"
