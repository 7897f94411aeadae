"""Who may read notify's notices: every route needs credentials and a scope, and a
unit sees only the notices of its own work orders (Art. 41): another unit's notice
answers exactly as a missing one, and lists leave it out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from minsheng_common import web
from minsheng_common.auth.provisioning import add_key
from minsheng_common.auth.roles import SCOPES, Role, Scope
from minsheng_common.devstack.broker import free_port
from minsheng_common.events import AcceptanceNoticeRequested, read, seal
from minsheng_notify.app import create_app
from minsheng_notify.consumers import NotifyConsumers
from minsheng_notify.official_models import MorningReport
from minsheng_notify.sending import CONTEXT_KEY
from minsheng_notify.settings import NotifySettings

NOW = datetime(2026, 12, 4, 1, 30, tzinfo=UTC)

READERS = frozenset({Scope.NOTICES_READ, Scope.NOTICES_UNIT})
OPERATORS = frozenset({Scope.WORK_ORDERS_OPERATE})
# The scopes each route accepts (any one of them); checked against the app's own
# routes, so a route added without an entry here fails the first test.
ROUTE_SCOPES: dict[tuple[str, str], frozenset[Scope]] = {
    ("GET", "/v1/notices"): READERS,
    ("GET", "/v1/notices/{notice_id}"): READERS,
    ("GET", "/v1/evidence"): READERS,
    ("GET", "/v1/evidence/export"): READERS,
    ("POST", "/v1/notices/{notice_id}/call-record"): OPERATORS,
    ("POST", "/v1/reminder-letters"): OPERATORS,
    ("GET", "/v1/morning-reports/{report_date}"): frozenset(
        {Scope.NOTICES_READ, Scope.ANALYTICS_READ}
    ),
    ("GET", "/v1/templates"): READERS,
    ("POST", "/v1/templates/{kind}/preview"): READERS,
    ("GET", "/v1/reopen-candidates"): frozenset({Scope.WORK_ORDERS_READ}),
}
# Routes a provider calls with a signature instead of a key (Art. 36 receipts).
SIGNED = {("POST", "/v1/receipts/{provider}"), ("POST", "/v1/surveys/replies")}
# The citizen's return-visit link: its token is the credential, no account
# (test_notify_official_api.py).
OPEN = {("GET", "/v1/surveys/{token}"), ("POST", "/v1/surveys/{token}")}
REPORT_DATE = date(2000, 1, 3)
RECEIPT_SECRET = "sms-receipt-secret-sms-receipt-secret"
# A valid body for each route that takes one, so only the credentials decide.
BODIES: dict[str, Any] = {
    "/v1/notices/{notice_id}/call-record": {
        "called_by": "王坐席",
        "called_at": "2026-12-04T01:00:00Z",
        "outcome": "no_answer",
        "duration_seconds": 0,
    },
    "/v1/reminder-letters": {
        "unit_id": "cgj",
        "work_order_ids": ["wo-1"],
        "text": "请抓紧办理。",
    },
    "/v1/templates/{kind}/preview": {},
}


@dataclass
class Callers:
    app: FastAPI
    anonymous: httpx.AsyncClient
    by_role: dict[Role, httpx.AsyncClient]
    cgj: httpx.AsyncClient
    swj: httpx.AsyncClient
    notice_id: str


def request(
    appeal_id: str, work_order_id: str, unit_id: str
) -> AcceptanceNoticeRequested:
    return AcceptanceNoticeRequested(
        request_id=f"req-{appeal_id}",
        work_order_id=work_order_id,
        appeal_id=appeal_id,
        unit_id=unit_id,
        tracking_code="MS20261204000777",
        accepted=True,
        message="已受理",
        requested_at=NOW,
        requested_by="clerk-2",
    )


def morning_report(report_date: date) -> MorningReport:
    """A morning report kept as if sent on `report_date`."""
    return MorningReport(
        report_date=report_date,
        covers=report_date - timedelta(days=1),
        compiled_at=NOW,
        level_1_count=0,
        warning_count=0,
        overdue_count=0,
        body="【民生诉求每日早报】",
        content='{"covers": "", "level_1": [], "warnings": [], "overdue": []}',
    )


@pytest.fixture
async def callers(tmp_path: Path) -> AsyncIterator[Callers]:
    """notify with a notice of unit cgj (a-1, wo-1) and one of swj (a-2, wo-2)."""
    settings = NotifySettings(
        environment="test",
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'notify.db'}",
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        receipt_secrets={"sms": RECEIPT_SECRET},
        sms_reply_secrets="sms-reply-secret-sms-reply-secret",
    )
    # Every key exists before the app reads the credentials file.
    path = settings.credentials_path()
    keys = {
        role: add_key(
            path,
            name=f"{role.value} key",
            role=role,
            unit_id="cgj" if role is Role.UNIT else None,
            channel_id="wechat" if role is Role.CHANNEL else None,
        )
        for role in Role
    }
    swj_key = add_key(path, name="swj key", role=Role.UNIT, unit_id="swj")

    app = create_app(settings)
    async with app.router.lifespan_context(app), AsyncExitStack() as stack:
        runtime = app.state.runtime
        consumers = NotifyConsumers(runtime.extras[CONTEXT_KEY])
        for event in (request("a-1", "wo-1", "cgj"), request("a-2", "wo-2", "swj")):
            envelope = seal(event, producer="dispatch", occurred_at=NOW)
            async with runtime.sessions() as session, session.begin():
                await consumers.on_acceptance_notice_requested(
                    session, envelope, read(envelope)
                )
        async with runtime.sessions() as session, session.begin():
            session.add(morning_report(REPORT_DATE))
        transport = httpx.ASGITransport(app=app)

        async def client(key: str | None) -> httpx.AsyncClient:
            headers = {"X-API-Key": key} if key else {}
            made = httpx.AsyncClient(
                transport=transport, base_url="http://notify", headers=headers
            )
            return await stack.enter_async_context(made)

        by_role = {role: await client(keys[role]) for role in Role}
        listed = await by_role[Role.OPERATOR].get(
            "/v1/notices", params={"appeal_id": "a-1"}
        )
        (notice,) = listed.json()["items"]
        yield Callers(
            app=app,
            anonymous=await client(None),
            by_role=by_role,
            cgj=by_role[Role.UNIT],
            swj=await client(swj_key),
            notice_id=notice["id"],
        )


async def call(
    client: httpx.AsyncClient, method: str, path: str, notice_id: str
) -> httpx.Response:
    return await client.request(
        method,
        path.format(
            notice_id=notice_id,
            provider="sms",
            report_date=REPORT_DATE.isoformat(),
            kind="urging",
        ),
        params={"appeal_id": "a-1", "work_order_id": "wo-1"},
        json=BODIES.get(path),
    )


async def test_notify_every_route_is_listed_with_its_scopes(
    callers: Callers,
) -> None:
    assert set(web.guarded_routes(callers.app)) == set(ROUTE_SCOPES) | SIGNED | OPEN


async def test_notify_every_route_refuses_a_caller_without_credentials(
    callers: Callers,
) -> None:
    for method, path in set(web.guarded_routes(callers.app)) - OPEN:
        response = await call(callers.anonymous, method, path, callers.notice_id)

        assert response.status_code == 401, (method, path)
        expected = "bad_signature" if (method, path) in SIGNED else "unauthenticated"
        assert response.json()["error"]["code"] == expected


async def test_notify_every_route_refuses_roles_without_its_scope(
    callers: Callers,
) -> None:
    refused = 0
    checked = set(web.guarded_routes(callers.app)) - SIGNED - OPEN
    for method, path in checked:
        for role, client in callers.by_role.items():
            response = await call(client, method, path, callers.notice_id)

            if SCOPES[role] & ROUTE_SCOPES[(method, path)]:
                assert response.status_code in (200, 201), (role, method, path)
            else:
                refused += 1
                assert response.status_code == 403, (role, method, path)
                assert response.json()["error"]["code"] == "forbidden"
    # Channels, leaders, dashboards and operations read no notice; a unit records
    # no call either (the center does, Art. 36); leaders and dashboards read the
    # morning report.
    assert refused == sum(
        1
        for route in checked
        for role in Role
        if not SCOPES[role] & ROUTE_SCOPES[route]
    )
    assert refused >= 4 * len(checked)


@pytest.mark.parametrize("role", list(Role))
async def test_notify_a_key_never_replaces_the_receipt_signature(
    callers: Callers, role: Role
) -> None:
    response = await callers.by_role[role].post(
        "/v1/receipts/sms",
        json={"receipts": [{"message_id": "m-1", "status": "delivered"}]},
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_signature"


async def test_notify_another_units_notice_reads_as_missing(
    callers: Callers,
) -> None:
    theirs = await callers.swj.get(f"/v1/notices/{callers.notice_id}")
    missing = await callers.swj.get("/v1/notices/no-such-notice")
    own = await callers.cgj.get(f"/v1/notices/{callers.notice_id}")

    assert theirs.status_code == 404
    assert theirs.json()["error"]["code"] == "notice_not_found"
    assert theirs.text.replace(callers.notice_id, "<id>") == missing.text.replace(
        "no-such-notice", "<id>"
    )
    assert "cgj" not in theirs.text
    assert own.status_code == 200
    assert own.json()["unit_id"] == "cgj"


@pytest.mark.parametrize("params", [{"appeal_id": "a-1"}, {"work_order_id": "wo-1"}])
async def test_notify_notice_list_shows_a_unit_only_its_own(
    callers: Callers, params: dict[str, str]
) -> None:
    center = await callers.by_role[Role.SUPERVISOR].get("/v1/notices", params=params)
    own = await callers.cgj.get("/v1/notices", params=params)
    other = await callers.swj.get("/v1/notices", params=params)

    assert [n["id"] for n in center.json()["items"]] == [callers.notice_id]
    assert [n["id"] for n in own.json()["items"]] == [callers.notice_id]
    assert other.status_code == 200
    assert other.json() == {"items": []}


async def test_notify_a_unit_lists_its_own_notices(callers: Callers) -> None:
    answer = await callers.swj.get("/v1/notices", params={"appeal_id": "a-2"})

    assert [n["unit_id"] for n in answer.json()["items"]] == ["swj"]
