"""The access log of intake served by uvicorn as `serve` runs it never writes the
last four digits a citizen gives to read their appeal's status: with the tracking
code they open it to anyone who reads the log. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from minsheng_common.devstack.broker import free_port
from minsheng_common.logs import configure_logging

Submit = Callable[..., Awaitable[dict[str, Any]]]


async def test_the_access_log_drops_last4_from_the_status_read(
    app: FastAPI, submit: Submit, capsys: pytest.CaptureFixture[str]
) -> None:
    appeal = await submit(contact={"kind": "phone", "value": "13912345678"})
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging(service="intake")
    port = free_port()
    # As `serve` runs it: uvicorn's loggers go to ours (log_config=None).
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_config=None, lifespan="off"
        )
    )
    serving = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            # uvicorn's server says it started by a flag, not an event.
            while not server.started:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            answer = await http.get(
                f"/v1/appeals/{appeal['tracking_code']}/status",
                params={"last4": "5678"},
            )
    finally:
        server.should_exit = True
        await serving
        # The handler writes to the capture, which closes before the app stops.
        root.handlers[:] = handlers
        root.setLevel(level)

    assert answer.status_code == 200, answer.text
    logged = capsys.readouterr().err
    access = [line for line in logged.splitlines() if "uvicorn.access" in line]
    assert len(access) == 1, logged
    assert f"/v1/appeals/{appeal['tracking_code']}/status?last4=*** " in access[0]
    assert "5678" not in logged
