"""Grading (Art. 9): level 1 for public safety or major social impact, level 2 for
a possible hazard, level 3 otherwise; rules the center edits with history; an
operator's override with its reason; appeal.graded on the bus."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from minsheng_common.runtime import ServiceRuntime
from minsheng_intake import grading
from minsheng_intake.intake_rules import load_intake_rules
from minsheng_intake.models import GradingRuleVersion

Submit = Callable[..., Awaitable[dict[str, Any]]]
Events = Callable[[], Awaitable[list[dict[str, Any]]]]
ClientFor = Callable[[str | None], Any]

EDITION = load_intake_rules().editions[-1]
ACTIVE = grading.ActiveRules(keywords=EDITION.grading, source=f"edition {EDITION.id}")


@pytest.mark.parametrize(
    ("text", "level", "word"),
    [
        ("马峦街道江岭社区江岭路口路面塌陷出一个大坑，车辆差点掉进去", 1, "塌陷"),
        ("坪山街道六和社区和平路8号3栋厨房煤气泄漏，味道很大", 1, "煤气泄漏"),
        ("龙田街道南布社区十几名工人聚集在工厂门口讨薪，情绪激动", 1, "聚集"),
        ("坑梓街道金沙社区路灯杆底座松动，风一吹就晃", 2, "松动"),
        ("石井街道田心社区田心路15号门口井盖缺失，晚上很危险", 2, "井盖缺失"),
        ("碧岭街道汤坑社区小区垃圾桶满了三天没人清理", 3, None),
    ],
)
def test_the_keywords_give_the_level(text: str, level: int, word: str | None) -> None:
    grade = grading.grade(text, ACTIVE)

    assert grade.level == level
    if word is not None:
        assert f"'{word}'" in grade.basis
    assert f"edition {EDITION.id}" in grade.basis


def test_a_level_1_word_as_a_possibility_is_a_possible_hazard() -> None:
    grade = grading.grade(
        "小区没有消防水源，一旦发生火灾后果难以想象，请尽快解决。", ACTIVE
    )

    assert grade.level == 2
    assert "'火灾' as a possibility" in grade.basis


def test_a_supposition_in_another_clause_does_not_soften_a_fire() -> None:
    grade = grading.grade("如果没人管我就再打电话。楼下仓库着火了，浓烟很大！", ACTIVE)
    assert grade.level == 1


CAVE_IN = {
    "title": "路面塌陷",
    "content": "马峦街道江岭社区江岭路18号门口路面塌陷出一个大坑，车辆差点掉进去。",
}


async def test_a_level_1_appeal_is_filed_with_its_level_and_graded_at_once(
    submit: Submit, events: Events
) -> None:
    appeal = await submit(**CAVE_IN)

    assert appeal["grade"]["level"] == 1
    assert "'塌陷'" in appeal["grade"]["basis"]
    staged = await events()
    assert [event["type"] for event in staged] == [
        "appeal.received",
        "appeal.filed",
        "appeal.graded",
    ]
    assert staged[1]["data"]["level"] == 1
    graded = staged[2]["data"]
    assert (graded["level"], graded["previous_level"]) == (1, None)
    assert graded["graded_by"] == "rules"
    assert graded["basis"].startswith("rule: level-1 word '塌陷'")


async def test_an_ordinary_appeal_is_filed_level_3_without_a_graded_event(
    submit: Submit, events: Events
) -> None:
    appeal = await submit()

    assert appeal["grade"]["level"] == 3
    staged = await events()
    assert [event["type"] for event in staged] == ["appeal.received", "appeal.filed"]
    assert staged[1]["data"]["level"] == 3


async def test_a_rejected_appeal_has_no_grade(submit: Submit) -> None:
    appeal = await submit(contact=None, **CAVE_IN)
    assert appeal["grade"] is None


async def test_an_operator_raises_the_grade_with_a_reason(
    client: httpx.AsyncClient, submit: Submit, events: Events
) -> None:
    appeal = await submit()

    answer = await client.post(
        f"/v1/appeals/{appeal['id']}/grade",
        json={"level": 2, "reason": "同一地点本周第三次反映，列为高频事件"},
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["grade"] == {
        "level": 2,
        "basis": "operator: 同一地点本周第三次反映，列为高频事件",
    }
    graded = (await events())[-1]
    assert graded["type"] == "appeal.graded"
    assert graded["data"]["level"] == 2
    assert graded["data"]["previous_level"] == 3
    assert graded["data"]["basis"] == "operator: 同一地点本周第三次反映，列为高频事件"
    assert graded["data"]["graded_by"].startswith("operator")
    history = (await client.get(f"/v1/appeals/{appeal['id']}/grades")).json()
    assert [(row["level"], row["graded_by"]) for row in history] == [
        (3, "rules"),
        (2, graded["data"]["graded_by"]),
    ]


async def test_a_reason_quoting_a_number_is_masked_in_the_event(
    client: httpx.AsyncClient, submit: Submit, events: Events
) -> None:
    appeal = await submit()

    await client.post(
        f"/v1/appeals/{appeal['id']}/grade",
        json={"level": 1, "reason": "市民13800012345来电称现场有人受伤"},
    )

    assert "13800012345" not in str((await events())[-1])


async def test_a_rejected_appeal_cannot_be_graded(
    client: httpx.AsyncClient, submit: Submit, events: Events
) -> None:
    appeal = await submit(contact=None)
    before = await events()

    answer = await client.post(
        f"/v1/appeals/{appeal['id']}/grade", json={"level": 1, "reason": "情况紧急"}
    )

    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "not_gradable"
    assert await events() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"level": 4, "reason": "情况紧急需要马上处理"}, "body.level"),
        ({"level": 1, "reason": "急"}, "body.reason"),
        ({"level": 1}, "body.reason"),
    ],
)
async def test_a_bad_grade_names_the_field_and_changes_nothing(
    client: httpx.AsyncClient,
    submit: Submit,
    events: Events,
    body: dict[str, Any],
    field: str,
) -> None:
    appeal = await submit()
    before = await events()

    answer = await client.post(f"/v1/appeals/{appeal['id']}/grade", json=body)

    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == field
    assert await events() == before
    seen = (await client.get(f"/v1/appeals/{appeal['id']}")).json()
    assert seen["grade"]["level"] == 3


async def test_the_rules_start_as_the_editions_and_edits_are_versions(
    client_for: ClientFor, submit: Submit
) -> None:
    async with client_for("operator") as operator:
        first = (await operator.get("/v1/grading-rules")).json()
    assert first["current"]["version"] is None
    assert first["current"]["source"] == f"edition {EDITION.id}"
    assert "塌陷" in first["current"]["level_1"]
    assert first["history"] == []

    async with client_for("supervisor") as supervisor:
        saved = await supervisor.put(
            "/v1/grading-rules",
            json={
                "level_1": ["塌陷", "山火"],
                "level_2": ["井盖缺失", "树枝折断"],
                "hypothetical_markers": ["一旦"],
                "note": "台风季加入树枝折断",
            },
        )
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 1

    async with client_for("operator") as operator:
        now = (await operator.get("/v1/grading-rules")).json()
    assert now["current"]["version"] == 1
    assert now["current"]["note"] == "台风季加入树枝折断"
    assert [row["version"] for row in now["history"]] == [1]

    appeal = await submit(
        channel_ref="after-edit",
        content="坑梓街道秀新社区秀新路12号门口大树树枝折断挂在电线上。",
        received_at=datetime.now(UTC).isoformat(),
    )
    assert appeal["grade"]["level"] == 2
    assert appeal["grade"]["basis"] == "rule: level-2 word '树枝折断' (version 1)"


async def test_only_a_supervisor_edits_the_rules(client_for: ClientFor) -> None:
    body = {"level_1": ["塌陷"], "level_2": ["松动"], "note": "试改"}
    async with client_for("operator") as operator:
        answer = await operator.put("/v1/grading-rules", json=body)
    assert answer.status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"level_1": [], "level_2": ["松动"], "note": "清空"}, "body.level_1"),
        ({"level_1": [" "], "level_2": ["松动"], "note": "空格"}, "body.level_1.0"),
        ({"level_1": ["塌陷"], "level_2": ["松动"]}, "body.note"),
    ],
)
async def test_bad_rules_name_the_field_and_store_nothing(
    app: FastAPI, client_for: ClientFor, body: dict[str, Any], field: str
) -> None:
    async with client_for("supervisor") as supervisor:
        answer = await supervisor.put("/v1/grading-rules", json=body)

    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == field
    runtime: ServiceRuntime = app.state.runtime
    async with runtime.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(GradingRuleVersion)
        )
    assert count == 0


async def test_an_edition_taking_effect_after_a_saved_version_outranks_it(
    app: FastAPI,
) -> None:
    runtime: ServiceRuntime = app.state.runtime
    saved_at = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    async with runtime.sessions() as session:
        session.add(
            GradingRuleVersion(
                level_1=["塌陷"],
                level_2=["松动"],
                hypothetical_markers=[],
                note="春季版",
                changed_by="supervisor",
                changed_at=saved_at,
            )
        )
        await session.commit()
        later = EDITION.model_copy(
            update={"id": "intake-2026-06", "effective_from": date(2026, 6, 1)}
        )
        before = await grading.rules_in_force(session, EDITION, saved_at)
        after = await grading.rules_in_force(
            session, later, datetime(2026, 7, 1, tzinfo=UTC)
        )

    assert (before.source, before.version) == ("version 1", 1)
    assert (after.source, after.version) == ("edition intake-2026-06", None)


async def test_rules_of_control_characters_and_astral_symbols_are_refused_or_kept(
    client_for: ClientFor,
) -> None:
    """What the fuzzer once sent: a keyword of a control character alone is refused
    with its field; keywords of symbols outside the basic plane are kept as sent."""
    body = {
        "level_1": ["\U0010f30c", "\u00b8", "\u001e"],
        "level_2": ["\U00028cdb", "\u000f$\u0000\u0004\u0081O"],
        "note": "\u001a\u00c9Q\u0085\u0019",
    }
    async with client_for("supervisor") as supervisor:
        refused = await supervisor.put("/v1/grading-rules", json=body)
        body["level_1"] = ["\U0010f30c", "\u00b8"]
        body["level_2"] = ["\U00028cdb"]
        kept = await supervisor.put("/v1/grading-rules", json=body)

    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["field"] == "level_1.2"
    assert kept.status_code == 200, kept.text
    assert kept.json()["level_1"] == ["\U0010f30c", "\u00b8"]
