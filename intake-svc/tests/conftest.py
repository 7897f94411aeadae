"""Intake's app on a fresh store (SQLite file or PostgreSQL database) per test, with
an API key for each kind of caller."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from minsheng_common.auth.provisioning import add_key
from minsheng_common.auth.roles import Role
from minsheng_common.bus.tables import outbox
from minsheng_common.devstack.broker import free_port
from minsheng_common.events import WorkOrderDispatched, seal
from minsheng_common.runtime import ServiceRuntime
from minsheng_intake import consumers
from minsheng_intake.app import create_app
from minsheng_intake.settings import IntakeSettings

# Who calls in these tests: name → (role, unit, channel).
CALLERS: dict[str, tuple[Role, str | None, str | None]] = {
    "operator": (Role.OPERATOR, None, None),
    "supervisor": (Role.SUPERVISOR, None, None),
    "leader": (Role.LEADER, None, None),
    "dashboard": (Role.DASHBOARD, None, None),
    "operations": (Role.OPERATIONS, None, None),
    "hotline": (Role.CHANNEL, None, "hotline-12345"),
    "wechat": (Role.CHANNEL, None, "wechat"),
    "cgj": (Role.UNIT, "cgj", None),
    "jtj": (Role.UNIT, "jtj", None),
}


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Undo what a command's `configure_logging` did to the root logger: its handler
    writes to a stream the test's capture closes."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


ClientFor = Callable[[str | None], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'intake.db'}"
    create_database: Callable[[str], str] = request.getfixturevalue("create_database")
    return create_database("intake")


@pytest.fixture
def settings(store_url: str, tmp_path: Path) -> IntakeSettings:
    # No broker: the relay never connects, so staged events stay in the outbox
    # where the tests can read them.
    return IntakeSettings(
        database_url=store_url,
        data_dir=tmp_path,
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        environment="test",
    )


@pytest.fixture
def keys(settings: IntakeSettings) -> dict[str, str]:
    """A plain API key for each caller of `CALLERS`, written before the app starts."""
    path = settings.credentials_path()
    return {
        name: add_key(path, name=name, role=role, unit_id=unit, channel_id=channel)
        for name, (role, unit, channel) in CALLERS.items()
    }


@pytest.fixture
async def app(settings: IntakeSettings, keys: dict[str, str]) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def client_for(app: FastAPI, keys: dict[str, str]) -> ClientFor:
    """A client calling as one of `CALLERS`, or without credentials (None)."""

    @asynccontextmanager
    async def open_client(caller: str | None) -> AsyncIterator[httpx.AsyncClient]:
        headers = {"X-API-Key": keys[caller]} if caller else {}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://intake", headers=headers
        ) as http:
            yield http

    return open_client


@pytest.fixture
async def client(client_for: ClientFor) -> AsyncIterator[httpx.AsyncClient]:
    """A center operator's client: sees and submits everything."""
    async with client_for("operator") as http:
        yield http


def appeal_body(**overrides: Any) -> dict[str, Any]:
    """A complete appeal from the 12345 hotline, filed as it stands."""
    body: dict[str, Any] = {
        "channel": "hotline-12345",
        "channel_ref": "call-0001",
        "type": "complaint",
        "category_hint": "city-sanitation",
        "title": "垃圾桶满了没人清理",
        "content": "坑梓街道秀新社区某小区门口垃圾桶三天没人清理，气味很大。",
        "contact": {"kind": "phone", "value": "13800012345"},
        "address": "坑梓街道秀新社区秀新路12号",
        "received_at": "2026-12-04T10:00:00+08:00",
    }
    body.update(overrides)
    return body


Submit = Callable[..., Awaitable[dict[str, Any]]]
Dispatch = Callable[[str, str], Awaitable[None]]


@pytest.fixture
def submit(client_for: ClientFor) -> Submit:
    """Submit an appeal as the operator (changes given as keywords); its answer."""

    async def post(**overrides: Any) -> dict[str, Any]:
        async with client_for("operator") as http:
            answer = await http.post("/v1/appeals", json=appeal_body(**overrides))
        assert answer.status_code in (200, 201), answer.text
        body: dict[str, Any] = answer.json()
        return body

    return post


@pytest.fixture
def dispatch(app: FastAPI) -> Dispatch:
    """Deliver work_order.dispatched for an appeal and a unit to intake's handler,
    in one transaction as the consumer loop does."""
    runtime: ServiceRuntime = app.state.runtime

    async def deliver(appeal_id: str, unit_id: str) -> None:
        now = datetime.now(UTC)
        data = WorkOrderDispatched(
            work_order_id=f"wo-{appeal_id[:8]}-{unit_id}",
            appeal_id=appeal_id,
            tracking_code="MS-TEST",
            unit_id=unit_id,
            appeal_type="complaint",
            filed_at=now,
            created_at=now,
            dispatched_at=now,
            route_basis="test",
            rules_edition="test",
        )
        async with runtime.sessions() as session:
            await consumers.on_work_order_dispatched(
                session, seal(data, producer="dispatch", occurred_at=now), data
            )
            await session.commit()

    return deliver


async def staged_events(app: FastAPI) -> list[dict[str, Any]]:
    """Every event intake staged, oldest first (no broker: nothing is published)."""
    runtime: ServiceRuntime = app.state.runtime
    async with runtime.sessions() as session:
        rows = await session.execute(select(outbox.c.payload).order_by(outbox.c.id))
        return [json.loads(row.payload) for row in rows]


@pytest.fixture
def events(app: FastAPI) -> Callable[[], Awaitable[list[dict[str, Any]]]]:
    return lambda: staged_events(app)


@pytest.fixture
def body() -> Callable[..., dict[str, Any]]:
    """The appeal body builder, for tests that post as someone else."""
    return appeal_body
