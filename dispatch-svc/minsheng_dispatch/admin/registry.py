"""Units and categories as the center manages them (Art. 8: the classification
standard changes): added with their routing, retired with history, never deleted.

A retired unit or category is never chosen by routing and its rules are closed. A
unit is retired only once its open work orders and its projects have moved to
another unit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.auth.principal import Principal
from minsheng_dispatch import routing
from minsheng_dispatch.admin import lookup
from minsheng_dispatch.admin.context import AdminContext
from minsheng_dispatch.admin.errors import (
    AlreadyRetired,
    CategoryExists,
    CategoryNotFound,
    FallbackUnit,
    UnitExists,
    UnitHasOpenOrders,
    UnitHasProjects,
    UnitNotFound,
    UnitRetired,
    UnknownUnit,
)
from minsheng_dispatch.admin.history import Subject, record
from minsheng_dispatch.admin.models import Project, Retirement, RoutingRuleDetail
from minsheng_dispatch.admin.schemas import CategoryIn, UnitIn
from minsheng_dispatch.admin.table import close_rules_naming
from minsheng_dispatch.models import Category, RoutingRule, Unit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UnitRow:
    unit: Unit
    retirement: Retirement | None


@dataclass(frozen=True)
class CategoryRow:
    category: Category
    retirement: Retirement | None


async def _retirements(
    session: AsyncSession, subject: Subject
) -> dict[str, Retirement]:
    rows = await session.scalars(
        select(Retirement).where(Retirement.subject == subject.value)
    )
    return {row.subject_id: row for row in rows}


async def units(session: AsyncSession) -> list[UnitRow]:
    """Every unit, retired ones included."""
    retired = await _retirements(session, Subject.UNIT)
    rows = await session.scalars(select(Unit).order_by(Unit.id))
    return [UnitRow(unit, retired.get(unit.id)) for unit in rows]


async def categories(session: AsyncSession) -> list[CategoryRow]:
    """Every category, retired ones included."""
    retired = await _retirements(session, Subject.CATEGORY)
    rows = await session.scalars(select(Category).order_by(Category.id))
    return [CategoryRow(category, retired.get(category.id)) for category in rows]


async def add_unit(
    *,
    session: AsyncSession,
    context: AdminContext,
    principal: Principal,
    incoming: UnitIn,
) -> UnitRow:
    """Add a unit; commits. A unit id is never reused, not even a retired one's."""
    if await session.get(Unit, incoming.id) is not None:
        raise UnitExists(f"unit {incoming.id} exists (ids are never reused)")

    now = context.clock.now()
    unit = Unit(id=incoming.id, name=incoming.name, kind=incoming.kind)
    session.add(unit)
    record(
        session,
        subject=Subject.UNIT,
        subject_id=unit.id,
        change="added",
        actor=principal.label(),
        at=now,
        reason=incoming.reason,
        detail={"name": unit.name, "kind": unit.kind},
    )
    await session.commit()
    return UnitRow(unit, None)


async def retire_unit(
    *,
    session: AsyncSession,
    context: AdminContext,
    principal: Principal,
    unit_id: str,
    reason: str,
) -> UnitRow:
    """Retire a unit and close its rules; commits. Refused while it has open work
    orders or projects in charge: those move first."""
    unit = await session.get(Unit, unit_id)
    if unit is None:
        raise UnitNotFound(f"no unit {unit_id}", field="unit_id")
    if await lookup.retirement(session, Subject.UNIT, unit_id) is not None:
        raise AlreadyRetired(f"unit {unit_id} is retired already")
    if unit_id == context.fallback_unit_id:
        raise FallbackUnit(
            f"unit {unit_id} takes the appeals nothing else names; it cannot be retired"
        )
    open_orders = await lookup.open_orders(session, unit_id)
    if open_orders:
        raise UnitHasOpenOrders(
            f"unit {unit_id} has {open_orders} open work orders; move them to "
            "another unit before retiring it (Art. 8)"
        )
    now = context.clock.now()
    projects = await session.scalars(
        select(Project.id).where(
            Project.unit_id == unit_id, Project.withdrawn_at.is_(None)
        )
    )
    if in_charge := sorted(projects):
        raise UnitHasProjects(
            f"unit {unit_id} is in charge of registered projects "
            f"{', '.join(in_charge)}; hand them to another unit first (Art. 43)"
        )

    actor = principal.label()
    retirement = Retirement(
        subject=Subject.UNIT.value,
        subject_id=unit_id,
        retired_at=now,
        retired_by=actor,
        reason=reason,
    )
    session.add(retirement)
    closed = await close_rules_naming(
        session,
        at=now,
        actor=actor,
        reason=f"unit {unit_id} retired: {reason}",
        unit_id=unit_id,
    )
    record(
        session,
        subject=Subject.UNIT,
        subject_id=unit_id,
        change="retired",
        actor=actor,
        at=now,
        reason=reason,
        detail={"closed_rule_ids": closed},
    )
    await session.commit()
    log.info("unit %s retired by %s; %d rules closed", unit_id, actor, len(closed))
    return UnitRow(unit, retirement)


async def add_category(
    *,
    session: AsyncSession,
    context: AdminContext,
    principal: Principal,
    incoming: CategoryIn,
) -> CategoryRow:
    """Add a category of the standard with its routing: the default unit (a
    fallback for a territorial category) and, in every subdistrict, the subdistrict
    office for a territorial category or the default unit for any other, so that an
    appeal of a known place is certain and dispatched automatically (Art. 12);
    commits."""
    if await session.get(Category, incoming.id) is not None:
        raise CategoryExists(f"category {incoming.id} exists (ids are never reused)")
    retired_units = await lookup.retired(session, Subject.UNIT)
    if incoming.default_unit is not None:
        if await session.get(Unit, incoming.default_unit) is None:
            raise UnknownUnit(f"no unit {incoming.default_unit}", field="default_unit")
        if incoming.default_unit in retired_units:
            raise UnitRetired(f"unit {incoming.default_unit} is retired (Art. 8)")

    now = context.clock.now()
    actor = principal.label()
    category = Category(
        id=incoming.id,
        name=incoming.name,
        default_unit=incoming.default_unit,
        territorial=incoming.territorial,
        examples={},
    )
    session.add(category)
    made = await _category_rules(
        session,
        incoming,
        places=await _units_of_places(session, context, incoming, retired_units),
        actor=actor,
        at=now,
    )
    record(
        session,
        subject=Subject.CATEGORY,
        subject_id=category.id,
        change="added",
        actor=actor,
        at=now,
        reason=incoming.reason,
        detail={
            "name": category.name,
            "default_unit": category.default_unit,
            "territorial": category.territorial,
            "rule_ids": made,
        },
    )
    await session.commit()
    log.info("category %s added by %s with %d rules", category.id, actor, len(made))
    return CategoryRow(category, None)


async def _units_of_places(
    session: AsyncSession,
    context: AdminContext,
    incoming: CategoryIn,
    retired_units: frozenset[str],
) -> list[tuple[str, str]]:
    """(unit, subdistrict) of the category's rule for each subdistrict."""
    if incoming.territorial:
        offices = (await lookup.subdistrict_unit_ids(session)) - retired_units
        return [(office, office) for office in sorted(offices)]
    unit_id = incoming.default_unit
    if unit_id is None:  # refused by CategoryIn: no default unit, not territorial
        return []
    return [(unit_id, subdistrict.id) for subdistrict in context.reference.subdistricts]


async def _category_rules(
    session: AsyncSession,
    incoming: CategoryIn,
    *,
    places: list[tuple[str, str]],
    actor: str,
    at: datetime,
) -> list[int]:
    wanted: list[tuple[str, str | None, routing.RuleKind]] = []
    if incoming.default_unit is not None:
        kind = (
            routing.RuleKind.FALLBACK
            if incoming.territorial
            else routing.RuleKind.STANDARD
        )
        wanted.append((incoming.default_unit, None, kind))
    wanted.extend(
        (unit_id, subdistrict_id, routing.RuleKind.STANDARD)
        for unit_id, subdistrict_id in places
    )

    made = []
    for unit_id, subdistrict_id, kind in wanted:
        rule = RoutingRule(
            category_id=incoming.id,
            subdistrict_id=subdistrict_id,
            keyword=None,
            unit_id=unit_id,
            valid_from=at,
            valid_to=None,
            created_by=actor,
            note=f"category {incoming.id} added: {incoming.reason}",
        )
        session.add(rule)
        await session.flush()
        session.add(RoutingRuleDetail(rule_id=rule.id, kind=kind.value))
        record(
            session,
            subject=Subject.ROUTING_RULE,
            subject_id=rule.id,
            change="added",
            actor=actor,
            at=rule.valid_from,
            reason=rule.note or "",
            detail={"unit_id": unit_id, "subdistrict_id": subdistrict_id},
        )
        made.append(rule.id)
    return made


async def retire_category(
    *,
    session: AsyncSession,
    context: AdminContext,
    principal: Principal,
    category_id: str,
    reason: str,
) -> CategoryRow:
    """Retire a category of the standard and close its rules; commits. Its open
    orders carry on; new appeals of it are no longer routed by it."""
    category = await session.get(Category, category_id)
    if category is None:
        raise CategoryNotFound(f"no category {category_id}", field="category_id")
    if await lookup.retirement(session, Subject.CATEGORY, category_id) is not None:
        raise AlreadyRetired(f"category {category_id} is retired already")

    now = context.clock.now()
    actor = principal.label()
    retirement = Retirement(
        subject=Subject.CATEGORY.value,
        subject_id=category_id,
        retired_at=now,
        retired_by=actor,
        reason=reason,
    )
    session.add(retirement)
    closed = await close_rules_naming(
        session,
        at=now,
        actor=actor,
        reason=f"category {category_id} retired: {reason}",
        category_id=category_id,
    )
    record(
        session,
        subject=Subject.CATEGORY,
        subject_id=category_id,
        change="retired",
        actor=actor,
        at=now,
        reason=reason,
        detail={"closed_rule_ids": closed},
    )
    await session.commit()
    log.info(
        "category %s retired by %s; %d rules closed", category_id, actor, len(closed)
    )
    return CategoryRow(category, retirement)


async def check_unit_usable(session: AsyncSession, unit_id: str, *, field: str) -> None:
    """Refuse an unknown (422) or retired (409) unit as the target of new work."""
    if await session.get(Unit, unit_id) is None:
        raise UnknownUnit(f"no unit {unit_id}", field=field)
    if await lookup.retirement(session, Subject.UNIT, unit_id) is not None:
        raise UnitRetired(f"unit {unit_id} is retired (Art. 8)")
