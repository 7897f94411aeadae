"""Who may call dispatch: every route needs credentials and a scope, and a unit
reaches only its own unit's orders (Art. 41): another unit's order answers exactly
as a missing one, and lists leave it out."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from minsheng_common import web
from minsheng_common.auth.provisioning import add_key
from minsheng_common.auth.roles import SCOPES, Role, Scope
from minsheng_common.clock import SharedClock
from minsheng_common.devstack.broker import free_port
from minsheng_common.events import AppealFiled, Envelope, EventData
from minsheng_dispatch import admin
from minsheng_dispatch.app import create_app
from minsheng_dispatch.consumers import DispatchHandlers
from minsheng_dispatch.settings import DispatchSettings

NOW = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)

# The scopes each route accepts (any one of them). Checked against the app's own
# routes, so a route added without an entry here fails the first test.
ROUTE_SCOPES: dict[tuple[str, str], frozenset[Scope]] = {
    ("GET", "/v1/units/{unit_id}/work-orders"): frozenset(
        {Scope.WORK_ORDERS_READ, Scope.WORK_ORDERS_UNIT}
    ),
    ("GET", "/v1/work-orders"): frozenset(
        {Scope.WORK_ORDERS_READ, Scope.WORK_ORDERS_UNIT}
    ),
    ("GET", "/v1/work-orders/{work_order_id}"): frozenset(
        {Scope.WORK_ORDERS_READ, Scope.WORK_ORDERS_UNIT}
    ),
    ("GET", "/v1/work-orders/{work_order_id}/actions"): frozenset(
        {Scope.WORK_ORDERS_READ, Scope.WORK_ORDERS_UNIT}
    ),
    ("POST", "/v1/work-orders/{work_order_id}/sign"): frozenset(
        {Scope.WORK_ORDERS_UNIT}
    ),
    ("POST", "/v1/work-orders/{work_order_id}/acceptance-notice"): frozenset(
        {Scope.WORK_ORDERS_UNIT}
    ),
    # The life after signing: the unit asks, the center decides.
    **{
        ("POST", f"/v1/work-orders/{{work_order_id}}/{step}"): frozenset(
            {Scope.WORK_ORDERS_UNIT}
        )
        for step in ("return", "progress", "extension", "handling-notice", "closure")
    },
    **{
        ("POST", f"/v1/work-orders/{{work_order_id}}/{step}"): frozenset(
            {Scope.WORK_ORDERS_OPERATE}
        )
        for step in (
            "return/approve",
            "return/refuse",
            "extension/approve",
            "extension/refuse",
            "closure/approve",
            "closure/reject",
            "staged-check",
            "reopen",
        )
    },
    # Special dispatch (Art. 18-22): the center merges, splits and sends in
    # parallel; a candidate confirms, a cooperating unit gives its opinion.
    **{
        ("POST", f"/v1/work-orders/{{work_order_id}}/{step}"): frozenset(
            {Scope.WORK_ORDERS_OPERATE}
        )
        for step in ("merge", "split", "parallel", "opinion/waive")
    },
    **{
        ("POST", f"/v1/work-orders/{{work_order_id}}/{step}"): frozenset(
            {Scope.WORK_ORDERS_UNIT}
        )
        for step in ("confirm", "opinion")
    },
    ("GET", "/v1/merge-suggestions"): frozenset({Scope.WORK_ORDERS_READ}),
    ("GET", "/v1/work-orders/{work_order_id}/parallel-group"): frozenset(
        {Scope.WORK_ORDERS_READ, Scope.WORK_ORDERS_UNIT}
    ),
    ("POST", "/v1/attachments"): frozenset(
        {Scope.WORK_ORDERS_UNIT, Scope.WORK_ORDERS_OPERATE}
    ),
    ("GET", "/v1/attachments/{attachment_id}"): frozenset(
        {Scope.WORK_ORDERS_READ, Scope.WORK_ORDERS_UNIT}
    ),
    # Ownership disputes (Art. 24): center operators record every level's steps.
    ("POST", "/v1/work-orders/{work_order_id}/disputes"): frozenset(
        {Scope.WORK_ORDERS_OPERATE}
    ),
    ("POST", "/v1/disputes/{dispute_id}/escalate"): frozenset(
        {Scope.WORK_ORDERS_OPERATE}
    ),
    ("POST", "/v1/disputes/{dispute_id}/decide"): frozenset(
        {Scope.WORK_ORDERS_OPERATE}
    ),
    ("GET", "/v1/disputes"): frozenset({Scope.WORK_ORDERS_READ}),
    ("GET", "/v1/disputes/{dispute_id}"): frozenset({Scope.WORK_ORDERS_READ}),
}
"""Every route but the routing administration's, which its own tests list
(test_dispatch_admin_api.py)."""

# A body each POST route accepts, so an allowed caller is never stopped by its body.
BODIES: dict[str, dict[str, Any]] = {
    "/v1/work-orders/{work_order_id}/sign": {"signed_by": "王科员"},
    "/v1/work-orders/{work_order_id}/acceptance-notice": {
        "requested_by": "王科员",
        "accepted": True,
        "message": "已受理",
    },
}


def admin_routes() -> set[tuple[str, str]]:
    """The routes of the routing administration's router."""
    alone = FastAPI()
    alone.include_router(admin.router)
    return set(web.served_routes(alone)) - set(web.served_routes(FastAPI()))


def guarded(app: FastAPI) -> list[tuple[str, str]]:
    """The guarded routes this file checks: all but the administration's."""
    return [route for route in web.guarded_routes(app) if route not in admin_routes()]


@dataclass
class Callers:
    """The running app, one client per kind of caller, and the order of unit cgj."""

    app: FastAPI
    anonymous: httpx.AsyncClient
    by_role: dict[Role, httpx.AsyncClient]
    cgj: httpx.AsyncClient
    swj: httpx.AsyncClient
    order_id: str


def concrete(path: str, order_id: str) -> str:
    return path.format(
        work_order_id=order_id,
        unit_id="cgj",
        attachment_id="0" * 64,
        dispute_id="no-such-dispute",
    )


async def call(
    client: httpx.AsyncClient, method: str, path: str, order_id: str
) -> httpx.Response:
    return await client.request(method, concrete(path, order_id), json=BODIES.get(path))


def filed(**changes: Any) -> AppealFiled:
    values: dict[str, Any] = {
        "appeal_id": "appeal-1",
        "tracking_code": "MS20260309000001",
        "channel": "hotline-12345",
        "appeal_type": "complaint",
        "category_id": "municipal-facilities",
        "subdistrict_id": "kengzi-jd",
        "title": "路灯不亮",
        "content": "坑梓街道秀新社区某路段路灯不亮，夜间出行不便。",
        "received_at": NOW,
        "filed_at": NOW,
        "contact_kind": "phone",
        "contact_encrypted": "gAAAA-not-readable-here",
    }
    values.update(changes)
    return AppealFiled(**values)


def sewage() -> AppealFiled:
    """An appeal that goes to swj (区水务局) by its keyword 污水."""
    return filed(
        appeal_id="appeal-2",
        category_id="environment-water",
        title="污水外溢",
        content="坑梓街道某小区污水外溢。",
    )


@pytest.fixture
async def callers(
    tmp_path: Path, wrap: Callable[[EventData], Envelope]
) -> AsyncIterator[Callers]:
    clock_file = tmp_path / "clock.json"
    SharedClock(clock_file).set_now(NOW)
    settings = DispatchSettings(
        database_url=f"sqlite:///{tmp_path / 'dispatch.db'}",
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        data_dir=tmp_path,
        clock_file=clock_file,
    )
    # Every key exists before the app reads the credentials file.
    path = settings.credentials_path()
    keys: dict[Role | str, str] = {}
    for role in Role:
        keys[role] = add_key(
            path,
            name=f"{role.value} key",
            role=role,
            unit_id="cgj" if role is Role.UNIT else None,
            channel_id="wechat" if role is Role.CHANNEL else None,
        )
    keys["swj"] = add_key(path, name="swj key", role=Role.UNIT, unit_id="swj")

    app = create_app(settings)
    async with app.router.lifespan_context(app), AsyncExitStack() as stack:
        transport = httpx.ASGITransport(app=app)

        async def client(key: str | None) -> httpx.AsyncClient:
            headers = {"X-API-Key": key} if key else {}
            made = httpx.AsyncClient(
                transport=transport, base_url="http://dispatch", headers=headers
            )
            return await stack.enter_async_context(made)

        handlers = DispatchHandlers(app.state.context)
        async with app.state.runtime.sessions() as session, session.begin():
            for appeal in (filed(), sewage()):
                await handlers.on_appeal_filed(session, wrap(appeal), appeal)
        by_role = {role: await client(keys[role]) for role in Role}
        listed = await by_role[Role.OPERATOR].get(
            "/v1/work-orders", params={"appeal_id": "appeal-1"}
        )
        (order,) = listed.json()["items"]
        assert order["unit_id"] == "cgj"
        yield Callers(
            app=app,
            anonymous=await client(None),
            by_role=by_role,
            cgj=by_role[Role.UNIT],
            swj=await client(keys["swj"]),
            order_id=order["id"],
        )


def without_id(response: httpx.Response, order_id: str) -> str:
    """The answer with the order id the caller typed taken out."""
    return response.text.replace(order_id, "<id>")


async def test_dispatch_every_route_is_listed_with_its_scopes(
    callers: Callers,
) -> None:
    assert set(guarded(callers.app)) == set(ROUTE_SCOPES)


async def test_dispatch_every_route_refuses_a_caller_without_credentials(
    callers: Callers,
) -> None:
    for method, path in guarded(callers.app):
        response = await call(callers.anonymous, method, path, callers.order_id)

        assert response.status_code == 401, (method, path)
        assert response.json()["error"]["code"] == "unauthenticated"


async def test_dispatch_every_route_refuses_a_bad_key(callers: Callers) -> None:
    forged = {"X-API-Key": "ms_000000000000_not-a-real-secret"}
    for method, path in guarded(callers.app):
        response = await callers.anonymous.request(
            method,
            concrete(path, callers.order_id),
            json=BODIES.get(path),
            headers=forged,
        )

        assert response.status_code == 401, (method, path)


async def test_dispatch_every_route_refuses_roles_without_its_scope(
    callers: Callers,
) -> None:
    refused = 0
    for method, path in guarded(callers.app):
        for role, client in callers.by_role.items():
            response = await call(client, method, path, callers.order_id)

            if SCOPES[role] & ROUTE_SCOPES[(method, path)]:
                assert response.status_code not in (401, 403), (role, method, path)
            else:
                refused += 1
                assert response.status_code == 403, (role, method, path)
                assert response.json()["error"]["code"] == "forbidden"
    # Leaders, dashboards, operations and channels reach nothing here.
    assert refused >= 4 * len(ROUTE_SCOPES)


async def test_dispatch_center_operations_cannot_sign(callers: Callers) -> None:
    for role in (Role.OPERATOR, Role.SUPERVISOR):
        response = await callers.by_role[role].post(
            f"/v1/work-orders/{callers.order_id}/sign", json={"signed_by": "王科员"}
        )

        assert response.status_code == 403, role


@pytest.mark.parametrize(
    "path",
    [
        "/v1/work-orders/{work_order_id}",
        "/v1/work-orders/{work_order_id}/actions",
    ],
)
async def test_dispatch_another_units_order_reads_as_missing(
    callers: Callers, path: str
) -> None:
    theirs = await callers.swj.get(path.format(work_order_id=callers.order_id))
    missing = await callers.swj.get(path.format(work_order_id="no-such-order"))
    own = await callers.cgj.get(path.format(work_order_id=callers.order_id))

    assert theirs.status_code == 404
    assert theirs.json()["error"]["code"] == "work_order_not_found"
    assert without_id(theirs, callers.order_id) == without_id(missing, "no-such-order")
    assert "cgj" not in theirs.text
    assert own.status_code == 200


@pytest.mark.parametrize(
    ("path", "body"),
    [(path, body) for path, body in BODIES.items()],
)
async def test_dispatch_another_unit_cannot_act_on_an_order(
    callers: Callers, path: str, body: dict[str, Any]
) -> None:
    theirs = await callers.swj.post(
        path.format(work_order_id=callers.order_id), json=body
    )
    missing = await callers.swj.post(
        path.format(work_order_id="no-such-order"), json=body
    )

    assert theirs.status_code == 404
    assert without_id(theirs, callers.order_id) == without_id(missing, "no-such-order")
    order = await callers.by_role[Role.OPERATOR].get(
        f"/v1/work-orders/{callers.order_id}"
    )
    assert order.json()["status"] == "dispatched"


async def test_dispatch_another_units_list_reads_as_an_unknown_unit(
    callers: Callers,
) -> None:
    theirs = await callers.swj.get("/v1/units/cgj/work-orders")
    unknown = await callers.swj.get("/v1/units/nobody/work-orders")
    own = await callers.cgj.get("/v1/units/cgj/work-orders")
    center = await callers.by_role[Role.SUPERVISOR].get("/v1/units/cgj/work-orders")

    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json()["error"]["code"] == "unit_not_found"
    assert theirs.text.replace("cgj", "<unit>") == unknown.text.replace(
        "nobody", "<unit>"
    )
    assert own.status_code == center.status_code == 200
    assert [o["id"] for o in own.json()["items"]] == [callers.order_id]


async def test_dispatch_order_list_shows_a_unit_only_its_own(
    callers: Callers,
) -> None:
    center = await callers.by_role[Role.OPERATOR].get("/v1/work-orders")
    cgj = await callers.cgj.get("/v1/work-orders")
    swj = await callers.swj.get("/v1/work-orders")
    asked = await callers.swj.get("/v1/work-orders", params={"appeal_id": "appeal-1"})

    assert center.json()["total"] == 2
    assert {o["unit_id"] for o in cgj.json()["items"]} == {"cgj"}
    assert [o["id"] for o in cgj.json()["items"]] == [callers.order_id]
    assert cgj.json()["total"] == 1
    assert {o["unit_id"] for o in swj.json()["items"]} == {"swj"}
    assert callers.order_id not in swj.text
    assert asked.json() == {"items": [], "total": 0}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/work-orders/{work_order_id}/sign", {"signed_by": "王", "unit_id": "cgj"}),
        (
            "/v1/work-orders/{work_order_id}/acceptance-notice",
            {
                "unit_id": "cgj",
                "requested_by": "王",
                "accepted": True,
                "message": "已受理",
            },
        ),
    ],
)
async def test_dispatch_a_body_naming_the_unit_is_refused(
    callers: Callers, path: str, body: dict[str, Any]
) -> None:
    response = await callers.cgj.post(
        path.format(work_order_id=callers.order_id), json=body
    )

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "body.unit_id"
    order = await callers.cgj.get(f"/v1/work-orders/{callers.order_id}")
    assert order.json()["status"] == "dispatched"


async def test_dispatch_sign_is_audited_under_the_callers_label(
    callers: Callers,
) -> None:
    signed = await callers.cgj.post(
        f"/v1/work-orders/{callers.order_id}/sign", json={"signed_by": "王科员"}
    )
    actions = await callers.cgj.get(f"/v1/work-orders/{callers.order_id}/actions")

    assert signed.json()["signed_by"] == "王科员"
    sign = actions.json()[-1]
    assert sign["action"] == "signed"
    assert sign["actor"].startswith("unit:") and sign["actor"].endswith("@cgj")
    assert sign["detail"]["signed_by"] == "王科员"


async def test_dispatch_no_answer_can_carry_a_citizens_contact(
    callers: Callers,
) -> None:
    document = (await callers.anonymous.get("/openapi.json")).json()

    # A registered project names its person in charge and a public contact
    # (Art. 43): not a citizen's; every other schema carries none.
    properties = {
        name
        for title, schema in document["components"]["schemas"].items()
        if not title.startswith("Project")
        for name in schema.get("properties", {})
    }
    assert not {p for p in properties if "contact" in p or "phone" in p}
    assert "name_encrypted" not in properties
    order = await callers.cgj.get(f"/v1/work-orders/{callers.order_id}")
    assert "gAAAA" not in order.text
