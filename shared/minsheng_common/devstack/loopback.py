"""An ASGI app served over real HTTP on loopback inside the running event loop, that
can be stopped and started again on the same port: a channel's server or intake as
an adapter sees it, in tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import uvicorn

from minsheng_common.devstack.broker import free_port

App = Any
"""An ASGI application (FastAPI, Starlette or a bare callable)."""

START_LIMIT = 60.0
"""Seconds a server may take to start listening before its start is an error."""


async def wait_for(
    condition: Callable[[], bool | Awaitable[bool]], *, within: float = 30.0
) -> None:
    """Poll `condition` until it holds; AssertionError after `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        outcome = condition()
        if not isinstance(outcome, bool):
            outcome = await outcome
        if outcome:
            return
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(0.02)


class LoopbackServer:
    """`factory()`'s app on 127.0.0.1:`port`; each start builds the app anew, so a
    service with a lifespan starts from its store as a restarted process would."""

    def __init__(
        self,
        factory: Callable[[], App],
        *,
        port: int | None = None,
        lifespan: Literal["on", "off"] = "off",
    ) -> None:
        self.factory = factory
        self.port = port or free_port()
        self.lifespan = lifespan
        self.app: App | None = None
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    async def start(self) -> None:
        self.app = self.factory()
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan=self.lifespan,
        )
        server = uvicorn.Server(config)
        self._server = server
        task = asyncio.create_task(self._serve(server))
        self._task = task

        # A hang guard, not a speed check: a service's start-up (migrations, its
        # first loops) may take a while on a busy machine.
        await wait_for(lambda: server.started or task.done(), within=START_LIMIT)
        if not server.started:
            self._server = None
            self._task = None
            await task
            raise RuntimeError(f"the server on port {self.port} stopped while starting")

    async def _serve(self, server: uvicorn.Server) -> None:
        # uvicorn exits the process when its app or its socket fails to start; in a
        # task that would stop the whole event loop, so it is turned into an error.
        try:
            await server.serve()
        except SystemExit as exit_:
            raise RuntimeError(
                f"the server on port {self.port} failed to start (exit {exit_.code})"
            ) from None

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._server = None
        self._task = None
