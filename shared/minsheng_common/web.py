"""What every service's HTTP side shares: the app factory, health probes, one error
shape for every failure, and the trace id."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException

from minsheng_common.db import is_connection_error
from minsheng_common.errors import MinshengError
from minsheng_common.ids import new_id
from minsheng_common.runtime import ServiceRuntime
from minsheng_common.tracing import current_trace_id

log = logging.getLogger(__name__)

TRACE_HEADER = "X-Trace-Id"


class ErrorBody(BaseModel):
    """Every error answer: a stable code, a sentence for people, the field at fault."""

    code: str
    message: str
    field: str | None = None
    details: list[dict[str, Any]] | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "Not found"},
    409: {"model": ErrorResponse, "description": "Refused in the current state"},
    422: {"model": ErrorResponse, "description": "Invalid input"},
    503: {"model": ErrorResponse, "description": "A dependency is unavailable"},
}


def error_response(
    status: int, code: str, message: str, field: str | None = None, **extra: Any
) -> JSONResponse:
    body = ErrorBody(code=code, message=message, field=field, **extra)
    return JSONResponse(
        status_code=status,
        content={"error": body.model_dump(exclude_none=True)},
    )


def _field_path(location: Sequence[Any]) -> str:
    return ".".join(str(part) for part in location)


async def _on_domain_error(_request: Request, error: Exception) -> Response:
    error = cast(MinshengError, error)
    return error_response(error.status_code, error.code, error.message, error.field)


async def _on_validation_error(_request: Request, error: Exception) -> Response:
    error = cast(RequestValidationError, error)
    problems = [
        {
            "field": _field_path(item["loc"]),
            "message": item["msg"],
            "type": item["type"],
        }
        for item in error.errors()
    ]
    field = str(problems[0]["field"]) if problems else None
    message = f"{field}: {problems[0]['message']}" if problems else "invalid request"
    return error_response(422, "invalid_request", message, field, details=problems)


async def _on_http_error(_request: Request, error: Exception) -> Response:
    error = cast(StarletteHTTPException, error)
    codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}
    code = codes.get(error.status_code, "http_error")
    return error_response(error.status_code, code, str(error.detail))


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
    )
    app.state.runtime = runtime
    app.add_exception_handler(MinshengError, _on_domain_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
    app.middleware("http")(_trace)
    app.include_router(health)
    for router in routers:
        app.include_router(router)
    return app


async def _trace(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    trace_id = request.headers.get(TRACE_HEADER) or new_id()
    token = current_trace_id.set(trace_id)
    try:
        response = await call_next(request)
    finally:
        current_trace_id.reset(token)
    response.headers[TRACE_HEADER] = trace_id
    return response
