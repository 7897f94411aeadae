"""Inserting a row unless its key is taken already, in the store's own dialect:
kept files are named by their content, so the same content arriving twice keeps
one row."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_ignoring_conflict(
    session: AsyncSession, model: type[Any], values: dict[str, Any]
) -> None:
    """INSERT … ON CONFLICT DO NOTHING on PostgreSQL or SQLite."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(insert(model).values(**values).on_conflict_do_nothing())
