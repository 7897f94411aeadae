"""Notify's API for units, leaders and return visits over the running service:
reminder letters (Art. 40), the morning report its own loop sends at 08:00 on the
service clock (Art. 23), template previews, the citizen's survey link and SMS
replies (Art. 30–31), and the reopening candidates; plus the official messages
arriving from the broker on the deadlines and alerts topics."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from minsheng_common import pii
from minsheng_common.auth import webhooks
from minsheng_common.auth.provisioning import add_key
from minsheng_common.auth.roles import Role
from minsheng_common.bus.kafka import KafkaPublisher, OutgoingMessage, ensure_topics
from minsheng_common.bus.tables import outbox as outbox_table
from minsheng_common.clock import SharedClock
from minsheng_common.devstack.broker import free_port
from minsheng_common.events import (
    AppealFiled,
    DeadlineUrged,
    EventData,
    WarningRaised,
    WorkOrderClosed,
    read,
    seal,
)
from minsheng_common.runtime import ServiceRuntime
from minsheng_notify.app import create_app
from minsheng_notify.consumers import NotifyConsumers
from minsheng_notify.models import Notice
from minsheng_notify.official_consumers import OfficialConsumers
from minsheng_notify.official_context import OFFICIAL_CONTEXT_KEY
from minsheng_notify.official_models import Survey
from minsheng_notify.sending import CONTEXT_KEY
from minsheng_notify.settings import NotifySettings

SEVEN = datetime(2026, 12, 3, 23, 0, tzinfo=UTC)  # 07:00 on 4 December, Shanghai
REPLY_SECRET = "sms-reply-secret-for-the-api-tests-0123456789"
PHONE = "13912345678"


@dataclass
class Service:
    """A running notify with a client per caller."""

    runtime: ServiceRuntime
    clock: SharedClock
    vault: pii.PiiVault
    data_dir: Path
    operator: httpx.AsyncClient
    leader: httpx.AsyncClient
    unit: httpx.AsyncClient
    anonymous: httpx.AsyncClient

    async def apply(self, data: EventData) -> None:
        """Apply an event with the handlers notify's consumer group runs."""
        spec = NotifyConsumers(self.runtime.extras[CONTEXT_KEY]).spec(
            OfficialConsumers(self.runtime.extras[OFFICIAL_CONTEXT_KEY]).spec()
        )
        envelope = seal(data, producer="test", occurred_at=self.clock.now())
        async with self.runtime.sessions() as session, session.begin():
            await spec.handlers[envelope.type](session, envelope, read(envelope))

    async def notices(self, kind: str) -> list[Notice]:
        async with self.runtime.sessions() as session:
            result = await session.scalars(
                select(Notice).where(Notice.kind == kind).order_by(Notice.request_id)
            )
            return list(result)

    async def survey(self) -> Survey:
        async with self.runtime.sessions() as session:
            (survey,) = await session.scalars(select(Survey))
            return survey


def settings_for(tmp_path: Path, bootstrap: str, **more: Any) -> NotifySettings:
    return NotifySettings(
        environment="test",
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'notify.db'}",
        kafka_bootstrap_servers=bootstrap,
        clock_file=tmp_path / "clock.json",
        send_poll_ms=20,
        morning_report_check_seconds=0.05,
        survey_base_url="https://notify.example.invalid",
        sms_reply_secrets=REPLY_SECRET,
        **more,
    )


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[Service]:
    settings = settings_for(tmp_path, f"127.0.0.1:{free_port()}")
    clock = SharedClock(tmp_path / "clock.json")
    clock.set_now(SEVEN)
    path = settings.credentials_path()
    keys = {
        "operator": add_key(path, name="operator", role=Role.OPERATOR),
        "leader": add_key(path, name="leader", role=Role.LEADER),
        "unit": add_key(path, name="cgj", role=Role.UNIT, unit_id="cgj"),
    }
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)

    def client(key: str | None) -> httpx.AsyncClient:
        headers = {"X-API-Key": key} if key else {}
        return httpx.AsyncClient(
            transport=transport, base_url="http://notify", headers=headers
        )

    async with (
        app.router.lifespan_context(app),
        client(keys["operator"]) as operator,
        client(keys["leader"]) as leader,
        client(keys["unit"]) as unit,
        client(None) as anonymous,
    ):
        yield Service(
            runtime=app.state.runtime,
            clock=clock,
            vault=pii.PiiVault(settings.pii_key_list()),
            data_dir=tmp_path,
            operator=operator,
            leader=leader,
            unit=unit,
            anonymous=anonymous,
        )


def filed(vault: pii.PiiVault, moment: datetime, *, level: int = 3) -> AppealFiled:
    return AppealFiled(
        appeal_id="a-1",
        tracking_code="MS20261203000777",
        channel="hotline-12345",
        appeal_type="complaint",
        category_id="city-sanitation",
        subdistrict_id="pingshan-jd",
        title="垃圾未清运",
        content="坪山街道六和社区垃圾三天未清运",
        received_at=moment,
        filed_at=moment,
        contact_kind="phone",
        contact_encrypted=vault.encrypt(PHONE),
        level=level,  # type: ignore[arg-type]
    )


async def wait_for(
    call: Any, *, status: int = 200, seconds: float = 10
) -> httpx.Response:
    async with asyncio.timeout(seconds):
        while True:
            answer: httpx.Response = await call()
            if answer.status_code == status:
                return answer
            await asyncio.sleep(0.02)


async def test_notify_api_art40_reminder_letter_is_written_to_the_units_oa(
    service: Service,
) -> None:
    letter = {
        "unit_id": "cgj",
        "work_order_ids": ["wo-1", "wo-2"],
        "text": "以下诉求群众多次来电反映，请高度重视。联系人电话13900001111。",
        "request_id": "letter-1",
    }

    answer = await service.operator.post("/v1/reminder-letters", json=letter)

    assert answer.status_code == 201
    made = answer.json()
    assert made["unit_id"] == "cgj"
    assert made["work_order_ids"] == ["wo-1", "wo-2"]
    assert "13900001111" not in made["text"]
    assert made["requested_by"].startswith("operator:")
    assert made["body"].startswith("催办函\n区城市管理和综合执法局：\n以下诉求")
    assert "涉及诉求2件：wo-1、wo-2。" in made["body"]
    assert made["body"].endswith("区民生诉求服务中心\n2026年12月4日")

    notice = await wait_for(
        lambda: _sent_notice(service, made["notice_id"]), status=200
    )
    assert notice.json()["channel"] == "oa"
    written = json.loads(
        (service.data_dir / "oa" / f"{made['notice_id']}.json").read_text("utf-8")
    )
    assert written["contact"] == "oa://placeholder.pingshan.invalid/cgj"
    assert written["body"] == made["body"]


async def _sent_notice(service: Service, notice_id: str) -> httpx.Response:
    answer = await service.operator.get(f"/v1/notices/{notice_id}")
    if answer.status_code == 200 and answer.json()["status"] != "sent":
        return httpx.Response(202)
    return answer


async def test_notify_api_reminder_letter_request_id_answers_the_first_letter(
    service: Service,
) -> None:
    letter = {"unit_id": "swj", "work_order_ids": ["wo-3"], "text": "请抓紧办理。"}
    first = await service.operator.post(
        "/v1/reminder-letters", json={**letter, "request_id": "r-1"}
    )

    again = await service.operator.post(
        "/v1/reminder-letters", json={**letter, "request_id": "r-1"}
    )
    other = await service.operator.post(
        "/v1/reminder-letters",
        json={**letter, "text": "另一封", "request_id": "r-1"},
    )

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "reminder_letter_conflict"
    assert len(await service.notices("reminder_letter")) == 1


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        (
            {"unit_id": "nobody", "work_order_ids": ["wo-1"], "text": "请办理"},
            "unknown_unit",
            "unit_id",
        ),
        (
            {"unit_id": "cgj", "work_order_ids": [], "text": "请办理"},
            "invalid_request",
            "body.work_order_ids",
        ),
        (
            {"unit_id": "cgj", "work_order_ids": ["wo-1"], "text": "   "},
            "invalid_request",
            "body",
        ),
    ],
)
async def test_notify_api_bad_reminder_letter_is_422(
    service: Service, body: dict[str, Any], code: str, field: str
) -> None:
    answer = await service.operator.post("/v1/reminder-letters", json=body)

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == code
    assert answer.json()["error"]["field"] == field


async def test_notify_api_a_unit_cannot_write_reminder_letters(
    service: Service,
) -> None:
    answer = await service.unit.post(
        "/v1/reminder-letters",
        json={"unit_id": "cgj", "work_order_ids": ["wo-1"], "text": "请办理"},
    )

    assert answer.status_code == 403


async def test_notify_api_morning_report_is_sent_at_eight_by_the_loop(
    service: Service,
) -> None:
    await service.apply(filed(service.vault, SEVEN - timedelta(hours=10), level=1))
    path = "/v1/morning-reports/2026-12-04"
    before = await service.leader.get(path)
    await asyncio.sleep(0.2)
    assert (await service.leader.get(path)).status_code == 404

    service.clock.set_now(SEVEN + timedelta(hours=1, seconds=1))
    answer = await wait_for(lambda: service.leader.get(path))

    assert before.status_code == 404
    assert before.json()["error"]["code"] == "morning_report_not_found"
    report = answer.json()
    assert report["covers"] == "2026-12-03"
    assert [item["code"] for item in report["level_1"]] == ["MS20261203000777"]
    assert report["body"].startswith(
        "【民生诉求每日早报】2026年12月3日\n一、一级诉求（1件）\n"
        "1. MS20261203000777 垃圾未清运（坪山街道，市容环卫）\n"
    )
    # The loop comes round again and again: still one report, one per leader.
    await asyncio.sleep(0.3)
    assert len(await service.notices("morning_report")) == 4
    operator = await service.operator.get(path)
    unit = await service.unit.get(path)
    assert operator.status_code == 200
    assert unit.status_code == 403


async def test_notify_api_morning_report_date_must_be_a_date(
    service: Service,
) -> None:
    answer = await service.leader.get("/v1/morning-reports/yesterday")

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_request"


async def test_notify_api_previews_every_template(service: Service) -> None:
    listed = await service.operator.get("/v1/templates")

    kinds = [item["kind"] for item in listed.json()["items"]]
    assert "morning_report" in kinds
    assert "acceptance" in kinds
    for kind in kinds:
        answer = await service.operator.post(f"/v1/templates/{kind}/preview", json={})
        assert answer.status_code == 200, kind
        assert answer.json()["body"], kind


async def test_notify_api_preview_takes_the_given_values(service: Service) -> None:
    answer = await service.operator.post(
        "/v1/templates/urging/preview",
        json={"values": {"level": "三", "step": "overdue", "unit": "区水务局"}},
    )

    assert answer.status_code == 200
    assert answer.json()["body"] == (
        "【三级催办】区水务局：诉求MS20261204000123的办理时限已于2026年12月8日18:00"
        "届满，现已超期，请立即办理并说明超期原因。"
    )


@pytest.mark.parametrize(
    ("kind", "values", "code"),
    [
        ("no-such-kind", {}, "unknown_template"),
        ("urging", {"levle": "三"}, "template_values_invalid"),
        ("supervision", {"orders": 3}, "template_values_invalid"),
        ("warning", {"count": "很多"}, "template_values_invalid"),
    ],
)
async def test_notify_api_bad_preview_is_422(
    service: Service, kind: str, values: dict[str, Any], code: str
) -> None:
    answer = await service.operator.post(
        f"/v1/templates/{kind}/preview", json={"values": values}
    )

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == code


async def closed_order(service: Service) -> Survey:
    await service.apply(filed(service.vault, SEVEN))
    await service.apply(
        WorkOrderClosed(
            work_order_id="wo-1",
            appeal_id="a-1",
            unit_id="cgj",
            outcome="on_time",
            handled_at=SEVEN,
            closed_at=SEVEN,
            closed_by="operator-1",
        )
    )
    return await service.survey()


async def test_notify_api_art30_survey_link_needs_no_account(
    service: Service,
) -> None:
    survey = await closed_order(service)
    path = f"/v1/surveys/{survey.token}"

    shown = await service.anonymous.get(path)
    answered = await service.anonymous.post(
        path, json={"speed": 5, "effect": 2, "service": 4, "system": 4}
    )
    again = await service.anonymous.post(path, json={"speed": 5})

    assert shown.status_code == 200
    assert shown.json()["status"] == "open"
    assert shown.json()["tracking_code"] == "MS20261203000777"
    assert shown.json()["unit"] == "区城市管理和综合执法局"
    assert [q["id"] for q in shown.json()["questions"]] == [
        "speed",
        "effect",
        "service",
        "system",
    ]
    assert PHONE not in shown.text
    assert answered.status_code == 200
    assert answered.json()["status"] == "answered"
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "survey_answered"
    candidates = await service.operator.get("/v1/reopen-candidates")
    (candidate,) = candidates.json()["items"]
    assert candidate["work_order_id"] == "wo-1"
    assert candidate["channel"] == "link"
    assert (await service.leader.get("/v1/reopen-candidates")).status_code == 403


async def test_notify_api_art31_parallel_link_answers_keep_one(
    service: Service,
) -> None:
    """Art. 31: four answers posted through one link at once on SQLite: exactly
    one is kept and announced; the others are 409 `survey_answered`."""
    survey = await closed_order(service)
    path = f"/v1/surveys/{survey.token}"

    answers = await asyncio.gather(
        *(
            service.anonymous.post(path, json={"speed": speed, "effect": speed})
            for speed in (1, 2, 4, 5)
        )
    )

    assert sorted(answer.status_code for answer in answers) == [200, 409, 409, 409]
    for refused in (answer for answer in answers if answer.status_code == 409):
        assert refused.json()["error"]["code"] == "survey_answered"
        assert refused.json()["error"]["field"] == "token"
    (kept,) = [answer for answer in answers if answer.status_code == 200]
    async with service.runtime.sessions() as session:
        (event,) = await session.scalars(
            select(outbox_table.c.payload).where(
                outbox_table.c.event_type == "return_visit.answered"
            )
        )
    assert json.loads(event)["data"]["speed"] == kept.json()["speed"]
    assert (await service.survey()).speed == kept.json()["speed"]


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/v1/surveys/NoSuchLink", None, 404, "survey_not_found"),
        ("/v1/surveys/NoSuchLink", {"speed": 5}, 404, "survey_not_found"),
        ("/v1/surveys/NoSuchLink", {}, 422, "invalid_request"),
        ("/v1/surveys/NoSuchLink", {"speed": 6}, 422, "invalid_request"),
    ],
)
async def test_notify_api_survey_link_errors(
    service: Service, path: str, body: Any, status: int, code: str
) -> None:
    method = "GET" if body is None else "POST"

    answer = await service.anonymous.request(method, path, json=body)

    assert answer.status_code == status
    assert answer.json()["error"]["code"] == code


def signed(body: dict[str, Any], secret: str = REPLY_SECRET) -> dict[str, Any]:
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
    stamp = int(time.time())
    return {
        "content": raw,
        "headers": {
            "Content-Type": "application/json",
            webhooks.TIMESTAMP_HEADER: str(stamp),
            webhooks.SIGNATURE_HEADER: webhooks.sign(secret, stamp, raw),
        },
    }


async def test_notify_api_art31_sms_reply_from_the_gateway_is_read(
    service: Service,
) -> None:
    await closed_order(service)
    reply = {
        "message_id": "mo-1",
        "phone": "+86 139 1234 5678",
        "text": "１满意 2 不满意…",
    }

    answer = await service.anonymous.post("/v1/surveys/replies", **signed(reply))
    again = await service.anonymous.post("/v1/surveys/replies", **signed(reply))

    assert answer.status_code == 200
    body = answer.json()
    assert (body["speed"], body["effect"], body["service"]) == (4, 2, None)
    assert body["satisfied"] is False
    assert body["reopen_candidate"] is True
    assert body["duplicate"] is False
    assert again.json()["duplicate"] is True
    listed = await service.operator.get("/v1/reopen-candidates")
    assert [c["channel"] for c in listed.json()["items"]] == ["sms"]


@pytest.mark.parametrize(
    ("secret", "text", "status", "code"),
    [
        ("a-wrong-secret-a-wrong-secret-0123456789", "满意", 401, "bad_signature"),
        (REPLY_SECRET, "谢谢", 422, "reply_unreadable"),
    ],
)
async def test_notify_api_sms_reply_refusals(
    service: Service, secret: str, text: str, status: int, code: str
) -> None:
    await closed_order(service)
    reply = {"message_id": "mo-2", "phone": PHONE, "text": text}

    answer = await service.anonymous.post(
        "/v1/surveys/replies", **signed(reply, secret)
    )
    unsigned = await service.anonymous.post("/v1/surveys/replies", json=reply)

    assert answer.status_code == status
    assert answer.json()["error"]["code"] == code
    assert unsigned.status_code == 401
    assert (await service.survey()).answered_at is None


async def test_notify_api_sms_replies_are_refused_without_a_secret(
    tmp_path: Path,
) -> None:
    settings = settings_for(tmp_path, f"127.0.0.1:{free_port()}")
    settings.sms_reply_secrets = ""
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://notify") as client,
    ):
        answer = await client.post(
            "/v1/surveys/replies",
            **signed({"message_id": "m", "phone": PHONE, "text": "满意"}),
        )

    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == "replies_not_configured"


async def test_notify_official_messages_arrive_from_the_broker(
    tmp_path: Path, broker: str, topic_prefix: str
) -> None:
    settings = settings_for(tmp_path, broker, topic_prefix=topic_prefix)
    SharedClock(tmp_path / "clock.json").set_now(SEVEN)
    app = create_app(settings)
    runtime: ServiceRuntime = app.state.runtime
    vault = pii.PiiVault(settings.pii_key_list())
    events: list[EventData] = [
        filed(vault, SEVEN, level=1),
        DeadlineUrged(
            deadline_id="d-1",
            work_order_id="wo-1",
            appeal_id="a-1",
            unit_id="cgj",
            kind="handling",
            step="half",
            level=1,
            due_at=SEVEN + timedelta(days=2),
            urged_at=SEVEN,
        ),
        WarningRaised(
            warning_id="w-1",
            kind="sensitive",
            appeal_ids=["a-1"],
            count=1,
            raised_at=SEVEN,
        ),
    ]
    async with app.router.lifespan_context(app):
        await ensure_topics(
            broker,
            runtime.topics.all_with_dead_letters(),
            partitions=settings.topic_partitions,
        )
        publisher = KafkaPublisher(broker, client_id="notify-official-test")
        await publisher.start()
        try:
            await publisher.publish([_message(runtime, data) for data in events])
        finally:
            await publisher.stop()

        async with asyncio.timeout(20):
            while True:
                async with runtime.sessions() as session:
                    kinds = set(await session.scalars(select(Notice.kind)))
                if {"level_1_alert", "urging", "warning"} <= kinds:
                    break
                await asyncio.sleep(0.05)


def _message(runtime: ServiceRuntime, data: EventData) -> OutgoingMessage:
    envelope = seal(data, producer="test", occurred_at=SEVEN)
    return OutgoingMessage(
        topic=runtime.topics.name(data.topic),
        key=envelope.key,
        value=envelope.to_bytes(),
    )
