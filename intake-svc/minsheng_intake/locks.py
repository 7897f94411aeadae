"""Serialising decisions that read before they write: two transactions that would
each find nothing and each insert take turns instead."""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession


async def one_person_at_a_time(session: AsyncSession, contact_hash: str) -> None:
    """Hold the same person's submissions one transaction at a time until the
    caller's transaction ends, so the repeat check (Art. 11(3)5) of each sees the
    appeals of the others. Call it before the first read the decision rests on."""
    await _until_transaction_ends(session, f"minsheng-intake-person:{contact_hash}")


async def _until_transaction_ends(session: AsyncSession, name: str) -> None:
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
        key = int.from_bytes(digest, "big", signed=True)
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": key}
        )
    elif connection.dialect.name == "sqlite":
        await _write_lock_now(connection)


async def _write_lock_now(connection: AsyncConnection) -> None:
    """SQLite writes one transaction at a time, but the driver opens a transaction
    only at the first write, after the reads it rests on: open it with the write
    lock (waiting for the busy timeout) instead. A transaction that has written
    already holds the lock."""
    driver = (await connection.get_raw_connection()).driver_connection
    if driver is not None and driver.in_transaction:
        return
    await connection.exec_driver_sql("BEGIN IMMEDIATE")
