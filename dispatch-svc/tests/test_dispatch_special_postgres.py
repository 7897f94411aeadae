"""Special dispatch (Art. 18-20) on PostgreSQL, through the running API: the 0006
migration, merging (by the center and at dispatch), splitting and both parallel
modes with their events, and requests racing for one decision: two candidates
confirming at once, the last two candidates returning at once, one order merged
into two survivors at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from minsheng_common.auth.provisioning import add_key
from minsheng_common.auth.roles import Role
from minsheng_common.clock import SharedClock
from minsheng_common.devstack.broker import free_port
from minsheng_common.events import AppealFiled, Envelope, EventData
from minsheng_dispatch.app import create_app
from minsheng_dispatch.consumers import DispatchHandlers
from minsheng_dispatch.settings import DispatchSettings

NOW = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)


class Desk:
    """Dispatch running on PostgreSQL, with a client for the center and for units
    cgj, swj and jtj."""

    def __init__(
        self,
        app: Any,
        clients: dict[str, httpx.AsyncClient],
        wrap: Callable[..., Envelope],
        appeal_filed: Callable[..., AppealFiled],
        outbox_events: Callable[[Any], Any],
    ) -> None:
        self.app = app
        self.clients = clients
        self.handlers = DispatchHandlers(app.state.context)
        self._wrap = wrap
        self._filed = appeal_filed
        self._events = outbox_events

    @property
    def center(self) -> httpx.AsyncClient:
        return self.clients["operator"]

    async def deliver(self, data: EventData) -> None:
        handler = self.handlers.by_event_type()[data.event_type]
        async with self.app.state.runtime.sessions() as session, session.begin():
            await handler(session, self._wrap(data, NOW), data)

    async def file(self, number: int, **changes: Any) -> dict[str, Any]:
        """Appeal `appeal-<number>` filed and dispatched; its order."""
        appeal_id = f"appeal-{number}"
        await self.deliver(
            self._filed(
                appeal_id=appeal_id,
                tracking_code=f"MS2026030900000{number}",
                appeal_type="suggestion",
                category_id="transport",
                **changes,
            )
        )
        listed = await self.center.get(
            "/v1/work-orders", params={"appeal_id": appeal_id}
        )
        (order,) = listed.json()["items"]
        return dict(order)

    async def post(
        self, client: str, order: dict[str, Any], step: str, body: dict[str, Any]
    ) -> httpx.Response:
        return await self.clients[client].post(
            f"/v1/work-orders/{order['id']}/{step}", json=body
        )

    async def order(self, order_id: str) -> dict[str, Any]:
        response = await self.center.get(f"/v1/work-orders/{order_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def events(self) -> list[tuple[str, dict[str, Any]]]:
        found: list[tuple[str, dict[str, Any]]] = await self._events(
            self.app.state.runtime.sessions
        )
        return found


@pytest.fixture
async def desk(
    tmp_path: Path,
    create_database: Callable[[str], str],
    wrap: Callable[..., Envelope],
    appeal_filed: Callable[..., AppealFiled],
    outbox_events: Callable[[Any], Any],
) -> AsyncIterator[Desk]:
    url = await asyncio.to_thread(create_database, "dispatch_special")
    clock_file = tmp_path / "clock.json"
    SharedClock(clock_file).set_now(NOW)
    settings = DispatchSettings(
        database_url=url,
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        data_dir=tmp_path,
        clock_file=clock_file,
    )
    path = settings.credentials_path()
    keys = {"operator": add_key(path, name="operator", role=Role.OPERATOR)}
    for unit in ("cgj", "swj", "jtj"):
        keys[unit] = add_key(path, name=unit, role=Role.UNIT, unit_id=unit)
    app = create_app(settings)
    async with app.router.lifespan_context(app), AsyncExitStack() as stack:
        transport = httpx.ASGITransport(app=app)
        clients = {
            name: await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=transport,
                    base_url="http://dispatch",
                    headers={"X-API-Key": key},
                )
            )
            for name, key in keys.items()
        }
        yield Desk(app, clients, wrap, appeal_filed, outbox_events)


async def test_dispatch_special_postgres_merges_by_hand_and_at_dispatch(
    desk: Desk,
) -> None:
    """Art. 18: the same channel's report of one cluster is merged at dispatch; the
    center merges the one from another channel."""
    first = await desk.file(1, cluster_id="cluster-1")
    same = await desk.file(2, cluster_id="cluster-1")
    other = await desk.file(3, cluster_id="cluster-1", channel="mailbox")

    suggested = await desk.center.get("/v1/merge-suggestions")
    merged = await desk.post(
        "operator", first, "merge", {"work_order_ids": [other["id"]], "reason": "同"}
    )

    assert (same["status"], same["merged_into"]) == ("merged", first["id"])
    (suggestion,) = suggested.json()["items"]
    assert [o["id"] for o in suggestion["orders"]] == [first["id"], other["id"]]
    assert merged.status_code == 200, merged.text
    assert (await desk.order(other["id"]))["status"] == "merged"
    bodies = [d for t, d in await desk.events() if t == "work_order.merged"]
    assert [(d["merged_appeal_ids"], d["merged_by"]) for d in bodies] == [
        (["appeal-2"], "system"),
        (["appeal-3"], bodies[1]["merged_by"]),
    ]
    assert bodies[1]["merged_by"].startswith("operator:")


async def test_dispatch_special_postgres_split_parts_carry_their_clock(
    desk: Desk,
) -> None:
    order = await desk.file(1)

    response = await desk.post(
        "operator",
        order,
        "split",
        {
            "parts": [
                {"unit_id": "cgj", "summary": "路灯"},
                {"unit_id": "swj", "summary": "污水"},
            ],
            "reason": "两个事件",
        },
    )

    assert response.status_code == 200, response.text
    parts = response.json()["parts"]
    dispatched = [
        d
        for t, d in await desk.events()
        if t == "work_order.dispatched" and d["work_order_id"] != order["id"]
    ]
    assert [(d["unit_id"], d["clock_from"], d["split_from"]) for d in dispatched] == [
        ("cgj", "dispatched", order["id"]),
        ("swj", "dispatched", order["id"]),
    ]
    assert [p["tracking_code"][-2:] for p in parts] == ["-1", "-2"]
    assert (await desk.order(order["id"]))["status"] == "split"


async def test_dispatch_special_postgres_lead_closes_its_group(desk: Desk) -> None:
    order = await desk.file(1)
    group = await desk.post(
        "operator",
        order,
        "parallel",
        {
            "mode": "lead",
            "lead_unit_id": "cgj",
            "cooperating_unit_ids": ["swj"],
            "reason": "牵头",
        },
    )
    members = {m["unit_id"]: m["work_order_id"] for m in group.json()["members"]}
    lead, cooperating = {"id": members["cgj"]}, {"id": members["swj"]}
    for unit, member in (("cgj", lead), ("swj", cooperating)):
        await desk.post(unit, member, "sign", {"signed_by": "科员"})

    early = await desk.post(
        "cgj",
        lead,
        "closure",
        {"handled_at": NOW.isoformat(), "actions": "处理", "result": "完成"},
    )
    opinion = await desk.post("swj", cooperating, "opinion", {"opinion": "同意"})
    waived = await desk.post("operator", cooperating, "opinion/waive", {"reason": "x"})

    assert group.status_code == 200, group.text
    assert early.status_code == 409 and early.json()["error"]["code"] == (
        "opinion_missing"
    )
    assert opinion.status_code == 201, opinion.text
    assert waived.status_code == 409
    roles = {
        d["unit_id"]: (d["role"], d["parallel_group_id"], d["clock_from"])
        for t, d in await desk.events()
        if t == "work_order.dispatched" and d["work_order_id"] in members.values()
    }
    assert roles == {
        "cgj": ("lead", group.json()["id"], "dispatched"),
        "swj": ("cooperating", group.json()["id"], "dispatched"),
    }


async def candidates(desk: Desk, units: list[str]) -> dict[str, dict[str, Any]]:
    order = await desk.file(1)
    group = await desk.post(
        "operator",
        order,
        "parallel",
        {"mode": "candidates", "unit_ids": units, "reason": "权属不清"},
    )
    assert group.status_code == 200, group.text
    return {m["unit_id"]: {"id": m["work_order_id"]} for m in group.json()["members"]}


async def test_dispatch_special_postgres_two_candidates_confirm_at_once(
    desk: Desk,
) -> None:
    """Art. 20: exactly one unit becomes the owner."""
    orders = await candidates(desk, ["cgj", "swj"])

    answers = await asyncio.gather(
        *(
            desk.post(unit, orders[unit], "confirm", {"signed_by": "科员"})
            for unit in ("cgj", "swj")
        )
    )

    assert sorted(a.status_code for a in answers) == [200, 409]
    (refused,) = [a for a in answers if a.status_code == 409]
    assert refused.json()["error"]["code"] == "owner_confirmed"
    states = [(await desk.order(o["id"]))["role"] for o in orders.values()]
    assert sorted(states) == ["candidate", "sole"]
    signed = [t for t, _ in await desk.events() if t == "work_order.signed"]
    assert len(signed) == 1


async def test_dispatch_special_postgres_last_two_candidates_return_at_once(
    desk: Desk,
) -> None:
    """Both cannot leave the event without a unit: the second to be decided is the
    last one left, and its return goes to the center."""
    orders = await candidates(desk, ["cgj", "swj"])

    answers = await asyncio.gather(
        *(
            desk.post(unit, orders[unit], "return", {"reason": "不属本单位"})
            for unit in ("cgj", "swj")
        )
    )

    assert [a.status_code for a in answers] == [200, 200]
    assert sorted(a.json()["status"] for a in answers) == [
        "return_requested",
        "returned",
    ]


async def test_dispatch_special_postgres_one_order_merged_into_two_at_once(
    desk: Desk,
) -> None:
    first, second, third = [await desk.file(n) for n in (1, 2, 3)]

    answers = await asyncio.gather(
        desk.post(
            "operator", first, "merge", {"work_order_ids": [third["id"]], "reason": "a"}
        ),
        desk.post(
            "operator",
            second,
            "merge",
            {"work_order_ids": [third["id"]], "reason": "b"},
        ),
    )

    assert sorted(a.status_code for a in answers) == [200, 409]
    (refused,) = [a for a in answers if a.status_code == 409]
    assert refused.json()["error"]["code"] == "order_ended"
    ended = await desk.order(third["id"])
    assert ended["merged_into"] in (first["id"], second["id"])
    merged = [t for t, _ in await desk.events() if t == "work_order.merged"]
    assert len(merged) == 1
