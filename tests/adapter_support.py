"""What the channel adapters' tests share: intake itself over real HTTP on loopback,
keys for every role, the adapter running with clients, a store of either kind, a
picture host on loopback, and the check that migrations build what the models
describe.

An adapter's conftest imports the fixtures below (`poll`, `intake`, `anonymous`,
`client`, `keys`, `app`, as `<name>_fixture`) and defines `base_url`, `settings`,
`channel` (whose keys `role_keys` writes) and `app_factory` for them; one that runs
its adapter otherwise defines its own `keys` and `app`.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi import FastAPI, Response
from sqlalchemy import MetaData, create_engine, select

from minsheng_common import db, migrations
from minsheng_common.auth import provisioning
from minsheng_common.auth.roles import Role
from minsheng_common.devstack.broker import free_port
from minsheng_common.devstack.loopback import LoopbackServer, wait_for
from minsheng_common.settings import ServiceSettings
from minsheng_intake.app import create_app
from minsheng_intake.models import Appeal
from minsheng_intake.settings import IntakeSettings


class LoopbackIntake:
    """Intake on a free port, not yet listening: `start()` when needed. Its own
    SQLite store under `folder` is kept when it is stopped and started again, as a
    restarted process keeps its database; no broker listens, so it stages its
    events in its outbox and serves."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.settings = IntakeSettings(
            database_url=f"sqlite:///{folder / 'intake.db'}",
            data_dir=folder,
            kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
            environment="test",
        )
        self.server = LoopbackServer(lambda: create_app(self.settings), lifespan="on")

    @property
    def url(self) -> str:
        return self.server.url

    def channel_key(self, channel: str) -> str:
        """A new key of the channel's system, which intake reads within a second."""
        return provisioning.add_key(
            self.settings.credentials_path(),
            name=f"{channel} (test)",
            role=Role.CHANNEL,
            channel_id=channel,
        )

    async def start(self) -> None:
        await self.server.start()

    async def stop(self) -> None:
        await self.server.stop()

    async def appeals(self, channel_prefix: str = "") -> list[Appeal]:
        """The appeals intake stored, oldest first, read from its store (running or
        not)."""
        engine = db.make_engine(self.settings.store_url())
        try:
            async with db.make_sessions(engine)() as session:
                rows = await session.scalars(
                    select(Appeal)
                    .where(Appeal.channel.startswith(channel_prefix))
                    .order_by(Appeal.received_at, Appeal.channel_ref)
                )
                return list(rows)
        finally:
            await engine.dispose()


def role_keys(path: Path, *, channel: str) -> dict[str, str]:
    """A key for every role in the credentials file at `path` (the unit's of cgj,
    the channel's of `channel`)."""
    return {
        role.value: provisioning.add_key(
            path,
            name=f"{role.value} (test)",
            role=role,
            unit_id="cgj" if role is Role.UNIT else None,
            channel_id=channel if role is Role.CHANNEL else None,
        )
        for role in Role
    }


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[FastAPI]:
    """`app` started (its store migrated, its loops running) until the block ends."""
    async with app.router.lifespan_context(app):
        yield app


@asynccontextmanager
async def client_of(
    app: FastAPI, base_url: str, key: str | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of `app`, with an API key or without credentials."""
    headers = {"X-API-Key": key} if key else {}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=base_url, headers=headers
    ) as http:
        yield http


def sqlite_or_postgresql(
    request: pytest.FixtureRequest, tmp_path: Path, name: str
) -> str:
    """The store of a test parametrised over ["sqlite", "postgresql"]."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / name}.db"
    create_database: Callable[[str], str] = request.getfixturevalue("create_database")
    return create_database(name)


def schema_drift(
    script_location: str, metadata: Sequence[MetaData], path: Path
) -> list[object]:
    """What differs between the models and a store the migrations built at `path`."""
    migrations.upgrade(script_location, f"sqlite+aiosqlite:///{path}")
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection)
            return list(compare_metadata(context, list(metadata)))
    finally:
        engine.dispose()


def delivery_settings(
    store_url: str, folder: Path, intake: LoopbackIntake
) -> dict[str, Any]:
    """An adapter's settings for a test: its own store and folder, no broker (it
    needs none to take items in and deliver them), intake on loopback, and a
    delivery that retries within a tenth of a second."""
    return {
        "database_url": store_url,
        "data_dir": folder,
        "kafka_bootstrap_servers": f"127.0.0.1:{free_port()}",
        "environment": "test",
        "intake_url": intake.url,
        "intake_timeout_seconds": 5.0,
        "retry_base_seconds": 0.02,
        "retry_cap_seconds": 0.1,
        "delivery_poll_seconds": 0.02,
    }


def png(red: int, green: int = 0, blue: int = 0, *, side: int = 4) -> bytes:
    """A real PNG picture of one colour, as a camera's snapshot or a citizen's
    photo."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes((red, green, blue)) * side
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * side))
        + chunk(b"IEND", b"")
    )


@dataclass
class PictureServer:
    """A channel's picture host on loopback: serves what `pictures` holds under
    `/<prefix>/<name>` as PNG, 404 for the rest, and lists every name asked for."""

    prefix: str
    pictures: dict[str, bytes] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    server: LoopbackServer = field(init=False)

    def __post_init__(self) -> None:
        self.server = LoopbackServer(self.app)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get(f"/{self.prefix}/{{name}}")
        async def picture(name: str) -> Response:
            self.requests.append(name)
            if name not in self.pictures:
                return Response(status_code=404)
            return Response(self.pictures[name], media_type="image/png")

        return app

    def url(self, name: str) -> str:
        return f"{self.server.url}/{self.prefix}/{name}"

    def serve(self, name: str, content: bytes) -> str:
        """Serve `content` as `name`; its URL."""
        self.pictures[name] = content
        return self.url(name)


@asynccontextmanager
async def serving_pictures(prefix: str) -> AsyncIterator[PictureServer]:
    """A picture host listening until the block ends."""
    host = PictureServer(prefix)
    await host.server.start()
    try:
        yield host
    finally:
        await host.server.stop()


@pytest.fixture(name="poll")
def poll_fixture() -> Callable[..., Awaitable[None]]:
    return wait_for


@pytest.fixture(name="intake")
async def intake_fixture(tmp_path: Path) -> AsyncIterator[LoopbackIntake]:
    """Intake on a free port, not yet listening: start it when needed."""
    server = LoopbackIntake(tmp_path / "intake")
    yield server
    await server.stop()


@pytest.fixture(name="anonymous")
async def anonymous_fixture(
    app: FastAPI, base_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    """A client without credentials (the channel pushing, or a stranger)."""
    async with client_of(app, base_url) as http:
        yield http


@pytest.fixture(name="client")
async def client_fixture(
    app: FastAPI, base_url: str, keys: dict[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    """A center operator's client."""
    async with client_of(app, base_url, keys["operator"]) as http:
        yield http


@pytest.fixture(name="keys")
def keys_fixture(settings: ServiceSettings, channel: str) -> dict[str, str]:
    """A key for every role in the credentials file the adapter reads."""
    return role_keys(settings.credentials_path(), channel=channel)


@pytest.fixture(name="app")
async def app_fixture(
    settings: ServiceSettings,
    keys: dict[str, str],
    app_factory: Callable[[Any], FastAPI],
) -> AsyncIterator[FastAPI]:
    """The adapter running on its settings, its keys written before it starts."""
    async with running(app_factory(settings)) as application:
        yield application
