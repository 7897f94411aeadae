"""The outbox and inbox tables every service keeps in its own store."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.engine import Connection

from minsheng_common.db import UTCDateTime

bus_metadata = MetaData()

# Events waiting to be published, and published ones kept for re-publishing.
outbox = Table(
    "outbox",
    bus_metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("event_type", String(100), nullable=False),
    Column("topic", String(200), nullable=False),
    Column("key", String(200), nullable=False),
    Column("payload", Text, nullable=False),
    Column("trace_id", String(64)),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("published_at", UTCDateTime()),
    Index("ix_outbox_published_at_id", "published_at", "id"),
    Index("ix_outbox_created_at", "created_at"),
)

# Ids of events this service has applied; the guard against applying one twice.
inbox = Table(
    "inbox",
    bus_metadata,
    Column("event_id", String(36), primary_key=True),
    Column("event_type", String(100), nullable=False),
    Column("topic", String(200), nullable=False),
    Column("partition", Integer, nullable=False),
    Column("offset", BigInteger, nullable=False),
    Column("applied_at", UTCDateTime(), nullable=False, index=True),
)


def create_bus_tables(connection: Connection) -> None:
    """Create the outbox and inbox; called from each service's first migration."""
    bus_metadata.create_all(connection)


def drop_bus_tables(connection: Connection) -> None:
    bus_metadata.drop_all(connection)
