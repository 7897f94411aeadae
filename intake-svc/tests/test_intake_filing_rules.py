"""Intake's rule parameters as data with effective dates: the packaged editions,
another file through INTAKE_RULES_FILE, and the edition kept with each appeal; the
reason, evidence and advice of a decision in the answer and on the bus."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy import func, select

from minsheng_common.runtime import ServiceRuntime
from minsheng_intake.intake_rules import IntakeRuleBook, load_intake_rules
from minsheng_intake.models import Appeal
from minsheng_intake.settings import IntakeSettings

Submit = Callable[..., Awaitable[dict[str, Any]]]
Events = Callable[[], Awaitable[list[dict[str, Any]]]]


def packaged() -> dict[str, Any]:
    text = (
        resources.files("minsheng_intake.data")
        .joinpath("intake_rules.json")
        .read_text(encoding="utf-8")
    )
    data: dict[str, Any] = json.loads(text)
    return data


def test_the_packaged_rules_hold_every_parameter() -> None:
    edition = load_intake_rules().editions[-1]

    assert edition.effective_from == date(2020, 12, 1)
    assert "涉法涉诉" not in edition.filing.law_litigation
    assert "律师函" in edition.filing.law_litigation
    assert "龙岗区" in edition.filing.other_territories
    assert edition.filing.precise_address_required_for == ["complaint"]
    assert "塌陷" in edition.grading.level_1 and "隐患" in edition.grading.level_2
    assert "违建" in edition.verification.keywords
    thresholds = edition.thresholds
    assert thresholds.repeat_working_days == 3
    assert thresholds.cluster_window_hours == 72
    assert thresholds.category_confidence_threshold == 0.5
    assert thresholds.instant_answer_threshold == 0.6
    assert 0 < thresholds.same_problem_threshold <= 1


def two_editions() -> dict[str, Any]:
    data = packaged()
    newer = json.loads(json.dumps(data["editions"][0]))
    newer["id"] = "intake-2027-01"
    newer["effective_from"] = "2027-01-01"
    newer["thresholds"]["repeat_working_days"] = 5
    newer["filing"]["law_litigation"].append("调解书")
    data["editions"].append(newer)
    return data


def test_the_edition_in_force_is_chosen_by_the_local_date() -> None:
    book = IntakeRuleBook.model_validate(two_editions())

    last_day = datetime(2026, 12, 31, 15, 59, tzinfo=UTC)  # 23:59 in Shanghai
    first_day = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)  # 00:00 on 1 January

    assert book.in_force(last_day).id == "intake-2020-12"
    assert book.in_force(first_day).id == "intake-2027-01"
    assert book.in_force(first_day).thresholds.repeat_working_days == 5
    assert book.by_id("intake-2020-12").thresholds.repeat_working_days == 3


def test_two_editions_on_one_day_are_refused() -> None:
    data = two_editions()
    data["editions"][1]["effective_from"] = data["editions"][0]["effective_from"]

    with pytest.raises(ValidationError, match="same day"):
        IntakeRuleBook.model_validate(data)


def test_a_blank_keyword_is_refused() -> None:
    data = packaged()
    data["editions"][0]["filing"]["law_litigation"].append("  ")

    with pytest.raises(ValidationError, match="empty keyword"):
        IntakeRuleBook.model_validate(data)


def test_intake_rules_file_points_at_another_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(two_editions(), ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("INTAKE_RULES_FILE", str(path))

    settings = IntakeSettings(data_dir=tmp_path, environment="test")

    assert settings.rules_file == path
    assert [e.id for e in load_intake_rules(settings.rules_file).editions] == [
        "intake-2020-12",
        "intake-2027-01",
    ]


async def test_an_appeal_keeps_the_edition_in_force_when_received(
    submit: Submit,
) -> None:
    appeal = await submit()
    assert appeal["decision"]["rules_edition"] == "intake-2020-12"


async def test_a_not_filed_appeal_carries_reason_evidence_and_advice(
    submit: Submit, events: Events
) -> None:
    appeal = await submit(
        title="房东不退押金",
        content="坪山街道六和社区和平路8号的房东拖欠押金，我已起诉至法院，请督促执行。",
    )

    decision = appeal["decision"]
    assert decision["status"] == "rejected"
    assert decision["reason_code"] == "law_litigation"
    assert decision["article"] == "Art. 11(3)4"
    assert decision["evidence"] == {"field": "title, content", "found": "已起诉"}
    assert "人民法院" in decision["advice"]
    rejected = (await events())[-1]
    assert rejected["type"] == "appeal.rejected"
    assert rejected["data"]["advice"] == decision["advice"]
    assert rejected["data"]["article"] == "Art. 11(3)4"


async def test_the_center_sees_the_parsed_address(submit: Submit) -> None:
    appeal = await submit(address="坑梓街道秀新社区秀新路１２号３栋")

    parts = appeal["address_parts"]
    assert (parts["road"], parts["number"], parts["building"]) == (
        "秀新路",
        "12",
        "3栋",
    )
    assert parts["found_in"]["number"] == "address"
    assert parts["precise"] is True


async def test_a_channel_sees_the_decision_but_not_the_evidence(
    client_for: Callable[[str | None], Any], body: Callable[..., dict[str, Any]]
) -> None:
    async with client_for("hotline") as http:
        answer = await http.post(
            "/v1/appeals", json=body(title="", content="你好，在吗？我电话13800012345")
        )

    decision = answer.json()["decision"]
    assert decision["reason_code"] == "no_evident_request"
    assert decision["evidence"] is None
    assert "address_parts" not in answer.json()


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"type": "praise"}, "body.type", "invalid_request"),
        ({"category_hint": "weather"}, "category_hint", "unknown_category"),
        ({"content": "坑梓街道" + "很" * 6000}, "content", "too_long"),
        (
            {"contact": {"kind": "fax", "value": "0755-1234"}},
            "body.contact.kind",
            "invalid_request",
        ),
        (
            {"coordinates": {"latitude": 95, "longitude": 114}},
            "body.coordinates.latitude",
            "invalid_request",
        ),
    ],
)
async def test_bad_input_names_the_field_and_stores_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    body: Callable[..., dict[str, Any]],
    events: Events,
    changes: dict[str, Any],
    field: str,
    code: str,
) -> None:
    answer = await client.post("/v1/appeals", json=body(**changes))

    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == field
    assert answer.json()["error"]["code"] == code
    runtime: ServiceRuntime = app.state.runtime
    async with runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Appeal)) == 0
    assert await events() == []


async def test_the_citizens_name_quoted_as_evidence_is_masked(
    submit: Submit, events: Events
) -> None:
    appeal = await submit(name="王小明", title="", content="你好，我是王小明，在吗？")

    assert appeal["decision"]["reason_code"] == "no_evident_request"
    assert "王小明" not in str(appeal["decision"])
    assert "王小明" not in str((await events())[-1])
