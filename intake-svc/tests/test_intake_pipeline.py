"""The filing pipeline end to end inside intake: the type read from the text when the
channel does not say it (Art. 2), the category suggested or left to an operator
(Art. 8), repeats (Art. 11(3)5), event clusters (Art. 18), instant answers (Art.
44), each from the rule edition in force at receipt."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from minsheng_common.runtime import ServiceRuntime
from minsheng_intake import rule_params
from minsheng_intake.classification.models import AppealTriage
from minsheng_intake.intake_rules import load_intake_rules
from minsheng_intake.knowledge.models import InstantAnswerRecord
from minsheng_intake.sameness import openness
from minsheng_intake.sameness.models import AppealHandling
from minsheng_intake.settings import IntakeSettings

ClientFor = Callable[[str | None], Any]
Submit = Callable[..., Awaitable[dict[str, Any]]]
Events = Callable[[], Awaitable[list[dict[str, Any]]]]

STREETLIGHT = {
    "category_hint": "municipal-facilities",
    "title": "路灯不亮",
    "content": "石井街道田心社区路灯编号 SJ-0231 晚上不亮，行人看不清路。",
    "address": "石井街道田心社区",
}


def of_type(events: list[dict[str, Any]], event_type: str) -> list[dict[str, Any]]:
    return [event for event in events if event["type"] == event_type]


def for_appeal(events: list[dict[str, Any]], appeal_id: str) -> list[str]:
    return [
        event["type"] for event in events if event["data"].get("appeal_id") == appeal_id
    ]


def rules_file(tmp_path: Path, **thresholds: float) -> Path:
    """The packaged rules with some thresholds changed."""
    data = json.loads(
        (
            Path(__file__).parents[1] / "minsheng_intake" / "data" / "intake_rules.json"
        ).read_text(encoding="utf-8")
    )
    data["editions"][0]["thresholds"].update(thresholds)
    path = tmp_path / "intake_rules.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


# --- the rule parameters come from the edition ---------------------------------


def test_every_helpers_parameters_come_from_the_edition_in_force() -> None:
    edition = load_intake_rules().in_force(datetime(2026, 12, 4, tzinfo=UTC))

    params = rule_params.of(edition)

    assert params.classification.confidence_threshold == 0.5
    assert params.sameness.repeat_working_days == 3
    assert params.sameness.cluster_threshold == 0.5
    assert params.sameness.place_factor_community == 0.85
    assert params.knowledge.instant_answer_threshold == 0.6
    assert params.knowledge.one_time_answer_target == 0.9
    assert params.type_rules.wish_opener == "望"
    assert "投诉" in params.type_rules.complaint_markers
    assert "路灯" in params.vocabulary.concepts
    assert params.vocabulary.concepts_in("坑梓街道") == frozenset()
    assert rule_params.of(edition) is params


def test_a_new_editions_thresholds_change_the_parameters(tmp_path: Path) -> None:
    path = rules_file(tmp_path, same_problem_threshold=0.8, instant_answer_threshold=1)
    edition = load_intake_rules(path).editions[0]

    params = rule_params.of(edition)

    assert params.sameness.same_problem_threshold == 0.8
    assert params.knowledge.instant_answer_threshold == 1


# --- type ---------------------------------------------------------------------


async def test_a_missing_type_is_read_from_the_text_and_said_to_be_inferred(
    submit: Submit, events: Events
) -> None:
    appeal = await submit(
        type=None,
        title="请问垃圾分类投放时间",
        content="请问坑梓街道秀新社区的垃圾分类投放时间是几点？",
    )
    given = await submit(channel_ref="typed")

    assert appeal["type"] == "consultation"
    assert appeal["type_inferred"] is True
    assert (given["type"], given["type_inferred"]) == ("complaint", False)
    received = of_type(await events(), "appeal.received")
    assert received[0]["data"]["appeal_type"] == "consultation"


# --- category -----------------------------------------------------------------


@pytest.fixture
def always_confident(settings: IntakeSettings, tmp_path: Path) -> None:
    settings.rules_file = rules_file(tmp_path, category_confidence_threshold=0.0)


@pytest.fixture
def never_confident(settings: IntakeSettings, tmp_path: Path) -> None:
    settings.rules_file = rules_file(tmp_path, category_confidence_threshold=1.0)


@pytest.mark.usefixtures("always_confident")
async def test_a_confident_suggestion_becomes_the_category(
    submit: Submit, events: Events
) -> None:
    appeal = await submit(category_hint=None)

    assert appeal["decision"]["status"] == "filed"
    assert appeal["category_id"] is not None
    filed = of_type(await events(), "appeal.filed")
    assert filed[0]["data"]["category_id"] == appeal["category_id"]


@pytest.mark.usefixtures("never_confident")
async def test_a_weak_suggestion_holds_the_appeal_until_an_operator_files_it(
    app: FastAPI, submit: Submit, client_for: ClientFor, events: Events
) -> None:
    appeal = await submit(category_hint=None)

    assert appeal["decision"]["status"] == "pending_classification"
    assert appeal["decision"]["held_reason"] == "classification"
    runtime: ServiceRuntime = app.state.runtime
    async with runtime.sessions() as session:
        assert await session.get(AppealTriage, appeal["id"]) is not None
    assert for_appeal(await events(), appeal["id"]) == [
        "appeal.received",
        "appeal.held",
    ]

    async with client_for("operator") as http:
        chosen = await http.post(
            f"/v1/appeals/{appeal['id']}/classification",
            json={"category_id": "city-sanitation", "reason": "垃圾清运属市容环卫"},
        )
        read = await http.get(f"/v1/appeals/{appeal['id']}")

    assert chosen.status_code == 200, chosen.text
    assert read.json()["decision"]["status"] == "filed"
    assert read.json()["category_id"] == "city-sanitation"
    staged = await events()
    assert for_appeal(staged, appeal["id"])[-1] == "appeal.filed"
    filed = of_type(staged, "appeal.filed")[0]["data"]
    assert filed["category_id"] == "city-sanitation"
    assert filed["cluster_id"] == read.json()["cluster_id"] is not None


@pytest.mark.usefixtures("never_confident")
async def test_a_held_appeal_shows_its_wait_in_the_citizens_status(
    submit: Submit, client_for: ClientFor
) -> None:
    appeal = await submit(category_hint=None)

    async with client_for(None) as http:
        status = await http.get(
            f"/v1/appeals/{appeal['tracking_code']}/status", params={"last4": "2345"}
        )

    assert status.status_code == 200, status.text
    assert status.json()["state"] == "pending_classification"
    assert [step["step"] for step in status.json()["steps"]] == [
        "received",
        "pending_classification",
    ]


# --- repeats ------------------------------------------------------------------


async def test_the_same_report_twice_the_same_day_is_filed_once(
    submit: Submit, events: Events
) -> None:
    first = await submit(**STREETLIGHT, channel_ref="first")
    second = await submit(
        **STREETLIGHT | {"content": "田心社区路灯编号 SJ-0231 坏了，晚上一片黑。"},
        channel_ref="second",
        received_at="2026-12-04T15:00:00+08:00",
    )

    assert first["decision"]["status"] == "filed"
    decision = second["decision"]
    assert decision["status"] == "rejected"
    assert decision["reason_code"] == "repeat_same_day"
    assert decision["article"] == "Art. 11(3)5"
    assert decision["repeat_of"] == first["id"]
    assert first["tracking_code"] in decision["advice"]
    assert first["tracking_code"] in decision["evidence"]["found"]
    rejected = of_type(await events(), "appeal.rejected")[0]["data"]
    assert (rejected["repeat_of"], rejected["reason_code"]) == (
        first["id"],
        "repeat_same_day",
    )


async def test_a_repeat_within_three_working_days_while_handled_is_not_filed(
    app: FastAPI, submit: Submit, dispatch: Callable[[str, str], Awaitable[None]]
) -> None:
    # Tuesday; the window runs to the end of Friday.
    first = await submit(
        **STREETLIGHT, channel_ref="tue", received_at="2026-12-01T10:00:00+08:00"
    )
    await dispatch(first["id"], "cgj")
    runtime: ServiceRuntime = app.state.runtime
    async with runtime.sessions() as session:
        handling = await session.get(AppealHandling, first["id"])
    assert handling is not None and handling.state == openness.OPEN

    again = await submit(
        **STREETLIGHT, channel_ref="thu", received_at="2026-12-03T09:00:00+08:00"
    )

    assert again["decision"]["reason_code"] == "repeat"
    assert again["decision"]["repeat_of"] == first["id"]


async def test_once_the_earlier_appeal_is_closed_the_same_problem_is_filed(
    app: FastAPI, submit: Submit
) -> None:
    first = await submit(
        **STREETLIGHT, channel_ref="tue", received_at="2026-12-01T10:00:00+08:00"
    )
    runtime: ServiceRuntime = app.state.runtime
    async with runtime.sessions() as session:
        await openness.mark_closed(
            session, appeal_id=first["id"], at=datetime(2026, 12, 2, tzinfo=UTC)
        )
        await session.commit()

    again = await submit(
        **STREETLIGHT, channel_ref="thu", received_at="2026-12-03T09:00:00+08:00"
    )

    assert again["decision"]["status"] == "filed"


async def test_another_person_reporting_the_same_event_joins_its_cluster(
    submit: Submit, events: Events
) -> None:
    first = await submit(**STREETLIGHT, channel_ref="one")
    other = await submit(
        **STREETLIGHT,
        channel_ref="two",
        contact={"kind": "phone", "value": "13900001111"},
    )
    unrelated = await submit(channel_ref="three")

    assert other["decision"]["status"] == "filed"
    assert first["cluster_id"] is not None
    assert other["cluster_id"] == first["cluster_id"]
    assert unrelated["cluster_id"] not in (None, first["cluster_id"])
    filed = {
        e["data"]["appeal_id"]: e["data"]
        for e in of_type(await events(), "appeal.filed")
    }
    assert filed[other["id"]]["cluster_id"] == first["cluster_id"]


async def test_a_rejected_appeal_gets_no_cluster(submit: Submit) -> None:
    rejected = await submit(contact=None)

    assert rejected["decision"]["status"] == "rejected"
    assert rejected["cluster_id"] is None


# --- instant answers ----------------------------------------------------------

ENTRY = {
    "unit_id": "cgj",
    "category_id": "city-sanitation",
    "question": "垃圾分类投放时间是什么时候？",
    "answer": "居民小区实行定时定点投放，每天早上7:00–9:00、晚上18:00–21:00。",
    "keywords": ["垃圾分类", "投放时间"],
}
QUESTION = {
    "type": "consultation",
    "title": "垃圾分类投放时间",
    "content": "请问坑梓街道秀新社区垃圾分类投放时间是什么时候？",
}


async def knowledge_entry(client_for: ClientFor) -> dict[str, Any]:
    async with client_for("supervisor") as http:
        created = await http.post(
            "/v1/knowledge",
            json=ENTRY | {"valid_from": "2026-01-01T00:00:00+08:00"},
        )
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


async def test_a_consultation_the_knowledge_base_answers_is_answered_not_filed(
    app: FastAPI, submit: Submit, client_for: ClientFor, events: Events
) -> None:
    entry = await knowledge_entry(client_for)

    appeal = await submit(**QUESTION)

    assert appeal["decision"]["status"] == "answered"
    assert appeal["grade"] is None
    answer = appeal["instant_answer"]
    assert answer["knowledge_entry_id"] == entry["id"]
    assert answer["answer"] == ENTRY["answer"]
    assert answer["confidence"] >= 0.6
    staged = await events()
    assert for_appeal(staged, appeal["id"]) == ["appeal.received", "appeal.answered"]
    answered = of_type(staged, "appeal.answered")[0]["data"]
    assert answered["answer"] == ENTRY["answer"]
    assert answered["contact_encrypted"]
    runtime: ServiceRuntime = app.state.runtime
    async with runtime.sessions() as session:
        assert await session.get(InstantAnswerRecord, appeal["id"]) is not None

    async with client_for("hotline") as http:
        again = await http.post(
            "/v1/appeals",
            json={
                "channel": "hotline-12345",
                "channel_ref": "call-0001",
                "type": "consultation",
                "received_at": "2026-12-04T10:00:00+08:00",
            },
        )
    assert again.status_code == 200
    assert again.json()["instant_answer"]["answer"] == ENTRY["answer"]

    async with client_for(None) as http:
        status = await http.get(
            f"/v1/appeals/{appeal['tracking_code']}/status", params={"last4": "2345"}
        )
    assert status.json()["state"] == "answered"
    assert status.json()["steps"][-1]["answer"] == ENTRY["answer"]


async def test_a_consultation_the_base_cannot_answer_is_filed(
    submit: Submit, client_for: ClientFor
) -> None:
    await knowledge_entry(client_for)

    appeal = await submit(
        type="consultation",
        title="社区图书馆开放时间",
        content="请问坑梓街道秀新社区图书馆周末几点开门？",
    )

    assert appeal["decision"]["status"] == "filed"
    assert appeal["instant_answer"] is None


async def test_a_complaint_is_never_answered_at_once(
    submit: Submit, client_for: ClientFor
) -> None:
    await knowledge_entry(client_for)

    appeal = await submit(
        title="垃圾分类投放时间不合理",
        content="坑梓街道秀新社区秀新路12号垃圾分类投放时间太短，垃圾堆在门口。",
    )

    assert appeal["decision"]["status"] == "filed"


async def test_the_counts_show_answered_consultations(
    submit: Submit, client_for: ClientFor, client: httpx.AsyncClient
) -> None:
    await knowledge_entry(client_for)
    await submit(**QUESTION)

    counts = (await client.get("/v1/appeal-counts")).json()

    assert counts["answered"] == 1
    assert counts["filed"] == 0
    assert counts["by_status"] == {"answered": 1}
