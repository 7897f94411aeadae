"""Every message kind notify sends, end to end through the running suite (Art. 9, 23,
28–31, 36, 39–40, 44): appeals filed at intake, orders dispatched, signed, merged and
closed through dispatch, clocks urged by sla on the shared clock, and each message
taken by a real provider on 127.0.0.1 (an SMS gateway, an OA system, WeChat's two
APIs and a forum over HTTP, a mail server over SMTP), with the evidence of every
attempt (Art. 36). The forum's citizen posts on a feed the forum adapter polls and
is answered by a reply post the adapter makes, which it reports back to notify.

The demo clock starts on Tuesday 2026-12-08 at 09:00 (Shanghai) and moves on:
to the end of the consultation's handling time (urged at half and two thirds),
past it on Wednesday (overdue; a level-1 appeal, a safety warning and a reminder
letter the same day), to Thursday 08:00 (the morning report of Wednesday), and to
Monday 09:00 (the weekly overdue supervision).

The safety warning is published on the bus as analytics publishes warning.raised,
so the test names its appeal and day instead of depending on analytics' detection
rules. The telephone letter has no automatic sender: staff call and record the call
through notify's API.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from minsheng_common.auth import webhooks
from minsheng_common.bus.kafka import KafkaPublisher, OutgoingMessage
from minsheng_common.clock import SharedClock
from minsheng_common.devstack.broker import free_port
from minsheng_common.devstack.stack import Stack
from minsheng_common.events import TopicNames, WarningRaised, seal
from minsheng_common.reference import load_reference
from minsheng_common.timeutil import SHANGHAI
from tests.e2e.notify_providers import (
    EMAIL,
    FORUM_REPLY,
    GOV_WECHAT,
    OA,
    REPLY_PREFIX,
    SMS,
    WECHAT_TEMPLATE,
    Delivered,
    Providers,
)
from tests.e2e.support import get, get_when_known, post, start_stack, wait_until

pytestmark = pytest.mark.e2e

START = datetime(2026, 12, 8, 9, 0, tzinfo=SHANGHAI)  # a Tuesday
REPORT_DAY = "2026-12-10"  # Thursday: the report of Wednesday
SUPERVISION_AT = datetime(2026, 12, 14, 9, 1, tzinfo=SHANGHAI)  # the next Monday
RECEIPT_SECRET = "e2e-sms-receipt-secret-0123456789abcdef"
REPLY_CHANNEL = "forum-shenzhen"
WAIT = 30.0

CONTACTS = load_reference().contacts
# The citizens, one per appeal (the same person twice a day would be a repeat).
CITIZEN = "13800001001"
MERGED_EMAIL = "wang.e2e@example.cn"
REFUSED = "13800001003"
FALLBACK_EMAIL = "li.e2e@example.cn"
REJECTED = "13800001004"
ASKING = "13800001005"
OPENID = "oE2E-openid-0006"
FORUM_ACCOUNT = "forum-user-0007"
FORUM_POST = "e2e-post-0007"
CONSULTING = "13800001008"
ENDANGERED = "13800001009"

KNOWLEDGE = {
    "unit_id": "cgj",
    "category_id": "city-sanitation",
    "question": "垃圾分类投放时间是什么时候？",
    "answer": "居民小区实行定时定点投放，每天早上7:00–9:00、晚上18:00–21:00。",
    "keywords": ["垃圾分类", "投放时间"],
    "valid_from": "2026-01-01T00:00:00+08:00",
}


def e164(mobile: str) -> str:
    return f"+86{mobile}"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Journey:
    """What the tests found out along the way, for the tests after them."""

    appeals: dict[str, dict[str, Any]] = field(default_factory=dict)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    covered: dict[str, str] = field(default_factory=dict)
    """message kind → the provider it was seen arriving at."""
    warning_id: str = ""


@pytest.fixture(scope="module")
def providers() -> Iterator[Providers]:
    running = Providers().start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def stack(
    broker: str,
    create_database: Callable[[str], str],
    tmp_path_factory: pytest.TempPathFactory,
    providers: Providers,
) -> Iterator[Stack]:
    """The whole suite on PostgreSQL, its notify sending through `providers`, its
    clock at START."""
    data_dir = tmp_path_factory.mktemp("notify-stack")
    SharedClock(data_dir / "clock.json").set_now(START)
    names = ("intake", "dispatch", "sla", "notify", "analytics", "forum")
    running = start_stack(
        data_dir=data_dir,
        bootstrap=broker,
        topic_prefix=f"notify{free_port()}.",
        database_urls={name: create_database(f"nt{name}") for name in names},
        extra_env={
            **providers.env(reply_channel=REPLY_CHANNEL, receipt_secret=RECEIPT_SECRET),
            # Retries within the test's patience; reports checked often.
            "NOTIFY_SEND_BACKOFF_SECONDS": "0.3",
            "NOTIFY_SEND_BACKOFF_MAX_SECONDS": "1",
            "NOTIFY_SEND_MAX_ATTEMPTS": "3",
            "NOTIFY_SEND_POLL_MS": "100",
            "NOTIFY_MORNING_REPORT_CHECK_SECONDS": "0.2",
        },
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def journey() -> Journey:
    return Journey()


# --- helpers ------------------------------------------------------------------------


def clock(stack: Stack) -> SharedClock:
    return SharedClock(stack.clock_file)


def key_of(stack: Stack, name: str) -> str:
    assert stack.credentials is not None
    return stack.credentials.keys[name]


def unit_key(stack: Stack, unit_id: str) -> str:
    assert stack.credentials is not None
    return stack.credentials.unit_key(unit_id)


def submit(stack: Stack, channel: str, **fields: Any) -> dict[str, Any]:
    """An appeal through `channel`'s own key, received now on the demo clock."""
    assert stack.credentials is not None
    body = {
        "channel": channel,
        "channel_ref": f"e2e-notify-{uuid.uuid4()}",
        "received_at": clock(stack).now().isoformat(),
        **fields,
    }
    answer = post(
        stack,
        "intake",
        "/v1/appeals",
        body,
        key=stack.credentials.channel_key(channel),
    )
    assert answer.status_code == 201, answer.text
    appeal: dict[str, Any] = answer.json()
    return appeal


def order_for(stack: Stack, appeal_id: str) -> dict[str, Any]:
    """The appeal's work order, once dispatch made it."""

    def made() -> dict[str, Any] | None:
        found = get(stack, "dispatch", "/v1/work-orders", appeal_id=appeal_id)
        items = found["items"] if isinstance(found, dict) else found
        return items[0] if items else None

    wait_until(made, WAIT)
    order = made()
    assert order is not None
    return order


def notices_of(stack: Stack, **params: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = get(stack, "notify", "/v1/notices", **params)["items"]
    return items


def arrived(
    providers: Providers, to: str, provider: str, *containing: str
) -> Delivered:
    """The one message to `to` through `provider` whose text holds every one of
    `containing`, once it arrived."""

    def found() -> list[Delivered]:
        return [
            m
            for m in providers.to(to, provider)
            if all(part in m.text for part in containing)
        ]

    wait_until(found, WAIT)
    messages = found()
    assert len(messages) == 1, messages
    return messages[0]


def polled_from_forum(stack: Stack, post_id: str) -> dict[str, Any]:
    """Intake's appeal of a forum post, once the forum adapter polled and
    delivered it: its id, tracking code and decision."""

    def delivered() -> dict[str, Any] | None:
        items = get(stack, "forum", "/v1/items", key=key_of(stack, "operator"))
        for item in items["items"]:
            if item.get("message_id") == post_id and item["status"] == "delivered":
                return dict(item)
        return None

    wait_until(delivered, WAIT)
    item = delivered()
    assert item is not None
    appeal: dict[str, Any] = get(stack, "intake", f"/v1/appeals/{item['appeal_id']}")
    return appeal


def delivered_notice(stack: Stack, appeal_id: str) -> dict[str, Any]:
    """The appeal's one notice, once its channel reported it delivered."""

    def delivered() -> dict[str, Any] | None:
        (notice,) = notices_of(stack, appeal_id=appeal_id)
        return notice if notice.get("delivery_status") == "delivered" else None

    wait_until(delivered, WAIT)
    notice = delivered()
    assert notice is not None
    return notice


def sent_notice(stack: Stack, notice_id: str) -> dict[str, Any]:
    """A notice once it is sent, with every attempt."""

    def sent() -> dict[str, Any] | None:
        notice: dict[str, Any] = get(stack, "notify", f"/v1/notices/{notice_id}")
        return notice if notice["status"] == "sent" else None

    wait_until(sent, WAIT)
    notice = sent()
    assert notice is not None
    return notice


def assert_evidence(attempts: list[dict[str, Any]], message: Delivered) -> None:
    """The last attempt is the one the provider took: its id, the hash of the text
    it got; every attempt before it failed."""
    *failed, last = attempts
    assert [a["outcome"] for a in failed] == ["failed"] * len(failed)
    assert last["outcome"] == "sent"
    assert last["provider_ref"] == message.message_id
    assert last["content_sha256"] == sha256(message.text)
    assert last["recipient_masked"] and "*" in last["recipient_masked"]


def publish(stack: Stack, *events: WarningRaised) -> None:
    """Put events on the suite's bus as their producing service does, each in an
    envelope of its own (an event sent twice gets two event ids)."""
    prefix = TopicNames(stack.common_env["MINSHENG_TOPIC_PREFIX"])
    messages = []
    for event in events:
        envelope = seal(event, producer="analytics", occurred_at=event.raised_at)
        messages.append(
            OutgoingMessage(
                topic=prefix.name(event.topic),
                key=envelope.key,
                value=envelope.to_bytes(),
            )
        )

    async def send() -> None:
        publisher = KafkaPublisher(stack.bootstrap_servers, client_id="e2e-notify")
        await publisher.start()
        try:
            await publisher.publish(messages)
        finally:
            await publisher.stop()

    asyncio.run(send())


def move_clock(stack: Stack, moment: datetime) -> None:
    clock(stack).set_now(moment)


# --- citizens (Art. 11, 18, 28–31, 44) ------------------------------------------------


def test_citizens_are_told_their_filing_on_the_channel_they_gave(
    stack: Stack, providers: Providers, journey: Journey
) -> None:
    """The tracking code by SMS, email, WeChat template message and a reply post on
    the forum the citizen posted on; a refused SMS falls back to the citizen's
    second contact."""
    providers.refuse(e164(REFUSED))
    providers.post_on_forum(
        REPLY_CHANNEL,
        {
            "id": FORUM_POST,
            "title": "下水道堵塞",
            "content": "马峦街道江岭社区江岭路20号门前下水道堵塞，污水外溢。",
            "author": FORUM_ACCOUNT,
            "category": "环境保护",
            "posted_at": clock(stack).now().isoformat(),
        },
    )
    complaint = {
        "type": "complaint",
        "category_hint": "city-sanitation",
        "title": "生活垃圾无人清运",
        "content": "坑梓街道秀新社区秀新路12号门口生活垃圾堆放三天没人清运，气味很大。",
        "address": "坑梓街道秀新社区秀新路12号",
    }
    appeals = {
        "citizen": submit(
            stack,
            "hotline-12345",
            **complaint,
            contact={"kind": "phone", "value": CITIZEN},
        ),
        "merged": submit(
            stack,
            "mailbox",
            **complaint,
            contact={"kind": "email", "value": MERGED_EMAIL},
        ),
        "fallback": submit(
            stack,
            "hotline-12345",
            type="complaint",
            category_hint="municipal-facilities",
            title="路灯不亮",
            content="石井街道田心社区路灯编号 SJ-0231 不亮，晚上很黑。",
            contact={"kind": "phone", "value": REFUSED},
            second_contact={"kind": "email", "value": FALLBACK_EMAIL},
        ),
        "wechat": submit(
            stack,
            "wechat",
            type="complaint",
            category_hint="municipal-facilities",
            title="井盖破损",
            content="碧岭街道汤坑社区汤坑路6号门前井盖破损，行人容易绊倒。",
            contact={"kind": "wechat_openid", "value": OPENID},
        ),
        "forum": polled_from_forum(stack, FORUM_POST),
    }
    for name, appeal in appeals.items():
        assert appeal["decision"]["status"] == "filed", (name, appeal["decision"])
    kept = get(stack, "intake", f"/v1/appeals/{appeals['fallback']['id']}")
    assert kept["second_contact"] == {"kind": "email", "masked": "l***@example.cn"}
    journey.appeals.update(appeals)

    by_sms = arrived(providers, e164(CITIZEN), SMS, appeals["citizen"]["tracking_code"])
    by_mail = arrived(
        providers, MERGED_EMAIL, EMAIL, appeals["merged"]["tracking_code"]
    )
    by_wechat = arrived(
        providers, OPENID, WECHAT_TEMPLATE, appeals["wechat"]["tracking_code"]
    )
    by_forum = arrived(
        providers, FORUM_POST, FORUM_REPLY, appeals["forum"]["tracking_code"]
    )
    fallen_back = arrived(
        providers, FALLBACK_EMAIL, EMAIL, appeals["fallback"]["tracking_code"]
    )

    assert by_mail.subject == "诉求立案告知"
    assert providers.to(e164(REFUSED)) == []
    assert (SMS, e164(REFUSED)) in providers.refusals
    for name, message in [
        ("citizen", by_sms),
        ("merged", by_mail),
        ("wechat", by_wechat),
        ("fallback", fallen_back),
    ]:
        (notice,) = notices_of(stack, appeal_id=appeals[name]["id"])
        assert notice["kind"] == "filed"
        assert notice["id"] == message.reference
        assert_evidence(notice["attempt_log"], message)
    answered_on_forum = delivered_notice(stack, appeals["forum"]["id"])
    assert answered_on_forum["id"] == by_forum.reference
    (handover,) = answered_on_forum["attempt_log"]
    assert handover["channel"] == f"{REPLY_PREFIX}{REPLY_CHANNEL}"
    assert handover["provider_ref"] == by_forum.reference
    assert handover["content_sha256"] == sha256(by_forum.text)
    (fallback,) = notices_of(stack, appeal_id=appeals["fallback"]["id"])
    assert [(a["outcome"], a["channel"]) for a in fallback["attempt_log"]] == [
        ("failed", "sms"),
        ("sent", "email"),
    ]
    assert fallback["attempt_log"][0]["detail"].startswith("send_refused")
    journey.covered["filed"] = SMS


def test_a_provider_receipt_completes_the_evidence(
    stack: Stack, providers: Providers, journey: Journey
) -> None:
    appeal = journey.appeals["citizen"]
    (message,) = providers.to(e164(CITIZEN), SMS)
    delivered_at = clock(stack).now().replace(microsecond=0)
    receipt = {
        "message_id": message.message_id,
        "status": "delivered",
        "at": delivered_at.isoformat(),
    }
    body = json.dumps({"receipts": [receipt]}).encode("utf-8")
    stamp = int(time.time())

    answer = httpx.post(
        f"{stack.url('notify')}/v1/receipts/sms",
        content=body,
        headers={
            "Content-Type": "application/json",
            webhooks.TIMESTAMP_HEADER: str(stamp),
            webhooks.SIGNATURE_HEADER: webhooks.sign(RECEIPT_SECRET, stamp, body),
        },
        timeout=10,
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["applied"] == 1
    (notice,) = notices_of(stack, appeal_id=appeal["id"])
    assert notice["delivery_status"] == "delivered"
    assert datetime.fromisoformat(notice["receipt_at"]) == delivered_at
    assert notice["attempt_log"][-1]["delivery_status"] == "delivered"


def test_rejection_and_instant_answer_reach_the_citizen(
    stack: Stack, providers: Providers, journey: Journey
) -> None:
    created = post(
        stack, "intake", "/v1/knowledge", KNOWLEDGE, key=key_of(stack, "supervisor")
    )
    assert created.status_code == 201, created.text

    rejected = submit(
        stack,
        "hotline-12345",
        type="complaint",
        category_hint="city-sanitation",
        title="小区垃圾没人清理",
        content="北京市朝阳区某小区门口垃圾堆了一周没人清理。",
        contact={"kind": "phone", "value": REJECTED},
    )
    answered = submit(
        stack,
        "hotline-12345",
        type="consultation",
        category_hint="city-sanitation",
        title="垃圾分类投放时间",
        content="请问坑梓街道秀新社区垃圾分类投放时间是什么时候？",
        contact={"kind": "phone", "value": ASKING},
    )

    assert rejected["decision"]["status"] == "rejected"
    assert answered["decision"]["status"] == "answered"
    refusal = arrived(providers, e164(REJECTED), SMS, rejected["tracking_code"])
    answer = arrived(providers, e164(ASKING), SMS, KNOWLEDGE["answer"])
    for appeal, message, kind in [
        (rejected, refusal, "rejected"),
        (answered, answer, "instant_answer"),
    ]:
        (notice,) = notices_of(stack, appeal_id=appeal["id"])
        assert (notice["kind"], notice["id"]) == (kind, message.reference)
        assert_evidence(notice["attempt_log"], message)
        journey.covered[kind] = SMS


def test_signing_merging_and_closing_tell_every_citizen_with_evidence(
    stack: Stack, providers: Providers, journey: Journey
) -> None:
    """Acceptance (Art. 28) after one failed try, exactly one SMS; the handling
    result (Art. 29) to the order's citizen and to the citizen of the order merged
    into it (Art. 18); the return visit after closure (Art. 30), answered unsatisfied
    through its link, makes the order a reopening candidate (Art. 31)."""
    order = order_for(stack, journey.appeals["citizen"]["id"])
    merged = order_for(stack, journey.appeals["merged"]["id"])
    journey.orders["citizen"] = order
    clerk = unit_key(stack, order["unit_id"])

    joined = post(
        stack,
        "dispatch",
        f"/v1/work-orders/{order['id']}/merge",
        {"work_order_ids": [merged["id"]], "reason": "同一地点同一事件，并案办理"},
    )
    assert joined.status_code == 200, joined.text
    providers.fail_next(e164(CITIZEN))
    signed = post(
        stack,
        "dispatch",
        f"/v1/work-orders/{order['id']}/sign",
        {
            "signed_by": "clerk-e2e",
            "acceptance_notice": {"accepted": True, "message": "已受理，三日内清运。"},
        },
        key=clerk,
    )
    assert signed.status_code == 200, signed.text
    acceptance = arrived(providers, e164(CITIZEN), SMS, "三日内清运")
    assert (SMS, e164(CITIZEN)) in providers.failures

    closing = post(
        stack,
        "dispatch",
        f"/v1/work-orders/{order['id']}/closure",
        {
            "handled_at": clock(stack).now().isoformat(),
            "actions": "安排环卫工人清运垃圾并对周边消毒。",
            "result": "垃圾已全部清运，现场恢复整洁。",
            "handling_notice": {"message": "您反映的垃圾问题已处理，垃圾已清运。"},
        },
        key=clerk,
    )
    assert closing.status_code == 200, closing.text
    result = arrived(providers, e164(CITIZEN), SMS, "垃圾已清运")
    merged_result = arrived(providers, MERGED_EMAIL, EMAIL, "垃圾已清运")
    assert journey.appeals["merged"]["tracking_code"] in merged_result.text
    assert merged_result.subject == "诉求办理结果告知"

    def approved() -> bool:
        answer = post(
            stack, "dispatch", f"/v1/work-orders/{order['id']}/closure/approve", {}
        )
        # 409 handling_notice_not_sent until notify's notice.sent arrives.
        return answer.status_code == 200

    wait_until(approved, WAIT)
    visit = arrived(providers, e164(CITIZEN), SMS, "回访")
    token = re.search(r"/v1/surveys/([A-Za-z]{40})", visit.text)
    assert token is not None
    answer = httpx.post(
        f"{stack.url('notify')}/v1/surveys/{token.group(1)}",
        json={"speed": 1, "effect": 1, "service": 2, "system": 3, "solved": False},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    candidates = get(stack, "notify", "/v1/reopen-candidates")["items"]
    assert order["id"] in [c["work_order_id"] for c in candidates]

    evidence = get(stack, "notify", "/v1/evidence", work_order_id=order["id"])
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for notice in evidence["notices"]:
        by_kind.setdefault(notice["kind"], []).append(notice)
    (accepted,) = by_kind["acceptance"]
    assert [a["outcome"] for a in accepted["attempts"]] == ["failed", "sent"]
    assert_evidence(accepted["attempts"], acceptance)
    # Filing, acceptance, result and return visit: one SMS each, the failed try
    # included.
    assert len(providers.to(e164(CITIZEN), SMS)) == 4
    handled = {n["appeal_id"]: n for n in by_kind["handling"]}
    assert_evidence(handled[order["appeal_id"]]["attempts"], result)
    assert_evidence(handled[merged["appeal_id"]]["attempts"], merged_result)
    (survey,) = [
        n
        for n in notices_of(stack, appeal_id=order["appeal_id"])
        if n["kind"] == "return_visit"
    ]
    assert_evidence(survey["attempt_log"], visit)
    journey.covered.update({"acceptance": SMS, "handling": EMAIL, "return_visit": SMS})


# --- units (Art. 39, 40) ----------------------------------------------------------


def handling_deadline(stack: Stack, order: dict[str, Any]) -> dict[str, Any]:
    path = f"/v1/work-orders/{order['id']}/deadlines"

    def known() -> dict[str, Any] | None:
        items = get_when_known(stack, "sla", path) or []
        return next((d for d in items if d["kind"] == "handling"), None)

    wait_until(known, WAIT)
    deadline = known()
    assert deadline is not None
    return deadline


def test_units_are_urged_at_half_two_thirds_and_overdue(
    stack: Stack, providers: Providers, journey: Journey
) -> None:
    """A consultation's one working day runs out unanswered: its unit is urged by
    government WeChat with a rising level, each step once, with evidence."""
    consultation = submit(
        stack,
        "hotline-12345",
        type="consultation",
        category_hint="culture-sport-tourism",
        title="篮球场开放时间",
        content="请问坑梓街道秀新社区体育公园篮球场周末几点开放？",
        address="坑梓街道秀新社区体育公园",
        contact={"kind": "phone", "value": CONSULTING},
    )
    assert consultation["decision"]["status"] == "filed", consultation["decision"]
    order = order_for(stack, consultation["id"])
    journey.appeals["consultation"] = consultation
    journey.orders["consultation"] = order
    due = datetime.fromisoformat(handling_deadline(stack, order)["due_at"])
    account = CONTACTS.units[order["unit_id"]].wechat_work
    assert account is not None

    move_clock(stack, due - timedelta(minutes=5))
    half = arrived(providers, account, GOV_WECHAT, "已过半")
    two_thirds = arrived(providers, account, GOV_WECHAT, "已过三分之二")
    move_clock(stack, due + timedelta(minutes=1))
    overdue = arrived(providers, account, GOV_WECHAT, "已超期")

    evidence = get(stack, "notify", "/v1/evidence", work_order_id=order["id"])
    urgings = [n for n in evidence["notices"] if n["kind"] == "urging"]
    assert len(urgings) == 3
    for message in (half, two_thirds, overdue):
        assert consultation["tracking_code"] in message.text
        (notice,) = [n for n in urgings if n["body"] == message.text]
        assert notice["audience"] == "unit"
        assert_evidence(notice["attempts"], message)
        assert notice["attempts"][-1]["channel"] == "gov_wechat"
    journey.covered["urging"] = GOV_WECHAT


# --- agencies and leaders (Art. 9, 23, 40) -------------------------------------------


def test_a_level_1_appeal_alerts_the_agencies_by_oa_and_telephone_letter(
    stack: Stack, providers: Providers, journey: Journey
) -> None:
    """At once to the agencies level 1 is routed to, by an OA letter and a
    telephone letter; a staff call delivers the telephone letter, on the record."""
    appeal = submit(
        stack,
        "hotline-12345",
        type="complaint",
        category_hint="safety",
        title="厨房煤气泄漏",
        content="坪山街道六和社区和平路8号3栋厨房煤气泄漏，味道很大。",
        address="坪山街道六和社区和平路8号3栋",
        contact={"kind": "phone", "value": ENDANGERED},
    )
    assert appeal["decision"]["status"] == "filed", appeal["decision"]
    appeal = get(stack, "intake", f"/v1/appeals/{appeal['id']}")
    assert appeal["grade"]["level"] == 1
    journey.appeals["level_1"] = appeal
    agencies = load_reference().warning_routes["level_1"]

    letters = [
        arrived(providers, inbox, OA, "一级民生诉求", appeal["tracking_code"])
        for inbox in (CONTACTS.units[a].oa for a in agencies)
        if inbox is not None
    ]
    assert len(letters) == len(agencies)

    def alerted() -> list[dict[str, Any]]:
        notices = notices_of(stack, appeal_id=appeal["id"])
        calls = [n for n in notices if n["kind"] == "telephone_letter"]
        return calls if len(calls) == len(agencies) else []

    wait_until(alerted, WAIT)
    for letter in letters:
        notice = sent_notice(stack, letter.reference or "")
        assert notice["kind"] == "level_1_alert"
        assert_evidence(notice["attempt_log"], letter)
    call = alerted()[0]
    assert call["status"] == "manual"
    recorded = post(
        stack,
        "notify",
        f"/v1/notices/{call['id']}/call-record",
        {
            "called_by": "center-duty-e2e",
            "called_at": (clock(stack).now() - timedelta(seconds=5)).isoformat(),
            "outcome": "reached",
            "duration_seconds": 45,
        },
    )
    assert recorded.status_code == 201, recorded.text
    called = sent_notice(stack, call["id"])
    (attempt,) = called["attempt_log"]
    assert (attempt["outcome"], attempt["channel"]) == ("sent", "call")
    journey.covered.update({"level_1_alert": OA, "telephone_letter": "call"})


def letters_of_warning(
    stack: Stack, providers: Providers, unit_id: str, warning_id: str
) -> list[tuple[Delivered, dict[str, Any]]]:
    """The OA letters an office got about one warning, each with its notice (its
    request id names the warning: analytics may warn of the same appeals too)."""
    inbox = CONTACTS.units[unit_id].oa
    assert inbox is not None
    found = []
    for letter in providers.to(inbox, OA):
        notice = get(stack, "notify", f"/v1/notices/{letter.reference}")
        if notice["kind"] == "warning" and warning_id in notice["request_id"]:
            found.append((letter, notice))
    return found


def test_a_safety_warning_reaches_its_agency_and_subdistrict_once_by_oa(
    stack: Stack, providers: Providers, journey: Journey
) -> None:
    """Sent twice by the bus, the warning is still one letter per office. A later
    warning of the same cluster travels in the same partition: once its letters
    are there, the repeat was read before it."""
    appeal = journey.appeals["level_1"]
    cluster = str(uuid.uuid4())
    common = {
        "cluster_id": cluster,
        "appeal_ids": [appeal["id"]],
        "subdistrict_id": appeal["place"]["subdistrict_id"],
        "count": 1,
        "raised_at": clock(stack).now(),
    }
    warning = WarningRaised(
        warning_id=str(uuid.uuid4()), kind="safety_hazard", **common
    )
    later = WarningRaised(warning_id=str(uuid.uuid4()), kind="sensitive", **common)
    journey.warning_id = warning.warning_id

    publish(stack, warning, warning, later)

    routes = load_reference().warning_routes
    for unit_id in routes["sensitive"]:
        wait_until(
            lambda u=unit_id: letters_of_warning(stack, providers, u, later.warning_id),
            WAIT,
        )
    for unit_id in [*routes["safety_hazard"], appeal["place"]["subdistrict_id"]]:
        ((letter, notice),) = letters_of_warning(
            stack, providers, unit_id, warning.warning_id
        )
        assert letter.text.startswith("【安全隐患预警】")
        assert appeal["tracking_code"] in letter.text
        assert notice["unit_id"] == unit_id
        assert_evidence(notice["attempt_log"], letter)
    journey.covered["warning"] = OA


def test_a_reminder_letter_goes_to_the_units_oa_system(
    stack: Stack, providers: Providers, journey: Journey
) -> None:
    order = journey.orders["consultation"]
    inbox = CONTACTS.units[order["unit_id"]].oa
    assert inbox is not None

    written = post(
        stack,
        "notify",
        "/v1/reminder-letters",
        {
            "unit_id": order["unit_id"],
            "work_order_ids": [order["id"]],
            "text": "该工单已超期，请立即答复市民并反馈办理情况。",
            "request_id": "e2e-reminder-1",
        },
    )

    assert written.status_code == 201, written.text
    letter = arrived(providers, inbox, OA, "请立即答复市民")
    assert letter.reference == written.json()["notice_id"]
    evidence = get(stack, "notify", "/v1/evidence", work_order_id=order["id"])
    (notice,) = [n for n in evidence["notices"] if n["kind"] == "reminder_letter"]
    assert_evidence(notice["attempts"], letter)
    journey.covered["reminder_letter"] = OA


def test_the_morning_report_tells_the_leaders_of_the_day_before(
    stack: Stack, providers: Providers, journey: Journey
) -> None:
    """Thursday 08:00: Wednesday's level-1 appeal, warning and overdue order, to
    each leader by the channel the contacts give (Art. 23)."""
    move_clock(stack, datetime(2026, 12, 10, 8, 0, 30, tzinfo=SHANGHAI))

    path = f"/v1/morning-reports/{REPORT_DAY}"
    wait_until(lambda: get_when_known(stack, "notify", path), WAIT)
    report = get(stack, "notify", path)

    level_1 = journey.appeals["level_1"]
    assert [i["code"] for i in report["level_1"]] == [level_1["tracking_code"]]
    # Analytics may raise warnings of its own the same day.
    assert journey.warning_id in [i["warning_id"] for i in report["warnings"]]
    overdue = journey.orders["consultation"]
    assert [i["work_order_id"] for i in report["overdue"]] == [overdue["id"]]
    for leader in CONTACTS.leaders:
        provider, address = (
            (GOV_WECHAT, leader.wechat_work)
            if leader.via == "wechat_work"
            else (SMS, leader.sms)
        )
        assert address is not None
        message = arrived(providers, address, provider, level_1["tracking_code"])
        assert message.text == report["body"]
        if message.reference is not None:
            notice = sent_notice(stack, message.reference)
            assert notice["kind"] == "morning_report"
            assert_evidence(notice["attempt_log"], message)
    journey.covered["morning_report"] = GOV_WECHAT


def test_the_weekly_supervision_lists_the_units_overdue_orders(
    stack: Stack, providers: Providers, journey: Journey
) -> None:
    order = journey.orders["consultation"]
    inbox = CONTACTS.units[order["unit_id"]].oa
    assert inbox is not None

    move_clock(stack, SUPERVISION_AT)

    letter = arrived(providers, inbox, OA, "超期督办")
    assert journey.appeals["consultation"]["tracking_code"] in letter.text
    notice = sent_notice(stack, letter.reference or "")
    assert (notice["kind"], notice["unit_id"]) == ("supervision", order["unit_id"])
    assert_evidence(notice["attempt_log"], letter)
    journey.covered["supervision"] = OA


def test_every_message_kind_arrived_end_to_end(stack: Stack, journey: Journey) -> None:
    """Each kind notify has a template for was seen arriving above."""
    kinds = {t["kind"] for t in get(stack, "notify", "/v1/templates")["items"]}

    assert kinds == set(journey.covered), sorted(kinds ^ set(journey.covered))
