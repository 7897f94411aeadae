"""The PostgreSQL init script of the one-host deployment, run against the test
server: a role and a database per service, each role kept out of the others'
databases, and a second run harmless."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from urllib.parse import urlsplit

import asyncpg
import pytest

from tests.deploy.support import DEPLOY

SCRIPT = DEPLOY / "postgres" / "init-databases.sh"


@pytest.fixture
def names(postgres_admin_url: str) -> Iterator[list[str]]:
    """Two service names of this test; their databases and roles are dropped
    afterwards."""
    token = secrets.token_hex(3)
    made = [f"ms_test_init_{token}_a", f"ms_test_init_{token}_b"]
    yield made

    async def drop() -> None:
        connection = await asyncpg.connect(postgres_admin_url)
        try:
            for name in made:
                await connection.execute(
                    f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
                )
                await connection.execute(f'DROP ROLE IF EXISTS "{name}"')
        finally:
            await connection.close()

    asyncio.run(drop())


def run_script(
    admin_url: str, passwords: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    server = urlsplit(admin_url)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PGHOST": server.hostname or "127.0.0.1",
        "PGPORT": str(server.port or 5432),
        "PGPASSWORD": server.password or "",
        "POSTGRES_USER": server.username or "postgres",
        "MINSHENG_DATABASES": " ".join(passwords),
        **{
            f"{name.upper()}_DB_PASSWORD": password
            for name, password in passwords.items()
        },
    }
    return subprocess.run(
        ["sh", str(SCRIPT)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def connects(admin_url: str, *, user: str, password: str, database: str) -> bool:
    server = urlsplit(admin_url)
    try:
        connection = await asyncpg.connect(
            host=server.hostname,
            port=server.port or 5432,
            user=user,
            password=password,
            database=database,
            timeout=5,
        )
    except asyncpg.InsufficientPrivilegeError:
        return False
    try:
        await connection.execute("CREATE TABLE owned_here (id integer)")
    finally:
        await connection.close()
    return True


@pytest.mark.skipif(shutil.which("psql") is None, reason="psql is not installed")
def test_each_service_gets_its_own_role_and_database(
    postgres_admin_url: str, names: list[str]
) -> None:
    first, second = names
    passwords = {first: "it's-" + secrets.token_hex(8), second: secrets.token_hex(8)}

    answer = run_script(postgres_admin_url, passwords)
    assert answer.returncode == 0, answer.stderr
    again = run_script(postgres_admin_url, passwords)
    assert again.returncode == 0, again.stderr

    async def check() -> None:
        own = await connects(
            postgres_admin_url, user=first, password=passwords[first], database=first
        )
        other = await connects(
            postgres_admin_url, user=first, password=passwords[first], database=second
        )
        assert (own, other) == (True, False)

    asyncio.run(check())


def test_a_missing_password_stops_the_script(
    postgres_admin_url: str, names: list[str]
) -> None:
    answer = run_script(postgres_admin_url, {names[0]: ""})

    assert answer.returncode != 0
    assert f"{names[0].upper()}_DB_PASSWORD is not set" in answer.stderr
