"""The maintained rollups (every indicator's counters by Shanghai day, unit,
subdistrict, category and channel) against the facts they summarise.

A varied history (filings that change an appeal's category and place, holds,
gradings, returns, disputes, mergers, reopened rounds, closures rejected and staged,
urgings, notices, return visits answered twice, orders whose appeal is never seen)
is applied out of order. Every few events the rollups kept event by event must equal
those built again from the facts; at the end every indicator's series and
breakdowns read from the rollups must equal the same counted from the facts. On
SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_analytics import indicators, query, rollups
from minsheng_analytics.rollup_models import RollupState, rollup_table
from minsheng_common.clock import FixedClock
from minsheng_common.events import (
    AppealFiled,
    DeadlineMet,
    DeadlineReached,
    DeadlineUrged,
    HandlingNoticeRequested,
    NoticeSent,
    ReturnVisitAnswered,
    WorkOrderClosed,
    WorkOrderClosureRejected,
    WorkOrderClosureRequested,
    WorkOrderDisputeDecided,
    WorkOrderMerged,
    WorkOrderReopened,
    WorkOrderReturnDecided,
    WorkOrderReturnRequested,
)

Step = tuple[Any, datetime]

CHANNELS = ("hotline-12345", "wechat", "mailbox")
CATEGORIES = ("city-sanitation", "transport", "environment-water")
SUBDISTRICTS = ("kengzi-jd", "pingshan-jd", "biling-jd")
UNITS = ("cgj", "swj", "zjj")
# Minutes after T0 (09:00 in Shanghai): the same morning, just before and after
# midnight in Shanghai, and the next week.
RECEIVED = (0, 14 * 60 + 59, 15 * 60 + 1, 7 * 24 * 60 + 30)


class Later:
    """The events of one work order after its dispatch; `minutes` count from the
    story's received time."""

    def __init__(self, story: Any, work_order_id: str = "", unit_id: str = "") -> None:
        self.story = story
        self.ids = {
            "work_order_id": work_order_id or story.work_order_id,
            "appeal_id": story.appeal_id,
            "unit_id": unit_id or story.unit_id,
        }

    def at(self, minutes: float) -> datetime:
        return self.story.at(self.story.received + minutes)

    def dispatched(self, minutes: float = 11, round_: int = 1) -> Step:
        event, _ = self.story.dispatched()
        at = self.at(minutes)
        return event.model_copy(
            update={**self.ids, "dispatched_at": at, "round": round_}
        ), at

    def signed(self, minutes: float, mode: str = "manual") -> Step:
        event, at = self.story.signed(minutes=minutes, mode=mode)
        return event.model_copy(update=self.ids), at

    def reached(self, kind: str, minutes: float) -> Step:
        at = self.at(minutes)
        event = DeadlineReached(
            deadline_id=f"dl-{kind}-{self.ids['work_order_id']}",
            **self.ids,
            kind=kind,
            due_at=at,
            reached_at=at,
        )
        return event, at

    def met(self, kind: str, minutes: float, *, late: bool) -> Step:
        at = self.at(minutes)
        event = DeadlineMet(
            deadline_id=f"dl-{kind}-{self.ids['work_order_id']}",
            **self.ids,
            kind=kind,
            due_at=at + timedelta(minutes=-5 if late else 5),
            met_at=at,
            late=late,
        )
        return event, at

    def set(self, kind: str, minutes: float, due: float) -> Step:
        event, _ = self.story.deadline_set(kind, due=self.at(due))
        at = self.at(minutes)
        return event.model_copy(update={**self.ids, "deadline_id": f"dl-{kind}"}), at

    def urged(self, minutes: float) -> Step:
        at = self.at(minutes)
        event = DeadlineUrged(
            deadline_id=f"dl-handling-{self.ids['work_order_id']}",
            **self.ids,
            kind="handling",
            step="half",
            level=1,
            due_at=at + timedelta(days=3),
            urged_at=at,
        )
        return event, at

    def return_requested(self, minutes: float) -> Step:
        at = self.at(minutes)
        event = WorkOrderReturnRequested(
            **self.ids, reason="不属本单位职责", requested_at=at, requested_by="clerk"
        )
        return event, at

    def return_decided(self, minutes: float, *, approved: bool) -> Step:
        at = self.at(minutes)
        event = WorkOrderReturnDecided(
            **self.ids,
            approved=approved,
            reason="核实后决定",
            decided_at=at,
            decided_by="operator",
            redispatched_to=None,
        )
        return event, at

    def disputed_to(self, owner: str, minutes: float) -> list[Step]:
        at = self.at(minutes)
        decided = WorkOrderDisputeDecided(
            dispute_id=f"d-{self.ids['work_order_id']}",
            work_order_id=self.ids["work_order_id"],
            appeal_id=self.story.appeal_id,
            level="center",
            owner_unit_id=owner,
            decision=f"归{owner}",
            decided_at=at,
            decided_by="operator",
        )
        return [self.return_decided(minutes, approved=True), (decided, at)]

    def handling_notice(self, minutes: float) -> list[Step]:
        at = self.at(minutes)
        request_id = f"hn-{self.ids['work_order_id']}"
        requested = HandlingNoticeRequested(
            request_id=request_id,
            **self.ids,
            tracking_code=self.story.tracking_code,
            message="已处理",
            requested_at=at,
            requested_by="clerk",
        )
        sent = NoticeSent(
            notice_id=f"nt-{request_id}",
            request_id=request_id,
            appeal_id=self.story.appeal_id,
            work_order_id=self.ids["work_order_id"],
            kind="handling",
            channel="sms",
            recipient_masked="138****8000",
            sent_at=at + timedelta(minutes=1),
            provider_ref="mailbox/0004.txt",
            attempts=1,
        )
        return [(requested, at), (sent, at + timedelta(minutes=1))]

    def closure_requested(self, minutes: float) -> Step:
        at = self.at(minutes)
        event = WorkOrderClosureRequested(
            **self.ids,
            handled_at=at - timedelta(minutes=10),
            requested_at=at,
            requested_by="clerk",
        )
        return event, at

    def closure_rejected(self, minutes: float) -> Step:
        at = self.at(minutes)
        event = WorkOrderClosureRejected(
            **self.ids, reason="未附照片", rejected_at=at, rejected_by="operator"
        )
        return event, at

    def closed(self, outcome: str, minutes: float) -> Step:
        at = self.at(minutes)
        event = WorkOrderClosed(
            **self.ids,
            outcome=outcome,
            handled_at=at - timedelta(minutes=20),
            closed_at=at,
            closed_by="operator",
            check_date=(at + timedelta(days=10)).date()
            if outcome == "staged"
            else None,
        )
        return event, at

    def reopened(self, minutes: float) -> Step:
        at = self.at(minutes)
        event = WorkOrderReopened(
            **self.ids, round=2, reason="回访不满意", reopened_at=at, reopened_by="op"
        )
        return event, at

    def merges(self, other: Later, minutes: float) -> Step:
        at = self.at(minutes)
        event = WorkOrderMerged(
            work_order_id=self.ids["work_order_id"],
            appeal_id=self.story.appeal_id,
            merged_work_order_ids=[other.ids["work_order_id"]],
            merged_appeal_ids=[other.story.appeal_id],
            merged_at=at,
            merged_by="operator",
        )
        return event, at

    def visited(
        self, survey: str, minutes: float, *, satisfied: bool, rating: int | None
    ) -> Step:
        at = self.at(minutes)
        event = ReturnVisitAnswered(
            survey_id=survey,
            **self.ids,
            channel="phone",
            speed=rating,
            effect=rating and 6 - rating,
            service=None if satisfied else rating,
            system=4,
            satisfied=satisfied,
            answered_at=at,
        )
        return event, at


def filed(story: Any, category: str, subdistrict: str, *, minutes: float = 1) -> Step:
    event, at = story.appeal_filed(minutes=minutes)
    assert isinstance(event, AppealFiled)
    return event.model_copy(
        update={"category_id": category, "subdistrict_id": subdistrict}
    ), at


def history(story: Callable[..., Any], seed: int) -> list[Step]:
    """Sixteen appeals, two of each fate, their times, channels, units, categories
    and places drawn from `seed`."""
    rng = random.Random(seed)
    steps: list[Step] = []
    full: list[Later] = []
    for n in range(16):
        fate = n % 8
        one = story(
            f"p-{n:02d}",
            channel=rng.choice(CHANNELS),
            appeal_type="consultation" if fate == 3 else "complaint",
            received=rng.choice(RECEIVED) + n,
            unit_id=rng.choice(UNITS),
        )
        order = Later(one)
        category, place = rng.choice(CATEGORIES), rng.choice(SUBDISTRICTS)
        appeal = [one.appeal_received(), filed(one, category, place)]
        if fate == 0:
            full.append(order)
            steps += [
                *appeal,
                order.dispatched(),
                order.set("sign_off", 12, 131),
                order.signed(40),
                order.met("sign_off", 40, late=False),
                order.set("acceptance_notice", 41, 600),
                order.met("acceptance_notice", 50, late=rng.random() < 0.5),
                order.set("handling_notice", 200, 800),
                *order.handling_notice(300),
                order.met("handling_notice", 301, late=False),
                order.closure_requested(310),
                order.reached("handling", 320),
                order.closed(rng.choice(("on_time", "overdue")), 330),
                order.visited(f"s-{n}", 400, satisfied=True, rating=5),
                order.visited(f"s-{n}", 500, satisfied=False, rating=rng.randint(1, 4)),
            ]
        elif fate == 1:
            steps += [one.appeal_received(), one.appeal_rejected()]
        elif fate == 2:
            second = Later(one, work_order_id=f"wo-{one.appeal_id}-b", unit_id="jtj")
            steps += [
                one.appeal_received(),
                one.appeal_held("verification"),
                filed(one, category, place, minutes=90),
                one.appeal_graded(1, minutes=95),
                order.dispatched(100),
                order.reached("sign_off", 230),
                order.signed(231, mode="auto"),
                order.return_requested(232),
                order.return_decided(240, approved=rng.random() < 0.5),
                second.dispatched(241),
                second.signed(250),
                second.reached("acceptance_notice", 2000),
                second.closed("overdue", 3000),
                second.visited(f"s-{n}", 3100, satisfied=False, rating=None),
            ]
        elif fate == 3:
            steps += [one.appeal_received(), one.appeal_answered()]
            if rng.random() < 0.5:
                steps.append(one.appeal_held("classification"))
        elif fate == 4:
            steps += [
                *appeal,
                order.dispatched(),
                order.signed(30),
                order.closure_requested(100),
                order.closure_rejected(110),
                order.closure_requested(120),
                order.urged(125),
                order.closed("staged", 130),
                order.reached("staged_check", 20000),
            ]
        elif fate == 5:
            # The appeal's own events never arrive: no day, counted nowhere.
            steps += [
                order.dispatched(),
                order.signed(30),
                order.closed("on_time", 90),
                order.visited(f"s-{n}", 100, satisfied=True, rating=4),
            ]
        elif fate == 6:
            second = Later(one, work_order_id=f"wo-{one.appeal_id}-r2")
            steps += [
                *appeal,
                order.dispatched(),
                order.signed(20),
                order.closed("on_time", 60),
                order.reopened(70),
                second.dispatched(71, round_=2),
                *second.disputed_to("jwjw", 80),
            ]
        else:
            survivor = full[-1]
            steps += [
                *appeal,
                order.dispatched(),
                survivor.merges(order, 15),
            ]
    return steps


def orders_of(steps: list[Step], order: str) -> list[Step]:
    if order == "reversed":
        return list(reversed(steps))
    shuffled = list(steps)
    random.Random(order).shuffle(shuffled)
    return shuffled


async def rollup_rows(session: AsyncSession) -> list[tuple[Any, ...]]:
    rows = await session.execute(
        select(rollup_table).order_by(*rollup_table.primary_key.columns)
    )
    return [tuple(row) for row in rows]


async def kept_and_rebuilt(
    sessions: async_sessionmaker[AsyncSession],
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The rollups as maintained, and as built again from the facts (rolled back)."""
    async with sessions() as session:
        kept = await rollup_rows(session)
        await rollups.rebuild(session, now=datetime.now(UTC))
        rebuilt = await rollup_rows(session)
        await session.rollback()
    return kept, rebuilt


async def built_empty(sessions: async_sessionmaker[AsyncSession]) -> None:
    """What the service does at start: build the rollups of the (empty) store."""
    async with sessions() as session, session.begin():
        await rollups.rebuild(session, now=datetime.now(UTC))


@pytest.mark.parametrize("order", ["shuffle-1", "reversed"])
async def test_analytics_rollups_kept_event_by_event_equal_those_built_from_facts(
    store: Any, store_projector: Any, story: Callable[..., Any], order: str
) -> None:
    await built_empty(store)
    steps = orders_of(history(story, seed=7), order)

    for start in range(0, len(steps), 12):
        await store_projector.apply_all(steps[start : start + 12])

        kept, rebuilt = await kept_and_rebuilt(store)
        assert kept == rebuilt, f"after {start + 12} events"
    assert len(kept) > 50


def questions() -> list[tuple[str, query.Filters]]:
    """Every indicator, unfiltered and under one, two and three filters."""
    chosen = []
    for indicator in indicators.ALL:
        unit = None if indicator.subject == "appeal" else "cgj"
        chosen += [
            (indicator.key, query.Filters()),
            (indicator.key, query.Filters(subdistrict="kengzi-jd")),
            (indicator.key, query.Filters(unit=unit, channel="wechat")),
            (
                indicator.key,
                query.Filters(unit=unit, category="transport", channel="wechat"),
            ),
        ]
    return chosen


async def test_analytics_every_query_from_the_rollups_equals_the_facts(
    store: Any, store_projector: Any, story: Callable[..., Any]
) -> None:
    await built_empty(store)
    await store_projector.apply_all(orders_of(history(story, seed=11), "shuffle-2"))
    # Shanghai midnights: the first day, and the week after the second.
    start = datetime(2026, 3, 2, tzinfo=UTC) - timedelta(hours=8)
    end = start + timedelta(days=9)

    compared = 0
    async with store() as session:
        for key, filters in questions():
            for window in ((None, None), (start, end)):
                asked = query.question(
                    indicator=key, start=window[0], end=window[1], filters=filters
                )
                for by in query.BREAKDOWNS:
                    if by == "unit" and asked.indicator.subject == "appeal":
                        continue
                    answers = [
                        await query.breakdown(
                            session, asked, by=by, interval="week", source=source
                        )
                        for source in ("rollups", "facts")
                    ]
                    assert answers[0].groups == answers[1].groups, (key, filters, by)
                    compared += bool(answers[0].groups)
                days = [
                    await query.series(session, asked, interval="day", source=source)
                    for source in ("rollups", "facts")
                ]
                assert days[0].groups == days[1].groups, (key, filters, "series")
    # Most questions have facts to compare, not empty answers on both sides.
    assert compared > 500


async def test_analytics_a_late_filing_moves_the_order_to_the_filed_category(
    store: Any, store_projector: Any, story: Callable[..., Any]
) -> None:
    await built_empty(store)
    one = story("a-1")
    order = Later(one)
    # appeal.received carries only a category hint (city-sanitation).
    await store_projector.apply_all(
        [one.appeal_received(), order.dispatched(), order.signed(30)]
    )
    asked = query.question(
        indicator="dispatched", start=None, end=None, filters=query.Filters()
    )

    async with store() as session:
        before = await query.breakdown(session, asked, by="category", interval="day")
    await store_projector.apply(filed(one, "transport", "biling-jd", minutes=40))
    async with store() as session:
        after = await query.breakdown(session, asked, by="category", interval="day")
        facts = await query.breakdown(
            session, asked, by="category", interval="day", source="facts"
        )

    assert before.source == after.source == "rollups"
    assert [(key, figure.value) for key, figure in before.groups] == [
        ("city-sanitation", 1)
    ]
    assert [(key, figure.value) for key, figure in after.groups] == [("transport", 1)]
    assert after.groups == facts.groups


async def test_analytics_a_staged_closure_leaves_the_on_time_count_at_its_check(
    store: Any, store_projector: Any, story: Callable[..., Any]
) -> None:
    """Art. 17: a staged closure counts as on time until its check date passes
    unmet; the rollups move the order from the numerator then."""
    await built_empty(store)
    one = story("a-1")
    order = Later(one)
    await store_projector.apply_all(
        [
            one.appeal_received(),
            filed(one, "transport", "biling-jd"),
            order.dispatched(),
            order.signed(20),
            order.closed("staged", 60),
        ]
    )
    asked = query.question(
        indicator="on_time_closure", start=None, end=None, filters=query.Filters()
    )

    async with store() as session:
        staged = (await query.series(session, asked, interval="month")).groups
    await store_projector.apply(order.reached("staged_check", 20000))
    async with store() as session:
        checked = (await query.series(session, asked, interval="month")).groups

    assert staged == [("2026-03-01", query.Figure(1.0, 1, 1))]
    assert checked == [("2026-03-01", query.Figure(0.0, 0, 1))]


async def test_analytics_rollups_are_rebuilt_at_start_only_when_their_counters_changed(
    store: Any, store_projector: Any, story: Callable[..., Any]
) -> None:
    one = story("a-1")
    await store_projector.apply_all([one.appeal_received(), one.appeal_filed()])
    runtime = SimpleNamespace(
        sessions=store, clock=FixedClock(datetime(2026, 3, 3, tzinfo=UTC))
    )
    asked = query.question(
        indicator="received", start=None, end=None, filters=query.Filters()
    )

    # Never built: the answer comes from the facts.
    async with store() as session:
        assert not await rollups.current(session)
        assert (await query.series(session, asked, interval="day")).source == "facts"

    await rollups.prepare(runtime)
    async with store() as session:
        state = await session.get(RollupState, 1)
        assert state is not None
        assert (state.signature, state.built_at) == (
            rollups.SIGNATURE,
            datetime(2026, 3, 3, tzinfo=UTC),
        )
        answer = await query.series(session, asked, interval="day")
    assert answer.source == "rollups"
    assert answer.groups == [("2026-03-02", query.Figure(1))]

    # Built with the same counters: left alone.
    later = SimpleNamespace(
        sessions=store, clock=FixedClock(datetime(2026, 3, 4, tzinfo=UTC))
    )
    await rollups.prepare(later)
    async with store() as session:
        state = await session.get(RollupState, 1)
        assert state is not None
        assert state.built_at == datetime(2026, 3, 3, tzinfo=UTC)


async def test_analytics_a_window_inside_a_day_is_counted_from_the_facts(
    store: Any, store_projector: Any, story: Callable[..., Any]
) -> None:
    await built_empty(store)
    early, late = story("a-1"), story("a-2", received=120)
    await store_projector.apply_all([early.appeal_received(), late.appeal_received()])
    # 10:00 in Shanghai on the first day: only a-2 (11:00) is at or after it.
    start = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    asked = query.question(
        indicator="received", start=start, end=None, filters=query.Filters()
    )

    async with store() as session:
        answer = await query.series(session, asked, interval="day")

    assert answer.source == "facts"
    assert answer.groups == [("2026-03-02", query.Figure(1))]


def test_analytics_every_indicator_has_its_counters_in_the_rollups() -> None:
    columns = set(rollup_table.c.keys())
    for indicator in indicators.ALL:
        for name, _condition in indicator.counters():
            assert name in columns, name
