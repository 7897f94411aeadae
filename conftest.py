"""Fixtures every test suite of the repository shares: the broker and PostgreSQL.

PostgreSQL comes from `TEST_DATABASE_URL`, else the server on 127.0.0.1:5432. Without
one the tests that need it are skipped, except under `CI=true`, where that is a
failure. The broker is the embedded one, started once per test session, unless
`KAFKA_BOOTSTRAP_SERVERS` names another.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import pytest

from minsheng_common.devstack.broker import EmbeddedBroker

REPO = Path(__file__).resolve().parent


def _admin_url() -> str:
    url = os.environ.get(
        "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _execute(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _reachable(url: str) -> bool:
    try:
        asyncio.run(_execute(url, "SELECT 1"))
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    return True


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    url = _admin_url()
    if not _reachable(url):
        message = f"PostgreSQL is not reachable at {url}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.fixture(scope="session")
def create_database(postgres_admin_url: str) -> Iterator[Callable[[str], str]]:
    """A factory of fresh, empty PostgreSQL databases, dropped after the session.

    Returns the asyncpg SQLAlchemy URL of the new database.
    """
    created: list[str] = []
    base = postgres_admin_url.rsplit("/", 1)[0]

    def create(label: str) -> str:
        name = f"ms_test_{label}_{secrets.token_hex(4)}"
        asyncio.run(_execute(postgres_admin_url, f'CREATE DATABASE "{name}"'))
        created.append(name)
        return f"postgresql+asyncpg://{base.split('://', 1)[1]}/{name}"

    yield create
    for name in created:
        asyncio.run(
            _execute(
                postgres_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
            )
        )


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The bootstrap address of a running Kafka-protocol broker."""
    given = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if given:
        yield given
        return
    log_file = tmp_path_factory.mktemp("broker") / "broker.log"
    with EmbeddedBroker(log_file=log_file) as embedded:
        yield embedded.bootstrap_servers


@pytest.fixture
def topic_prefix() -> str:
    """A prefix that gives one test its own topics on the shared broker."""
    return f"t{secrets.token_hex(4)}."
