"""Alembic, driven from code: each service keeps its revisions in its own package and
upgrades its own store before it starts serving."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

log = logging.getLogger(__name__)

# Replicas of one service may start together; on PostgreSQL only one migrates at a
# time (the others wait, then find nothing to do).
_MIGRATION_LOCK_KEY = 0x4D53_4D49_4752


def alembic_config(script_location: str, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", script_location)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(script_location: str, url: str, revision: str = "heads") -> None:
    """Upgrade the store at `url` to `revision` (blocking; call from a thread).

    "heads" takes every branch: features developed side by side each add a revision
    on the same parent until a merge revision joins them.
    """
    command.upgrade(alembic_config(script_location, url), revision)


async def upgrade_async(script_location: str, url: str) -> None:
    """Upgrade to head without blocking the event loop."""
    await asyncio.to_thread(upgrade, script_location, url)
    log.info("store migrated to head (%s)", script_location)


def run_env(target_metadata: MetaData | Sequence[MetaData]) -> None:
    """The body of every service's `env.py`: run migrations online, async engine."""
    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("sqlalchemy.url is not set for the migration")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(url, target_metadata))


async def _run_online(url: str, target_metadata: MetaData | Sequence[MetaData]) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_migrate, target_metadata)
            await connection.commit()
    finally:
        await engine.dispose()


def _migrate(
    connection: Connection, target_metadata: MetaData | Sequence[MetaData]
) -> None:
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        connection.execute(
            text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
        )
    try:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    finally:
        if postgres:
            connection.execute(
                text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATION_LOCK_KEY}
            )
