"""What every service's HTTP side shares: error shape, limits, docs, health."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel
from pydantic_settings import SettingsConfigDict
from sqlalchemy import literal, select

from minsheng_common import web
from minsheng_common.devstack.broker import free_port
from minsheng_common.errors import Conflict
from minsheng_common.runtime import ServiceRuntime
from minsheng_common.settings import ServiceSettings


class DemoSettings(ServiceSettings):
    service_name: ClassVar[str] = "demo"
    model_config = SettingsConfigDict(env_prefix="DEMO_", extra="ignore")


class Note(BaseModel):
    text: str
    at: datetime | None = None


router = APIRouter()


@router.post("/notes")
async def add_note(note: Note) -> dict[str, str]:
    return {"text": note.text}


@router.get("/days-before-year-one/{days}")
async def before_year_one(days: int) -> dict[str, str]:
    return {"day": (datetime(1, 1, 1, tzinfo=UTC) - timedelta(days=days)).isoformat()}


@router.post("/conflict")
async def conflict() -> None:
    raise Conflict("the order is already signed", field="status")


@router.get("/rows")
async def rows(session: web.StoreSession, offset: int = 0) -> dict[str, int]:
    """A page of a query whose offset the store itself must hold."""
    found = await session.scalars(select(literal(1)).offset(offset))
    return {"rows": len(list(found))}


@contextlib.asynccontextmanager
async def _demo_client(
    tmp_path: Path, database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    settings = DemoSettings(
        database_url=database_url,
        data_dir=tmp_path,
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        max_request_bytes=4096,
    )
    app: FastAPI = web.create_app(
        title="Demo",
        description="demo",
        runtime=ServiceRuntime(settings=settings),
        routers=[router],
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://demo"
        ) as http:
            yield http


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with _demo_client(tmp_path, f"sqlite:///{tmp_path / 'demo.db'}") as http:
        yield http


async def test_a_domain_error_has_status_code_message_and_field(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post("/conflict")

    assert answer.status_code == 409
    assert answer.json() == {
        "error": {
            "code": "conflict",
            "message": "the order is already signed",
            "field": "status",
        }
    }


async def test_a_missing_field_is_named(client: httpx.AsyncClient) -> None:
    answer = await client.post("/notes", json={})

    error = answer.json()["error"]
    assert answer.status_code == 422
    assert (error["code"], error["field"]) == ("invalid_request", "body.text")


async def test_a_body_that_is_not_json_names_the_body(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post(
        "/notes", content=b'{"text":', headers={"content-type": "application/json"}
    )

    error = answer.json()["error"]
    assert answer.status_code == 422
    assert error["field"] == "body"
    assert "not valid JSON" in error["message"]


async def test_a_plain_text_body_is_told_to_send_a_json_object(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post(
        "/notes", content=b"hello", headers={"content-type": "text/plain"}
    )

    assert answer.status_code == 422
    assert "JSON object" in answer.json()["error"]["message"]


async def test_a_declared_body_over_the_limit_is_refused_with_413(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post("/notes", json={"text": "很" * 5000})

    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "payload_too_large"


async def test_a_streamed_body_over_the_limit_is_refused_with_413(
    client: httpx.AsyncClient,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"text": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    answer = await client.post(
        "/notes", content=chunks(), headers={"content-type": "application/json"}
    )

    assert answer.status_code == 413


async def test_an_out_of_range_value_is_the_callers_error_not_a_500(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/days-before-year-one/1")

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "out_of_range"
    # Nothing the caller sent is too large for a column: no field to blame.
    assert "field" not in answer.json()["error"]


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    # A plain fixture: the database factory runs its own event loop.
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'rows.db'}"
    create_database: Callable[[str], str] = request.getfixturevalue("create_database")
    return create_database("web")


async def test_an_integer_no_store_column_holds_is_a_422_naming_the_parameter(
    store_url: str, tmp_path: Path
) -> None:
    """An offset past 2^63 reaches the store, whose driver cannot send it
    (PostgreSQL's wraps an OverflowError in a DBAPIError): the caller's error, and
    the field is the parameter that held it."""
    async with _demo_client(tmp_path, store_url) as http:
        fine = await http.get("/rows", params={"offset": "0"})
        huge = await http.get("/rows", params={"offset": str(2**63)})

    assert fine.json() == {"rows": 1}
    assert huge.status_code == 422, huge.text
    error = huge.json()["error"]
    assert (error["code"], error["field"]) == ("out_of_range", "query.offset")
    assert "SELECT" not in error["message"]


async def test_unknown_routes_answer_in_the_same_shape(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/nowhere")

    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"


async def test_docs_are_served_with_their_own_assets(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    script = await client.get("/docs-assets/swagger-ui-bundle.js")

    assert page.status_code == 200
    assert "/docs-assets/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.split("<body>")[1].lower()
    assert script.status_code == 200 and len(script.content) > 100_000


async def test_a_plain_trace_id_is_echoed_and_a_hostile_one_replaced(
    client: httpx.AsyncClient,
) -> None:
    plain = await client.get("/healthz", headers={"X-Trace-Id": "abc-123"})
    hostile = await client.get("/healthz", headers={"X-Trace-Id": "x\r\ny" * 40})

    assert plain.headers["X-Trace-Id"] == "abc-123"
    assert hostile.headers["X-Trace-Id"] != "x\r\ny" * 40


async def test_readiness_reports_a_missing_broker(client: httpx.AsyncClient) -> None:
    answer = await client.get("/readyz")

    assert answer.status_code == 503
    assert answer.json()["checks"] == {"store": True, "broker": False}


async def test_guarded_routes_reach_into_included_routers(
    client: httpx.AsyncClient,
) -> None:
    app = client._transport.app  # type: ignore[attr-defined]

    served = set(web.served_routes(app))
    guarded = set(web.guarded_routes(app))

    assert {
        ("POST", "/notes"),
        ("GET", "/healthz"),
        ("POST", "/v1/auth/token"),
    } <= served
    assert ("POST", "/notes") in guarded
    assert not {("GET", "/healthz"), ("POST", "/v1/auth/token")} & guarded
