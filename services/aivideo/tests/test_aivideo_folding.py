"""Detections of one kind at one camera less than the window from an appeal's first
detection are that appeal: later ones are folded into it, never new appeals; other
kinds, other cameras and detections beyond the window open their own."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from minsheng_aivideo.app import create_app
from minsheng_aivideo.models import VideoAppeal
from tests.adapter_support import client_of, running, sqlite_or_postgresql


async def appeals(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (
        await client.get("/v1/items", params={"limit": 500})
    ).json()["items"]
    return found


async def outcomes(client: httpx.AsyncClient) -> dict[str, str]:
    rows = (await client.get("/v1/detections", params={"limit": 500})).json()["items"]
    return {row["detection_id"]: row["outcome"] for row in rows}


def at(minute: int, hour: int = 19) -> str:
    return f"2026-12-04T{hour:02d}:{minute:02d}:00+08:00"


async def test_aivideo_detections_within_the_window_are_one_appeal(
    client: httpx.AsyncClient, platform: Any
) -> None:
    answers = [
        await platform.push(platform.detection(f"D-{minute}", detected_at=at(minute)))
        for minute in (0, 10, 29)
    ]

    assert [a.json()["outcome"] for a in answers] == ["opened", "folded", "folded"]
    assert len({a.json()["appeal_item"] for a in answers}) == 1
    [appeal] = await appeals(client)
    assert appeal["detections"] == 3
    assert appeal["first_detection_id"] == "D-0"
    assert appeal["first_detected_at"] == "2026-12-04T11:00:00Z"
    assert appeal["last_detected_at"] == "2026-12-04T11:29:00Z"


async def test_aivideo_a_detection_beyond_the_window_opens_a_new_appeal(
    client: httpx.AsyncClient, platform: Any
) -> None:
    first = await platform.push(platform.detection("D-a", detected_at=at(0)))
    # 30 minutes after the first: the window (30 minutes) is over.
    later = await platform.push(platform.detection("D-b", detected_at=at(30)))
    folded = await platform.push(platform.detection("D-c", detected_at=at(45)))

    assert later.json()["outcome"] == "opened"
    assert later.json()["appeal_item"] != first.json()["appeal_item"]
    assert folded.json()["appeal_item"] == later.json()["appeal_item"]
    assert len(await appeals(client)) == 2


async def test_aivideo_a_late_detection_folds_into_the_appeal_it_belongs_to(
    client: httpx.AsyncClient, platform: Any
) -> None:
    early = await platform.push(platform.detection("D-1900", detected_at=at(0)))
    await platform.push(platform.detection("D-1940", detected_at=at(40)))
    # Arrives last but was seen at 19:05: it belongs with the 19:00 appeal.
    late = await platform.push(platform.detection("D-1905", detected_at=at(5)))

    assert late.json()["outcome"] == "folded"
    assert late.json()["appeal_item"] == early.json()["appeal_item"]


@pytest.mark.parametrize(
    "other",
    [{"kind": "overflowing_bin"}, {"camera_id": "PS-0013"}],
    ids=["another kind", "another camera"],
)
async def test_aivideo_another_kind_or_camera_is_another_appeal(
    client: httpx.AsyncClient, platform: Any, other: dict[str, str]
) -> None:
    first = await platform.push(platform.detection("D-x", detected_at=at(0)))
    second = await platform.push(platform.detection("D-y", detected_at=at(1), **other))

    assert second.json()["outcome"] == "opened"
    assert second.json()["appeal_item"] != first.json()["appeal_item"]


async def test_aivideo_a_low_confidence_detection_never_folds_or_opens(
    client: httpx.AsyncClient, platform: Any
) -> None:
    await platform.push(platform.detection("D-sure", detected_at=at(0)))
    await platform.push(
        platform.detection("D-unsure", detected_at=at(1), confidence=0.2)
    )

    [appeal] = await appeals(client)
    assert appeal["detections"] == 1
    assert await outcomes(client) == {"D-sure": "opened", "D-unsure": "ignored"}


async def test_aivideo_the_window_is_a_setting(
    settings: Any, keys: Any, platform_of: Callable[[httpx.AsyncClient], Any]
) -> None:
    settings.fold_window_minutes = 5
    async with (
        running(create_app(settings)) as application,
        client_of(application, "http://v") as http,
    ):
        platform = platform_of(http)
        first = await platform.push(platform.detection("W-1", detected_at=at(0)))
        second = await platform.push(platform.detection("W-2", detected_at=at(6)))

    assert second.json()["outcome"] == "opened"
    assert second.json()["appeal_item"] != first.json()["appeal_item"]


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return sqlite_or_postgresql(request, tmp_path, "aivideo")


async def test_aivideo_detections_arriving_together_open_one_appeal(
    app: FastAPI, client: httpx.AsyncClient, platform: Any
) -> None:
    bodies = [platform.detection(f"T-{n}", detected_at=at(n)) for n in range(6)]

    answers = await asyncio.gather(*(platform.push(body) for body in bodies))

    assert all(answer.status_code == 202 for answer in answers)
    assert sorted(a.json()["outcome"] for a in answers) == ["folded"] * 5 + ["opened"]
    [appeal] = await appeals(client)
    assert appeal["detections"] == 6
    async with app.state.runtime.sessions() as session:
        stored = await session.get(VideoAppeal, appeal["id"])
    assert stored is not None
    assert stored.detections == 6


async def test_aivideo_two_replicas_deciding_at_once_open_one_appeal(
    settings: Any, keys: Any, platform_of: Callable[[httpx.AsyncClient], Any]
) -> None:
    async with (
        running(create_app(settings)) as first,
        running(create_app(settings)) as second,
        client_of(first, "http://a") as one,
        client_of(second, "http://b") as two,
    ):
        platforms = [platform_of(one), platform_of(two)]
        bodies = [platforms[0].detection(f"R-{n}", detected_at=at(n)) for n in range(6)]

        answers = await asyncio.gather(
            *(platforms[n % 2].push(body) for n, body in enumerate(bodies))
        )

        assert all(answer.status_code == 202 for answer in answers)
        items = {answer.json()["appeal_item"] for answer in answers}
        operator = {"X-API-Key": keys["operator"]}
        listed = (await one.get("/v1/items", headers=operator)).json()["items"]

    assert len(items) == 1
    assert [appeal["detections"] for appeal in listed] == [6]
