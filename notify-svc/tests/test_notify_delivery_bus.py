"""The same event delivered twice by the bus, and the same request sent again as a
new event, still make one message at the SMS gateway on 127.0.0.1 (Art. 28, 36)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from minsheng_common.bus.kafka import KafkaPublisher, OutgoingMessage, ensure_topics
from minsheng_common.events import (
    AcceptanceNoticeRequested,
    AppealFiled,
    AppealGraded,
    Envelope,
    EventData,
    seal,
)
from minsheng_notify.models import Recipient

NOW = datetime(2026, 12, 4, 1, 30, tzinfo=UTC)


def message(runtime: Any, envelope: Envelope, data: EventData) -> OutgoingMessage:
    return OutgoingMessage(
        topic=runtime.topics.name(data.topic),
        key=envelope.key,
        value=envelope.to_bytes(),
    )


async def test_notify_event_delivered_twice_by_the_bus_sends_one_sms(
    make_running_notify: Any, providers: Any, broker: str, topic_prefix: str
) -> None:
    notify = await make_running_notify(
        kafka_bootstrap_servers=broker,
        topic_prefix=topic_prefix,
        sms_gateway_url=f"{providers.url}/sms",
    )
    runtime = notify.runtime
    filed = AppealFiled(
        appeal_id="a-9",
        tracking_code="MS20261204000999",
        channel="hotline-12345",
        appeal_type="complaint",
        title="噪音扰民",
        content="夜间施工噪音",
        received_at=NOW,
        filed_at=NOW,
        contact_kind="phone",
        contact_encrypted=notify.vault.encrypt("13800138000"),
    )
    request = AcceptanceNoticeRequested(
        request_id="req-a-9",
        work_order_id="wo-9",
        appeal_id="a-9",
        unit_id="cgj",
        tracking_code="MS20261204000999",
        accepted=True,
        message="已受理",
        requested_at=NOW,
        requested_by="clerk-2",
    )
    # Applied last on the same partition: once it is seen, so is every copy.
    sentinel = AppealGraded(
        appeal_id="a-9",
        tracking_code="MS20261204000999",
        level=2,
        basis="hotspot",
        graded_at=NOW,
        graded_by="intake",
    )
    once = seal(request, producer="dispatch", occurred_at=NOW)
    resent = seal(request, producer="dispatch", occurred_at=NOW)
    events = [
        (seal(filed, producer="intake", occurred_at=NOW), filed),
        (once, request),
        (once, request),
        (resent, request),
        (seal(sentinel, producer="intake", occurred_at=NOW), sentinel),
    ]

    await ensure_topics(broker, runtime.topics.all_with_dead_letters(), partitions=3)
    publisher = KafkaPublisher(broker, client_id="notify-delivery-test")
    await publisher.start()
    try:
        await publisher.publish([message(runtime, e, d) for e, d in events])
    finally:
        await publisher.stop()
    async with asyncio.timeout(30):
        while True:
            async with runtime.sessions() as session:
                recipient = await session.get(Recipient, "a-9")
            if recipient is not None and recipient.level == 2:
                break
            await asyncio.sleep(0.05)
    notice = await notify.wait_for("a-9", lambda n: n["status"] == "sent")

    acceptance = [
        call
        for call in providers.calls_to("sms")
        if call.body["reference"] == notice["id"]
    ]
    assert len(acceptance) == 1
    assert len(providers.delivered_by("sms")) == 2  # the filing notice, and this
    listed = await notify.operator.get("/v1/notices", params={"appeal_id": "a-9"})
    assert sorted(n["kind"] for n in listed.json()["items"]) == ["acceptance", "filed"]
