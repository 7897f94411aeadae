"""Seeding a new store from the reference data: units, categories and the routing
table. Runs at every start and does nothing once the store holds units.

Every category is seeded for each subdistrict of the district: a territorial one (or
one without a unit) to the subdistrict office, any other to its unit. An appeal of a
known place is then routed by a rule for its place, which is certain, and dispatched
automatically (Art. 12). The district-wide default unit only catches appeals whose
place is unknown, which an operator confirms from the dispatch queue: for a
territorial category it is seeded as a fallback rule (Art. 21), for any other it is
the category's default. Every other seeded rule is a standard one.
"""

from __future__ import annotations

import logging
from datetime import datetime, time

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common.reference import Category as ReferenceCategory
from minsheng_common.reference import ReferenceData
from minsheng_common.rules import RuleBook
from minsheng_common.timeutil import SHANGHAI, as_utc
from minsheng_dispatch.admin.models import RoutingRuleDetail
from minsheng_dispatch.models import Category, RoutingRule, Unit
from minsheng_dispatch.routing import RuleKind

log = logging.getLogger(__name__)

SEEDED_BY = "reference-data"

# Replicas starting together: on PostgreSQL one seeds while the others wait.
_SEED_LOCK_KEY = 0x4D53_4453_4544


def seeded_valid_from(rule_book: RuleBook) -> datetime:
    """When the seeded rules take effect: the day the first rule edition did.

    The reference data is the regulation's own routing, so it stands from the start
    of the regulation, not from the day the store happened to be created; an appeal
    dispatched on a clock set back for a demo still finds its rules.
    """
    first = rule_book.editions[0].effective_from
    return as_utc(datetime.combine(first, time(0, 0), tzinfo=SHANGHAI))


def routing_rules(
    reference: ReferenceData, *, valid_from: datetime
) -> list[RoutingRule]:
    """The routing table the reference data implies, one rule per decision."""
    unit_ids = {unit.id for unit in reference.units}
    rules: list[RoutingRule] = []

    def rule(category_id: str, unit_id: str, note: str, **where: str) -> None:
        rules.append(
            RoutingRule(
                category_id=category_id,
                unit_id=unit_id,
                valid_from=valid_from,
                created_by=SEEDED_BY,
                note=note,
                **where,
            )
        )

    for category in reference.categories:
        if category.default_unit is not None:
            rule(category.id, category.default_unit, "category default unit")
        for subdistrict in reference.subdistricts:
            unit_id, note = _unit_of_place(category, subdistrict.id)
            if unit_id not in unit_ids:
                log.warning(
                    "unit %s is not known; category %s cannot route to it in %s",
                    unit_id,
                    category.id,
                    subdistrict.id,
                )
                continue
            rule(category.id, unit_id, note, subdistrict_id=subdistrict.id)
        for keyword, unit_id in category.examples.items():
            rule(category.id, unit_id, "keyword example", keyword=keyword)
    return rules


def _unit_of_place(category: ReferenceCategory, subdistrict_id: str) -> tuple[str, str]:
    """The unit a category's appeals of one subdistrict go to, and the rule's note."""
    if category.territorial or category.default_unit is None:
        return subdistrict_id, "territorial: the subdistrict office (街道办事处)"
    return category.default_unit, "the category's unit, in this subdistrict too"


def seeded_kind(reference: ReferenceData, rule: RoutingRule) -> RuleKind:
    """The kind of a seeded rule: a territorial category's district-wide default is
    a fallback (its place unknown, the appeal is not certain to be its unit's)."""
    territorial = {c.id for c in reference.categories if c.territorial}
    district_wide = rule.subdistrict_id is None and rule.keyword is None
    if rule.category_id in territorial and district_wide:
        return RuleKind.FALLBACK
    return RuleKind.STANDARD


async def seed(
    sessions: async_sessionmaker[AsyncSession],
    reference: ReferenceData,
    *,
    valid_from: datetime,
) -> bool:
    """Fill an empty store from the reference data; False when already seeded."""
    async with sessions() as session:
        try:
            rules = await _seed_once(session, reference, valid_from=valid_from)
        except (IntegrityError, OperationalError) as error:
            # Another process seeded the same SQLite file at the same moment (SQLite
            # has no advisory lock to wait on): its rows stand, ours are rolled back.
            # On PostgreSQL the lock makes this impossible, so there it is a failure.
            await session.rollback()
            if not _is_sqlite(session):
                raise
            log.info("reference data seeded by another process (%r)", error)
            return False
    if rules:
        log.info(
            "seeded %d units, %d categories and %d routing rules from the reference "
            "data of %s",
            len(reference.units),
            len(reference.categories),
            rules,
            reference.district.id,
        )
    return bool(rules)


def _is_sqlite(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "sqlite"


async def _seed_once(
    session: AsyncSession, reference: ReferenceData, *, valid_from: datetime
) -> int:
    """Seed in one transaction; the number of routing rules made (0: seeded before)."""
    if not _is_sqlite(session):
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SEED_LOCK_KEY}
        )
    if await session.scalar(select(func.count()).select_from(Unit)):
        return 0

    session.add_all(
        Unit(id=unit.id, name=unit.name, kind=unit.kind) for unit in reference.units
    )
    session.add_all(
        Category(
            id=category.id,
            name=category.name,
            default_unit=category.default_unit,
            territorial=category.territorial,
            examples=dict(category.examples),
        )
        for category in reference.categories
    )
    rules = routing_rules(reference, valid_from=valid_from)
    session.add_all(rules)
    await session.flush()
    session.add_all(
        RoutingRuleDetail(rule_id=rule.id, kind=kind.value, community=None)
        for rule in rules
        if (kind := seeded_kind(reference, rule)) is not RuleKind.STANDARD
    )
    await session.commit()
    return len(rules)
