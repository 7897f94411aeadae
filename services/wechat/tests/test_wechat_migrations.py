"""The migration creates exactly the tables the models describe (the queue's columns
come from the shared library)."""

from __future__ import annotations

from pathlib import Path

from minsheng_common.bus.tables import bus_metadata
from minsheng_wechat.app import MIGRATIONS
from minsheng_wechat.models import Base
from tests.adapter_support import schema_drift


def test_wechat_migrations_match_the_models(tmp_path: Path) -> None:
    drift = schema_drift(
        MIGRATIONS, [Base.metadata, bus_metadata], tmp_path / "wechat.db"
    )

    assert drift == []
