"""The running service reads every topic through the broker into its projection,
whatever topic an event arrives on and in whatever order."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from fastapi import FastAPI


async def wait_for(
    client: httpx.AsyncClient, done: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        body: dict[str, Any] = (await client.get("/v1/kpis")).json()
        if done(body) or time.monotonic() > deadline:
            return body
        await asyncio.sleep(0.2)


def settled(body: dict[str, Any]) -> bool:
    totals = body["totals"]
    wechat = body["by_channel"].get("wechat", {})
    return (
        totals["received"] == totals["filed"] == totals["signed_manual"] == 1
        and totals["acceptance_notices_sent"] == 1
        and wechat.get("dispatched") == 1
    )


async def test_analytics_consumer_projects_events_from_every_topic(
    live_app: FastAPI,
    live_client: httpx.AsyncClient,
    publish: Callable[..., Awaitable[None]],
    story: Callable[..., Any],
) -> None:
    appeal = story("a-1", channel="wechat")
    # The later topics first: notices and deadlines before the appeal is filed.
    steps = list(reversed(appeal.full_life()))
    await publish(steps, "test")

    # Topics arrive in their own time: wait for the whole final state, not one part
    # of it.
    consumer = live_app.state.runtime.event_consumers[0]
    body = await wait_for(
        live_client,
        lambda body: settled(body) and consumer.stats.applied == len(steps),
    )

    assert body["totals"]["received"] == 1
    assert body["totals"]["filed"] == 1
    assert body["totals"]["signed_manual"] == 1
    assert body["totals"]["acceptance_notices_sent"] == 1
    assert body["by_channel"]["wechat"]["dispatched"] == 1
    assert consumer.stats.applied == len(steps)
    assert consumer.stats.dead_lettered == 0
