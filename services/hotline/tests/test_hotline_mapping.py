"""What the agent entered, mapped onto the district's terms: the type (Art. 2), the
category of the reference data (Art. 8), a title; and the whole record as the
canonical appeal intake receives."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI

from minsheng_common.reference import load_reference
from minsheng_hotline import mapping
from minsheng_hotline.models import HotlineCall

REFERENCE = load_reference()


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("咨询", "consultation"),
        ("投诉", "complaint"),
        ("举报", "complaint"),
        ("求助", "complaint"),
        ("建议", "suggestion"),
        (" 意见 ", "suggestion"),
        ("Complaint", "complaint"),
        ("表扬", None),
        ("", None),
    ],
)
def test_hotline_the_agents_type_is_ours_or_left_to_intake(
    label: str, expected: str | None
) -> None:
    assert mapping.appeal_type(label) == expected


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("市容环卫", "city-sanitation"),
        ("市容环卫/占道经营", "city-sanitation"),
        ("交通运输－违章停车", "transport"),
        ("交通运输-违章停车", "transport"),
        ("city-sanitation", "city-sanitation"),
        ("environment-water/内涝", "environment-water"),
        ("城管", None),
        ("", None),
    ],
)
def test_hotline_the_agents_category_is_one_of_the_reference_data(
    label: str, expected: str | None
) -> None:
    assert mapping.category(label, REFERENCE) == expected


def test_hotline_a_record_without_title_takes_the_summarys_first_sentence() -> None:
    summary = "东门路夜市占道经营。晚上十点后噪音很大。"

    assert mapping.title(None, summary) == "东门路夜市占道经营"
    assert mapping.title("  夜市扰民 ", summary) == "夜市扰民"
    long = mapping.title(None, "长" * 80)
    assert len(long) == mapping.TITLE_CHARS
    assert long.endswith("…")


async def test_hotline_a_record_becomes_the_canonical_appeal(
    app: FastAPI, centre: Any
) -> None:
    answer = await centre.push(
        centre.record(
            "C-0099",
            title=None,
            type="求助",
            category="市容环卫/占道经营",
            called_at="2026-12-04 09:30:00",
            summary="东门路夜市\u200b占道经营。晚上噪音很大。",
        ),
        line="28339260",
    )

    async with app.state.runtime.sessions() as session:
        item = await session.get(HotlineCall, answer.json()["id"])
    assert item is not None
    assert item.payload == {
        "channel": "hotline-28339260",
        "channel_ref": "C-0099",
        "type": "complaint",
        "category_hint": "city-sanitation",
        "title": "东门路夜市占道经营",
        "content": "东门路夜市占道经营。晚上噪音很大。",
        "contact": {"kind": "phone", "value": "13800138000"},
        "address": "深圳市坪山区坪山街道东门路12号",
        "coordinates": None,
        "received_at": "2026-12-04T09:30:00+08:00",
        "attachments": ["https://rec.12345.example/2026/12/04/C20261204-0001.mp3"],
    }
    assert item.called_at == datetime(2026, 12, 4, 1, 30, tzinfo=UTC)
    assert item.type_as_entered == "求助"
    assert item.category_as_entered == "市容环卫/占道经营"


async def test_hotline_what_the_agent_left_out_is_left_to_intake(
    app: FastAPI, centre: Any
) -> None:
    body = centre.record("C-0100", type="其他", category="城管")
    for absent in ("caller_number", "address", "recording_url"):
        del body[absent]

    answer = await centre.push(body)

    async with app.state.runtime.sessions() as session:
        item = await session.get(HotlineCall, answer.json()["id"])
    assert item is not None
    payload = item.payload
    assert payload["type"] is None
    assert payload["category_hint"] is None
    assert payload["contact"] is None
    assert payload["address"] is None
    assert payload["attachments"] == []
