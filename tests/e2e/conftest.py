"""The suite as real processes: every service against the broker and a store."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from minsheng_common.devstack.broker import free_port
from minsheng_common.devstack.stack import Stack
from tests.e2e.support import start_stack


@pytest.fixture(scope="module")
def postgres_stack(
    broker: str,
    create_database: Callable[[str], str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    """Every service a real process, each with its own PostgreSQL database."""
    names = ("intake", "dispatch", "sla", "notify", "analytics", "forum")
    urls = {name: create_database(name) for name in names}
    stack = start_stack(
        data_dir=tmp_path_factory.mktemp("pg-stack"),
        bootstrap=broker,
        topic_prefix=f"e2e{free_port()}.",
        database_urls=urls,
    )
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def sqlite_stack(
    broker: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """The embedded default: every service with a SQLite store under the data folder."""
    stack = start_stack(
        data_dir=tmp_path_factory.mktemp("sqlite-stack"),
        bootstrap=broker,
        topic_prefix=f"smoke{free_port()}.",
    )
    yield stack
    stack.stop()
