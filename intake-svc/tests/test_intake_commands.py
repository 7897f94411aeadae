"""The service commands an operator runs: migrate, and republish after a broker lost
its data."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, update

from minsheng_common.bus.tables import outbox
from minsheng_common.db import make_engine
from minsheng_common.settings import async_url
from minsheng_intake.__main__ import main


def count_unpublished(url: str) -> int:
    async def count() -> int:
        engine = make_engine(url)
        try:
            async with engine.connect() as connection:
                query = select(func.count()).where(outbox.c.published_at.is_(None))
                return int((await connection.execute(query)).scalar_one())
        finally:
            await engine.dispose()

    return asyncio.run(count())


def add_published_events(url: str, created: list[str]) -> None:
    async def add() -> None:
        engine = make_engine(url)
        try:
            async with engine.begin() as connection:
                for number, moment in enumerate(created):
                    at = datetime.fromisoformat(moment)
                    await connection.execute(
                        insert(outbox).values(
                            event_id=f"event-{number}",
                            event_type="appeal.received",
                            topic="appeals",
                            key="appeal",
                            payload="{}",
                            created_at=at,
                        )
                    )
                await connection.execute(update(outbox).values(published_at=at))
        finally:
            await engine.dispose()

    asyncio.run(add())


def test_migrate_then_republish_marks_events_since_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'intake.db'}"
    monkeypatch.setenv("INTAKE_DATABASE_URL", url)
    monkeypatch.setenv("MINSHENG_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("sys.argv", ["minsheng-intake", "migrate"])
    main()
    add_published_events(
        async_url(url),
        [
            "2026-12-04T07:00:00+08:00",
            "2026-12-04T09:00:00+08:00",
            "2026-12-04T10:00:00+08:00",
        ],
    )

    monkeypatch.setattr(
        "sys.argv", ["minsheng-intake", "republish", "--since", "2026-12-04T08:00"]
    )
    main()

    assert "2 events marked for publishing again" in capsys.readouterr().out
    assert count_unpublished(async_url(url)) == 2
