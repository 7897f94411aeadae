"""Retention: an appeal closed longer ago than the retention period keeps its
statistics and loses its personal data; nothing else is touched."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from minsheng_common.runtime import ServiceRuntime
from minsheng_intake import retention
from minsheng_intake.models import Appeal

Submit = Callable[..., Awaitable[dict[str, Any]]]

RETENTION = timedelta(days=730)
CITIZEN = {
    "name": "张三",
    "contact": {"kind": "phone", "value": "13800012345"},
    "title": "张三反映路灯不亮",
    "content": "坑梓街道秀新社区路灯SJ-0231不亮，张三电话13911112222。",
}


def another_citizen(phone: str) -> dict[str, Any]:
    return {**CITIZEN, "contact": {"kind": "phone", "value": phone}}


async def stored(app: FastAPI, appeal_id: str) -> Appeal:
    runtime: ServiceRuntime = app.state.runtime
    async with runtime.sessions() as session:
        appeal = await session.get(Appeal, appeal_id)
        assert appeal is not None
        return appeal


async def eventually(app: FastAPI, appeal_id: str, within: float = 5.0) -> bool:
    """Whether the appeal is anonymised within `within` seconds (polling)."""
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        if (await stored(app, appeal_id)).anonymised_at is not None:
            return True
        await asyncio.sleep(0.02)
    return False


async def close_at(app: FastAPI, appeal_id: str, moment: datetime | None) -> None:
    runtime: ServiceRuntime = app.state.runtime
    async with runtime.sessions() as session:
        await session.execute(
            update(Appeal).where(Appeal.id == appeal_id).values(closed_at=moment)
        )
        await session.commit()


async def anonymise(app: FastAPI, now: datetime) -> int:
    runtime: ServiceRuntime = app.state.runtime
    return await retention.anonymise_expired(
        sessions=runtime.sessions,
        vault=app.state.context.vault,
        now=now,
        retention=RETENTION,
    )


async def test_a_rejected_appeal_is_closed_when_it_is_rejected(
    app: FastAPI, submit: Submit
) -> None:
    rejected = await submit(contact=None)
    filed = await submit(channel_ref="filed")

    row = await stored(app, rejected["id"])
    assert row.closed_at == row.decided_at
    assert (await stored(app, filed["id"])).closed_at is None


async def test_only_appeals_closed_before_the_retention_period_are_anonymised(
    app: FastAPI, submit: Submit
) -> None:
    now = datetime.fromisoformat("2029-01-01T00:00:00+00:00")
    # Three citizens: one person's same report the same day is a repeat.
    expired = await submit(**CITIZEN, channel_ref="expired")
    recent = await submit(**another_citizen("13800012346"), channel_ref="recent")
    open_ = await submit(**another_citizen("13800012347"), channel_ref="open")
    await close_at(app, expired["id"], now - RETENTION - timedelta(seconds=1))
    await close_at(app, recent["id"], now - RETENTION + timedelta(days=1))

    assert await anonymise(app, now) == 1

    gone = await stored(app, expired["id"])
    assert gone.anonymised_at == now
    assert (gone.contact_encrypted, gone.contact_hash, gone.contact_masked) == (
        None,
        None,
        None,
    )
    assert gone.name_encrypted is None
    assert gone.title == "张*反映路灯不亮"
    assert gone.content == "坑梓街道秀新社区路灯SJ-0231不亮，张*电话139****2222。"
    for kept_id in (recent["id"], open_["id"]):
        kept = await stored(app, kept_id)
        assert kept.anonymised_at is None
        assert kept.contact_encrypted is not None
        assert kept.name_encrypted is not None
        assert kept.content == CITIZEN["content"]


async def test_anonymising_keeps_what_statistics_need(
    app: FastAPI, client: httpx.AsyncClient, submit: Submit
) -> None:
    now = datetime.fromisoformat("2029-01-01T00:00:00+00:00")
    filed = await submit(**CITIZEN)
    await submit(channel_ref="rejected", contact=None)
    await close_at(app, filed["id"], now - RETENTION - timedelta(days=1))
    before = await stored(app, filed["id"])
    counts_before = (await client.get("/v1/appeal-counts")).json()

    await anonymise(app, now)

    after = await stored(app, filed["id"])
    statistics = (
        "appeal_type",
        "channel",
        "category_id",
        "subdistrict_id",
        "community",
        "contact_kind",
        "received_at",
        "decided_at",
        "closed_at",
        "status",
        "reason_code",
        "tracking_code",
    )
    assert {f: getattr(after, f) for f in statistics} == {
        f: getattr(before, f) for f in statistics
    }
    assert (await client.get("/v1/appeal-counts")).json() == counts_before
    shown = (await client.get(f"/v1/appeals/{filed['id']}")).json()
    assert shown["contact"] is None
    assert shown["decision"]["status"] == "filed"


async def test_anonymising_twice_changes_nothing_more(
    app: FastAPI, submit: Submit
) -> None:
    now = datetime.fromisoformat("2029-01-01T00:00:00+00:00")
    appeal = await submit(**CITIZEN)
    await close_at(app, appeal["id"], now - RETENTION - timedelta(days=1))

    assert await anonymise(app, now) == 1
    assert await anonymise(app, now + timedelta(hours=1)) == 0
    assert (await stored(app, appeal["id"])).anonymised_at == now


async def test_anonymising_works_in_batches(app: FastAPI, submit: Submit) -> None:
    now = datetime.fromisoformat("2029-01-01T00:00:00+00:00")
    for number in range(5):
        appeal = await submit(**CITIZEN, channel_ref=f"old-{number}")
        await close_at(app, appeal["id"], now - RETENTION - timedelta(days=number + 1))
    runtime: ServiceRuntime = app.state.runtime

    count = await retention.anonymise_expired(
        sessions=runtime.sessions,
        vault=app.state.context.vault,
        now=now,
        retention=RETENTION,
        batch_size=2,
    )

    assert count == 5


async def test_an_anonymised_appeal_discloses_nothing(
    app: FastAPI, client: httpx.AsyncClient, submit: Submit
) -> None:
    now = datetime.fromisoformat("2029-01-01T00:00:00+00:00")
    appeal = await submit(**CITIZEN)
    await close_at(app, appeal["id"], now - RETENTION - timedelta(days=1))
    await anonymise(app, now)

    answer = await client.post(
        f"/v1/appeals/{appeal['id']}/contact-disclosures", json={"reason": "回访核实"}
    )

    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "personal_data_erased"


async def test_the_background_loop_anonymises_by_the_runtime_clock(
    app: FastAPI, submit: Submit
) -> None:
    runtime: ServiceRuntime = app.state.runtime
    assert "anonymise_expired_appeals" in [loop.__name__ for loop in runtime.background]
    appeal = await submit(**CITIZEN)
    await close_at(app, appeal["id"], runtime.clock.now() - RETENTION - timedelta(1))
    loop = retention.loop(vault=app.state.context.vault, retention=RETENTION)

    task = asyncio.create_task(loop(runtime))
    try:
        anonymised = await eventually(app, appeal["id"])
    finally:
        task.cancel()
    assert anonymised
    assert (await stored(app, appeal["id"])).contact_encrypted is None
