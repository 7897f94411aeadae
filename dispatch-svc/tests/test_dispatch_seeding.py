"""Seeding a new store from the reference data: once, even when two processes start
on the same SQLite file together."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, select

from minsheng_common import db, migrations
from minsheng_common.reference import load_reference
from minsheng_common.rules import load_rule_book
from minsheng_dispatch import routing, seeding
from minsheng_dispatch.app import MIGRATIONS
from minsheng_dispatch.models import Category, RoutingRule, Unit


async def test_two_processes_seeding_one_sqlite_file_seed_it_once(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    await asyncio.to_thread(migrations.upgrade, MIGRATIONS, url)
    engines = [db.make_engine(url) for _ in range(2)]
    reference = load_reference()
    valid_from = seeding.seeded_valid_from(load_rule_book())
    try:
        results = await asyncio.gather(
            *(
                seeding.seed(db.make_sessions(engine), reference, valid_from=valid_from)
                for engine in engines
            )
        )
        async with db.make_sessions(engines[0])() as session:
            counts = [
                await session.scalar(select(func.count()).select_from(table))
                for table in (Unit, Category, RoutingRule)
            ]
    finally:
        for engine in engines:
            await engine.dispose()

    assert sorted(results) == [False, True]
    assert counts == [
        len(reference.units),
        len(reference.categories),
        len(seeding.routing_rules(reference, valid_from=valid_from)),
    ]


def test_seeded_rules_name_their_origin_and_never_end() -> None:
    reference = load_reference()

    rules = seeding.routing_rules(
        reference, valid_from=seeding.seeded_valid_from(load_rule_book())
    )

    assert all(rule.created_by == "reference-data" for rule in rules)
    assert all(rule.valid_to is None for rule in rules)
    assert {(r.category_id, r.keyword, r.unit_id) for r in rules if r.keyword} == {
        (category.id, keyword, unit_id)
        for category in reference.categories
        for keyword, unit_id in category.examples.items()
    }


def test_every_seeded_category_is_certain_in_every_subdistrict_art_12() -> None:
    """An appeal of a known place is dispatched automatically whatever its category;
    only an unknown place leaves it to an operator."""
    reference = load_reference()
    valid_from = seeding.seeded_valid_from(load_rule_book())
    rules = [
        routing.Rule(
            id=number,
            category_id=row.category_id,
            unit_id=row.unit_id,
            valid_from=row.valid_from,
            subdistrict_id=row.subdistrict_id,
            keyword=row.keyword,
            kind=seeding.seeded_kind(reference, row),
        )
        for number, row in enumerate(
            seeding.routing_rules(reference, valid_from=valid_from), start=1
        )
    ]

    def route(category_id: str, subdistrict_id: str | None) -> routing.Route:
        return routing.pick_unit(
            rules=rules,
            category_id=category_id,
            subdistrict_id=subdistrict_id,
            text="",
            at=valid_from,
            subdistrict_units={s.id for s in reference.subdistricts},
            fallback_unit="center",
        )

    for category in reference.categories:
        territorial = category.territorial or category.default_unit is None
        for subdistrict in reference.subdistricts:
            placed = route(category.id, subdistrict.id)
            expected = subdistrict.id if territorial else category.default_unit
            assert (placed.unit_id, placed.certain) == (expected, True), category.id
        assert not route(category.id, None).certain, category.id
