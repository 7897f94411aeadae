"""The rest of a work order's life in the projection: returns, progress, extensions,
the handling notice, closure requests, rejections and outcomes (Art. 17), reopened
rounds and mergers (Art. 18); the assessment rates built on them (按期办结率,
总办结率, 退件率, Art. 33), on SQLite and PostgreSQL, in any order of arrival."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_analytics import indicators, repository, service
from minsheng_analytics.app import MIGRATIONS
from minsheng_analytics.models import Base, WorkOrderFact
from minsheng_common import db, migrations
from minsheng_common.bus.tables import bus_metadata
from minsheng_common.clock import FixedClock
from minsheng_common.events import (
    DeadlineReached,
    HandlingNoticeRequested,
    NoticeSent,
    WorkOrderClosed,
    WorkOrderClosureRejected,
    WorkOrderClosureRequested,
    WorkOrderDispatched,
    WorkOrderDisputeDecided,
    WorkOrderExtensionDecided,
    WorkOrderExtensionRequested,
    WorkOrderMerged,
    WorkOrderProgressAdded,
    WorkOrderReopened,
    WorkOrderReturnDecided,
    WorkOrderReturnRequested,
)
from minsheng_common.reference import load_reference
from minsheng_common.rules import load_rule_book

Step = tuple[Any, datetime]


class Life:
    """The later events of one story's work order; `minutes` count from T0."""

    def __init__(self, story: Any) -> None:
        self.story = story
        self.ids = {
            "work_order_id": story.work_order_id,
            "appeal_id": story.appeal_id,
            "unit_id": story.unit_id,
        }

    def at(self, minutes: float) -> datetime:
        return self.story.at(self.story.received + minutes)

    def return_requested(self, minutes: float = 20) -> Step:
        at = self.at(minutes)
        event = WorkOrderReturnRequested(
            **self.ids, reason="不属本单位职责", requested_at=at, requested_by="clerk"
        )
        return event, at

    def return_decided(self, *, approved: bool, minutes: float = 30) -> Step:
        at = self.at(minutes)
        event = WorkOrderReturnDecided(
            **self.ids,
            approved=approved,
            reason="核实后决定",
            decided_at=at,
            decided_by="operator",
            redispatched_to=f"{self.story.work_order_id}-b" if approved else None,
        )
        return event, at

    def decided_for(self, owner: str, minutes: float) -> list[Step]:
        """An ownership dispute decided for `owner` (Art. 24), as dispatch says it:
        an approved return the unit never asked for, then the decision."""
        at = self.at(minutes)
        ended = WorkOrderReturnDecided(
            **self.ids,
            approved=True,
            reason=f"ownership dispute d-{self.story.appeal_id} (Art. 24): 归{owner}",
            decided_at=at,
            decided_by="operator",
            redispatched_to=f"{self.story.work_order_id}-b",
        )
        decided = WorkOrderDisputeDecided(
            dispute_id=f"d-{self.story.appeal_id}",
            work_order_id=self.story.work_order_id,
            appeal_id=self.story.appeal_id,
            level="center",
            owner_unit_id=owner,
            decision=f"归{owner}",
            decided_at=at,
            decided_by="operator",
        )
        return [(ended, at), (decided, at)]

    def progress(self, minutes: float) -> Step:
        at = self.at(minutes)
        event = WorkOrderProgressAdded(
            **self.ids, note="已到现场查看", added_at=at, added_by="clerk"
        )
        return event, at

    def extension_requested(self, minutes: float = 100) -> Step:
        at = self.at(minutes)
        event = WorkOrderExtensionRequested(
            **self.ids,
            working_days=5,
            reason="需协调产权单位",
            requested_at=at,
            requested_by="clerk",
        )
        return event, at

    def extension_decided(
        self, *, approved: bool = True, days: int = 5, minutes: float = 110
    ) -> Step:
        at = self.at(minutes)
        event = WorkOrderExtensionDecided(
            **self.ids,
            approved=approved,
            working_days=days if approved else 0,
            reason="同意",
            decided_at=at,
            decided_by="operator",
        )
        return event, at

    def handling_notice_requested(self, minutes: float = 200) -> Step:
        at = self.at(minutes)
        event = HandlingNoticeRequested(
            request_id=f"hn-{self.story.appeal_id}",
            **self.ids,
            tracking_code=self.story.tracking_code,
            message="已清理完毕",
            requested_at=at,
            requested_by="clerk",
        )
        return event, at

    def handling_notice_sent(self, minutes: float = 201, appeal: str = "") -> Step:
        at = self.at(minutes)
        appeal_id = appeal or self.story.appeal_id
        event = NoticeSent(
            notice_id=f"nt-hn-{appeal_id}",
            # A merged appeal's notice: "<request id>:<appeal id>", 60+ characters.
            request_id=f"hn-{self.story.appeal_id}:{appeal_id}-{'x' * 36}",
            appeal_id=appeal_id,
            work_order_id=self.story.work_order_id,
            kind="handling",
            channel="sms",
            recipient_masked="138****8000",
            sent_at=at,
            provider_ref="mailbox/0002.txt",
            attempts=1,
        )
        return event, at

    def closure_requested(self, minutes: float = 210) -> Step:
        at = self.at(minutes)
        event = WorkOrderClosureRequested(
            **self.ids,
            handled_at=at - timedelta(minutes=15),
            requested_at=at,
            requested_by="clerk",
        )
        return event, at

    def closure_rejected(self, minutes: float = 220) -> Step:
        at = self.at(minutes)
        event = WorkOrderClosureRejected(
            **self.ids, reason="未附照片", rejected_at=at, rejected_by="operator"
        )
        return event, at

    def closed(
        self,
        outcome: str = "on_time",
        *,
        minutes: float = 240,
        check_date: date | None = None,
    ) -> Step:
        at = self.at(minutes)
        event = WorkOrderClosed(
            **self.ids,
            outcome=outcome,
            handled_at=self.at(195),
            closed_at=at,
            closed_by="operator",
            check_date=check_date,
        )
        return event, at

    def reached(self, kind: str, minutes: float) -> Step:
        at = self.at(minutes)
        event = DeadlineReached(
            deadline_id=f"dl-{kind}-{self.story.appeal_id}",
            **self.ids,
            kind=kind,
            due_at=at,
            reached_at=at,
        )
        return event, at

    def reopened(self, minutes: float = 300) -> Step:
        at = self.at(minutes)
        event = WorkOrderReopened(
            **self.ids,
            round=2,
            reason="回访不满意",
            reopened_at=at,
            reopened_by="operator",
        )
        return event, at

    def second_round(self, work_order_id: str, minutes: float = 301) -> Step:
        event, _ = self.story.dispatched()
        assert isinstance(event, WorkOrderDispatched)
        at = self.at(minutes)
        second = event.model_copy(
            update={
                "work_order_id": work_order_id,
                "round": 2,
                "created_at": at,
                "dispatched_at": at,
            }
        )
        return second, at

    def merges(self, *others: Any, minutes: float = 50) -> Step:
        at = self.at(minutes)
        event = WorkOrderMerged(
            work_order_id=self.story.work_order_id,
            appeal_id=self.story.appeal_id,
            merged_work_order_ids=[other.story.work_order_id for other in others],
            merged_appeal_ids=[other.story.appeal_id for other in others],
            merged_at=at,
            merged_by="operator",
        )
        return event, at


async def order_row(sessions: Any, work_order_id: str) -> WorkOrderFact:
    async with sessions() as session:
        row = await session.get(WorkOrderFact, work_order_id)
        assert row is not None
        return row


def filed_and_dispatched(story: Any) -> list[Step]:
    return [story.appeal_received(), story.appeal_filed(), story.dispatched()]


# Each event projected.


def kpi_context() -> service.AnalyticsContext:
    return service.AnalyticsContext(
        reference=load_reference(),
        rule_book=load_rule_book(),
        clock=FixedClock(datetime(2026, 3, 20, 8, 0, tzinfo=UTC)),
        refresh_seconds=10,
        recent=20,
    )


async def test_analytics_only_a_return_the_unit_asked_for_is_its_return_art_33(
    store_projector: Any, store: Any, story: Callable[..., Any]
) -> None:
    """Art. 13, 24, 33: a dispute decided for another unit ends the holder's order
    as an approved return it never asked for, and so does a candidate returned by
    default; neither counts as the unit's return, but each order still ends
    unhandled and leaves the closure rates. Dispute first or return first, on
    SQLite and PostgreSQL."""
    asked = Life(story("a-1"))
    disputed = Life(story("a-2", unit_id="zjj"))
    refused_then_disputed = Life(story("a-3", unit_id="zjj"))
    by_default = Life(story("a-4", unit_id="swj"))
    steps: list[Step] = []
    for life in (asked, disputed, refused_then_disputed, by_default):
        steps += filed_and_dispatched(life.story)
    steps += [
        asked.return_requested(),
        asked.return_decided(approved=True),
        *reversed(disputed.decided_for("jwjw", minutes=60)),
        refused_then_disputed.return_requested(),
        refused_then_disputed.return_decided(approved=False),
        *refused_then_disputed.decided_for("jwjw", minutes=90),
        by_default.return_decided(approved=True, minutes=25),
    ]

    await store_projector.apply_all(steps)

    async with store() as session:
        report = await service.kpis(
            session=session, context=kpi_context(), within=repository.Window()
        )
    assert report.totals.returned == 1
    assert report.by_unit["cgj"].returned == 1
    assert report.by_unit["zjj"].returned == 0
    assert report.by_unit["zjj"].return_requested == 1
    assert report.by_unit["swj"].returned == 0
    assert report.rates.return_rate.numerator == 1
    # Still ended without a closure: out of the total closure rate's base.
    assert report.rates.total_closure.denominator == 0
    for life in (disputed, refused_then_disputed, by_default):
        order = await order_row(store, life.story.work_order_id)
        assert (order.status, order.return_approved) == ("returned", True)


async def test_analytics_a_return_requested_then_approved_ends_the_order(
    projector: Any, sessions: Any, story: Callable[..., Any]
) -> None:
    life = Life(story("a-1"))
    await projector.apply_all(filed_and_dispatched(life.story))

    await projector.apply_all(
        [life.return_requested(), life.return_decided(approved=True)]
    )

    order = await order_row(sessions, life.story.work_order_id)
    assert order.return_requested_at == life.at(20)
    assert (order.return_approved, order.return_decided_at) == (True, life.at(30))
    assert order.redispatched_to == "wo-a-1-b"
    assert order.status == "returned"


async def test_analytics_a_refused_return_keeps_the_order_with_its_unit(
    projector: Any, sessions: Any, story: Callable[..., Any]
) -> None:
    life = Life(story("a-1"))
    await projector.apply_all(filed_and_dispatched(life.story))

    await projector.apply_all(
        [life.return_requested(), life.return_decided(approved=False)]
    )

    order = await order_row(sessions, life.story.work_order_id)
    assert order.return_approved is False
    assert order.status == "dispatched"


async def test_analytics_progress_and_extensions_are_counted(
    projector: Any, sessions: Any, story: Callable[..., Any]
) -> None:
    life = Life(story("a-1"))

    await projector.apply_all(
        [
            life.progress(60),
            life.progress(90),
            life.extension_requested(),
            life.extension_decided(approved=False, minutes=105),
            life.extension_decided(days=5, minutes=110),
            life.extension_decided(days=3, minutes=120),
        ]
    )

    order = await order_row(sessions, life.story.work_order_id)
    assert (order.progress_notes, order.last_progress_at) == (2, life.at(90))
    assert order.extension_requested_at == life.at(100)
    assert (order.extensions_approved, order.extensions_refused) == (2, 1)
    assert order.extension_working_days == 8


async def test_analytics_closure_rejected_then_closed_on_time(
    projector: Any, sessions: Any, story: Callable[..., Any]
) -> None:
    life = Life(story("a-1"))
    await projector.apply_all(filed_and_dispatched(life.story))

    await projector.apply_all(
        [
            life.handling_notice_requested(),
            life.handling_notice_sent(),
            life.closure_requested(210),
            life.closure_rejected(220),
        ]
    )
    rejected = await order_row(sessions, life.story.work_order_id)
    await projector.apply_all([life.closure_requested(230), life.closed(minutes=240)])

    order = await order_row(sessions, life.story.work_order_id)
    assert rejected.status == "dispatched"
    assert order.handling_notice_requested_at == life.at(200)
    assert order.handling_notice_sent_at == life.at(201)
    assert (order.closure_requested_at, order.handled_at) == (
        life.at(230),
        life.at(215),
    )
    assert (order.closure_rejections, order.closure_rejected_at) == (1, life.at(220))
    assert (order.closed_at, order.closure_outcome) == (life.at(240), "on_time")
    assert order.status == "closed"


async def test_analytics_a_staged_closure_closed_again_takes_the_new_outcome(
    projector: Any, sessions: Any, story: Callable[..., Any]
) -> None:
    life = Life(story("a-1"))

    await projector.apply_all(
        [
            life.closed("overdue", minutes=9000),
            life.closed("staged", minutes=240, check_date=date(2026, 3, 31)),
        ]
    )

    order = await order_row(sessions, life.story.work_order_id)
    assert (order.closure_outcome, order.closed_at) == ("overdue", life.at(9000))
    assert order.check_date is None


async def test_analytics_a_reopened_round_and_a_merger_are_recorded(
    projector: Any, sessions: Any, story: Callable[..., Any]
) -> None:
    first, second, third = (Life(story(f"a-{n}")) for n in (1, 2, 3))
    await projector.apply_all(
        [*filed_and_dispatched(first.story), *filed_and_dispatched(second.story)]
    )

    await projector.apply_all(
        [
            first.merges(second, third),
            first.reopened(),
            first.second_round("wo-a-1-r2"),
        ]
    )

    survivor = await order_row(sessions, "wo-a-1")
    merged = await order_row(sessions, "wo-a-2")
    later = await order_row(sessions, "wo-a-1-r2")
    assert (survivor.absorbed_appeals, survivor.merged_into) == (2, None)
    assert survivor.reopened_at == first.at(300)
    assert (merged.merged_into, merged.merged_at, merged.status) == (
        "wo-a-1",
        first.at(50),
        "merged",
    )
    assert (await order_row(sessions, "wo-a-3")).merged_into == "wo-a-1"
    assert (later.round, survivor.round) == (2, 1)


# The same projection whatever the order of arrival.


def life_scenario(story: Callable[..., Any]) -> list[Step]:
    one, two, three = (Life(story(f"a-{n}")) for n in (1, 2, 3))
    return [
        *filed_and_dispatched(one.story),
        one.story.signed(minutes=40),
        one.progress(60),
        one.progress(61),
        one.extension_requested(),
        one.extension_decided(),
        one.handling_notice_requested(),
        one.handling_notice_sent(),
        one.handling_notice_sent(minutes=202, appeal="a-3"),
        one.closure_requested(210),
        one.closure_rejected(220),
        one.closure_requested(230),
        one.closed("staged", minutes=240, check_date=date(2026, 3, 31)),
        one.closed("on_time", minutes=240),
        one.merges(three, minutes=45),
        *filed_and_dispatched(two.story),
        two.return_requested(),
        two.return_decided(approved=False, minutes=30),
        two.return_decided(approved=True, minutes=30),
        one.reopened(),
        one.second_round("wo-a-1-r2"),
    ]


async def _project(tmp_path: Path, label: str, steps: list[Step], cls: Any) -> Any:
    engine = db.make_engine(f"sqlite+aiosqlite:///{tmp_path / label}.db")
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
        await connection.run_sync(bus_metadata.create_all)
    try:
        projector = cls(db.make_sessions(engine))
        await projector.apply_all(steps)
        async with projector.sessions() as session:
            rows = await session.scalars(
                select(WorkOrderFact).order_by(WorkOrderFact.work_order_id)
            )
            columns = [column.key for column in WorkOrderFact.__table__.columns]
            return [{key: getattr(row, key) for key in columns} for row in rows]
    finally:
        await engine.dispose()


async def test_analytics_the_later_life_projects_the_same_in_any_order(
    tmp_path: Path, story: Callable[..., Any], projector: Any
) -> None:
    steps = life_scenario(story)
    expected = await _project(tmp_path, "in_order", steps, type(projector))
    assert {row["work_order_id"]: row["status"] for row in expected} == {
        "wo-a-1": "closed",
        "wo-a-1-r2": "dispatched",
        "wo-a-2": "returned",
        "wo-a-3": "merged",
    }

    for seed in range(5):
        shuffled = list(steps)
        random.Random(seed).shuffle(shuffled)
        got = await _project(tmp_path, f"shuffle_{seed}", shuffled, type(projector))
        assert got == expected, seed
    backwards = await _project(
        tmp_path, "reversed", list(reversed(steps)), type(projector)
    )
    assert backwards == expected


# The assessment rates (Art. 33) over a story of ten orders.


def assessment_story(story: Callable[..., Any]) -> list[Step]:
    """Ten orders: on time, overdue, staged (check not due), staged whose check came,
    open and overdue, open and not due, returned, merged away, a reopened round, and
    one on time after a rejected closure."""
    lives = {name: Life(story(f"a-{n}")) for n, name in enumerate(NAMES, start=1)}
    steps: list[Step] = []
    for life in lives.values():
        if life is not lives["round_two"]:
            steps += filed_and_dispatched(life.story)
    steps += [
        lives["on_time"].closed("on_time"),
        lives["overdue"].reached("handling", 5000),
        lives["overdue"].closed("overdue", minutes=6000),
        lives["staged"].closed("staged", check_date=date(2026, 4, 30)),
        lives["staged_failed"].closed("staged", check_date=date(2026, 3, 10)),
        lives["staged_failed"].reached("staged_check", 12000),
        lives["open_overdue"].reached("handling", 5000),
        lives["returned"].return_requested(),
        lives["returned"].return_decided(approved=True),
        lives["on_time"].merges(lives["merged"]),
        lives["rejected_once"].closure_requested(210),
        lives["rejected_once"].closure_rejected(220),
        lives["rejected_once"].closure_requested(230),
        lives["rejected_once"].closed("on_time"),
        lives["rejected_once"].extension_decided(),
        lives["on_time"].reopened(),
        lives["on_time"].second_round("wo-a-9"),
    ]
    return steps


NAMES = (
    "on_time",
    "overdue",
    "staged",
    "staged_failed",
    "open_overdue",
    "open",
    "returned",
    "merged",
    "round_two",
    "rejected_once",
)


async def test_analytics_kpis_give_the_closure_and_return_rates(
    client: httpx.AsyncClient, app_projector: Any, story: Callable[..., Any]
) -> None:
    await app_projector.apply_all(assessment_story(story))

    answer = await client.get("/v1/kpis")

    assert answer.status_code == 200
    body = answer.json()
    totals = body["totals"]
    assert totals["dispatched"] == 10
    assert {key: totals[key] for key in indicators.BY_KEY if key in _LIFE_COUNTS} == {
        "return_requested": 1,
        "returned": 1,
        "extended": 1,
        "closed": 5,
        "closed_on_time": 2,
        "closed_overdue": 1,
        "closed_staged": 2,
        "closure_rejected": 1,
        "merged": 1,
        "reopened": 1,
    }
    rates = body["rates"]
    # Due: the five closed and the open order whose deadline ran out; the open order
    # not yet due, the reopened round (open), the returned and the merged are out.
    # On time: on_time, rejected_once, and the staged closure whose check is ahead.
    assert rates["on_time_closure"] == {
        "numerator": 3,
        "denominator": 6,
        "rate": 0.5,
    }
    # Handled by their unit: ten dispatched less the returned and the merged.
    assert rates["total_closure"] == {"numerator": 5, "denominator": 8, "rate": 0.625}
    assert rates["return_rate"] == {"numerator": 1, "denominator": 10, "rate": 0.1}
    unit = body["by_unit"]["cgj"]
    assert unit["closed"] == 5
    assert unit["rates"]["on_time_closure"]["rate"] == 0.5


_LIFE_COUNTS = {
    "return_requested",
    "returned",
    "extended",
    "closed",
    "closed_on_time",
    "closed_overdue",
    "closed_staged",
    "closure_rejected",
    "merged",
    "reopened",
}


async def test_analytics_definitions_state_how_the_closure_rates_count(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/v1/kpis/definitions")

    assert answer.status_code == 200
    by_key = {entry["key"]: entry for entry in answer.json()["indicators"]}
    on_time = by_key["on_time_closure"]
    assert (on_time["label"], on_time["kind"]) == ("按期办结率", "rate")
    assert on_time["article"] == "Art. 17, 33"
    assert "not yet due" in on_time["exclusions"]
    assert "returned" in on_time["exclusions"]
    assert "staged" in on_time["numerator"]
    assert "deadline.reached" in on_time["denominator"]
    total = by_key["total_closure"]
    assert total["label"] == "总办结率"
    assert "merged" in total["exclusions"]
    assert by_key["return_rate"]["label"] == "退件率"
    assert by_key["closure_rejected"]["label"] == "办结退回"


async def test_analytics_page_shows_the_closure_and_return_rates(
    client: httpx.AsyncClient, app_projector: Any, story: Callable[..., Any]
) -> None:
    await app_projector.apply_all(assessment_story(story))

    page = (await client.get("/")).text

    assert (
        '<span class="label">按期办结率</span><span class="value">50.0%（3/6）</span>'
        in page
    )
    assert (
        '<span class="label">总办结率</span><span class="value">62.5%（5/8）</span>'
        in page
    )
    assert '<span class="label">退件率</span><span class="value">10.0%（1/10）' in page
    for label in ("已办结", "阶段性办结", "办结退回", "并案", "重办", "延期"):
        assert f'<span class="label">{label}</span>' in page


# PostgreSQL: the same rates, and notify's long request ids fit.


@pytest.fixture
def pg_url(create_database: Callable[[str], str]) -> str:
    return create_database("analytics")


@pytest.fixture
async def pg_sessions(pg_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    await migrations.upgrade_async(MIGRATIONS, pg_url)
    engine = db.make_engine(pg_url)
    yield db.make_sessions(engine)
    await engine.dispose()


async def test_analytics_postgres_projects_the_later_life_and_its_rates(
    pg_sessions: Any, projector: Any, story: Callable[..., Any]
) -> None:
    projector = type(projector)(pg_sessions)
    steps = assessment_story(story)
    life = Life(story("a-1"))
    steps.append(life.handling_notice_sent(minutes=203, appeal="a-20"))

    await projector.apply_all(steps)

    async with pg_sessions() as session:
        rows = await repository.work_order_rows(session, repository.Window())
    total = {
        key: sum(row._mapping[key] for row in rows)
        for key in (
            indicators.ON_TIME_CLOSURE.numerator_key,
            indicators.ON_TIME_CLOSURE.denominator_key,
            indicators.RETURN_RATE.numerator_key,
        )
    }
    assert total == {
        "on_time_closure__numerator": 3,
        "on_time_closure__denominator": 6,
        "return_rate__numerator": 1,
    }
    order = await order_row(pg_sessions, "wo-a-1")
    assert order.handling_notice_sent_at == life.at(203)
