"""The migration creates exactly the tables the models describe."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from minsheng_analytics.app import MIGRATIONS
from minsheng_analytics.models import Base
from minsheng_common import migrations
from minsheng_common.bus.tables import bus_metadata


def test_analytics_migration_matches_the_models(tmp_path: Path) -> None:
    path = tmp_path / "analytics.db"
    migrations.upgrade(MIGRATIONS, f"sqlite+aiosqlite:///{path}")

    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection)
            differences = compare_metadata(context, [Base.metadata, bus_metadata])
    finally:
        engine.dispose()

    assert differences == []
