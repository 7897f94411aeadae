"""Holds (Art. 11), levels (Art. 9), event clusters (Art. 18) and instant answers
(Art. 43–44): their handlers, in any order, in the KPIs and on the page."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from minsheng_analytics import indicators
from minsheng_analytics.models import AppealFact, Base
from minsheng_common import db
from minsheng_common.bus.tables import bus_metadata


async def appeal_fact(sessions: Any, appeal_id: str) -> AppealFact:
    async with sessions() as session:
        row = await session.get(AppealFact, appeal_id)
    assert row is not None
    return row


def columns(row: AppealFact) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in AppealFact.__table__.c}


async def test_analytics_appeal_held_records_the_reason_as_undecided(
    projector: Any, sessions: Any, story: Callable[..., Any]
) -> None:
    appeal = story("a-1", channel="wechat")

    await projector.apply(appeal.appeal_held("verification", minutes=2))

    row = await appeal_fact(sessions, "a-1")
    assert row.decision == "held"
    assert row.held_reason == "verification"
    assert row.held_at == appeal.at(2)
    assert row.channel == "wechat"
    assert row.tracking_code == appeal.tracking_code


async def test_analytics_a_filing_after_the_hold_replaces_it(
    projector: Any, sessions: Any, story: Callable[..., Any]
) -> None:
    appeal = story("a-1")

    await projector.apply(appeal.appeal_held("verification", minutes=1))
    await projector.apply(appeal.appeal_filed(minutes=30))

    row = await appeal_fact(sessions, "a-1")
    assert row.decision == "filed"
    assert row.held_reason == "verification"


async def test_analytics_a_hold_arriving_after_the_rejection_changes_no_decision(
    projector: Any, sessions: Any, story: Callable[..., Any]
) -> None:
    appeal = story("a-1")

    await projector.apply(appeal.appeal_rejected("missing_contact"))
    await projector.apply(appeal.appeal_held("classification", minutes=0.5))

    row = await appeal_fact(sessions, "a-1")
    assert row.decision == "rejected"
    assert row.held_reason == "classification"


async def test_analytics_appeal_filed_keeps_level_and_cluster(
    projector: Any, sessions: Any, story: Callable[..., Any]
) -> None:
    appeal = story("a-1")

    await projector.apply(appeal.appeal_filed(level=2, cluster_id="cl-7"))

    row = await appeal_fact(sessions, "a-1")
    assert row.level == 2
    assert row.cluster_id == "cl-7"
    assert row.level_graded_at is None


async def test_analytics_the_latest_grading_sets_the_level(
    projector: Any, sessions: Any, story: Callable[..., Any]
) -> None:
    appeal = story("a-1")

    await projector.apply(appeal.appeal_graded(1, minutes=9, previous=2))
    await projector.apply(appeal.appeal_graded(2, minutes=3))

    row = await appeal_fact(sessions, "a-1")
    assert row.level == 1
    assert row.level_graded_at == appeal.at(9)


async def test_analytics_a_grading_outranks_the_filing_level_in_either_order(
    projector: Any, sessions: Any, story: Callable[..., Any]
) -> None:
    first, second = story("a-1"), story("a-2")

    await projector.apply(first.appeal_filed(level=3))
    await projector.apply(first.appeal_graded(1, minutes=5, previous=3))
    await projector.apply(second.appeal_graded(1, minutes=5, previous=3))
    await projector.apply(second.appeal_filed(level=3))

    assert (await appeal_fact(sessions, "a-1")).level == 1
    assert (await appeal_fact(sessions, "a-2")).level == 1


async def test_analytics_two_gradings_at_once_keep_the_more_urgent_level(
    projector: Any, sessions: Any, story: Callable[..., Any]
) -> None:
    first, second = story("a-1"), story("a-2")

    await projector.apply(first.appeal_graded(2, minutes=4))
    await projector.apply(first.appeal_graded(1, minutes=4))
    await projector.apply(second.appeal_graded(1, minutes=4))
    await projector.apply(second.appeal_graded(2, minutes=4))

    assert (await appeal_fact(sessions, "a-1")).level == 1
    assert (await appeal_fact(sessions, "a-2")).level == 1


async def test_analytics_appeal_answered_records_the_instant_answer(
    projector: Any, sessions: Any, story: Callable[..., Any]
) -> None:
    appeal = story("a-1", channel="wechat", appeal_type="consultation")

    await projector.apply(appeal.appeal_answered(minutes=0.5))

    row = await appeal_fact(sessions, "a-1")
    assert row.answered_at == appeal.at(0.5)
    assert row.appeal_type == "consultation"
    assert row.channel == "wechat"
    values = [str(value) for value in columns(row).values()]
    assert "gAAAA-ciphertext-of-the-contact" not in values
    assert not any("社保卡" in value for value in values)


async def test_analytics_every_order_of_hold_gradings_filing_and_answer_agrees(
    tmp_path: Path, story: Callable[..., Any], projector: Any
) -> None:
    appeal = story("a-1", appeal_type="consultation")
    # Every one of the 120 orders of the events these rules decide between.
    steps = [
        appeal.appeal_held("classification", minutes=1),
        appeal.appeal_graded(2, minutes=2),
        appeal.appeal_filed(minutes=3, level=2, cluster_id="cl-1"),
        appeal.appeal_graded(1, minutes=4, previous=2),
        appeal.appeal_answered(minutes=5),
    ]
    engine = db.make_engine(f"sqlite+aiosqlite:///{tmp_path / 'orders.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
        await connection.run_sync(bus_metadata.create_all)
    results = []
    try:
        for number, order in enumerate(itertools.permutations(steps)):
            # One appeal id per order, so every order builds its own row.
            projected = type(projector)(db.make_sessions(engine))
            await projected.apply_all([_renamed(step, number) for step in order])
            row = await appeal_fact(projected.sessions, f"a-{number}")
            found = columns(row)
            found.pop("appeal_id")
            results.append(found)
    finally:
        await engine.dispose()

    assert len(results) == 120
    assert all(result == results[0] for result in results)
    assert results[0]["decision"] == "filed"
    assert results[0]["level"] == 1
    assert results[0]["cluster_id"] == "cl-1"
    assert results[0]["answered_at"] == appeal.at(5)
    assert results[0]["last_event_at"] == appeal.at(5)


def _renamed(step: Any, number: int) -> Any:
    data, occurred_at = step
    return data.model_copy(update={"appeal_id": f"a-{number}"}), occurred_at


def decisions_story(story: Callable[..., Any]) -> list[Any]:
    """Five consultations (three answered at once, one held, one filed at level 1),
    a complaint held for verification and a complaint filed at level 2."""
    answered = [story(f"a-{n}", appeal_type="consultation") for n in (1, 2, 3)]
    held_consultation = story("a-4", appeal_type="consultation", channel="wechat")
    urgent = story("a-5", appeal_type="consultation")
    held_complaint = story("a-6", channel="wechat")
    hotspot = story("a-7")
    return [
        *(step for appeal in answered for step in appeal_and_answer(appeal)),
        held_consultation.appeal_received(),
        held_consultation.appeal_held("classification"),
        urgent.appeal_received(),
        urgent.appeal_filed(level=3),
        urgent.appeal_graded(1, minutes=5, previous=3),
        held_complaint.appeal_received(),
        held_complaint.appeal_held("verification"),
        hotspot.appeal_received(),
        hotspot.appeal_filed(level=2, cluster_id="cl-9"),
    ]


def appeal_and_answer(appeal: Any) -> list[Any]:
    return [appeal.appeal_received(), appeal.appeal_answered()]


async def test_analytics_kpis_count_levels_holds_and_the_instant_answer_rate(
    client: httpx.AsyncClient, app_projector: Any, story: Callable[..., Any]
) -> None:
    await app_projector.apply_all(decisions_story(story))

    body = (await client.get("/v1/kpis")).json()

    totals = body["totals"]
    assert totals["received"] == 7
    assert (totals["level_1"], totals["level_2"], totals["level_3"]) == (1, 1, 0)
    assert totals["held_verification"] == 1
    assert totals["held_classification"] == 1
    assert body["rates"]["instant_answer"] == {
        "numerator": 3,
        "denominator": 5,
        "rate": 0.6,
    }
    consultations = body["by_type"]["consultation"]
    assert consultations["rates"]["instant_answer"]["rate"] == 0.6
    assert body["by_type"]["complaint"]["rates"]["instant_answer"]["rate"] is None
    assert body["by_channel"]["wechat"]["held_verification"] == 1
    assert "instant_answer" not in body["by_unit"].get("cgj", {}).get("rates", {})


async def test_analytics_instant_answer_definition_states_the_target(
    client: httpx.AsyncClient,
) -> None:
    body = (await client.get("/v1/kpis/definitions")).json()

    by_key = {item["key"]: item for item in body["indicators"]}
    rate = by_key["instant_answer"]
    assert rate["label"] == "秒回率"
    assert rate["kind"] == "rate"
    assert rate["target"] == 0.9
    assert "consultation" in rate["denominator"]
    assert "Target: at least 90%." in indicators.INSTANT_ANSWER.describe()
    assert [by_key[f"level_{n}"]["label"] for n in (1, 2, 3)] == [
        "一级",
        "二级",
        "三级",
    ]
    assert by_key["held_verification"]["label"] == "待核实"
    assert by_key["held_classification"]["label"] == "待分类"


async def test_analytics_page_shows_levels_holds_and_the_instant_answer_rate(
    client: httpx.AsyncClient, app_projector: Any, story: Callable[..., Any]
) -> None:
    await app_projector.apply_all(decisions_story(story))

    page = (await client.get("/")).text

    for label, value in (
        ("一级", "1"),
        ("二级", "1"),
        ("三级", "0"),
        ("待核实", "1"),
        ("待分类", "1"),
        ("秒回率", "60.0%（3/5）"),
    ):
        assert (
            f'<span class="label">{label}</span><span class="value">{value}</span>'
            in page
        )
    unit_table = page[page.index('id="by-unit"') : page.index('id="by-reason"')]
    assert "秒回率" not in unit_table
    assert '<td class="text">已秒回</td>' in page
    assert '<td class="text">待核实</td>' in page
    assert '<td class="text">待分类</td>' in page
