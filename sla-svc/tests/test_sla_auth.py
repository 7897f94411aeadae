"""Who may call sla: every route needs credentials and a scope, and a unit sees only
the clocks on its own work orders (Art. 41): another unit's work order answers
exactly as an unknown one, and lists leave its clocks out."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from minsheng_common import web
from minsheng_common.auth.roles import SCOPES, Role, Scope
from minsheng_common.clock import SharedClock
from minsheng_common.devstack.broker import free_port
from minsheng_common.events import WorkOrderDispatched, seal
from minsheng_common.timeutil import SHANGHAI
from minsheng_common.working_calendar import chinese_calendar_schedules
from minsheng_sla.app import create_app
from minsheng_sla.consumers import WorkOrderEvents
from minsheng_sla.settings import SlaSettings

NOW = datetime(2026, 12, 4, 17, 0, tzinfo=SHANGHAI)

# The scopes each route accepts (any one of them); checked against the app's own
# routes, so a route added without an entry here fails the first test.
ROUTE_SCOPES: dict[tuple[str, str], frozenset[Scope]] = {
    ("GET", "/v1/work-orders/{work_order_id}/deadlines"): frozenset(
        {Scope.DEADLINES_READ, Scope.DEADLINES_UNIT}
    ),
    ("GET", "/v1/deadlines"): frozenset({Scope.DEADLINES_READ, Scope.DEADLINES_UNIT}),
    ("GET", "/v1/calendar/working-days"): frozenset({Scope.CALENDAR_READ}),
    ("GET", "/v1/calendar/add"): frozenset({Scope.CALENDAR_READ}),
    ("POST", "/v1/deadlines/preview"): frozenset({Scope.CALENDAR_READ}),
    ("GET", "/v1/overdue"): frozenset({Scope.DEADLINES_READ, Scope.DEADLINES_UNIT}),
    ("GET", "/v1/calendar/{year}"): frozenset({Scope.CALENDAR_READ}),
    ("GET", "/v1/calendar/{year}/versions"): frozenset({Scope.CALENDAR_READ}),
    ("PUT", "/v1/calendar/{year}"): frozenset({Scope.ROUTING_MANAGE}),
}

# Query parameters each route accepts, so an allowed caller is never stopped by them.
PARAMS: dict[str, dict[str, str]] = {
    "/v1/calendar/working-days": {"from": "2026-12-01", "to": "2026-12-07"},
    "/v1/calendar/add": {"start": "2026-12-04T17:00:00+08:00", "working_hours": "2"},
}

# Bodies of the routes that take one; 2026 is loaded again as seeded, which
# changes nothing and answers 200.
BODIES: dict[str, dict[str, Any]] = {
    "/v1/deadlines/preview": {"start": "2026-12-04T17:00:00+08:00", "kind": "sign_off"},
    "/v1/calendar/{year}": {
        name: [{"date": day.isoformat(), "name": label} for day, label in days.items()]
        for name, days in zip(
            ("holidays", "makeup_workdays"),
            chinese_calendar_schedules()[2026],
            strict=True,
        )
    },
}


@dataclass
class Callers:
    app: FastAPI
    anonymous: httpx.AsyncClient
    by_role: dict[Role, httpx.AsyncClient]
    own_unit: httpx.AsyncClient
    other_unit: httpx.AsyncClient


async def call(client: httpx.AsyncClient, method: str, path: str) -> httpx.Response:
    return await client.request(
        method,
        path.format(work_order_id="wo-1", year=2026),
        params=PARAMS.get(path),
        json=BODIES.get(path) if method != "GET" else None,
    )


@pytest.fixture
async def callers(
    tmp_path: Path,
    api_keys: dict[str, str],
    make_dispatched: Callable[..., WorkOrderDispatched],
) -> AsyncIterator[Callers]:
    """sla on SQLite with clocks on wo-1 (UNIT's) and wo-2 (OTHER_UNIT's)."""
    clock = SharedClock(tmp_path / "clock.json")
    clock.set_now(NOW)
    settings = SlaSettings(
        database_url=f"sqlite:///{tmp_path / 'sla.db'}",
        data_dir=tmp_path,
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        environment="test",
        clock_file=clock.path,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app), AsyncExitStack() as stack:
        handlers = WorkOrderEvents(app.state.context).handlers()
        own = make_dispatched("wo-1", created_at=NOW)
        other = make_dispatched("wo-2", created_at=NOW).model_copy(
            update={"unit_id": "pingshan-water-affairs"}
        )
        runtime = app.state.runtime
        for event in (own, other):
            envelope = seal(event, producer="dispatch", occurred_at=NOW)
            async with runtime.sessions() as session, session.begin():
                await handlers[envelope.type](session, envelope, event)

        transport = httpx.ASGITransport(app=app)

        async def client(key: str | None) -> httpx.AsyncClient:
            headers = {"X-API-Key": key} if key else {}
            made = httpx.AsyncClient(
                transport=transport, base_url="http://sla", headers=headers
            )
            return await stack.enter_async_context(made)

        by_role = {role: await client(api_keys[role.value]) for role in Role}
        yield Callers(
            app=app,
            anonymous=await client(None),
            by_role=by_role,
            own_unit=by_role[Role.UNIT],
            other_unit=await client(api_keys["other-unit"]),
        )


async def test_sla_every_route_is_listed_with_its_scopes(callers: Callers) -> None:
    assert set(web.guarded_routes(callers.app)) == set(ROUTE_SCOPES)


async def test_sla_every_route_refuses_a_caller_without_credentials(
    callers: Callers,
) -> None:
    for method, path in web.guarded_routes(callers.app):
        response = await call(callers.anonymous, method, path)

        assert response.status_code == 401, (method, path)
        assert response.json()["error"]["code"] == "unauthenticated"


async def test_sla_every_route_refuses_roles_without_its_scope(
    callers: Callers,
) -> None:
    refused = 0
    for method, path in web.guarded_routes(callers.app):
        for role, client in callers.by_role.items():
            response = await call(client, method, path)

            if SCOPES[role] & ROUTE_SCOPES[(method, path)]:
                assert response.status_code == 200, (role, method, path)
            else:
                refused += 1
                assert response.status_code == 403, (role, method, path)
                assert response.json()["error"]["code"] == "forbidden"
    # Dashboards and operations reach nothing; leaders and channels the calendar
    # and the preview; only supervisors load a year's holiday schedule.
    assert refused == 2 * 9 + 2 * 4 + 2


async def test_sla_another_units_work_order_reads_as_unknown(
    callers: Callers,
) -> None:
    theirs = await callers.other_unit.get("/v1/work-orders/wo-1/deadlines")
    unknown = await callers.other_unit.get("/v1/work-orders/wo-9/deadlines")
    own = await callers.own_unit.get("/v1/work-orders/wo-1/deadlines")

    assert theirs.status_code == 404
    assert theirs.json()["error"]["code"] == "work_order_not_found"
    assert theirs.text.replace("wo-1", "<id>") == unknown.text.replace("wo-9", "<id>")
    assert "pingshan-urban-management" not in theirs.text
    assert own.status_code == 200
    assert {clock["kind"] for clock in own.json()} == {"sign_off", "handling"}


@pytest.mark.parametrize(
    "params",
    [{}, {"unit_id": "pingshan-urban-management"}, {"status": "pending"}],
)
async def test_sla_deadline_list_shows_a_unit_only_its_own(
    callers: Callers, params: dict[str, Any]
) -> None:
    center = await callers.by_role[Role.SUPERVISOR].get("/v1/deadlines")
    other = await callers.other_unit.get("/v1/deadlines", params=params)

    assert center.json()["total"] == 4
    assert other.status_code == 200
    assert {clock["work_order_id"] for clock in other.json()["items"]} <= {"wo-2"}
    assert "wo-1" not in other.text
    if "unit_id" not in params:
        assert other.json()["total"] == 2


async def test_sla_a_unit_lists_its_own_clocks(callers: Callers) -> None:
    own = await callers.own_unit.get("/v1/deadlines")

    assert own.json()["total"] == 2
    assert {clock["work_order_id"] for clock in own.json()["items"]} == {"wo-1"}
