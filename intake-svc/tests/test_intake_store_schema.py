"""The whole store as the migrations build it (every head merged: filing, triage,
sameness, knowledge) matches the models of every module, on SQLite and
PostgreSQL."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import FastAPI
from sqlalchemy import MetaData

from minsheng_common.bus.tables import bus_metadata
from minsheng_common.migrations import alembic_config
from minsheng_common.runtime import ServiceRuntime
from minsheng_intake.app import MIGRATIONS
from minsheng_intake.tables import all_tables


def test_the_migrations_build_on_every_earlier_revision() -> None:
    """Features may branch from the same revision (the store upgrades every head);
    none leaves an earlier revision as a head of its own."""
    script = ScriptDirectory.from_config(alembic_config(MIGRATIONS, "sqlite://"))

    revisions = [revision.revision for revision in script.walk_revisions()]
    newest = max(revision[:4] for revision in revisions)

    heads = script.get_heads()

    assert heads
    assert {head[:4] for head in heads} == {newest}


def test_every_module_with_tables_is_in_the_metadata() -> None:
    tables = set(all_tables().tables)

    assert {
        "appeals",
        "appeal_triage",
        "appeal_handling",
        "event_clusters",
        "appeal_clusters",
        "knowledge_entries",
        "knowledge_entry_versions",
        "instant_answers",
        "appeal_merges",
        "cluster_warnings",
        "unit_closures",
        "reply_template_requests",
    } <= tables


async def test_the_migrated_store_matches_the_models(app: FastAPI) -> None:
    runtime: ServiceRuntime = app.state.runtime
    wanted = MetaData()
    for metadata in (all_tables(), bus_metadata):
        for table in metadata.tables.values():
            table.to_metadata(wanted)

    def differences(sync: Any) -> list[Any]:
        context = MigrationContext.configure(sync, opts={"compare_type": False})
        found = compare_metadata(context, wanted)
        return [
            change
            for change in found
            # Alembic keeps its own bookkeeping table.
            if not (
                isinstance(change, tuple)
                and change[0] == "remove_table"
                and change[1].name == "alembic_version"
            )
        ]

    async with runtime.engine.connect() as connection:
        found = await connection.run_sync(differences)

    assert found == [], found
