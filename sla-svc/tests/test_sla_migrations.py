"""The migrations create exactly the tables the models describe."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from minsheng_common import migrations
from minsheng_common.bus.tables import bus_metadata
from minsheng_sla.app import MIGRATIONS
from minsheng_sla.models import Base


def test_sla_migrations_match_the_models(tmp_path: Path) -> None:
    path = tmp_path / "sla.db"
    migrations.upgrade(MIGRATIONS, f"sqlite+aiosqlite:///{path}")

    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection)
            differences = compare_metadata(context, [Base.metadata, bus_metadata])
    finally:
        engine.dispose()

    assert differences == []
