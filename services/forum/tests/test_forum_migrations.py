"""The migrations (0001 items, 0002 webhook receipts, 0003 a wider decision, 0004
the polled sources' cursors and a post's address) create exactly the tables the
models describe. PostgreSQL runs them in the delivery tests."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from minsheng_common import migrations
from minsheng_common.bus.tables import bus_metadata
from minsheng_forum.app import MIGRATIONS
from minsheng_forum.models import Base


def differences(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection)
            return list(compare_metadata(context, [Base.metadata, bus_metadata]))
    finally:
        engine.dispose()


def test_forum_migrations_match_the_models(tmp_path: Path) -> None:
    path = tmp_path / "forum.db"
    migrations.upgrade(MIGRATIONS, f"sqlite+aiosqlite:///{path}")

    assert differences(f"sqlite:///{path}") == []
