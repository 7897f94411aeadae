"""Repeats decided under concurrency (Art. 11(3)5), SQLite and PostgreSQL: the same
person sending the same report several times at once, through the same channel
under different channel references, is filed once; the others are repeats of it,
whether it is filed at once or waits for an operator's classification (Art. 8)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest

from minsheng_intake.settings import IntakeSettings

ClientFor = Callable[[str | None], AbstractAsyncContextManager[httpx.AsyncClient]]
Body = Callable[..., dict[str, Any]]

AT_ONCE = 3
STREETLIGHT = {
    "category_hint": "municipal-facilities",
    "title": "路灯不亮",
    "content": "石井街道田心社区路灯编号 SJ-0231 晚上不亮，行人看不清路。",
    "address": "石井街道田心社区",
}


@pytest.fixture
def never_confident(settings: IntakeSettings, tmp_path: Path) -> None:
    """Every category suggestion waits for an operator."""
    source = Path(__file__).parents[1] / "minsheng_intake" / "data"
    data = json.loads((source / "intake_rules.json").read_text(encoding="utf-8"))
    data["editions"][0]["thresholds"]["category_confidence_threshold"] = 1.0
    path = tmp_path / "intake_rules.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    settings.rules_file = path


async def submit_at_once(
    client_for: ClientFor, body: Body, **overrides: Any
) -> list[dict[str, Any]]:
    """The same report sent `AT_ONCE` times in parallel under different channel
    references; the decisions in the order sent."""

    async def post(number: int) -> dict[str, Any]:
        async with client_for("hotline") as http:
            answer = await http.post(
                "/v1/appeals",
                json=body(**STREETLIGHT | overrides, channel_ref=f"call-{number}"),
            )
        assert answer.status_code == 201, answer.text
        decided: dict[str, Any] = answer.json()
        return decided

    return list(await asyncio.gather(*(post(number) for number in range(AT_ONCE))))


def by_status(appeals: list[dict[str, Any]], status: str) -> list[dict[str, Any]]:
    return [appeal for appeal in appeals if appeal["decision"]["status"] == status]


async def test_the_same_report_sent_at_once_is_filed_once_art_11_3_5(
    client_for: ClientFor, body: Body
) -> None:
    appeals = await submit_at_once(client_for, body)

    filed = by_status(appeals, "filed")
    repeats = by_status(appeals, "rejected")
    assert len(filed) == 1
    assert len(repeats) == AT_ONCE - 1
    for repeat in repeats:
        assert repeat["decision"]["reason_code"] == "repeat_same_day"
        assert repeat["decision"]["repeat_of"] == filed[0]["id"]


@pytest.mark.usefixtures("never_confident")
async def test_the_same_report_sent_at_once_waits_for_classification_once_art_8(
    client_for: ClientFor, body: Body
) -> None:
    appeals = await submit_at_once(client_for, body, category_hint=None)

    held = by_status(appeals, "pending_classification")
    assert len(held) == 1
    assert len(by_status(appeals, "rejected")) == AT_ONCE - 1

    async with client_for("operator") as http:
        waiting = await http.get("/v1/triage")
        classified = [
            await http.post(
                f"/v1/appeals/{appeal['id']}/classification",
                json={"category_id": "municipal-facilities", "reason": "路灯属市政"},
            )
            for appeal in appeals
        ]
        decided = [await http.get(f"/v1/appeals/{appeal['id']}") for appeal in appeals]

    assert [item["appeal_id"] for item in waiting.json()["items"]] == [held[0]["id"]]
    assert [answer.status_code for answer in classified].count(200) == 1
    statuses = [answer.json()["decision"]["status"] for answer in decided]
    assert statuses.count("filed") == 1
    assert statuses.count("rejected") == AT_ONCE - 1
