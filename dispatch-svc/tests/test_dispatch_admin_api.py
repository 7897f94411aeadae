"""The center's administration through the API: the routing table with its history,
units and categories retired only when nothing is left open, the project registry
(Art. 43), the dispatch queue (Art. 12) with first-asked responsibility (Art. 25),
and who may call each route."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import web
from minsheng_common.auth.provisioning import add_key
from minsheng_common.auth.roles import SCOPES, Role, Scope
from minsheng_common.clock import SharedClock
from minsheng_common.devstack.broker import free_port
from minsheng_common.events import AppealFiled, Envelope, EventData
from minsheng_dispatch import admin, routing
from minsheng_dispatch.admin import lookup, queue, responsibility
from minsheng_dispatch.admin.errors import (
    FirstAskedCannotReturn,
    FirstHandlerCannotReturn,
)
from minsheng_dispatch.app import create_app
from minsheng_dispatch.consumers import DispatchHandlers
from minsheng_dispatch.settings import DispatchSettings

NOW = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)  # Monday 9 March 2026, 10:00 Shanghai

ADMIN_ROUTE_SCOPES: dict[tuple[str, str], frozenset[Scope]] = {
    ("GET", "/v1/units"): frozenset(
        {Scope.WORK_ORDERS_UNIT, Scope.WORK_ORDERS_READ, Scope.ROUTING_READ}
    ),
    ("POST", "/v1/units"): frozenset({Scope.ROUTING_MANAGE}),
    ("POST", "/v1/units/{unit_id}/retire"): frozenset({Scope.ROUTING_MANAGE}),
    ("GET", "/v1/categories"): frozenset(
        {Scope.WORK_ORDERS_UNIT, Scope.WORK_ORDERS_READ, Scope.ROUTING_READ}
    ),
    ("POST", "/v1/categories"): frozenset({Scope.ROUTING_MANAGE}),
    ("POST", "/v1/categories/{category_id}/retire"): frozenset({Scope.ROUTING_MANAGE}),
    ("GET", "/v1/routing-rules"): frozenset({Scope.ROUTING_READ}),
    ("POST", "/v1/routing-rules"): frozenset({Scope.ROUTING_MANAGE}),
    ("POST", "/v1/routing-rules/{rule_id}/retire"): frozenset({Scope.ROUTING_MANAGE}),
    ("GET", "/v1/registry-changes"): frozenset({Scope.ROUTING_READ}),
    ("GET", "/v1/projects"): frozenset({Scope.ROUTING_READ, Scope.WORK_ORDERS_UNIT}),
    ("GET", "/v1/projects/{project_id}"): frozenset(
        {Scope.ROUTING_READ, Scope.WORK_ORDERS_UNIT}
    ),
    ("POST", "/v1/projects"): frozenset({Scope.ROUTING_MANAGE, Scope.WORK_ORDERS_UNIT}),
    ("PATCH", "/v1/projects/{project_id}"): frozenset(
        {Scope.ROUTING_MANAGE, Scope.WORK_ORDERS_UNIT}
    ),
    ("POST", "/v1/projects/{project_id}/withdraw"): frozenset(
        {Scope.ROUTING_MANAGE, Scope.WORK_ORDERS_UNIT}
    ),
    ("GET", "/v1/dispatch-queue"): frozenset({Scope.WORK_ORDERS_READ}),
    ("POST", "/v1/dispatch-queue/{appeal_id}/dispatch"): frozenset(
        {Scope.WORK_ORDERS_OPERATE}
    ),
}

# Each id-bearing route, the unknown-id answer it gives the center.
NOT_FOUND: dict[tuple[str, str], str] = {
    ("POST", "/v1/units/{unit_id}/retire"): "unit_not_found",
    ("POST", "/v1/categories/{category_id}/retire"): "category_not_found",
    ("POST", "/v1/routing-rules/{rule_id}/retire"): "routing_rule_not_found",
    ("GET", "/v1/projects/{project_id}"): "project_not_found",
    ("PATCH", "/v1/projects/{project_id}"): "project_not_found",
    ("POST", "/v1/projects/{project_id}/withdraw"): "project_not_found",
    ("POST", "/v1/dispatch-queue/{appeal_id}/dispatch"): "queue_entry_not_found",
}


def project_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "坑梓大道管网改造工程",
        "kind": "road",
        "builder": "深圳某建设集团",
        "starts_on": "2026-04-15",
        "ends_on": "2026-09-30",
        "subdistrict_id": "kengzi-jd",
        "community": "秀新社区",
        "road": "坑梓大道",
        "person_in_charge": "张工",
        "contact": "13800138000",
        "unit_id": "jtj",
    }
    body.update(changes)
    return body


BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/v1/units"): {
        "id": "new-bureau",
        "name": "新局",
        "kind": "district_unit",
        "reason": "机构改革",
    },
    ("POST", "/v1/units/{unit_id}/retire"): {"reason": "机构改革"},
    ("POST", "/v1/categories"): {
        "id": "new-category",
        "name": "新类别",
        "default_unit": "cgj",
        "reason": "标准修订",
    },
    ("POST", "/v1/categories/{category_id}/retire"): {"reason": "标准修订"},
    ("POST", "/v1/routing-rules"): {
        "category_id": "transport",
        "unit_id": "jjdd",
        "keyword": "违停",
        "reason": "交警负责违停",
    },
    ("POST", "/v1/routing-rules/{rule_id}/retire"): {"reason": "职责调整"},
    ("POST", "/v1/projects"): project_body(),
    ("PATCH", "/v1/projects/{project_id}"): {"builder": "另一公司", "reason": "变更"},
    ("POST", "/v1/projects/{project_id}/withdraw"): {"reason": "项目取消"},
    ("POST", "/v1/dispatch-queue/{appeal_id}/dispatch"): {
        "unit_id": "swj",
        "reason": "积水归水务",
    },
}


def filed(**changes: Any) -> AppealFiled:
    values: dict[str, Any] = {
        "appeal_id": "appeal-1",
        "tracking_code": "MS20260309000001",
        "channel": "hotline-12345",
        "appeal_type": "complaint",
        "category_id": "municipal-facilities",
        "subdistrict_id": "kengzi-jd",
        "community": "秀新社区",
        "title": "路灯不亮",
        "content": "坑梓街道秀新社区某路段路灯不亮，夜间出行不便。",
        "address": "坑梓街道秀新社区",
        "received_at": NOW - timedelta(minutes=20),
        "filed_at": NOW - timedelta(minutes=15),
        "contact_kind": "phone",
        "contact_encrypted": "gAAAA-not-readable-here",
    }
    values.update(changes)
    return AppealFiled(**values)


@dataclass
class FakeDispatch:
    """Stands for the lifecycle's dispatch of a chosen unit: remembers each call."""

    calls: list[tuple[AppealFiled, routing.Route, str]] = field(default_factory=list)

    async def __call__(
        self,
        *,
        session: AsyncSession,
        appeal: AppealFiled,
        route: routing.Route,
        actor: str,
    ) -> str | None:
        self.calls.append((appeal, route, actor))
        return f"wo-{appeal.appeal_id}"


@dataclass
class Admin:
    app: FastAPI
    clock: SharedClock
    anonymous: httpx.AsyncClient
    by_role: dict[Role, httpx.AsyncClient]
    cgj: httpx.AsyncClient
    jtj: httpx.AsyncClient
    dispatch: FakeDispatch

    @property
    def supervisor(self) -> httpx.AsyncClient:
        return self.by_role[Role.SUPERVISOR]

    @property
    def operator(self) -> httpx.AsyncClient:
        return self.by_role[Role.OPERATOR]

    async def enqueue(self, appeal: AppealFiled, route: routing.Route) -> None:
        async with self.app.state.runtime.sessions() as session, session.begin():
            await queue.enqueue(session, appeal=appeal, route=route, at=NOW)

    async def route(self, appeal: AppealFiled) -> routing.Route:
        async with self.app.state.runtime.sessions() as session:
            return await lookup.route_appeal(
                session, appeal=appeal, at=self.clock.now(), fallback_unit="center"
            )


@pytest.fixture
async def center(
    tmp_path: Path, wrap: Callable[[EventData], Envelope]
) -> AsyncIterator[Admin]:
    clock_file = tmp_path / "clock.json"
    clock = SharedClock(clock_file)
    clock.set_now(NOW)
    settings = DispatchSettings(
        database_url=f"sqlite:///{tmp_path / 'dispatch.db'}",
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        data_dir=tmp_path,
        clock_file=clock_file,
    )
    path = settings.credentials_path()
    keys: dict[Role | str, str] = {
        role: add_key(
            path,
            name=f"{role.value} key",
            role=role,
            unit_id="cgj" if role is Role.UNIT else None,
            channel_id="wechat" if role is Role.CHANNEL else None,
        )
        for role in Role
    }
    keys["jtj"] = add_key(path, name="jtj key", role=Role.UNIT, unit_id="jtj")

    app = create_app(settings)
    fake = FakeDispatch()
    app.state.dispatch_chosen = fake
    async with app.router.lifespan_context(app), AsyncExitStack() as stack:
        transport = httpx.ASGITransport(app=app)

        async def client(key: str | None) -> httpx.AsyncClient:
            headers = {"X-API-Key": key} if key else {}
            made = httpx.AsyncClient(
                transport=transport, base_url="http://dispatch", headers=headers
            )
            return await stack.enter_async_context(made)

        # One open order of unit cgj, made as a filed appeal makes it.
        handlers = DispatchHandlers(app.state.context)
        async with app.state.runtime.sessions() as session, session.begin():
            appeal = filed()
            await handlers.on_appeal_filed(session, wrap(appeal), appeal)
        by_role = {role: await client(keys[role]) for role in Role}
        yield Admin(
            app=app,
            clock=clock,
            anonymous=await client(None),
            by_role=by_role,
            cgj=by_role[Role.UNIT],
            jtj=await client(keys["jtj"]),
            dispatch=fake,
        )


def close_to(value: str | float, expected: datetime | float) -> bool:
    """Whether a time or a number of seconds is what the test set, give or take
    the real seconds the shared clock runs on while the test runs."""
    if isinstance(expected, datetime):
        assert isinstance(value, str)
        return abs(datetime.fromisoformat(value) - expected) < timedelta(seconds=30)
    assert isinstance(value, float | int)
    return expected <= value < expected + 30


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


# --- who may call what -------------------------------------------------------


def admin_routes() -> set[tuple[str, str]]:
    """Every route the administration's router serves, found as the app finds it."""
    alone = FastAPI()
    alone.include_router(admin.router)
    return set(web.served_routes(alone)) - set(web.served_routes(FastAPI()))


def concrete(path: str, **ids: str) -> str:
    values = {
        "unit_id": "no-such-unit",
        "category_id": "no-such-category",
        "rule_id": "999999",
        "project_id": "no-such-project",
        "appeal_id": "no-such-appeal",
    }
    values.update(ids)
    return path.format(**values)


async def test_dispatch_admin_every_route_is_listed_with_its_scopes() -> None:
    assert admin_routes() == set(ADMIN_ROUTE_SCOPES)


async def test_dispatch_admin_every_route_refuses_a_caller_without_credentials(
    center: Admin,
) -> None:
    for method, path in ADMIN_ROUTE_SCOPES:
        response = await center.anonymous.request(
            method, concrete(path), json=BODIES.get((method, path))
        )

        assert response.status_code == 401, (method, path)
        assert error_code(response) == "unauthenticated"


async def test_dispatch_admin_every_route_refuses_a_role_without_its_scope(
    center: Admin,
) -> None:
    checked = 0
    for (method, path), scopes in ADMIN_ROUTE_SCOPES.items():
        for role, client in center.by_role.items():
            if SCOPES[role] & scopes:
                continue
            response = await client.request(
                method, concrete(path), json=BODIES.get((method, path))
            )

            assert response.status_code == 403, (method, path, role)
            assert error_code(response) == "forbidden"
            checked += 1
    assert checked > 50


async def test_dispatch_admin_unknown_ids_answer_404(center: Admin) -> None:
    for (method, path), code in NOT_FOUND.items():
        response = await center.supervisor.request(
            method, concrete(path), json=BODIES.get((method, path))
        )

        assert response.status_code == 404, (method, path)
        assert error_code(response) == code


async def test_dispatch_admin_queue_404_for_an_operator(center: Admin) -> None:
    response = await center.operator.post(
        "/v1/dispatch-queue/no-such-appeal/dispatch",
        json=BODIES[("POST", "/v1/dispatch-queue/{appeal_id}/dispatch")],
    )

    assert response.status_code == 404
    assert error_code(response) == "queue_entry_not_found"


async def test_dispatch_admin_another_units_project_answers_as_a_missing_one(
    center: Admin,
) -> None:
    made = await center.jtj.post(
        "/v1/projects", json=project_body(starts_on="2026-05-04")
    )
    assert made.status_code == 201, made.text
    project_id = made.json()["id"]

    for method, path in [
        ("GET", "/v1/projects/{project_id}"),
        ("PATCH", "/v1/projects/{project_id}"),
        ("POST", "/v1/projects/{project_id}/withdraw"),
    ]:
        theirs = await center.cgj.request(
            method,
            concrete(path, project_id=project_id),
            json=BODIES.get((method, path)),
        )
        missing = await center.cgj.request(
            method, concrete(path), json=BODIES.get((method, path))
        )

        assert theirs.status_code == missing.status_code == 404, (method, path)
        assert theirs.text.replace(project_id, "<id>") == missing.text.replace(
            "no-such-project", "<id>"
        )
    listed = await center.cgj.get("/v1/projects")
    assert listed.json() == []


# --- the routing table ---------------------------------------------------------


async def test_dispatch_admin_rule_added_and_retired_keeps_its_history(
    center: Admin,
) -> None:
    added = await center.supervisor.post(
        "/v1/routing-rules",
        json={
            "category_id": "transport",
            "unit_id": "jjdd",
            "subdistrict_id": "kengzi-jd",
            "community": "秀新社区",
            "keyword": "违停",
            "reason": "交警负责违停",
        },
    )
    assert added.status_code == 201, added.text
    rule = added.json()
    assert rule["community"] == "秀新社区"
    assert rule["kind"] == "standard"
    assert rule["in_force"] is True
    assert rule["created_by"].startswith("supervisor:")
    assert rule["note"] == "交警负责违停"

    retired = await center.supervisor.post(
        f"/v1/routing-rules/{rule['id']}/retire", json={"reason": "职责调整"}
    )
    again = await center.supervisor.post(
        f"/v1/routing-rules/{rule['id']}/retire", json={"reason": "职责调整"}
    )
    listed = await center.supervisor.get(
        "/v1/routing-rules", params={"category_id": "transport"}
    )
    history = await center.supervisor.get(
        "/v1/registry-changes",
        params={"subject": "routing_rule", "subject_id": str(rule["id"])},
    )

    assert retired.status_code == 200
    assert retired.json()["in_force"] is False
    assert close_to(retired.json()["valid_to"], NOW)
    assert again.status_code == 409
    assert error_code(again) == "routing_rule_closed"
    kept = [row for row in listed.json() if row["id"] == rule["id"]]
    assert kept and kept[0]["in_force"] is False
    assert [(c["change"], c["reason"], c["actor"]) for c in history.json()] == [
        ("added", "交警负责违停", rule["created_by"]),
        ("retired", "职责调整", rule["created_by"]),
    ]


async def test_dispatch_admin_new_rule_replaces_the_rule_of_the_same_key(
    center: Admin,
) -> None:
    before = await center.supervisor.get(
        "/v1/routing-rules", params={"category_id": "education"}
    )
    (default,) = [
        r
        for r in before.json()
        if r["keyword"] is None and r["subdistrict_id"] is None and r["in_force"]
    ]

    added = await center.supervisor.post(
        "/v1/routing-rules",
        json={"category_id": "education", "unit_id": "zzb", "reason": "职责划转"},
    )
    after = await center.supervisor.get(
        "/v1/routing-rules", params={"category_id": "education"}
    )

    assert added.json()["replaced_rule_ids"] == [default["id"]]
    states = {r["id"]: r["in_force"] for r in after.json()}
    assert states[default["id"]] is False
    assert states[added.json()["id"]] is True
    unplaced = await center.route(
        filed(
            category_id="education",
            subdistrict_id=None,
            community=None,
            title="",
            content="",
        )
    )
    placed = await center.route(filed(category_id="education", title="", content=""))
    assert (unplaced.unit_id, unplaced.rule_id) == ("zzb", added.json()["id"])
    # The district-wide rule is the category's default: a place keeps its own rule.
    assert (placed.unit_id, placed.reason) == ("jyj", routing.Reason.SUBDISTRICT)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"category_id": "nothing", "unit_id": "jjdd"}, 422, "unknown_category"),
        ({"category_id": "transport", "unit_id": "nobody"}, 422, "unknown_unit"),
        (
            {"category_id": "transport", "unit_id": "jjdd", "subdistrict_id": "x-jd"},
            422,
            "unknown_place",
        ),
        (
            {
                "category_id": "transport",
                "unit_id": "jjdd",
                "subdistrict_id": "maluan-jd",
                "community": "秀新社区",
            },
            422,
            "unknown_place",
        ),
        (
            {
                "category_id": "transport",
                "unit_id": "jjdd",
                "kind": "first_handler",
                "subdistrict_id": "kengzi-jd",
            },
            422,
            "invalid_rule",
        ),
        (
            {
                "category_id": "transport",
                "unit_id": "jjdd",
                "valid_from": "2026-03-01T00:00:00Z",
            },
            422,
            "invalid_validity",
        ),
    ],
)
async def test_dispatch_admin_bad_rule_is_refused_and_changes_nothing(
    center: Admin, body: dict[str, Any], status: int, code: str
) -> None:
    before = await center.supervisor.get("/v1/routing-rules")

    response = await center.supervisor.post(
        "/v1/routing-rules", json={**body, "reason": "测试"}
    )
    after = await center.supervisor.get("/v1/routing-rules")

    assert response.status_code == status, response.text
    assert error_code(response) == code
    assert after.json() == before.json()


async def test_dispatch_admin_first_handler_rule_is_preferred_by_routing(
    center: Admin,
) -> None:
    sewage = filed(category_id="environment-water", content="小区污水横流")
    assert (await center.route(sewage)).unit_id == "swj"

    added = await center.supervisor.post(
        "/v1/routing-rules",
        json={
            "category_id": "environment-water",
            "unit_id": "sthjj",
            "kind": "first_handler",
            "reason": "复杂事件由生态环境局首办 (Art. 26)",
        },
    )
    route = await center.route(sewage)

    assert added.status_code == 201, added.text
    assert (route.unit_id, route.reason) == ("sthjj", routing.Reason.FIRST_HANDLER)
    assert route.rule_id == added.json()["id"]
    assert route.certain


async def test_dispatch_admin_territorial_default_is_a_seeded_fallback(
    center: Admin,
) -> None:
    rules = await center.supervisor.get(
        "/v1/routing-rules", params={"category_id": "city-sanitation"}
    )
    route = await center.route(
        filed(category_id="city-sanitation", subdistrict_id=None)
    )

    kinds = {(r["subdistrict_id"], r["kind"]) for r in rules.json()}
    assert (None, "fallback") in kinds
    assert ("kengzi-jd", "standard") in kinds
    assert (route.unit_id, route.reason, route.certain) == (
        "cgj",
        routing.Reason.FALLBACK_RULE,
        False,
    )


# --- units and categories -------------------------------------------------------


async def test_dispatch_admin_unit_with_open_orders_cannot_be_retired(
    center: Admin,
) -> None:
    refused = await center.supervisor.post(
        "/v1/units/cgj/retire", json={"reason": "机构改革"}
    )
    units = await center.supervisor.get("/v1/units")

    assert refused.status_code == 409
    assert error_code(refused) == "unit_has_open_orders"
    assert "1 open work orders" in refused.json()["error"]["message"]
    (cgj,) = [unit for unit in units.json() if unit["id"] == "cgj"]
    assert cgj["retired"] is False


async def test_dispatch_admin_unit_added_then_retired_is_never_chosen(
    center: Admin,
) -> None:
    added = await center.supervisor.post(
        "/v1/units", json=BODIES[("POST", "/v1/units")]
    )
    rule = await center.supervisor.post(
        "/v1/routing-rules",
        json={
            "category_id": "economy",
            "unit_id": "new-bureau",
            "subdistrict_id": "kengzi-jd",
            "reason": "新职责",
        },
    )
    assert (await center.route(filed(category_id="economy"))).unit_id == "new-bureau"

    retired = await center.supervisor.post(
        "/v1/units/new-bureau/retire", json={"reason": "撤并"}
    )
    again = await center.supervisor.post(
        "/v1/units/new-bureau/retire", json={"reason": "撤并"}
    )
    reused = await center.supervisor.post(
        "/v1/units", json=BODIES[("POST", "/v1/units")]
    )
    rule_after = await center.supervisor.get(
        "/v1/routing-rules", params={"category_id": "economy"}
    )
    new_rule = await center.supervisor.post(
        "/v1/routing-rules",
        json={"category_id": "economy", "unit_id": "new-bureau", "reason": "再试"},
    )
    active = await center.cgj.get("/v1/units", params={"include_retired": "false"})
    route = await center.route(filed(category_id="economy"))

    assert added.status_code == 201 and rule.status_code == 201
    assert retired.status_code == 200
    assert retired.json()["retired"] is True
    assert retired.json()["retire_reason"] == "撤并"
    assert error_code(again) == "already_retired"
    assert error_code(reused) == "unit_exists"
    closed = [r for r in rule_after.json() if r["id"] == rule.json()["id"]]
    assert closed[0]["in_force"] is False
    assert new_rule.status_code == 409
    assert error_code(new_rule) == "unit_retired"
    assert "new-bureau" not in {unit["id"] for unit in active.json()}
    assert route.unit_id != "new-bureau"


async def test_dispatch_admin_fallback_unit_cannot_be_retired(center: Admin) -> None:
    response = await center.supervisor.post(
        "/v1/units/center/retire", json={"reason": "测试"}
    )

    assert response.status_code == 409
    assert error_code(response) == "unit_is_fallback"


async def test_dispatch_admin_unit_in_charge_of_a_project_cannot_be_retired(
    center: Admin,
) -> None:
    await center.supervisor.post("/v1/units", json=BODIES[("POST", "/v1/units")])
    made = await center.supervisor.post(
        "/v1/projects",
        json=project_body(unit_id="new-bureau", starts_on="2026-05-04"),
    )

    refused = await center.supervisor.post(
        "/v1/units/new-bureau/retire", json={"reason": "撤并"}
    )

    assert made.status_code == 201, made.text
    assert refused.status_code == 409
    assert error_code(refused) == "unit_has_projects"


async def test_dispatch_admin_category_added_with_its_routing(center: Admin) -> None:
    added = await center.supervisor.post(
        "/v1/categories",
        json={
            "id": "property-management",
            "name": "物业管理",
            "default_unit": "zjj",
            "territorial": True,
            "reason": "标准新增物业管理类",
        },
    )
    placed = await center.route(
        filed(category_id="property-management", subdistrict_id="maluan-jd")
    )
    unplaced = await center.route(
        filed(category_id="property-management", subdistrict_id=None)
    )

    assert added.status_code == 201, added.text
    assert (placed.unit_id, placed.certain) == ("maluan-jd", True)
    assert (unplaced.unit_id, unplaced.certain) == ("zjj", False)


async def test_dispatch_admin_category_of_a_unit_is_certain_where_placed_art_12(
    center: Admin,
) -> None:
    added = await center.supervisor.post(
        "/v1/categories",
        json={
            "id": "housing-fund",
            "name": "住房公积金",
            "default_unit": "zjj",
            "reason": "标准新增公积金类",
        },
    )
    placed = await center.route(
        filed(category_id="housing-fund", subdistrict_id="longtian-jd")
    )
    unplaced = await center.route(
        filed(category_id="housing-fund", subdistrict_id=None, community=None)
    )

    assert added.status_code == 201, added.text
    assert (placed.unit_id, placed.reason, placed.certain) == (
        "zjj",
        routing.Reason.SUBDISTRICT,
        True,
    )
    assert (unplaced.unit_id, unplaced.reason, unplaced.certain) == (
        "zjj",
        routing.Reason.CATEGORY_DEFAULT,
        False,
    )


async def test_dispatch_admin_retired_category_closes_its_rules_and_is_not_routed(
    center: Admin,
) -> None:
    retired = await center.supervisor.post(
        "/v1/categories/education/retire", json={"reason": "标准修订合并"}
    )
    rules = await center.supervisor.get(
        "/v1/routing-rules", params={"category_id": "education"}
    )
    categories = await center.cgj.get("/v1/categories")
    rule = await center.supervisor.post(
        "/v1/routing-rules",
        json={"category_id": "education", "unit_id": "jyj", "reason": "再试"},
    )
    route = await center.route(filed(category_id="education"))
    history = await center.supervisor.get(
        "/v1/registry-changes", params={"subject": "category"}
    )

    assert retired.status_code == 200
    assert retired.json()["retired"] is True
    assert rules.json() and not any(r["in_force"] for r in rules.json())
    (education,) = [c for c in categories.json() if c["id"] == "education"]
    assert education["retired"] is True
    assert error_code(rule) == "category_retired"
    assert route.reason is routing.Reason.TERRITORIAL_FALLBACK
    assert not route.certain
    assert [(c["subject_id"], c["change"]) for c in history.json()] == [
        ("education", "retired")
    ]


# --- projects (Art. 43) --------------------------------------------------------------

# Registered on Monday 16 March 2026: the 15th working day after it falls on
# Tuesday 7 April because Qingming (4-6 April) is off; without the holiday it would
# be Monday 6 April. Works may start the day after.
REGISTERED = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)


async def test_dispatch_admin_project_needs_15_working_days_across_a_holiday(
    center: Admin,
) -> None:
    center.clock.set_now(REGISTERED)

    too_late = await center.supervisor.post(
        "/v1/projects", json=project_body(starts_on="2026-04-07")
    )
    in_time = await center.supervisor.post(
        "/v1/projects", json=project_body(starts_on="2026-04-08")
    )

    assert too_late.status_code == 422
    assert error_code(too_late) == "registered_too_late"
    assert "2026-04-08" in too_late.json()["error"]["message"]
    assert "Art. 43" in too_late.json()["error"]["message"]
    assert in_time.status_code == 201, in_time.text
    assert in_time.json()["earliest_start"] == "2026-04-08"
    listed = await center.supervisor.get("/v1/projects")
    assert [p["starts_on"] for p in listed.json()] == ["2026-04-08"]


async def test_dispatch_admin_center_may_register_an_urgent_project_late(
    center: Admin,
) -> None:
    urgent = project_body(
        starts_on="2026-03-10", urgent=True, urgent_reason="燃气管道抢修"
    )

    by_center = await center.supervisor.post("/v1/projects", json=urgent)
    by_unit = await center.jtj.post("/v1/projects", json=urgent)
    without_reason = await center.supervisor.post(
        "/v1/projects", json=project_body(starts_on="2026-03-10", urgent=True)
    )

    assert by_center.status_code == 201, by_center.text
    assert by_center.json()["urgent"] is True
    assert by_center.json()["urgent_reason"] == "燃气管道抢修"
    assert by_unit.status_code == 403
    assert without_reason.status_code == 422


async def test_dispatch_admin_project_contact_is_shown_to_the_center_only(
    center: Admin,
) -> None:
    made = await center.jtj.post(
        "/v1/projects", json=project_body(starts_on="2026-05-04")
    )
    project_id = made.json()["id"]

    by_unit = await center.jtj.get(f"/v1/projects/{project_id}")
    by_center = await center.operator.get(f"/v1/projects/{project_id}")
    history = await center.supervisor.get(
        "/v1/registry-changes", params={"subject_id": project_id}
    )

    assert made.json()["contact"] is None
    assert (by_unit.json()["person_in_charge"], by_unit.json()["contact"]) == (
        None,
        None,
    )
    assert by_center.json()["contact"] == "13800138000"
    assert by_center.json()["person_in_charge"] == "张工"
    assert "13800138000" not in history.text
    assert "张工" not in history.text


async def test_dispatch_admin_unit_registers_only_its_own_projects(
    center: Admin,
) -> None:
    response = await center.cgj.post(
        "/v1/projects", json=project_body(starts_on="2026-05-04")
    )

    assert response.status_code == 403


async def test_dispatch_admin_project_updated_and_withdrawn_with_history(
    center: Admin,
) -> None:
    made = await center.jtj.post(
        "/v1/projects", json=project_body(starts_on="2026-05-04")
    )
    project_id = made.json()["id"]

    earlier = await center.jtj.patch(
        f"/v1/projects/{project_id}",
        json={"starts_on": "2026-03-20", "reason": "提前开工"},
    )
    later = await center.jtj.patch(
        f"/v1/projects/{project_id}",
        json={"ends_on": "2026-12-31", "contact": "13900139000", "reason": "延期"},
    )
    withdrawn = await center.jtj.post(
        f"/v1/projects/{project_id}/withdraw", json={"reason": "项目取消"}
    )
    changed_after = await center.jtj.patch(
        f"/v1/projects/{project_id}",
        json={"builder": "另一公司", "reason": "更换施工方"},
    )
    history = await center.supervisor.get(
        "/v1/registry-changes", params={"subject_id": project_id}
    )
    active = await center.supervisor.get("/v1/projects")
    every = await center.supervisor.get(
        "/v1/projects", params={"include_withdrawn": "true"}
    )

    assert error_code(earlier) == "registered_too_late"
    assert later.status_code == 200
    assert later.json()["ends_on"] == "2026-12-31"
    assert withdrawn.json()["withdrawn_at"] is not None
    assert error_code(changed_after) == "project_withdrawn"
    assert [(c["change"], c["reason"]) for c in history.json()] == [
        ("registered", "registered (Art. 43)"),
        ("updated", "延期"),
        ("withdrawn", "项目取消"),
    ]
    assert history.json()[1]["detail"]["changed"] == ["contact", "ends_on"]
    assert "13900139000" not in history.text
    assert active.json() == []
    assert [p["id"] for p in every.json()] == [project_id]


async def test_dispatch_admin_appeal_about_a_registered_site_goes_to_its_unit(
    center: Admin,
) -> None:
    made = await center.supervisor.post(
        "/v1/projects",
        json=project_body(
            starts_on="2026-03-10", urgent=True, urgent_reason="抢修", unit_id="swj"
        ),
    )
    center.clock.set_now(NOW + timedelta(days=2))

    on_road = await center.route(
        filed(category_id="transport", address="坑梓大道100号", content="夜间施工噪音")
    )
    by_name = await center.route(
        filed(
            category_id=None,
            subdistrict_id=None,
            community=None,
            content="坑梓大道管网改造工程围挡倒了",
        )
    )
    await center.supervisor.post(
        f"/v1/projects/{made.json()['id']}/withdraw", json={"reason": "完工"}
    )
    after = await center.route(
        filed(category_id="transport", address="坑梓大道100号", content="夜间施工噪音")
    )

    assert (on_road.unit_id, on_road.reason) == ("swj", routing.Reason.PROJECT)
    assert on_road.project_id == made.json()["id"]
    assert "坑梓大道管网改造工程" in on_road.basis
    assert (by_name.unit_id, by_name.certain) == ("swj", True)
    assert after.reason is not routing.Reason.PROJECT


# --- the dispatch queue (Art. 12) and first-asked responsibility (Art. 25) -----------


async def test_dispatch_admin_uncertain_appeal_waits_and_is_timed_from_filing(
    center: Admin,
) -> None:
    appeal = filed(appeal_id="appeal-q", category_id=None, subdistrict_id=None)
    route = await center.route(appeal)
    assert not route.certain
    await center.enqueue(appeal, route)
    await center.enqueue(appeal, route)  # a repeated delivery queues nothing more
    async with center.app.state.runtime.sessions() as session:
        assert await queue.held(session, "appeal-q")
        assert not await queue.held(session, "appeal-1")

    soon = await center.operator.get("/v1/dispatch-queue")
    center.clock.set_now(NOW + timedelta(hours=1))
    late = await center.operator.get("/v1/dispatch-queue")

    (entry,) = soon.json()["items"]
    assert soon.json()["total"] == 1
    assert entry["appeal_id"] == "appeal-q"
    assert entry["reason"] == "center_fallback"
    assert entry["suggested_unit_id"] == "center"
    assert entry["title"] == "路灯不亮"
    assert close_to(entry["waiting_seconds"], 15 * 60)
    assert entry["within_target"] is True
    (overdue,) = late.json()["items"]
    assert close_to(overdue["waiting_seconds"], 75 * 60)
    assert overdue["within_target"] is False


async def test_dispatch_admin_operator_dispatches_from_the_queue_once(
    center: Admin,
) -> None:
    appeal = filed(appeal_id="appeal-q", category_id=None)
    await center.enqueue(appeal, await center.route(appeal))
    center.clock.set_now(NOW + timedelta(minutes=20))
    body = {"unit_id": "swj", "reason": "积水归水务"}

    first = await center.operator.post(
        "/v1/dispatch-queue/appeal-q/dispatch", json=body
    )
    repeated = await center.operator.post(
        "/v1/dispatch-queue/appeal-q/dispatch", json=body
    )
    other = await center.supervisor.post(
        "/v1/dispatch-queue/appeal-q/dispatch", json={**body, "unit_id": "cgj"}
    )
    waiting = await center.operator.get("/v1/dispatch-queue")
    done = await center.operator.get(
        "/v1/dispatch-queue", params={"state": "dispatched"}
    )

    assert first.status_code == 200, first.text
    entry = first.json()
    assert entry["unit_id"] == "swj"
    assert entry["resolved_by"].startswith("operator:")
    assert entry["work_order_id"] == "wo-appeal-q"
    assert close_to(entry["waiting_seconds"], 35 * 60)
    assert entry["within_target"] is True
    assert repeated.json() == entry
    assert other.status_code == 409
    assert error_code(other) == "already_dispatched"
    assert len(center.dispatch.calls) == 1
    (made_for, route, actor) = center.dispatch.calls[0]
    assert made_for == appeal
    assert (route.unit_id, route.reason) == ("swj", routing.Reason.OPERATOR)
    assert actor == entry["resolved_by"]
    assert waiting.json()["items"] == []
    assert [e["appeal_id"] for e in done.json()["items"]] == ["appeal-q"]


@pytest.mark.parametrize(
    ("unit_id", "status", "code"),
    [("nobody", 422, "unknown_unit")],
)
async def test_dispatch_admin_queue_refuses_an_unknown_unit(
    center: Admin, unit_id: str, status: int, code: str
) -> None:
    appeal = filed(appeal_id="appeal-q", category_id=None)
    await center.enqueue(appeal, await center.route(appeal))

    response = await center.operator.post(
        "/v1/dispatch-queue/appeal-q/dispatch",
        json={"unit_id": unit_id, "reason": "测试"},
    )

    assert response.status_code == status
    assert error_code(response) == code
    assert center.dispatch.calls == []


async def test_dispatch_admin_first_asked_unit_cannot_return_its_order_art_25(
    center: Admin,
) -> None:
    urgent = filed(appeal_id="appeal-u", category_id=None, level=1)
    ordinary = filed(appeal_id="appeal-o", category_id=None, level=3)
    for appeal in (urgent, ordinary):
        await center.enqueue(appeal, await center.route(appeal))
    body = {
        "unit_id": "yjglj",
        "reason": "权属不明，应急局先行处置",
        "first_asked": True,
    }

    refused = await center.operator.post(
        "/v1/dispatch-queue/appeal-o/dispatch", json=body
    )
    named = await center.operator.post(
        "/v1/dispatch-queue/appeal-u/dispatch", json=body
    )

    assert refused.status_code == 409
    assert error_code(refused) == "first_asked_not_urgent"
    assert named.status_code == 200, named.text
    assert named.json()["first_asked"] is True
    (_, route, _) = center.dispatch.calls[-1]
    assert "首问负责" in route.basis
    async with center.app.state.runtime.sessions() as session:
        (assignment,) = await responsibility.of_order(session, "wo-appeal-u")
        with pytest.raises(FirstAskedCannotReturn) as raised:
            await responsibility.check_may_return(
                session, work_order_id="wo-appeal-u", unit_id="yjglj", at=NOW
            )
        await responsibility.check_may_return(
            session, work_order_id="wo-appeal-u", unit_id="other-unit", at=NOW
        )
    assert (assignment.kind, assignment.unit_id) == ("first_asked", "yjglj")
    assert assignment.named_by.startswith("operator:")
    assert raised.value.status_code == 409
    assert "Art. 25" in raised.value.message


async def test_dispatch_admin_queue_without_the_lifecycle_function_changes_nothing(
    center: Admin,
) -> None:
    appeal = filed(appeal_id="appeal-q", category_id=None)
    await center.enqueue(appeal, await center.route(appeal))
    del center.app.state.dispatch_chosen

    response = await center.operator.post(
        "/v1/dispatch-queue/appeal-q/dispatch",
        json={"unit_id": "swj", "reason": "测试"},
    )
    waiting = await center.operator.get("/v1/dispatch-queue")

    assert response.status_code == 503
    assert error_code(response) == "queue_dispatch_unavailable"
    assert [e["appeal_id"] for e in waiting.json()["items"]] == ["appeal-q"]


async def test_dispatch_admin_first_handler_naming_stands_until_its_rule_closes(
    center: Admin,
) -> None:
    added = await center.supervisor.post(
        "/v1/routing-rules",
        json={
            "category_id": "planning-construction",
            "unit_id": "zjj",
            "kind": "first_handler",
            "keyword": "违建",
            "reason": "违建由住建局首办 (Art. 26)",
        },
    )
    route = await center.route(
        filed(category_id="planning-construction", content="楼顶违建")
    )
    async with center.app.state.runtime.sessions() as session, session.begin():
        responsibility.note_route(session, work_order_id="wo-fh", route=route, at=NOW)

    async with center.app.state.runtime.sessions() as session:
        with pytest.raises(FirstHandlerCannotReturn) as raised:
            await responsibility.check_may_return(
                session, work_order_id="wo-fh", unit_id="zjj", at=center.clock.now()
            )
    await center.supervisor.post(
        f"/v1/routing-rules/{added.json()['id']}/retire", json={"reason": "标准修订"}
    )
    async with center.app.state.runtime.sessions() as session:
        await responsibility.check_may_return(
            session,
            work_order_id="wo-fh",
            unit_id="zjj",
            at=center.clock.now(),
        )

    assert route.reason is routing.Reason.FIRST_HANDLER
    assert raised.value.code == "first_handler_cannot_return"
    assert "Art. 26" in raised.value.message


def test_dispatch_admin_project_dates_are_local_days() -> None:
    project = routing.Project(
        id="p",
        name="x",
        unit_id="jtj",
        starts_on=date(2026, 3, 9),
        ends_on=date(2026, 3, 9),
    )

    assert project.running_on(date(2026, 3, 9))
    assert not project.running_on(date(2026, 3, 10))
