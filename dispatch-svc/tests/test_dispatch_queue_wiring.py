"""The dispatch queue wired into the running service (Art. 12): a filed appeal routing
is certain of (a registered project, Art. 43; a first-handler rule, Art. 26; a rule of
its category for its place or keyword) is dispatched at once; the category's default,
a fallback or no category waits for an operator, who dispatches it through the API on
the same path (merged into the same event's order, Art. 18; first-asked, Art. 25),
timed from filing. A repeated appeal.filed changes nothing. On SQLite and PostgreSQL,
with the application's own dispatch function."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from minsheng_common.auth.provisioning import add_key
from minsheng_common.auth.roles import Role
from minsheng_common.clock import SharedClock
from minsheng_common.devstack.broker import free_port
from minsheng_common.events import AppealFiled, Envelope
from minsheng_dispatch.app import create_app
from minsheng_dispatch.consumers import DispatchHandlers
from minsheng_dispatch.settings import DispatchSettings

NOW = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)  # Monday 9 March 2026, 10:00 Shanghai
FILED_AT = NOW - timedelta(minutes=15)  # as conftest's `filed` files an appeal
UNITS = ("cgj", "jtj", "jyj", "yjglj", "zjj")


class Center:
    """Dispatch running with clients of two operators, a supervisor and some units,
    fed appeal.filed as its consumer would be, on a clock the test moves."""

    def __init__(
        self,
        app: Any,
        clock: SharedClock,
        clients: dict[str, httpx.AsyncClient],
        wrap: Callable[..., Envelope],
        outbox_events: Callable[[Any], Any],
    ) -> None:
        self.app = app
        self.clock = clock
        self.clients = clients
        self.handlers = DispatchHandlers(app.state.context)
        self._wrap = wrap
        self._events = outbox_events

    @property
    def operator(self) -> httpx.AsyncClient:
        return self.clients["operator"]

    async def deliver(self, appeal: AppealFiled) -> None:
        async with self.app.state.runtime.sessions() as session, session.begin():
            await self.handlers.on_appeal_filed(session, self._wrap(appeal), appeal)

    async def orders(self, appeal_id: str) -> list[dict[str, Any]]:
        listed = await self.operator.get(
            "/v1/work-orders", params={"appeal_id": appeal_id}
        )
        assert listed.status_code == 200, listed.text
        return list(listed.json()["items"])

    async def order(self, order_id: str) -> dict[str, Any]:
        response = await self.operator.get(f"/v1/work-orders/{order_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def queue(self, state: str = "waiting") -> list[dict[str, Any]]:
        listed = await self.operator.get("/v1/dispatch-queue", params={"state": state})
        assert listed.status_code == 200, listed.text
        return list(listed.json()["items"])

    async def choose(
        self, appeal_id: str, unit_id: str, *, by: str = "operator", **extra: Any
    ) -> httpx.Response:
        return await self.clients[by].post(
            f"/v1/dispatch-queue/{appeal_id}/dispatch",
            json={"unit_id": unit_id, "reason": "值班员派单", **extra},
        )

    async def event_types(self) -> list[str]:
        events = await self._events(self.app.state.runtime.sessions)
        return [event_type for event_type, _ in events]


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh store of each kind; PostgreSQL's fixtures only when asked for."""
    if request.param == "postgresql":
        create_database: Callable[[str], str] = request.getfixturevalue(
            "create_database"
        )
        return create_database("dispatch_queue")
    return f"sqlite:///{tmp_path / 'dispatch.db'}"


@pytest.fixture
async def center(
    store_url: str,
    tmp_path: Path,
    wrap: Callable[..., Envelope],
    outbox_events: Callable[[Any], Any],
) -> AsyncIterator[Center]:
    clock_file = tmp_path / "clock.json"
    clock = SharedClock(clock_file)
    clock.set_now(NOW)
    settings = DispatchSettings(
        database_url=store_url,
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        data_dir=tmp_path,
        clock_file=clock_file,
    )
    path = settings.credentials_path()
    keys = {
        "operator": add_key(path, name="wang", role=Role.OPERATOR),
        "operator-2": add_key(path, name="zhao", role=Role.OPERATOR),
        "supervisor": add_key(path, name="li", role=Role.SUPERVISOR),
    }
    for unit in UNITS:
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
        yield Center(app, clock, clients, wrap, outbox_events)


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def unplaced(**changes: Any) -> dict[str, Any]:
    """The parts of an appeal whose place intake could not find."""
    return {"subdistrict_id": None, "community": None, "address": None, **changes}


async def test_dispatch_queue_certain_route_is_dispatched_at_once_art_12(
    center: Center, appeal_filed: Callable[..., AppealFiled]
) -> None:
    await center.deliver(appeal_filed())

    (order,) = await center.orders("appeal-1")
    assert order["unit_id"] == "cgj"
    assert order["route"]["reason"] == "subdistrict"
    assert order["dispatched_within_target"] is True
    assert await center.queue(state="all") == []
    assert await center.event_types() == ["work_order.dispatched"]


async def test_dispatch_queue_default_fallbacks_and_no_category_wait_art_12(
    center: Center, appeal_filed: Callable[..., AppealFiled]
) -> None:
    appeals = {
        "default": appeal_filed(
            appeal_id="default", category_id="education", **unplaced()
        ),
        "fallback": appeal_filed(
            appeal_id="fallback", category_id="city-sanitation", **unplaced()
        ),
        "territorial": appeal_filed(
            appeal_id="territorial", category_id=None, subdistrict_id="biling-jd"
        ),
        "center": appeal_filed(appeal_id="center", category_id=None, **unplaced()),
    }
    for appeal in appeals.values():
        await center.deliver(appeal)

    waiting = {entry["appeal_id"]: entry for entry in await center.queue()}
    assert {
        appeal_id: (entry["reason"], entry["suggested_unit_id"])
        for appeal_id, entry in waiting.items()
    } == {
        "default": ("category_default", "jyj"),
        "fallback": ("fallback_rule", "cgj"),
        "territorial": ("territorial_fallback", "biling-jd"),
        "center": ("center_fallback", "center"),
    }
    for appeal_id in appeals:
        assert await center.orders(appeal_id) == []
    assert await center.event_types() == []


async def test_dispatch_queue_operator_dispatch_is_timed_from_filing_art_12(
    center: Center, appeal_filed: Callable[..., AppealFiled]
) -> None:
    for appeal_id in ("quick", "late"):
        await center.deliver(
            appeal_filed(appeal_id=appeal_id, category_id="education", **unplaced())
        )

    center.clock.set_now(NOW + timedelta(minutes=20))
    quick = await center.choose("quick", "jyj")
    center.clock.set_now(NOW + timedelta(hours=1))
    late = await center.choose("late", "zzb")

    assert quick.status_code == 200, quick.text
    assert late.status_code == 200, late.text
    within = await center.order(quick.json()["work_order_id"])
    beyond = await center.order(late.json()["work_order_id"])
    assert (within["unit_id"], within["appeal_id"]) == ("jyj", "quick")
    assert within["route"]["reason"] == "operator"
    assert quick.json()["resolved_by"].startswith("operator:")
    assert quick.json()["resolved_by"] in within["route"]["basis"]
    assert at(within["created_at"]) == at(beyond["created_at"]) == FILED_AT
    assert 35 * 60 <= within["dispatch_seconds"] < 36 * 60
    assert within["dispatched_within_target"] is True
    assert quick.json()["within_target"] is True
    assert 75 * 60 <= beyond["dispatch_seconds"] < 76 * 60
    assert beyond["dispatched_within_target"] is False
    assert late.json()["within_target"] is False
    (dispatched,) = [a for a in beyond["history"] if a["action"] == "dispatched"]
    assert dispatched["actor"] == late.json()["resolved_by"]
    assert await center.event_types() == ["work_order.dispatched"] * 2
    assert await center.queue() == []


async def test_dispatch_queue_repeated_filing_of_a_queued_appeal_does_nothing(
    center: Center, appeal_filed: Callable[..., AppealFiled]
) -> None:
    appeal = appeal_filed(category_id="planning-construction", **unplaced())
    await center.deliver(appeal)
    await center.deliver(appeal)
    queued_twice = await center.queue()

    # Routing becomes certain meanwhile: the appeal is still the operator's.
    rule = await center.clients["supervisor"].post(
        "/v1/routing-rules",
        json={
            "category_id": "planning-construction",
            "unit_id": "zjj",
            "kind": "first_handler",
            "reason": "住建局首办 (Art. 26)",
        },
    )
    await center.deliver(appeal)
    still_waiting = await center.queue()
    chosen = await center.choose("appeal-1", "ghzyj")
    await center.deliver(appeal)

    assert rule.status_code == 201, rule.text
    assert [entry["appeal_id"] for entry in queued_twice] == ["appeal-1"]
    assert [entry["appeal_id"] for entry in still_waiting] == ["appeal-1"]
    assert chosen.status_code == 200, chosen.text
    (order,) = await center.orders("appeal-1")
    assert order["unit_id"] == "ghzyj"
    assert await center.event_types() == ["work_order.dispatched"]


async def test_dispatch_queue_project_site_routes_to_its_unit_art_43(
    center: Center, appeal_filed: Callable[..., AppealFiled]
) -> None:
    project = await center.clients["supervisor"].post(
        "/v1/projects",
        json={
            "name": "坑梓大道管网改造工程",
            "kind": "road",
            "builder": "深圳某建设集团",
            "starts_on": "2026-03-09",
            "ends_on": "2026-09-30",
            "subdistrict_id": "kengzi-jd",
            "community": "秀新社区",
            "road": "坑梓大道",
            "person_in_charge": "张工",
            "contact": "13800138000",
            "unit_id": "jtj",
            "urgent": True,
            "urgent_reason": "管网抢修",
        },
    )
    assert project.status_code == 201, project.text

    await center.deliver(
        appeal_filed(
            category_id="municipal-facilities",
            title="夜间施工噪音",
            content="坑梓大道夜间施工噪音扰民",
            address="坑梓大道100号",
        )
    )
    await center.deliver(
        appeal_filed(
            appeal_id="appeal-2",
            tracking_code="MS20260309000002",
            category_id=None,
            title="围挡占道",
            content="坑梓大道管网改造工程围挡占用人行道",
            **unplaced(),
        )
    )

    (on_road,) = await center.orders("appeal-1")
    (by_name,) = await center.orders("appeal-2")
    assert (on_road["unit_id"], on_road["route"]["reason"]) == ("jtj", "project")
    assert "坑梓大道管网改造工程" in on_road["route"]["basis"]
    assert (by_name["unit_id"], by_name["route"]["reason"]) == ("jtj", "project")
    assert await center.queue(state="all") == []


async def test_dispatch_queue_first_handler_rule_dispatches_and_names_art_26(
    center: Center, appeal_filed: Callable[..., AppealFiled]
) -> None:
    rule = await center.clients["supervisor"].post(
        "/v1/routing-rules",
        json={
            "category_id": "planning-construction",
            "unit_id": "zjj",
            "kind": "first_handler",
            "keyword": "违建",
            "reason": "违建由住建局首办 (Art. 26)",
        },
    )
    assert rule.status_code == 201, rule.text

    await center.deliver(
        appeal_filed(category_id="planning-construction", content="楼顶违建")
    )
    (order,) = await center.orders("appeal-1")
    refused = await center.clients["zjj"].post(
        f"/v1/work-orders/{order['id']}/return", json={"reason": "不属本单位"}
    )

    assert (order["unit_id"], order["route"]["reason"]) == ("zjj", "first_handler")
    assert refused.status_code == 409
    assert error_code(refused) == "first_handler_cannot_return"


async def test_dispatch_queue_operator_dispatch_merges_the_same_event_art_18(
    center: Center, appeal_filed: Callable[..., AppealFiled]
) -> None:
    """Art. 18: the same cluster, channel, category and unit: merged at dispatch."""
    await center.deliver(appeal_filed(cluster_id="cluster-1"))
    await center.deliver(
        appeal_filed(
            appeal_id="appeal-2",
            tracking_code="MS20260309000002",
            cluster_id="cluster-1",
            **unplaced(),
        )
    )
    (first,) = await center.orders("appeal-1")
    assert [entry["appeal_id"] for entry in await center.queue()] == ["appeal-2"]

    chosen = await center.choose("appeal-2", "cgj")

    assert chosen.status_code == 200, chosen.text
    merged = await center.order(chosen.json()["work_order_id"])
    assert (merged["status"], merged["merged_into"]) == ("merged", first["id"])
    assert await center.event_types() == [
        "work_order.dispatched",
        "work_order.dispatched",
        "work_order.merged",
    ]


async def suggestions(center: Center) -> list[dict[str, Any]]:
    listed = await center.operator.get("/v1/merge-suggestions")
    assert listed.status_code == 200, listed.text
    return list(listed.json()["items"])


async def test_dispatch_queue_other_category_and_unit_is_only_suggested_art_18(
    center: Center, appeal_filed: Callable[..., AppealFiled]
) -> None:
    """Art. 18: one cluster and channel, but an appeal classified as discipline and
    sent to jwjw is not merged into a planning-construction order of zjj; the
    center is shown both to judge."""
    for number, category_id in ((1, "planning-construction"), (2, "discipline")):
        await center.deliver(
            appeal_filed(
                appeal_id=f"appeal-{number}",
                tracking_code=f"MS2026030900000{number}",
                cluster_id="cluster-1",
                category_id=category_id,
                **unplaced(),
            )
        )
    planning = await center.choose("appeal-1", "zjj")
    discipline = await center.choose("appeal-2", "jwjw")

    assert planning.status_code == discipline.status_code == 200, discipline.text
    kept = await center.order(discipline.json()["work_order_id"])
    assert (kept["status"], kept["merged_into"]) == ("dispatched", None)
    assert kept["unit_id"] == "jwjw"
    assert "work_order.merged" not in await center.event_types()
    (suggestion,) = await suggestions(center)
    assert suggestion["cluster_id"] == "cluster-1"
    assert suggestion["same_channel"] is True
    assert (suggestion["same_category"], suggestion["same_unit"]) == (False, False)
    assert suggestion["suggested_work_order_id"] == planning.json()["work_order_id"]
    assert [o["id"] for o in suggestion["orders"]] == [
        planning.json()["work_order_id"],
        kept["id"],
    ]


async def test_dispatch_queue_same_category_other_unit_is_only_suggested_art_18(
    center: Center, appeal_filed: Callable[..., AppealFiled]
) -> None:
    """Art. 18: an operator who sends a report of the cluster to another unit says
    it may be another event: it is not merged into the first unit's order."""
    await center.deliver(appeal_filed(cluster_id="cluster-1"))
    await center.deliver(
        appeal_filed(
            appeal_id="appeal-2",
            tracking_code="MS20260309000002",
            cluster_id="cluster-1",
            **unplaced(),
        )
    )
    (first,) = await center.orders("appeal-1")

    chosen = await center.choose("appeal-2", "zjj")

    assert chosen.status_code == 200, chosen.text
    other = await center.order(chosen.json()["work_order_id"])
    assert (other["status"], other["merged_into"]) == ("dispatched", None)
    assert "work_order.merged" not in await center.event_types()
    (suggestion,) = await suggestions(center)
    assert (suggestion["same_category"], suggestion["same_unit"]) == (True, False)
    assert [o["unit_id"] for o in suggestion["orders"]] == ["cgj", "zjj"]
    assert suggestion["suggested_work_order_id"] == first["id"]


async def test_dispatch_queue_first_asked_unit_cannot_return_art_25(
    center: Center, appeal_filed: Callable[..., AppealFiled]
) -> None:
    await center.deliver(appeal_filed(category_id=None, level=1, **unplaced()))

    chosen = await center.choose(
        "appeal-1", "yjglj", first_asked=True, reason="权属不明，应急局先行处置"
    )
    order_id = chosen.json()["work_order_id"]
    refused = await center.clients["yjglj"].post(
        f"/v1/work-orders/{order_id}/return", json={"reason": "不属本单位"}
    )

    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["first_asked"] is True
    assert "首问负责" in (await center.order(order_id))["route"]["basis"]
    assert refused.status_code == 409
    assert error_code(refused) == "first_asked_cannot_return"


async def test_dispatch_queue_two_operators_at_once_make_one_order(
    center: Center, appeal_filed: Callable[..., AppealFiled]
) -> None:
    await center.deliver(appeal_filed(category_id=None, **unplaced()))

    answers = await asyncio.gather(
        center.choose("appeal-1", "cgj"),
        center.choose("appeal-1", "jtj", by="operator-2"),
    )

    assert sorted(answer.status_code for answer in answers) == [200, 409]
    (refused,) = [answer for answer in answers if answer.status_code == 409]
    assert error_code(refused) == "already_dispatched"
    (won,) = [answer for answer in answers if answer.status_code == 200]
    (order,) = await center.orders("appeal-1")
    assert order["id"] == won.json()["work_order_id"]
    assert order["unit_id"] == won.json()["unit_id"]
    assert await center.event_types() == ["work_order.dispatched"]
