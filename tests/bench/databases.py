"""Throwaway PostgreSQL databases for the scale benches: made empty before a run and
dropped after it, on the server TEST_DATABASE_URL names."""

from __future__ import annotations

import os

import asyncpg

ADMIN_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
).replace("postgresql+asyncpg://", "postgresql://")


async def fresh_database(name: str) -> tuple[str, str]:
    """A new, empty database; its asyncpg URL and its SQLAlchemy URL."""
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    return url, url.replace("postgresql://", "postgresql+asyncpg://", 1)


async def drop_database(name: str) -> None:
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()
