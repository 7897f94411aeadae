"""The inbox: which events this service has applied, so none is applied twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.base import Executable

from minsheng_common.bus.tables import inbox
from minsheng_common.events import Envelope


async def claim(
    session: AsyncSession,
    envelope: Envelope,
    *,
    topic: str,
    partition: int,
    offset: int,
    applied_at: datetime,
) -> bool:
    """Record the event as applied in the caller's transaction; False if it was already.

    `ON CONFLICT DO NOTHING` makes a concurrent claim of the same id (two consumers
    during a rebalance) wait for the first transaction and then see the conflict,
    instead of failing the whole transaction.
    """
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    values = {
        "event_id": envelope.event_id,
        "event_type": envelope.type,
        "topic": topic,
        "partition": partition,
        "offset": offset,
        "applied_at": applied_at,
    }
    statement: Executable
    if dialect == "postgresql":
        statement = postgresql.insert(inbox).values(**values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite.insert(inbox).values(**values).on_conflict_do_nothing()
    else:
        statement = insert(inbox).values(**values)
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]
