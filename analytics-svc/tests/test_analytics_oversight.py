"""What happens around the work orders, in the projection: warnings (Art. 23),
urging (Art. 39), weekly overdue lists (Art. 40), ownership disputes (Art. 24),
reply-template requests (Art. 43), return visits (Art. 30), calendar alerts, orders
replaced by split or parallel ones (Art. 19, 20) and cooperating opinions. Each on
SQLite and PostgreSQL, in any order of arrival, and counted once however often it is
delivered."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from minsheng_analytics import repository, service
from minsheng_analytics.models import (
    Base,
    DisputeFact,
    OverdueListFact,
    OverdueListOrderFact,
    ReplyTemplateFact,
    ReturnVisitFact,
    WorkOrderFact,
)
from minsheng_common import db
from minsheng_common.bus.tables import bus_metadata
from minsheng_common.clock import FixedClock
from minsheng_common.events import (
    CalendarYearMissing,
    DeadlineUrged,
    OverdueOrder,
    OverdueSupervised,
    ReplyTemplateReceived,
    ReplyTemplateRequested,
    ReturnVisitAnswered,
    WarningRaised,
    WorkOrderClosed,
    WorkOrderDisputeDecided,
    WorkOrderDisputeEscalated,
    WorkOrderOpinionSubmitted,
    WorkOrderReplaced,
)
from minsheng_common.reference import load_reference
from minsheng_common.rules import load_rule_book

Step = tuple[Any, datetime]

# T0 (the stories' start) is Monday 2 March 2026, 09:00 in Shanghai.
WEEK = date(2026, 3, 2)
NEXT_WEEK = date(2026, 3, 9)


class Around:
    """Events around one story's work order; `minutes` count from T0."""

    def __init__(self, story: Any) -> None:
        self.story = story
        self.ids = {
            "work_order_id": story.work_order_id,
            "appeal_id": story.appeal_id,
        }
        self.unit_ids = {**self.ids, "unit_id": story.unit_id}

    def urged(self, step: str, minutes: float) -> Step:
        level = {"half": 1, "two_thirds": 2, "overdue": 3}[step]
        event = DeadlineUrged(
            deadline_id=f"dl-handling-{self.story.appeal_id}",
            **self.unit_ids,
            kind="handling",
            step=step,
            level=level,
            due_at=at(3000),
            urged_at=at(minutes),
        )
        return event, at(minutes)

    def escalated(
        self, dispute_id: str, level: str, minutes: float, units: tuple[str, ...]
    ) -> Step:
        event = WorkOrderDisputeEscalated(
            dispute_id=dispute_id,
            **self.ids,
            level=level,
            unit_ids=list(units),
            reason="两个单位都认为不属本单位职责",
            escalated_at=at(minutes),
            escalated_by="operator-1",
        )
        return event, at(minutes)

    def decided(self, dispute_id: str, level: str, owner: str, minutes: float) -> Step:
        event = WorkOrderDisputeDecided(
            dispute_id=dispute_id,
            **self.ids,
            level=level,
            owner_unit_id=owner,
            decision="由该单位办理",
            decided_at=at(minutes),
            decided_by="operator-1",
        )
        return event, at(minutes)

    def template_requested(self, request_id: str, minutes: float) -> Step:
        event = ReplyTemplateRequested(
            request_id=request_id,
            **self.unit_ids,
            category_id="city-sanitation",
            closed_work_order_ids=["wo-x-1", "wo-x-2", self.story.work_order_id],
            closed_at=at(minutes - 5),
            requested_at=at(minutes),
        )
        return event, at(minutes)

    def template_received(self, request_id: str, minutes: float) -> Step:
        event = ReplyTemplateReceived(
            request_id=request_id,
            **self.unit_ids,
            category_id="city-sanitation",
            closed_at=at(minutes - 60),
            received_at=at(minutes),
            received_by="clerk-of-the-unit",
        )
        return event, at(minutes)

    def visited(self, survey_id: str, minutes: float, *, satisfied: bool) -> Step:
        rating = 5 if satisfied else 2
        event = ReturnVisitAnswered(
            survey_id=survey_id,
            **self.unit_ids,
            channel="sms",
            speed=rating,
            effect=rating,
            service=rating,
            system=None,
            satisfied=satisfied,
            solved=satisfied,
            answered_at=at(minutes),
        )
        return event, at(minutes)

    def replaced(self, kind: str, minutes: float, replacements: list[str]) -> Step:
        event = WorkOrderReplaced(
            **self.unit_ids,
            kind=kind,
            replacement_ids=replacements,
            parallel_group_id="pg-1" if kind == "parallel" else None,
            reason="涉及多个单位",
            replaced_at=at(minutes),
            replaced_by="operator-1",
        )
        return event, at(minutes)

    def opinion(self, minutes: float, *, on_time: bool) -> Step:
        event = WorkOrderOpinionSubmitted(
            **self.unit_ids,
            parallel_group_id="pg-1",
            lead_work_order_id="wo-lead",
            submitted_at=at(minutes),
            submitted_by="clerk",
            due_at=at(200),
            on_time=on_time,
        )
        return event, at(minutes)

    def closed(self, minutes: float) -> Step:
        event = WorkOrderClosed(
            **self.unit_ids,
            outcome="on_time",
            handled_at=at(minutes - 10),
            closed_at=at(minutes),
            closed_by="operator-1",
        )
        return event, at(minutes)


def at(minutes: float) -> datetime:
    return datetime(2026, 3, 2, 1, 0, tzinfo=UTC) + timedelta(minutes=minutes)


def warning(
    warning_id: str,
    kind: str,
    appeals: list[str],
    minutes: float,
    *,
    cluster: str | None = "cl-1",
) -> Step:
    event = WarningRaised(
        warning_id=warning_id,
        kind=kind,
        cluster_id=cluster,
        appeal_ids=appeals,
        subdistrict_id="kengzi-jd",
        count=len(set(appeals)),
        window_hours=24 if kind == "hotspot" else None,
        raised_at=at(minutes),
    )
    return event, at(minutes)


def overdue_list(
    supervision_id: str,
    unit_id: str,
    week: date,
    orders: list[tuple[Any, str]],
    minutes: float,
) -> Step:
    event = OverdueSupervised(
        supervision_id=supervision_id,
        unit_id=unit_id,
        week_of=week,
        orders=[
            OverdueOrder(
                work_order_id=appeal.work_order_id,
                appeal_id=appeal.appeal_id,
                kind=kind,
                due_at=at(-60),
            )
            for appeal, kind in orders
        ],
        listed_at=at(minutes),
    )
    return event, at(minutes)


def calendar_missing(year: int, provisional: int, minutes: float) -> Step:
    event = CalendarYearMissing(
        year=year, provisional_deadlines=provisional, raised_at=at(minutes)
    )
    return event, at(minutes)


def context() -> service.AnalyticsContext:
    return service.AnalyticsContext(
        reference=load_reference(),
        rule_book=load_rule_book(),
        clock=FixedClock(at(60 * 24 * 30)),
        refresh_seconds=10,
        recent=20,
    )


async def row(sessions: Any, model: type[Base], key: Any) -> Any:
    async with sessions() as session:
        return await session.get(model, key)


async def kpis(sessions: Any) -> Any:
    async with sessions() as session:
        return await service.kpis(
            session=session, context=context(), within=repository.Window()
        )


async def test_analytics_a_warning_is_kept_with_its_appeals_art_23(
    store_projector: Any, store: Any
) -> None:
    await store_projector.apply(
        warning("w-1", "hotspot", ["a-3", "a-1", "a-2", "a-1", "a-4", "a-5"], 30)
    )

    async with store() as session:
        page = await service.warnings(
            session=session, kind=None, since=None, limit=50, offset=0
        )
    assert page.total == 1
    kept = page.items[0].model_dump()
    assert kept == {
        "warning_id": "w-1",
        "kind": "hotspot",
        "cluster_id": "cl-1",
        "appeal_ids": ["a-1", "a-2", "a-3", "a-4", "a-5"],
        "count": 5,
        "subdistrict_id": "kengzi-jd",
        "window_hours": 24,
        "raised_at": at(30),
    }


async def test_analytics_warnings_are_listed_newest_first_by_kind_and_since(
    store_projector: Any, store: Any
) -> None:
    await store_projector.apply_all(
        [
            warning("w-1", "hotspot", ["a-1"], 10),
            warning("w-2", "sensitive", ["a-2"], 20, cluster=None),
            warning("w-3", "hotspot", ["a-3"], 30, cluster="cl-2"),
        ]
    )

    async def listed(**filters: Any) -> tuple[list[str], int]:
        query = {"kind": None, "since": None, "limit": 50, "offset": 0, **filters}
        async with store() as session:
            page = await service.warnings(session=session, **query)
        return [item.warning_id for item in page.items], page.total

    assert await listed() == (["w-3", "w-2", "w-1"], 3)
    assert await listed(kind="hotspot") == (["w-3", "w-1"], 2)
    assert await listed(since=at(20)) == (["w-3", "w-2"], 2)
    assert await listed(limit=1, offset=1) == (["w-2"], 3)


async def test_analytics_get_warnings_lists_them_for_a_reader(
    client: httpx.AsyncClient, app_projector: Any
) -> None:
    await app_projector.apply_all(
        [
            warning("w-0", "hotspot", ["a-0"], 1),
            warning("w-1", "hotspot", ["a-1", "a-2"], 10),
            warning("w-2", "safety_hazard", ["a-9"], 20, cluster="cl-9"),
        ]
    )

    # A time without offset is Shanghai's: 09:05 there is T0 + 5 minutes.
    answer = await client.get(
        "/v1/warnings", params={"kind": "hotspot", "since": "2026-03-02T09:05:00"}
    )

    assert answer.status_code == 200
    body = answer.json()
    assert body["total"] == 1
    assert body["items"] == [
        {
            "warning_id": "w-1",
            "kind": "hotspot",
            "cluster_id": "cl-1",
            "appeal_ids": ["a-1", "a-2"],
            "count": 2,
            "subdistrict_id": "kengzi-jd",
            "window_hours": 24,
            "raised_at": "2026-03-02T01:10:00Z",
        }
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"kind": "storm"}, "query.kind"),
        ({"since": "yesterday"}, "query.since"),
        ({"limit": "0"}, "query.limit"),
        ({"offset": "-1"}, "query.offset"),
    ],
)
async def test_analytics_get_warnings_refuses_bad_filters(
    client: httpx.AsyncClient, query: dict[str, str], field: str
) -> None:
    answer = await client.get("/v1/warnings", params=query)

    assert answer.status_code == 422
    error = answer.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_request", field)


async def test_analytics_urgings_are_counted_per_unit_and_step_art_39(
    store_projector: Any, store: Any, story: Callable[..., Any]
) -> None:
    urged, twice = story("a-1"), story("a-2", unit_id="swj")
    first, other = Around(urged), Around(twice)
    await store_projector.apply_all(
        [
            *(step for appeal in (urged, twice) for step in dispatched(appeal)),
            first.urged("half", 100),
            first.urged("two_thirds", 200),
            first.urged("overdue", 300),
            # A clock counted again may urge a step again: the first urging stands.
            other.urged("half", 150),
            other.urged("half", 120),
        ]
    )

    order = await row(store, WorkOrderFact, twice.work_order_id)
    assert (order.urged_half_at, order.urged_two_thirds_at) == (at(120), None)
    report = await kpis(store)
    by_step = {
        unit: (slice_.urged_half, slice_.urged_two_thirds, slice_.urged_overdue)
        for unit, slice_ in report.by_unit.items()
    }
    assert by_step == {"cgj": (1, 1, 1), "swj": (1, 0, 0)}
    assert report.totals.urged_half == 2


async def test_analytics_an_overdue_list_is_kept_per_unit_and_week_art_40(
    store_projector: Any, store: Any, story: Callable[..., Any]
) -> None:
    one, two, three = story("a-1"), story("a-2"), story("a-3")
    await store_projector.apply_all(
        [
            overdue_list(
                "s-1", "cgj", WEEK, [(one, "handling"), (two, "staged_check")], 5
            ),
            overdue_list("s-2", "cgj", NEXT_WEEK, [(two, "staged_check")], 60 * 24 * 7),
            # sla lists a unit once a week; a second list of the same week changes
            # nothing, whenever it arrives, unless it was the earlier one.
            overdue_list("s-late", "cgj", WEEK, [(three, "handling")], 10),
        ]
    )

    listing = await row(store, OverdueListFact, ("cgj", WEEK))
    assert (listing.supervision_id, listing.orders) == ("s-1", 2)
    assert listing.listed_at == at(5)
    assert await listed_orders(store, "cgj", WEEK) == [
        ("wo-a-1", "handling"),
        ("wo-a-2", "staged_check"),
    ]
    assert await listed_orders(store, "cgj", NEXT_WEEK) == [("wo-a-2", "staged_check")]

    await store_projector.apply(
        overdue_list("s-early", "cgj", WEEK, [(three, "handling")], 1)
    )

    listing = await row(store, OverdueListFact, ("cgj", WEEK))
    assert (listing.supervision_id, listing.orders) == ("s-early", 1)
    assert await listed_orders(store, "cgj", WEEK) == [("wo-a-3", "handling")]


async def listed_orders(sessions: Any, unit_id: str, week: date) -> list[Any]:
    async with sessions() as session:
        rows = await session.execute(
            select(OverdueListOrderFact.work_order_id, OverdueListOrderFact.kind)
            .where(
                OverdueListOrderFact.unit_id == unit_id,
                OverdueListOrderFact.week_of == week,
            )
            .order_by(OverdueListOrderFact.work_order_id)
        )
        return [tuple(found) for found in rows.all()]


async def test_analytics_disputes_are_counted_per_order_with_their_levels_art_24(
    store_projector: Any, store: Any, story: Callable[..., Any]
) -> None:
    appeal = story("a-1")
    around = Around(appeal)
    units = ("swj", "cgj")
    await store_projector.apply_all(
        [
            around.escalated("d-1", "center", 10, units),
            around.escalated("d-1", "bureau_leadership", 20, units),
            around.escalated("d-1", "district_meeting", 30, ("zjj", *units)),
            around.decided("d-1", "district_meeting", "swj", 40),
            around.escalated("d-2", "center", 50, units),
            around.decided("d-2", "center", "cgj", 60),
        ]
    )

    order = await row(store, WorkOrderFact, appeal.work_order_id)
    assert (order.disputes, order.disputes_to_district_meeting) == (2, 1)
    up = await row(store, DisputeFact, "d-1")
    assert (up.level, up.district_meeting_at, up.escalated_at) == (
        "district_meeting",
        at(30),
        at(10),
    )
    assert up.unit_ids == ["cgj", "swj", "zjj"]
    assert (up.decided_level, up.owner_unit_id, up.decided_at) == (
        "district_meeting",
        "swj",
        at(40),
    )
    settled = await row(store, DisputeFact, "d-2")
    assert (settled.level, settled.district_meeting_at) == ("center", None)
    assert (settled.decided_level, settled.owner_unit_id) == ("center", "cgj")


async def test_analytics_a_decision_seen_alone_tells_the_level_reached_art_24(
    store_projector: Any, store: Any, story: Callable[..., Any]
) -> None:
    appeal = story("a-1")

    await store_projector.apply(
        Around(appeal).decided("d-1", "district_meeting", "swj", 40)
    )

    order = await row(store, WorkOrderFact, appeal.work_order_id)
    assert (order.disputes, order.disputes_to_district_meeting) == (1, 1)


async def test_analytics_reply_template_requests_and_receipts_per_unit_art_43(
    store_projector: Any, store: Any, story: Callable[..., Any]
) -> None:
    sent, unsent = Around(story("a-1")), Around(story("a-2", unit_id="swj"))
    await store_projector.apply_all(
        [
            sent.template_received("r-1", 400),
            sent.template_requested("r-1", 100),
            unsent.template_requested("r-2", 110),
        ]
    )

    async with store() as session:
        requests = (
            await session.scalars(
                select(ReplyTemplateFact).order_by(ReplyTemplateFact.request_id)
            )
        ).all()
    assert [
        (r.unit_id, r.category_id, r.work_order_id, r.requested_at, r.received_at)
        for r in requests
    ] == [
        ("cgj", "city-sanitation", "wo-a-1", at(100), at(400)),
        ("swj", "city-sanitation", "wo-a-2", at(110), None),
    ]
    assert requests[0].closed_at == at(95)


async def test_analytics_the_latest_calendar_alert_of_each_year_stands(
    store_projector: Any, store: Any
) -> None:
    day = 60 * 24
    await store_projector.apply_all(
        [
            calendar_missing(2027, 7, 2 * day),
            calendar_missing(2027, 5, day),
            calendar_missing(2026, 0, day),
        ]
    )

    async with store() as session:
        alerts = (await service.alerts(session=session)).model_dump()
    assert alerts == {
        "calendar_years_missing": [
            {
                "year": 2026,
                "provisional_deadlines": 0,
                "first_raised_at": at(day),
                "raised_at": at(day),
            },
            {
                "year": 2027,
                "provisional_deadlines": 7,
                "first_raised_at": at(day),
                "raised_at": at(2 * day),
            },
        ]
    }
    # The projection is as of the newest event applied, an alert too.
    assert (await kpis(store)).as_of == at(2 * day)


async def test_analytics_get_alerts_shows_the_missing_calendar_years(
    client: httpx.AsyncClient, app_projector: Any
) -> None:
    await app_projector.apply(calendar_missing(2027, 3, 60))

    answer = await client.get("/v1/alerts")

    assert answer.status_code == 200
    assert answer.json() == {
        "calendar_years_missing": [
            {
                "year": 2027,
                "provisional_deadlines": 3,
                "first_raised_at": "2026-03-02T02:00:00Z",
                "raised_at": "2026-03-02T02:00:00Z",
            }
        ]
    }


async def test_analytics_a_return_visit_keeps_its_latest_answer_art_30(
    store_projector: Any, store: Any, story: Callable[..., Any]
) -> None:
    around = Around(story("a-1"))
    await store_projector.apply_all(
        [
            around.visited("rv-1", 200, satisfied=False),
            around.visited("rv-1", 100, satisfied=True),
        ]
    )

    visit = await row(store, ReturnVisitFact, "rv-1")
    assert (visit.work_order_id, visit.unit_id, visit.channel) == (
        "wo-a-1",
        "cgj",
        "sms",
    )
    assert (visit.satisfied, visit.solved, visit.answered_at) == (False, False, at(200))
    assert (visit.speed, visit.effect, visit.service, visit.system) == (2, 2, 2, None)


async def test_analytics_a_replaced_order_ends_without_counting_as_unclosed_art_19(
    store_projector: Any, store: Any, story: Callable[..., Any]
) -> None:
    split, kept = story("a-1"), story("a-2")
    await store_projector.apply_all(
        [
            *dispatched(split),
            *dispatched(kept),
            Around(split).replaced("split", 30, ["wo-a-1-1", "wo-a-1-2"]),
            split.deadline_reached("handling"),
            Around(kept).closed(300),
        ]
    )

    order = await row(store, WorkOrderFact, split.work_order_id)
    assert (order.status, order.replaced_kind, order.replacements) == (
        "replaced",
        "split",
        2,
    )
    assert order.replaced_at == at(30)
    rates = (await kpis(store)).rates
    assert (rates.total_closure.numerator, rates.total_closure.denominator) == (1, 1)
    assert rates.on_time_closure.denominator == 1
    assert rates.return_rate.denominator == 2


async def test_analytics_a_cooperating_units_first_opinion_stands_art_20(
    store_projector: Any, store: Any, story: Callable[..., Any]
) -> None:
    around = Around(story("a-1", unit_id="swj"))
    await store_projector.apply_all(
        [around.opinion(300, on_time=False), around.opinion(150, on_time=True)]
    )

    order = await row(store, WorkOrderFact, "wo-a-1")
    assert (order.opinion_submitted_at, order.opinion_on_time) == (at(150), True)
    assert (order.appeal_id, order.unit_id) == ("a-1", "swj")


def dispatched(appeal: Any) -> list[Step]:
    return [appeal.appeal_received(), appeal.appeal_filed(), appeal.dispatched()]


def scenario(story: Callable[..., Any]) -> list[Step]:
    """Every event type projected here, with repeats that must not count twice."""
    one, two = story("a-1"), story("a-2", unit_id="swj")
    first, second = Around(one), Around(two)
    units = ("cgj", "swj")
    return [
        *dispatched(one),
        *dispatched(two),
        warning("w-1", "hotspot", ["a-1", "a-2"], 20),
        warning("w-2", "sensitive", ["a-2"], 25, cluster=None),
        first.urged("half", 100),
        first.urged("two_thirds", 200),
        first.urged("overdue", 300),
        second.urged("half", 130),
        overdue_list("s-1", "cgj", WEEK, [(one, "handling")], 5),
        overdue_list("s-2", "cgj", WEEK, [(one, "handling"), (two, "handling")], 8),
        first.escalated("d-1", "center", 10, units),
        first.escalated("d-1", "bureau_leadership", 20, units),
        first.escalated("d-1", "district_meeting", 30, units),
        first.decided("d-1", "district_meeting", "swj", 40),
        second.escalated("d-2", "center", 50, units),
        second.decided("d-2", "center", "swj", 60),
        first.template_requested("r-1", 100),
        first.template_received("r-1", 400),
        one.deadline_set("reply_template"),
        one.deadline_met(minutes=400, kind="reply_template"),
        first.visited("rv-1", 500, satisfied=True),
        first.visited("rv-1", 600, satisfied=False),
        calendar_missing(2027, 5, 700),
        calendar_missing(2027, 6, 800),
        second.replaced("parallel", 35, ["wo-a-2-1", "wo-a-2-2"]),
        second.opinion(90, on_time=True),
    ]


async def snapshot(sessions: Any) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table of the projection, in primary-key order."""
    tables: dict[str, list[dict[str, Any]]] = {}
    async with sessions() as session:
        for table in Base.metadata.sorted_tables:
            rows = await session.execute(
                select(table).order_by(*table.primary_key.columns)
            )
            tables[table.name] = [dict(found._mapping) for found in rows.all()]
    return tables


def differences(got: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """Which table, row and column differ: a readable failure."""
    found = []
    for table, rows in expected.items():
        if len(got[table]) != len(rows):
            found.append(f"{table}: {len(got[table])} rows != {len(rows)}")
            continue
        for one, other in zip(rows, got[table], strict=True):
            found.extend(
                f"{table}.{column}: {other[column]!r} != {value!r}"
                for column, value in one.items()
                if other[column] != value
            )
    return found


def orders_of(steps: list[Step]) -> dict[str, list[Step]]:
    """Reversed, topics drained the wrong way round, and a few shuffles."""
    topic_rank = {"alerts": 0, "deadlines": 1, "notices": 2, "work-orders": 3}
    chosen = {
        "reversed": list(reversed(steps)),
        "by_topic": sorted(steps, key=lambda step: topic_rank.get(step[0].topic, 4)),
    }
    for seed in range(3):
        shuffled = list(steps)
        random.Random(seed).shuffle(shuffled)
        chosen[f"shuffle_{seed}"] = shuffled
    return chosen


async def in_fresh_store(
    tmp_path: Path, label: str, steps: list[Step], projector_class: Any
) -> Any:
    engine = db.make_engine(f"sqlite+aiosqlite:///{tmp_path / label}.db")
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
        await connection.run_sync(bus_metadata.create_all)
    try:
        sessions = db.make_sessions(engine)
        await projector_class(sessions).apply_all(steps)
        return await snapshot(sessions)
    finally:
        await engine.dispose()


async def test_analytics_events_around_orders_project_the_same_in_any_order(
    tmp_path: Path, store_projector: Any, store: Any, story: Callable[..., Any]
) -> None:
    steps = scenario(story)
    projector_class = type(store_projector)
    expected = await in_fresh_store(tmp_path, "in_order", steps, projector_class)
    assert len(expected["dispute_facts"]) == 2
    assert len(expected["overdue_list_order_facts"]) == 1

    for label, reordered in orders_of(steps).items():
        got = await in_fresh_store(tmp_path, label, reordered, projector_class)
        assert differences(got, expected) == [], label

    await store_projector.apply_all(list(reversed(steps)))
    assert differences(await snapshot(store), expected) == []


async def test_analytics_events_around_orders_delivered_again_count_once(
    store_projector: Any, store: Any, story: Callable[..., Any]
) -> None:
    steps = scenario(story)
    await store_projector.apply_all(steps)
    once = await snapshot(store)

    # New envelopes each time: the inbox cannot help, the handlers must.
    await store_projector.apply_all(steps)

    assert differences(await snapshot(store), once) == []
    assert len(once["warning_appeal_facts"]) == 3


@pytest.mark.parametrize(
    "make",
    [
        lambda story: warning("w-1", "hotspot", ["a-1"], 20),
        lambda story: Around(story("a-1")).urged("half", 100),
        lambda story: overdue_list("s-1", "cgj", WEEK, [(story("a-1"), "handling")], 5),
        lambda story: Around(story("a-1")).escalated("d-1", "center", 10, ("cgj",)),
        lambda story: Around(story("a-1")).decided("d-1", "center", "cgj", 20),
        lambda story: Around(story("a-1")).template_requested("r-1", 100),
        lambda story: Around(story("a-1")).template_received("r-1", 400),
        lambda story: Around(story("a-1")).visited("rv-1", 500, satisfied=True),
        lambda story: calendar_missing(2027, 5, 700),
        lambda story: Around(story("a-1")).replaced("split", 30, ["wo-b"]),
        lambda story: Around(story("a-1")).opinion(90, on_time=True),
    ],
)
async def test_analytics_a_redelivered_event_around_orders_is_applied_once(
    store_projector: Any, store: Any, story: Callable[..., Any], make: Any
) -> None:
    envelope = store_projector.envelope(make(story))

    applied = [await store_projector.apply(envelope) for _ in range(2)]

    assert applied == [True, False]
    assert await snapshot(store) != {table: [] for table in await snapshot(store)}


async def test_analytics_rows_around_orders_keep_no_person_and_no_free_text(
    store_projector: Any, store: Any, story: Callable[..., Any]
) -> None:
    """Who escalated, decided or sent templates, and a dispute's free text, are not
    kept: analytics counts, the record stays in dispatch and intake."""
    await store_projector.apply_all(scenario(story))

    stored = "\n".join(
        str(value)
        for rows in (await snapshot(store)).values()
        for found in rows
        for value in found.values()
    )
    assert "district_meeting" in stored
    for personal in ("operator-1", "clerk-of-the-unit", "两个单位", "由该单位办理"):
        assert personal not in stored
