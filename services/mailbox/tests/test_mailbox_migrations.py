"""The migration creates exactly the tables the models describe (the queue's columns
come from the shared library)."""

from __future__ import annotations

from pathlib import Path

from minsheng_common.bus.tables import bus_metadata
from minsheng_mailbox.app import MIGRATIONS
from minsheng_mailbox.models import Base
from tests.adapter_support import schema_drift


def test_mailbox_migrations_match_the_models(tmp_path: Path) -> None:
    drift = schema_drift(
        MIGRATIONS, [Base.metadata, bus_metadata], tmp_path / "mailbox.db"
    )

    assert drift == []
