"""Events of one appeal arrive on several topics in any order, and a redelivered
event must not count twice: the projection ends the same either way."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from minsheng_analytics import repository
from minsheng_analytics.models import (
    AcceptanceRequestFact,
    AppealFact,
    Base,
    NoticeFact,
    WorkOrderFact,
)
from minsheng_common import db
from minsheng_common.bus.tables import bus_metadata


def scenario(story: Callable[..., Any]) -> list[Any]:
    """Five appeals with every event type, including a recomputed deadline, a
    second acceptance request, a hold and two gradings around the filing."""
    on_time = story("a-1")
    auto = story("a-2", channel="wechat", appeal_type="consultation", unit_id="swj")
    rejected = story("a-3", channel="mailbox")
    held_then_filed = story("a-4", channel="wechat")
    answered = story("a-5", appeal_type="consultation")
    return [
        *on_time.full_life(),
        on_time.deadline_set(
            "handling", due=on_time.at(20000), occurred=on_time.at(90)
        ),
        auto.appeal_received(),
        auto.appeal_filed(),
        auto.dispatched(after_filing=70),
        auto.deadline_set("sign_off"),
        auto.deadline_reached("sign_off"),
        auto.signed(minutes=auto.sign_off_due().minute + 200, mode="auto"),
        auto.acceptance_requested(minutes=300, request="1"),
        auto.notice_failed(minutes=310, request="1"),
        auto.acceptance_requested(minutes=320, request="2"),
        auto.notice_sent(minutes=330, request="2"),
        rejected.appeal_received(),
        rejected.appeal_rejected("no_place_in_district"),
        held_then_filed.appeal_received(),
        held_then_filed.appeal_held("classification", minutes=1),
        held_then_filed.appeal_graded(2, minutes=3),
        held_then_filed.appeal_graded(1, minutes=5, previous=2),
        held_then_filed.appeal_filed(minutes=4, level=2, cluster_id="cl-1"),
        answered.appeal_received(),
        answered.appeal_answered(),
    ]


async def snapshot(sessions: Any) -> dict[str, list[dict[str, Any]]]:
    """Every row of every fact table, in primary-key order."""
    tables: dict[str, list[dict[str, Any]]] = {}
    async with sessions() as session:
        for model in (AppealFact, WorkOrderFact, AcceptanceRequestFact, NoticeFact):
            columns = list(model.__table__.columns)
            key = next(iter(model.__table__.primary_key.columns))
            rows = (await session.scalars(select(model).order_by(key))).all()
            tables[model.__tablename__] = [
                {column.key: getattr(row, column.key) for column in columns}
                for row in rows
            ]
    return tables


async def project(
    tmp_path: Path, label: str, steps: list[Any], projector_class: Any
) -> dict[str, list[dict[str, Any]]]:
    engine = db.make_engine(f"sqlite+aiosqlite:///{tmp_path / label}.db")
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
        await connection.run_sync(bus_metadata.create_all)
    try:
        projector = projector_class(db.make_sessions(engine))
        await projector.apply_all(steps)
        return await snapshot(projector.sessions)
    finally:
        await engine.dispose()


def differences(got: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """Which table, row and column differ: a readable failure."""
    found = []
    for table, rows in expected.items():
        assert len(got[table]) == len(rows), table
        for row, other in zip(rows, got[table], strict=True):
            for column, value in row.items():
                if other[column] != value:
                    found.append(f"{table}.{column}: {other[column]!r} != {value!r}")
    return found


def orders(steps: list[Any]) -> dict[str, list[Any]]:
    """The catalogue order, reversed, topics drained one after another the wrong way
    round, and a few shuffles."""
    topic_rank = {"deadlines": 0, "notices": 1, "work-orders": 2, "appeals": 3}
    chosen = {
        "reversed": list(reversed(steps)),
        "by_topic": sorted(steps, key=lambda step: topic_rank[step[0].topic]),
    }
    for seed in range(4):
        shuffled = list(steps)
        random.Random(seed).shuffle(shuffled)
        chosen[f"shuffle_{seed}"] = shuffled
    return chosen


async def test_analytics_out_of_order_events_give_the_in_order_state(
    tmp_path: Path, story: Callable[..., Any], projector: Any
) -> None:
    steps = scenario(story)
    expected = await project(tmp_path, "in_order", steps, type(projector))
    assert len(expected["work_order_facts"]) == 2
    assert expected["work_order_facts"][0]["acceptance_notice_sent_at"] is not None

    for label, reordered in orders(steps).items():
        got = await project(tmp_path, label, reordered, type(projector))
        assert differences(got, expected) == [], label


async def test_analytics_a_dispatch_before_the_filing_is_complete_once_both_arrive(
    projector: Any, sessions: Any, story: Callable[..., Any]
) -> None:
    appeal = story("a-1")
    await projector.apply(appeal.dispatched())
    before = await snapshot(sessions)
    assert before["appeal_facts"] == []
    assert before["work_order_facts"][0]["appeal_id"] == "a-1"

    await projector.apply(appeal.appeal_filed())
    await projector.apply(appeal.appeal_received())

    rows = await snapshot(sessions)
    assert rows["appeal_facts"][0]["decision"] == "filed"
    assert rows["appeal_facts"][0]["category_id"] == "city-sanitation"
    assert rows["work_order_facts"][0]["status"] == "dispatched"


async def test_analytics_a_duplicate_event_is_applied_once(
    projector: Any, sessions: Any, story: Callable[..., Any]
) -> None:
    appeal = story("a-1")
    envelope = projector.envelope(appeal.acceptance_requested(minutes=50))

    assert await projector.apply(envelope) is True
    assert await projector.apply(envelope) is False

    async with sessions() as session:
        counts = await repository.work_order_rows(session, repository.Window())
    assert counts[0]._mapping["acceptance_notices_requested"] == 1


@pytest.mark.parametrize("copies", [2, 3])
async def test_analytics_the_same_fact_from_several_events_counts_once(
    projector: Any, sessions: Any, story: Callable[..., Any], copies: int
) -> None:
    appeal = story("a-1")

    for _ in range(copies):
        # A new envelope each time: the inbox cannot help, the upsert must.
        await projector.apply(appeal.appeal_received())
        await projector.apply(appeal.appeal_filed())
        await projector.apply(appeal.dispatched())
        await projector.apply(appeal.signed(minutes=30))

    async with sessions() as session:
        appeals = await repository.appeal_rows(session, repository.Window())
        orders_ = await repository.work_order_rows(session, repository.Window())
    assert [row._mapping["received"] for row in appeals] == [1]
    assert [row._mapping["filed"] for row in appeals] == [1]
    assert [row._mapping["signed"] for row in orders_] == [1]
