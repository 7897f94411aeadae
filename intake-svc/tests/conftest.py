"""Intake's app on a fresh store (SQLite file or PostgreSQL database) per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from minsheng_common.devstack.broker import free_port
from minsheng_intake.app import create_app
from minsheng_intake.settings import IntakeSettings


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
async def app(settings: IntakeSettings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        yield http
