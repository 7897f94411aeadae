"""Delivery to intake itself, over real HTTP on loopback: records that arrive while
intake is stopped are all there once it is started again, each once, in each line's
order, under the line's channel and with the line's key; the adapter's own restart
loses nothing either (Art. 4, 5)."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from minsheng_hotline.app import create_app
from minsheng_hotline.settings import HotlineSettings
from tests.adapter_support import (
    LoopbackIntake,
    client_of,
    running,
    sqlite_or_postgresql,
)

Poll = Callable[..., Awaitable[None]]


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return sqlite_or_postgresql(request, tmp_path, "hotline")


async def listed(client: httpx.AsyncClient, **query: Any) -> list[dict[str, Any]]:
    answer = await client.get("/v1/items", params={"limit": 500, **query})
    found: list[dict[str, Any]] = answer.json()["items"]
    return found


async def stats(client: httpx.AsyncClient) -> dict[str, Any]:
    body: dict[str, Any] = (await client.get("/v1/stats")).json()
    return body


ARRIVALS = [
    ("12345", "C1"),
    ("12319", "D1"),
    ("12345", "C2"),
    ("12345", "C3"),
    ("12319", "D2"),
]


async def test_hotline_records_taken_while_intake_is_stopped_reach_it_once(
    client: httpx.AsyncClient, centre: Any, intake: LoopbackIntake, poll: Poll
) -> None:
    for line, call_id in ARRIVALS:
        answer = await centre.push(centre.record(call_id), line=line)
        assert answer.status_code == 202
    # The C2 centre retries after a lost answer, while intake is still down.
    await centre.push(centre.record("C2"), at=datetime.now(UTC) + timedelta(seconds=1))

    async def heads_tried() -> bool:
        pending = await listed(client, status="pending")
        return len(pending) == 5 and all(
            item["attempts"] >= 2 for item in pending if item["position"] == 1
        )

    await poll(heads_tried)
    assert (await stats(client))["delivered"] == 0

    await intake.start()

    async def all_delivered() -> bool:
        return bool((await stats(client))["delivered"] == 5)

    await poll(all_delivered, within=30)
    appeals = await intake.appeals("hotline-")
    refs = Counter((appeal.channel, appeal.channel_ref) for appeal in appeals)
    assert refs == Counter(
        (f"hotline-{line}", call_id) for line, call_id in ARRIVALS
    ), "each call once, under its line's channel"
    items = await listed(client)
    for line in ("12345", "12319"):
        mine = sorted(
            (item for item in items if item["line"] == line),
            key=lambda item: item["position"],
        )
        assert [item["call_id"] for item in mine] == [
            call_id for on, call_id in ARRIVALS if on == line
        ]
        times = [item["delivered_at"] for item in mine]
        assert times == sorted(times), "a line's records reach intake in order"
    by_ref = {appeal.channel_ref: appeal for appeal in appeals}
    assert {item["appeal_id"] for item in items} == {a.id for a in appeals}
    first = by_ref["C1"]
    assert first.attachments == [
        "https://rec.12345.example/2026/12/04/C20261204-0001.mp3"
    ]
    assert first.contact_kind == "phone"
    assert first.contact_masked is not None
    assert "13800138000" not in first.contact_masked
    assert first.category_id == "city-sanitation"
    assert first.appeal_type == "complaint"
    assert first.received_at == datetime(2026, 12, 4, 1, 30, tzinfo=UTC)

    # Intake stays up: a later record goes through at once, and nothing doubles.
    await centre.push(centre.record("C4"))
    await poll(lambda: _delivered(client, 6))
    assert len(await intake.appeals("hotline-")) == 6


async def _delivered(client: httpx.AsyncClient, count: int) -> bool:
    return bool((await stats(client))["delivered"] == count)


async def test_hotline_a_restarted_adapter_delivers_what_it_took_before(
    settings: HotlineSettings,
    keys: dict[str, str],
    intake: LoopbackIntake,
    centre_of: Any,
    poll: Poll,
) -> None:
    async with serving(settings, keys) as (pushing, _):
        centre = centre_of(pushing)
        for call_id in ("R1", "R2"):
            assert (await centre.push(centre.record(call_id))).status_code == 202

    await intake.start()
    async with serving(settings, keys) as (_, operator):
        await poll(lambda: _delivered(operator, 2), within=30)

    refs = sorted(appeal.channel_ref for appeal in await intake.appeals("hotline-"))
    assert refs == ["R1", "R2"]


async def test_hotline_a_line_without_its_key_waits_and_the_others_go_on(
    settings: HotlineSettings,
    keys: dict[str, str],
    intake: LoopbackIntake,
    centre_of: Any,
    poll: Poll,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings.intake_api_keys = {
        line: key for line, key in settings.intake_api_keys.items() if line != "12319"
    }
    caplog.set_level(logging.WARNING, logger="minsheng_hotline.delivery")
    await intake.start()

    async with serving(settings, keys) as (pushing, operator):
        centre = centre_of(pushing)
        await centre.push(centre.record("K1"), line="12319")
        await centre.push(centre.record("K2"), line="12345")

        await poll(lambda: _delivered(operator, 1), within=30)

        async def tried_twice() -> bool:
            [waiting] = await listed(operator, status="pending")
            return bool(waiting["attempts"] >= 2)

        await poll(tried_twice)
        [waiting] = await listed(operator, status="pending")

    assert waiting["call_id"] == "K1"
    assert "401" in waiting["last_error"]
    assert 'HOTLINE_INTAKE_API_KEYS["12319"]' in waiting["last_error"]
    assert [a.channel_ref for a in await intake.appeals("hotline-")] == ["K2"]
    warnings = [r for r in caplog.records if r.name == "minsheng_hotline.delivery"]
    assert warnings
    assert all("K1" in r.getMessage() for r in warnings)


async def test_hotline_a_key_of_another_line_is_refused_by_intake(
    settings: HotlineSettings,
    keys: dict[str, str],
    intake: LoopbackIntake,
    centre_of: Any,
    poll: Poll,
) -> None:
    # The 12319 records go with the 12345 system's key: intake answers 403.
    settings.intake_api_keys = {
        **settings.intake_api_keys,
        "12319": SecretStr(settings.intake_api_keys["12345"].get_secret_value()),
    }
    await intake.start()

    async with serving(settings, keys) as (pushing, operator):
        centre = centre_of(pushing)
        await centre.push(centre.record("M1"), line="12319")

        async def refused_key() -> bool:
            [waiting] = await listed(operator, status="pending")
            return bool(waiting["attempts"] >= 1 and waiting["last_error"])

        await poll(refused_key)
        [waiting] = await listed(operator, status="pending")

    assert "403" in waiting["last_error"]
    assert await intake.appeals("hotline-") == []


@asynccontextmanager
async def serving(
    settings: HotlineSettings, keys: dict[str, str]
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """The adapter with `settings`: a client without credentials and an operator's."""
    async with (
        running(create_app(settings)) as application,
        client_of(application, "http://h") as pushing,
        client_of(application, "http://h", keys["operator"]) as operator,
    ):
        yield pushing, operator


async def test_hotline_simultaneous_replays_and_retries_store_one_item(
    client: httpx.AsyncClient, centre: Any
) -> None:
    raw, headers = centre.signed(centre.record("S1"))
    retry = centre.signed(
        centre.record("S1"), at=datetime.now(UTC) + timedelta(seconds=1)
    )

    answers = await asyncio.gather(
        centre.send(raw, headers), centre.send(raw, headers), centre.send(*retry)
    )

    assert sorted(answer.status_code for answer in answers) == [202, 202, 409]
    ids = {answer.json()["id"] for answer in answers if answer.status_code == 202}
    assert len(ids) == 1
    assert len(await listed(client)) == 1
