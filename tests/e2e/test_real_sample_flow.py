"""The real forum sample through every service, on PostgreSQL and the broker.

The sample (services/forum/minsheng_forum/data/labelled-messages.csv) has 495 rows and
494 distinct messages: message 37042 appears twice with different labels, and the
second delivery must return the first result. After the adapter maps the publisher's
masked places ("A市" → 深圳市坪山区, A1区…A9区 → the subdistricts), intake's filing
rules (measured after the whole issue-4 pipeline: type, category, repeats, clusters,
instant answers) give:

- 47 filed, each dispatched at once as one work order: every one has a category and a
  subdistrict, so a rule of its category for its place (or a keyword) routes it and
  routing is certain; none waits in the dispatch queue (Art. 12);
- 5 held for on-site verification (`pending_verification`): complaints of illegal
  building, group renting or road occupation, which a grid worker checks first;
- 442 not filed:
  - 363 name no place in the district at all (other cities and counties):
    `no_place_in_district` (Art. 11(3)2, 11(3)7);
  - 75 name only the district (深圳市坪山区), or a subdistrict but, for a complaint,
    no house number, building or lamp post: `address_not_precise` (Art. 11(2)3,
    11(3)2);
  - 3 are before a court or arbitrator: `law_litigation` (Art. 11(3)4);
  - 1 is a same-day repeat: `repeat_same_day` (Art. 11(3)5). Account A00081335
    wrote twice about the same estate's postal service (同升湖山庄…邮政盲区, messages
    167074 and 167053); the replay puts all 494 messages within a second, so the
    second is the same person, channel and problem on the same day, not filed and
    linked to the first.

No message waits for classification (the forum maps every label to a category) and
none is answered at once (the knowledge base is empty). Event clusters change no
count: they only link the filed appeals of one event.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from minsheng_common.clock import SharedClock
from minsheng_common.devstack.stack import Stack
from minsheng_common.reference import load_reference
from minsheng_common.rules import load_rule_book
from minsheng_common.working_calendar import default_calendar
from tests.e2e.pii_scan import event_texts, log_texts, scan
from tests.e2e.support import get, get_when_known, post, wait_until

pytestmark = pytest.mark.e2e

ROWS = 495
APPEALS = 494
FILED = 47
PENDING_VERIFICATION = 5
REJECTED = {
    "no_place_in_district": 363,
    "address_not_precise": 75,
    "law_litigation": 3,
    "repeat_same_day": 1,
}
SIGNED_BY_HAND = 12
CALENDAR = default_calendar(load_reference().hours())
RULES = load_rule_book()


def unit_key_of(stack: Stack, unit_id: str) -> str:
    assert stack.credentials is not None
    return stack.credentials.unit_key(unit_id)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def filed_appeals(stack: Stack) -> list[dict[str, Any]]:
    page = get(stack, "intake", "/v1/appeals", decision="filed", limit=500)
    return list(page["items"])


def order_of(stack: Stack, appeal_id: str) -> list[dict[str, Any]]:
    answer = get(stack, "dispatch", "/v1/work-orders", appeal_id=appeal_id)
    return list(answer["items"] if isinstance(answer, dict) else answer)


def expected_unit(appeal: dict[str, Any]) -> str:
    """The unit the reference routing names: the unit of the category's keyword that
    appears first in the text, else the category's default unit, else the
    subdistrict."""
    reference = load_reference()
    category = reference.category(appeal["category_id"])
    text = f"{appeal['title']}\n{appeal['content']}"
    found = [(text.find(k), unit) for k, unit in category.examples.items() if k in text]
    if found:
        return min(found)[1]
    if category.territorial or category.default_unit is None:
        return str(appeal["place"]["subdistrict_id"])
    return category.default_unit


@pytest.fixture(scope="module")
def replayed(postgres_stack: Stack) -> Stack:
    """The whole sample delivered to intake, at a compression that puts it all within
    a second of the demo clock."""
    answer = post(postgres_stack, "forum", "/v1/replay", {"compression": 1e9})
    assert answer.status_code == 202, answer.text

    def delivered() -> bool:
        stats = get(postgres_stack, "forum", "/v1/stats")
        return stats["pending"] == 0 and stats["delivered"] == ROWS

    wait_until(delivered, 120)
    return postgres_stack


def test_intake_files_and_rejects_the_stated_numbers(replayed: Stack) -> None:
    counts = get(replayed, "intake", "/v1/appeal-counts")

    assert counts["total"] == APPEALS
    assert counts["filed"] == FILED
    assert counts["by_status"]["pending_verification"] == PENDING_VERIFICATION
    assert counts["by_reason"] == REJECTED
    assert get(replayed, "forum", "/v1/stats")["already_received"] == 1


def test_one_work_order_per_filed_appeal_for_the_routed_unit(replayed: Stack) -> None:
    appeals = filed_appeals(replayed)
    assert len(appeals) == FILED

    wait_until(lambda: all(order_of(replayed, a["id"]) for a in appeals), 60)
    for appeal in appeals:
        orders = order_of(replayed, appeal["id"])
        assert len(orders) == 1, appeal["id"]
        assert orders[0]["unit_id"] == expected_unit(appeal), appeal["title"]


def test_every_deadline_equals_the_calendars_answer(replayed: Stack) -> None:
    appeals = filed_appeals(replayed)

    for appeal in appeals:
        order = order_of(replayed, appeal["id"])[0]
        edition = RULES.in_force(at(order["created_at"]))

        def both_set(order_id: str = order["id"]) -> list[dict[str, Any]] | None:
            items = get(replayed, "sla", f"/v1/work-orders/{order_id}/deadlines")
            kinds = {d["kind"] for d in items}
            return items if {"sign_off", "handling"} <= kinds else None

        wait_until(both_set, 30)
        deadlines = {d["kind"]: d for d in both_set()}
        dispatched_at = at(order["dispatched_at"])
        sign_off = CALENDAR.add_working_hours(dispatched_at, edition.sign_off)
        handling = CALENDAR.add_working_days(
            at(order["created_at"]), edition.handling_days(appeal["type"])
        )
        assert at(deadlines["sign_off"]["due_at"]) == sign_off.at
        assert at(deadlines["handling"]["due_at"]) == handling.at
        assert deadlines["handling"]["provisional"] == handling.provisional


def test_signing_yields_exactly_one_acceptance_notice_with_evidence(
    replayed: Stack,
) -> None:
    orders = [order_of(replayed, a["id"])[0] for a in filed_appeals(replayed)]
    sample = orders[:SIGNED_BY_HAND]

    for order in sample:
        unit_key = unit_key_of(replayed, order["unit_id"])
        answer = post(
            replayed,
            "dispatch",
            f"/v1/work-orders/{order['id']}/sign",
            {
                "signed_by": "clerk-e2e",
                "acceptance_notice": {"accepted": True, "message": "已受理。"},
            },
            key=unit_key,
        )
        assert answer.status_code == 200, answer.text
        again = post(
            replayed,
            "dispatch",
            f"/v1/work-orders/{order['id']}/acceptance-notice",
            {"requested_by": "clerk-e2e", "accepted": True, "message": "再次告知"},
            key=unit_key,
        )
        assert again.status_code == 409

    for order in sample:

        def sent(order_id: str = order["id"]) -> list[dict[str, Any]] | None:
            notices = get(replayed, "notify", "/v1/notices", work_order_id=order_id)
            items = notices["items"] if isinstance(notices, dict) else notices
            return items if items and items[0]["status"] == "sent" else None

        wait_until(sent, 30)
        notices = sent()
        assert notices is not None and len(notices) == 1
        evidence = notices[0]
        assert evidence["sent_at"] and evidence["provider_ref"]
        assert evidence["attempts"] >= 1
        assert "*" in evidence["recipient_masked"]


def test_unsigned_orders_are_signed_by_default_when_sign_off_time_passes(
    replayed: Stack,
) -> None:
    orders = [order_of(replayed, a["id"])[0] for a in filed_appeals(replayed)]
    SharedClock(replayed.clock_file).advance(timedelta(days=4))

    def all_signed() -> bool:
        current = [order_of(replayed, o["appeal_id"])[0] for o in orders]
        return all(o["status"] == "signed" for o in current)

    wait_until(all_signed, 60)
    current = [order_of(replayed, o["appeal_id"])[0] for o in orders]
    modes = sorted(o["sign_mode"] for o in current)
    assert modes.count("manual") == SIGNED_BY_HAND
    assert modes.count("auto") == FILED - SIGNED_BY_HAND

    late = next(o for o in current if o["sign_mode"] == "auto")
    answer = post(
        replayed,
        "dispatch",
        f"/v1/work-orders/{late['id']}/sign",
        {"signed_by": "late-clerk"},
        key=unit_key_of(replayed, late["unit_id"]),
    )
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "already_signed"


def test_analytics_counts_equal_intakes(replayed: Stack) -> None:
    intake = get(replayed, "intake", "/v1/appeal-counts")

    def caught_up() -> dict[str, Any] | None:
        kpis = get(replayed, "analytics", "/v1/kpis")
        totals = kpis["totals"]
        return kpis if totals["filed"] == intake["filed"] else None

    wait_until(caught_up, 60)
    kpis = caught_up()
    assert kpis is not None
    assert kpis["totals"]["received"] == intake["total"]
    assert kpis["totals"]["rejected"] == intake["rejected"]
    assert kpis["totals"]["dispatched"] == FILED
    assert kpis["by_rejection_reason"] == intake["by_reason"]
    assert (
        sum(kpis["by_channel"].values()) == intake["total"]
        if isinstance(next(iter(kpis["by_channel"].values())), int)
        else True
    )


def test_a_deadline_reaching_into_2027_is_provisional_and_does_not_fail(
    replayed: Stack,
) -> None:
    clock = SharedClock(replayed.clock_file)
    clock.set_now(datetime.fromisoformat("2026-12-28T10:00:00+08:00"))
    answer = post(
        replayed,
        "intake",
        "/v1/appeals",
        {
            "channel": "hotline-12345",
            "channel_ref": "e2e-2027",
            "type": "complaint",
            "category_hint": "municipal-facilities",
            "title": "路灯不亮",
            "content": "石井街道田心社区路灯编号 SJ-0231 不亮。",
            "contact": {"kind": "phone", "value": "13900001111"},
            "received_at": "2026-12-28T10:00:00+08:00",
        },
    )
    assert answer.status_code == 201, answer.text
    appeal_id = answer.json()["id"]

    wait_until(lambda: order_of(replayed, appeal_id), 30)
    order = order_of(replayed, appeal_id)[0]

    def handling() -> dict[str, Any] | None:
        path = f"/v1/work-orders/{order['id']}/deadlines"
        items = get_when_known(replayed, "sla", path) or []
        return next((d for d in items if d["kind"] == "handling"), None)

    wait_until(handling, 30)
    deadline = handling()
    assert deadline is not None
    expected = CALENDAR.add_working_days(at(order["created_at"]), 7)
    assert deadline["provisional"] is True
    assert at(deadline["due_at"]) == expected.at
    assert expected.provisional_years == (2027,)


PERSON = {
    "name": "王小明",
    "mobile": "13712349876",
    "mobile_e164": "+8613712349876",
    "email": "wang.xm@example.cn",
    "id_number": "440310199001011234",
}
# Forum accounts of the sample are contacts too.
FORUM_ACCOUNTS = ["A00074011", "A000107866", "A0009647"]


def test_no_personal_data_in_logs_events_or_exports(replayed: Stack) -> None:
    assert replayed.credentials is not None
    hotline = replayed.credentials.channel_key("hotline-12345")
    submitted = post(
        replayed,
        "intake",
        "/v1/appeals",
        {
            "channel": "hotline-12345",
            "channel_ref": "pii-scan-1",
            "type": "complaint",
            "category_hint": "city-sanitation",
            "name": PERSON["name"],
            "title": f"{PERSON['name']}反映垃圾未清运",
            "content": (
                f"我是{PERSON['name']}，电话 137 1234 9876，邮箱 {PERSON['email']}，"
                f"身份证 {PERSON['id_number']}。"
                "坪山街道六和社区和平路8号门口垃圾三天未清运。"
            ),
            "contact": {"kind": "phone", "value": "137 1234 9876"},
            "received_at": SharedClock(replayed.clock_file).now().isoformat(),
        },
        key=hotline,
    )
    assert submitted.status_code == 201, submitted.text
    appeal = submitted.json()
    wait_until(lambda: order_of(replayed, appeal["id"]), 30)
    order = order_of(replayed, appeal["id"])[0]
    signed = post(
        replayed,
        "dispatch",
        f"/v1/work-orders/{order['id']}/sign",
        {
            "signed_by": "clerk-e2e",
            "acceptance_notice": {"accepted": True, "message": "已受理。"},
        },
        key=unit_key_of(replayed, order["unit_id"]),
    )
    assert signed.status_code in (200, 409), signed.text
    wait_until(
        lambda: (
            get(replayed, "analytics", "/v1/kpis")["totals"]["received"] == APPEALS + 2
        ),
        30,
    )

    texts = log_texts(replayed) + event_texts(replayed) + export_texts(replayed)
    secrets = [*PERSON.values(), *FORUM_ACCOUNTS]

    assert scan(texts, [appeal["tracking_code"]]), "the scan must see the run's data"
    assert scan(texts, secrets) == []


def export_texts(stack: Stack) -> list[tuple[str, str]]:
    """What analytics gives to dashboards and people: the KPIs and the page."""
    headers = {"X-API-Key": stack.credentials.keys["dashboard"]}  # type: ignore[union-attr]
    base = stack.url("analytics")
    return [
        (f"export {path}", httpx.get(f"{base}{path}", headers=headers, timeout=10).text)
        for path in ("/v1/kpis", "/v1/kpis/definitions", "/")
    ]


def test_an_appeal_routing_is_not_certain_of_waits_for_an_operator(
    replayed: Stack,
) -> None:
    """Art. 12: every sample appeal above was certain (a category and a subdistrict)
    and went out at once. Here the center closes the education rule of 龙田街道;
    an appeal of it there has only the category's default, waits in the dispatch
    queue, and an operator dispatches it through the API, timed from filing."""
    assert replayed.credentials is not None
    supervisor = replayed.credentials.keys["supervisor"]
    rules = get(
        replayed,
        "dispatch",
        "/v1/routing-rules",
        key=supervisor,
        category_id="education",
    )
    (placed,) = [
        r
        for r in rules
        if r["subdistrict_id"] == "longtian-jd"
        and r["keyword"] is None
        and r["in_force"]
    ]
    closed = post(
        replayed,
        "dispatch",
        f"/v1/routing-rules/{placed['id']}/retire",
        {"reason": "职责调整，待重新划分"},
        key=supervisor,
    )
    assert closed.status_code == 200, closed.text
    submitted = post(
        replayed,
        "intake",
        "/v1/appeals",
        {
            "channel": "hotline-12345",
            "channel_ref": "e2e-queue-1",
            "type": "complaint",
            "category_hint": "education",
            "title": "校门口上下学拥堵",
            "content": "龙田街道龙田社区龙田路8号学校门口上下学时段车辆乱停，"
            "学生过马路危险。",
            "contact": {"kind": "phone", "value": "13900002222"},
            "received_at": SharedClock(replayed.clock_file).now().isoformat(),
        },
        key=replayed.credentials.channel_key("hotline-12345"),
    )
    assert submitted.status_code == 201, submitted.text
    appeal = submitted.json()
    assert appeal["decision"]["status"] == "filed", appeal

    def queued() -> dict[str, Any] | None:
        waiting = get(replayed, "dispatch", "/v1/dispatch-queue")["items"]
        return next((e for e in waiting if e["appeal_id"] == appeal["id"]), None)

    wait_until(queued, 30)
    entry = queued()
    assert entry is not None
    assert (entry["reason"], entry["suggested_unit_id"]) == ("category_default", "jyj")
    assert order_of(replayed, appeal["id"]) == []

    def counted(queued: int) -> bool:
        """Whether analytics counts every filed appeal, dispatched or queued."""
        totals = get(replayed, "analytics", "/v1/kpis")["totals"]
        filed = get(replayed, "intake", "/v1/appeal-counts")["filed"]
        return totals["filed"] == filed and totals["dispatched"] + queued == filed

    wait_until(lambda: counted(queued=1), 30)
    chosen = post(
        replayed,
        "dispatch",
        f"/v1/dispatch-queue/{appeal['id']}/dispatch",
        {"unit_id": "jyj", "reason": "仍由教育局处理"},
    )
    assert chosen.status_code == 200, chosen.text
    (order,) = order_of(replayed, appeal["id"])
    assert order["id"] == chosen.json()["work_order_id"]
    assert (order["unit_id"], order["route"]["reason"]) == ("jyj", "operator")
    assert order["dispatched_within_target"] is True
    wait_until(lambda: counted(queued=0), 30)


def scrape(stack: Stack, service: str) -> dict[tuple[str, frozenset[Any]], float]:
    """A service's /metrics, unauthenticated as Prometheus reads it, by sample name
    and labels."""
    answer = httpx.get(f"{stack.url(service)}/metrics", timeout=10)
    answer.raise_for_status()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def total(
    samples: dict[tuple[str, frozenset[Any]], float], name: str, **labels: str
) -> float:
    """The sum of `name` over every series that has `labels`."""
    wanted = set(labels.items())
    return sum(
        value
        for (sample, found), value in samples.items()
        if sample == name and wanted <= found
    )


def test_metrics_count_what_the_flow_did(replayed: Stack) -> None:
    """Run last: by now the module has filed, dispatched, signed, reached and
    notified; each service's counters must agree with what the others report."""
    appeals_topic = f"{replayed.common_env['MINSHENG_TOPIC_PREFIX']}appeals"

    # Requests by route template and status: three answers, three counted.
    route = {"route": "/v1/appeal-counts", "status": "200"}
    before = total(scrape(replayed, "intake"), "minsheng_http_requests_total", **route)
    for _ in range(3):
        filed = get(replayed, "intake", "/v1/appeal-counts")["filed"]
    after = scrape(replayed, "intake")
    assert total(after, "minsheng_http_requests_total", **route) == before + 3
    timed = {"route": "/v1/appeal-counts"}
    assert total(after, "minsheng_http_request_duration_seconds_count", **timed) >= 3

    # Every filed appeal left intake once as appeal.filed and was applied once by
    # dispatch; the outboxes drained and the consumer groups caught up.
    filed_events = {"topic": appeals_topic, "type": "appeal.filed"}

    def drained() -> bool:
        intake, dispatch = scrape(replayed, "intake"), scrape(replayed, "dispatch")
        return (
            total(intake, "minsheng_events_published_total", **filed_events) == filed
            and total(
                dispatch,
                "minsheng_events_consumed_total",
                **filed_events,
                outcome="applied",
            )
            == filed
            and total(intake, "minsheng_outbox_backlog") == 0
            and any(name == "minsheng_consumer_lag" for name, _ in dispatch)
            and total(dispatch, "minsheng_consumer_lag") == 0
        )

    wait_until(drained, 60, every=1.0)
    dispatch = scrape(replayed, "dispatch")
    assert total(dispatch, "minsheng_events_dead_lettered_total") == 0
    assert total(scrape(replayed, "intake"), "minsheng_outbox_relay_active") == 1

    # The sign-off clocks sla reached are the ones its store says were reached.
    reached = get(replayed, "sla", "/v1/deadlines", status="reached", kind="sign_off")
    sla = scrape(replayed, "sla")
    assert reached["total"] > 0
    assert (
        total(sla, "minsheng_sla_deadlines_reached_total", kind="sign_off")
        == reached["total"]
    )
    wait_until(
        lambda: total(scrape(replayed, "sla"), "minsheng_sla_deadlines_due") == 0,
        30,
        every=1.0,
    )

    # Acceptance notices notify sent, by channel, are the ones analytics counted.
    kpis = get(replayed, "analytics", "/v1/kpis")["totals"]
    notify = scrape(replayed, "notify")
    assert kpis["acceptance_notices_sent"] > 0
    assert (
        total(notify, "minsheng_notify_notices_sent_total", kind="acceptance")
        == kpis["acceptance_notices_sent"]
    )
