"""The loopback server tests use to serve an app over real HTTP: an app that
cannot start, or a port that is taken, is an error of the test that started it,
not the end of the whole run's event loop."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from minsheng_common.devstack.loopback import LoopbackServer


def app_that_fails_to_start() -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        raise RuntimeError("the store is unreachable")
        yield

    return FastAPI(lifespan=lifespan)


def app_that_answers() -> FastAPI:
    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict[str, Any]:
        return {"ok": True}

    return app


async def test_loopback_an_app_that_cannot_start_is_an_error_of_its_test() -> None:
    server = LoopbackServer(app_that_fails_to_start, lifespan="on")

    with pytest.raises(RuntimeError, match="failed to start"):
        await server.start()

    assert not server.running


async def test_loopback_a_taken_port_is_an_error_and_a_free_one_serves() -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        blocked = LoopbackServer(app_that_answers, port=taken.getsockname()[1])
        with pytest.raises(RuntimeError, match="failed to start"):
            await blocked.start()
    finally:
        taken.close()

    server = LoopbackServer(app_that_answers)
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url) as client:
            answer = await client.get("/ping")
        assert answer.json() == {"ok": True}
    finally:
        await server.stop()
    assert not server.running
