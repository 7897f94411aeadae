"""What every service's HTTP side shares: the app factory, health probes, one error
shape for every failure, and the trace id."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException
from swagger_ui_bundle import swagger_ui_path

from minsheng_common import metrics
from minsheng_common.auth import api as auth_api
from minsheng_common.auth.api import AuthContext
from minsheng_common.db import is_connection_error
from minsheng_common.errors import MinshengError
from minsheng_common.ids import new_id
from minsheng_common.limits import BodySizeLimit
from minsheng_common.runtime import ServiceRuntime
from minsheng_common.tracing import current_trace_id

log = logging.getLogger(__name__)

TRACE_HEADER = "X-Trace-Id"
# A caller's trace id is kept only if it is short and plain, so it cannot smuggle
# anything into logs or headers.
_TRACE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class ErrorBody(BaseModel):
    """Every error answer: a stable code, a sentence for people, the field at fault."""

    code: str
    message: str
    field: str | None = None
    details: list[dict[str, Any]] | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "The body cannot be read"},
    401: {"model": ErrorResponse, "description": "No valid credentials"},
    403: {"model": ErrorResponse, "description": "The caller lacks the scope"},
    404: {"model": ErrorResponse, "description": "Not found"},
    409: {"model": ErrorResponse, "description": "Refused in the current state"},
    413: {"model": ErrorResponse, "description": "The body is too large"},
    422: {"model": ErrorResponse, "description": "Invalid input"},
    429: {"model": ErrorResponse, "description": "Too many requests; see Retry-After"},
    503: {"model": ErrorResponse, "description": "A dependency is unavailable"},
}


def error_response(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = ErrorBody(code=code, message=message, field=field, **extra)
    return JSONResponse(
        status_code=status,
        content={"error": body.model_dump(exclude_none=True)},
        headers=headers,
    )


def _field_path(location: Sequence[Any]) -> str:
    return ".".join(str(part) for part in location)


async def _on_domain_error(_request: Request, error: Exception) -> Response:
    error = cast(MinshengError, error)
    return error_response(
        error.status_code, error.code, error.message, error.field, headers=error.headers
    )


_MAX_PROBLEMS = 20
_NOT_AN_OBJECT = frozenset({"dict_type", "model_attributes_type", "model_type"})


def _problem(item: dict[str, Any]) -> dict[str, Any]:
    """One validation problem, worded for the person who sent the request."""
    field = _field_path(item["loc"])
    message = item["msg"]
    if item["type"] == "json_invalid":
        field = "body"
        reason = item.get("ctx", {}).get("error", "")
        message = f"the body is not valid JSON ({reason})"
    elif tuple(item["loc"]) == ("body",) and item["type"] in _NOT_AN_OBJECT:
        message = "the body must be a JSON object (Content-Type: application/json)"
    return {"field": field, "message": message, "type": item["type"]}


async def _on_validation_error(_request: Request, error: Exception) -> Response:
    error = cast(RequestValidationError, error)
    # At most a screenful: a body with thousands of bad fields gets the first ones.
    problems = [_problem(item) for item in error.errors()[:_MAX_PROBLEMS]]
    field = str(problems[0]["field"]) if problems else None
    message = f"{field}: {problems[0]['message']}" if problems else "invalid request"
    return error_response(422, "invalid_request", message, field, details=problems)


async def _on_http_error(_request: Request, error: Exception) -> Response:
    error = cast(StarletteHTTPException, error)
    codes = {
        400: "invalid_body",
        401: "unauthorized",
        404: "not_found",
        405: "method_not_allowed",
    }
    code = codes.get(error.status_code, "http_error")
    return error_response(error.status_code, code, str(error.detail))


# What a 64-bit integer column holds; an integer beyond it in a query or a path is
# the usual cause of a store's range error.
_INT64 = range(-(2**63), 2**63)
_INTEGER = re.compile(r"[+-]?[0-9]{1,4000}")


def _oversized_parameter(request: Request) -> str | None:
    """The query or path parameter holding an integer no 64-bit column holds, as
    validation names fields (query.offset), or None."""
    places = (
        ("path", list(request.path_params.items())),
        ("query", request.query_params.multi_items()),
    )
    for place, items in places:
        for name, value in items:
            text = str(value).strip()
            if _INTEGER.fullmatch(text) and int(text) not in _INT64:
                return f"{place}.{name}"
    return None


async def _on_out_of_range(request: Request, error: Exception) -> Response:
    # A value the schema accepted but no calculation or column can hold, such as
    # the year 1 or an offset past 2^63: the input is at fault, not the service.
    # A store's error is not repeated: it holds the statement and its parameters.
    reason = "the store cannot hold it" if isinstance(error, DBAPIError) else error
    return error_response(
        422,
        "out_of_range",
        f"a value is out of range: {reason}",
        _oversized_parameter(request),
    )


def _caused_by_overflow(error: BaseException) -> bool:
    """Whether an integer too large for the store is behind `error`: a driver that
    cannot encode it (asyncpg raises OverflowError) wrapped by SQLAlchemy."""
    pending: list[BaseException] = [error]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OverflowError):
            return True
        for cause in (getattr(current, "orig", None), current.__cause__):
            if isinstance(cause, BaseException):
                pending.append(cause)
    return False


async def _on_store_error(request: Request, error: Exception) -> Response:
    if _caused_by_overflow(error):
        return await _on_out_of_range(request, error)
    # Any other store error goes on to the handler of unexpected errors, as it did
    # before this handler caught it.
    raise error


async def _on_unexpected(_request: Request, error: Exception) -> Response:
    if is_connection_error(error):
        log.error("store unavailable while serving a request: %r", error)
        return error_response(503, "unavailable", "the store is unavailable; try again")
    log.exception("unexpected error while serving a request")
    return error_response(500, "internal_error", "an unexpected error occurred")


async def _store_session(request: Request) -> AsyncIterator[AsyncSession]:
    runtime: ServiceRuntime = request.app.state.runtime
    async with runtime.sessions() as session:
        yield session


StoreSession = Annotated[AsyncSession, Depends(_store_session)]
"""A session on the service's own store, for one request."""


OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/docs", "/openapi.json"})
"""Paths anyone may call: liveness, readiness, the metrics (counters with fixed
labels, no personal data) and the API documents."""


def served_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every HTTP route the app serves, through included routers
    (which FastAPI keeps as one entry each)."""
    found: list[tuple[str, str]] = []
    for route in iter_route_contexts(app.routes):
        if route.path is not None and route.methods:
            found.extend((method, route.path) for method in sorted(route.methods))
    return found


def guarded_routes(app: FastAPI) -> list[tuple[str, str]]:
    """The routes that must ask for credentials: all but the open paths and the
    sign-in routes under /v1/auth."""
    return [
        (method, path)
        for method, path in served_routes(app)
        if path not in OPEN_PATHS and not path.startswith("/v1/auth/")
    ]


health = APIRouter(tags=["operations"])


@health.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@health.get("/readyz", summary="Readiness: the store and the broker are reachable")
async def readyz(request: Request) -> JSONResponse:
    runtime: ServiceRuntime = request.app.state.runtime
    checks = await runtime.readiness()
    ready = all(checks.values())
    return JSONResponse(
        status_code=200 if ready else 503,
        content={"status": "ready" if ready else "not_ready", "checks": checks},
    )


@health.get(
    "/metrics",
    summary="Counters and gauges for Prometheus (text format)",
    response_class=PlainTextResponse,
)
async def metrics_text(request: Request) -> Response:
    """Requests by route template, events by topic, outbox backlog, consumer lag
    and the service's own counters. Labels are fixed vocabularies (route templates,
    topics, event types, channels), never ids or what a citizen wrote, so the
    endpoint is open like the probes; keep it off the public ingress all the same."""
    runtime: ServiceRuntime = request.app.state.runtime
    await runtime.sample_metrics()
    return Response(runtime.metrics.exposition(), media_type=metrics.CONTENT_TYPE)


def create_app(
    *,
    title: str,
    description: str,
    runtime: ServiceRuntime,
    routers: Sequence[APIRouter],
    version: str = "0.1.0",
    on_start: Callable[[ServiceRuntime], Awaitable[None]] | None = None,
) -> FastAPI:
    """A service's FastAPI app whose lifespan starts and stops `runtime`; `on_start`
    runs after migrations and before any consumer starts."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await runtime.start(prepare=on_start)
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.prepare = on_start
    app.state.auth = AuthContext.from_settings(runtime.settings)
    _document_json_errors(app)
    _serve_docs_offline(app, title)
    app.add_exception_handler(MinshengError, _on_domain_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(OverflowError, _on_out_of_range)
    app.add_exception_handler(DataError, _on_out_of_range)
    app.add_exception_handler(DBAPIError, _on_store_error)
    app.add_exception_handler(Exception, _on_unexpected)
    app.middleware("http")(_trace)
    app.add_middleware(BodySizeLimit, max_bytes=runtime.settings.max_request_bytes)
    # Outermost, so a request refused by any layer below is counted and timed too.
    app.add_middleware(metrics.RequestMetrics, metrics=runtime.metrics)
    app.include_router(health)
    app.include_router(auth_api.router)
    for router in routers:
        app.include_router(router)
    return app


def _document_json_errors(app: FastAPI) -> None:
    """Say in the OpenAPI document that errors are JSON on every route, pages too:
    FastAPI files a page's error responses under text/html only, though the error
    handlers answer JSON."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        reference = {"$ref": "#/components/schemas/ErrorResponse"}
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                for response in operation.get("responses", {}).values():
                    content = response.get("content", {})
                    if any(
                        body.get("schema") == reference for body in content.values()
                    ):
                        content.setdefault("application/json", {"schema": reference})
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _serve_docs_offline(app: FastAPI, title: str) -> None:
    """Serve the interactive API docs with their own assets: the district's network
    often has no way out to a CDN."""
    app.mount(
        "/docs-assets", StaticFiles(directory=swagger_ui_path), name="docs-assets"
    )

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{title} API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
        )


async def _trace(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    given = request.headers.get(TRACE_HEADER, "")
    trace_id = given if _TRACE_ID.fullmatch(given) else new_id()
    token = current_trace_id.set(trace_id)
    try:
        response = await call_next(request)
    finally:
        current_trace_id.reset(token)
    response.headers[TRACE_HEADER] = trace_id
    return response
