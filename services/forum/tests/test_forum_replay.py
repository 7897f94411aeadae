"""The replay: messages on the demo clock, stored as canonical appeals first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from minsheng_common.timeutil import SHANGHAI
from minsheng_forum import schedule
from minsheng_forum.app import create_app
from minsheng_forum.models import ForumItem
from minsheng_forum.sample import ForumMessage
from minsheng_forum.settings import ForumSettings

START = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)


def dated(row: int, posted: str) -> schedule.Dated:
    message = ForumMessage(
        row=row,
        message_id=f"m{row}",
        user_id=f"u{row}",
        title="t",
        detail="d",
        category_label="城乡建设",
        posted_raw=posted,
    )
    return schedule.Dated(message, message.posted_at())


def test_the_first_message_is_due_when_the_replay_starts() -> None:
    slots = schedule.plan(
        [dated(1, "2020/1/2 10:00:00"), dated(2, "2020/1/1 10:00:00")],
        start=START,
        compression=1000,
    )

    assert slots[0].message.row == 2
    assert slots[0].due_at == START


def test_spacing_is_divided_by_the_compression_factor_and_order_kept() -> None:
    messages = [
        dated(1, "2020/1/1 10:00:00"),
        dated(2, "2020/1/1 12:46:40"),  # 10 000 s after the first
        dated(3, "2020/1/2 13:46:40"),  # 100 000 s after the first
        dated(4, "2020/1/1 10:00:00"),  # the same second as the first
    ]

    slots = schedule.plan(messages, start=START, compression=100_000)

    assert [slot.message.row for slot in slots] == [1, 4, 2, 3]
    assert [slot.due_at - START for slot in slots] == [
        timedelta(0),
        timedelta(0),
        timedelta(seconds=0.1),
        timedelta(seconds=1),
    ]


def test_a_replay_needs_an_aware_start_and_a_factor_of_at_least_one() -> None:
    with pytest.raises(ValueError, match="aware"):
        schedule.plan([], start=datetime(2026, 1, 1), compression=10)  # noqa: DTZ001 - naive on purpose
    with pytest.raises(ValueError, match="at least 1"):
        schedule.plan([], start=START, compression=0.5)


async def items(client: httpx.AsyncClient, **query: Any) -> list[dict[str, Any]]:
    answer = await client.get("/v1/items", params={"limit": 500, **query})
    assert answer.status_code == 200
    found: list[dict[str, Any]] = answer.json()["items"]
    return found


async def stored_payloads(app: FastAPI) -> list[dict[str, Any]]:
    async with app.state.runtime.sessions() as session:
        rows = await session.scalars(select(ForumItem).order_by(ForumItem.position))
        return [row.payload for row in rows]


async def test_replay_stores_every_message_as_pending_before_sending(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    # The stand-in intake is not started: nothing can be delivered, nothing is lost.
    before = datetime.now(UTC)
    answer = await client.post("/v1/replay", json={"compression": 100_000})
    after = datetime.now(UTC)

    assert answer.status_code == 202
    report = answer.json()
    assert report["scheduled"] == 495
    assert report["skipped_already_stored"] == 0
    assert report["unparseable"] == 0
    assert report["compression"] == 100_000
    first_due = datetime.fromisoformat(report["first_due_at"])
    assert before <= first_due <= after
    listed = await items(client, status="pending", limit=500)
    assert len(listed) == 495
    assert (await client.get("/v1/stats")).json()["pending"] == 495


async def test_the_payload_is_a_clean_canonical_appeal(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await client.post("/v1/replay", json={"compression": 100_000})

    payloads = await stored_payloads(app)
    listed = await items(client)
    first = next(p for p in payloads if p["channel_ref"] == "24")
    assert first["channel"] == "forum-people"
    assert first["contact"] == {"kind": "forum_account", "value": "A00074011"}
    assert first["type"] == "complaint"
    assert first["category_hint"] == "planning-construction"
    assert first["title"] == "深圳市坪山区西湖建筑集团占道施工有安全隐患"
    assert first["content"].startswith("碧岭街道大道西行便道")
    assert first["content"].endswith("极不文明的路段。")
    for payload in payloads:
        text = payload["title"] + payload["content"]
        assert "\t" not in text and "\u3000" not in text
        assert payload["content"] == payload["content"].strip()
    for payload, item in zip(payloads, listed, strict=True):
        received = datetime.fromisoformat(payload["received_at"])
        assert received.utcoffset() == timedelta(hours=8)
        assert received == datetime.fromisoformat(item["due_at"])


async def test_items_keep_posted_order_and_compressed_spacing(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/v1/replay", json={"compression": 100_000})

    listed = await items(client)
    posted = [datetime.fromisoformat(item["posted_at"]) for item in listed]
    due = [datetime.fromisoformat(item["due_at"]) for item in listed]
    assert posted == sorted(posted)
    for index in (1, 100, 494):
        expected = (posted[index] - posted[0]) / 100_000
        assert abs((due[index] - due[0]) - expected) <= timedelta(microseconds=1)


async def test_a_second_replay_skips_what_is_already_stored(
    client: httpx.AsyncClient,
) -> None:
    first = await client.post("/v1/replay", json={"limit": 10})
    second = await client.post("/v1/replay", json={"limit": 20})

    assert first.json()["scheduled"] == 10
    assert second.json()["scheduled"] == 10
    assert second.json()["skipped_already_stored"] == 10
    listed = await items(client)
    assert [item["position"] for item in listed] == list(range(1, 21))
    assert second.json()["first_due_at"] == listed[10]["due_at"]


async def test_the_duplicate_message_is_stored_once_per_row(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/v1/replay", json={})

    twins = [item for item in await items(client) if item["message_id"] == "37042"]
    assert [item["row_number"] for item in twins] == [99, 311]
    assert [item["category_hint"] for item in twins] == [
        "planning-construction",
        "labour-social-security",
    ]
    assert {item["type"] for item in twins} == {"suggestion"}


async def test_a_replay_without_a_body_uses_the_configured_factor(
    client: httpx.AsyncClient, settings: ForumSettings
) -> None:
    answer = await client.post("/v1/replay")

    assert answer.status_code == 202
    assert answer.json()["compression"] == settings.replay_compression == 100_000


async def test_a_factor_below_one_is_refused_and_stores_nothing(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post("/v1/replay", json={"compression": 0.5})

    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "body.compression"
    assert (await client.get("/v1/stats")).json()["total"] == 0


SAMPLE_HEADER = "message_id,user_id,title,posted_at,detail,category\n"


async def test_an_unreadable_time_stamp_is_reported_not_fatal(
    settings: ForumSettings, tmp_path: Path, operator: dict[str, str]
) -> None:
    export = tmp_path / "export.csv"
    export.write_text(
        SAMPLE_HEADER
        + "1,u1,A市路灯不亮,2020/1/6 12:09:38,A1区路灯不亮,城乡建设\n"
        + "2,u2,A市噪音,昨天下午,A2区夜间施工,环境保护\n"
        + "3,u3,A市积水,2020-01-07 08:00,A3区积水,环境保护\n",
        encoding="utf-8",
    )
    settings.sample_file = export
    application = create_app(settings)

    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://f", headers=operator
        ) as http:
            answer = await http.post("/v1/replay", json={"compression": 1000})
            listed = await items(http)

    report = answer.json()
    assert answer.status_code == 202
    assert report["scheduled"] == 2
    assert report["unparseable"] == 1
    assert report["unparseable_rows"] == [
        {"row": 2, "message_id": "2", "posted_at": "昨天下午"}
    ]
    assert [item["message_id"] for item in listed] == ["1", "3"]
    posted = datetime.fromisoformat(listed[1]["posted_at"])
    assert posted == datetime(2020, 1, 7, 8, tzinfo=SHANGHAI)


async def test_the_channel_is_configurable(
    settings: ForumSettings, tmp_path: Path, operator: dict[str, str]
) -> None:
    settings.channel = "forum-jiazaipingshan"
    application = create_app(settings)

    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://f", headers=operator
        ) as http:
            await http.post("/v1/replay", json={"limit": 3})
        payloads = await stored_payloads(application)

    assert {payload["channel"] for payload in payloads} == {"forum-jiazaipingshan"}


async def test_a_missing_export_is_a_clear_error(
    settings: ForumSettings, tmp_path: Path, operator: dict[str, str]
) -> None:
    settings.sample_file = tmp_path / "missing.csv"
    application = create_app(settings)

    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://f", headers=operator
        ) as http:
            answer = await http.post("/v1/replay")

    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == "sample_unavailable"
