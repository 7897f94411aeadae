"""The center's API over units, categories and the routing table (Art. 6, 8, 21,
26), and their history. Changes need `routing:manage`; rules are closed, units and
categories retired, never deleted."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status

from minsheng_dispatch import routing
from minsheng_dispatch.admin import history, registry, table
from minsheng_dispatch.admin.deps import (
    Context,
    RegistryReader,
    RoutingManager,
    RoutingReader,
    Session,
)
from minsheng_dispatch.admin.models import RegistryChange
from minsheng_dispatch.admin.schemas import (
    CategoryIn,
    CategoryOut,
    ChangeOut,
    RetireIn,
    RoutingRuleAdded,
    RoutingRuleIn,
    RoutingRuleOut,
    UnitIn,
    UnitOut,
)

router = APIRouter(prefix="/v1")


@router.get("/units", response_model=list[UnitOut], tags=["units"])
async def list_units(
    session: Session,
    principal: RegistryReader,
    include_retired: Annotated[bool, Query()] = True,
) -> list[UnitOut]:
    """Every unit that can receive work orders, and the retired ones (which
    receive nothing new) unless `include_retired=false`."""
    rows = await registry.units(session)
    return [
        present_unit(row) for row in rows if include_retired or row.retirement is None
    ]


@router.post(
    "/units",
    response_model=UnitOut,
    status_code=status.HTTP_201_CREATED,
    tags=["units"],
)
async def add_unit(
    incoming: UnitIn, session: Session, context: Context, principal: RoutingManager
) -> UnitOut:
    """Add a unit. 409 `unit_exists` for an id in use or used before."""
    row = await registry.add_unit(
        session=session, context=context, principal=principal, incoming=incoming
    )
    return present_unit(row)


@router.post("/units/{unit_id}/retire", response_model=UnitOut, tags=["units"])
async def retire_unit(
    unit_id: str,
    incoming: RetireIn,
    session: Session,
    context: Context,
    principal: RoutingManager,
) -> UnitOut:
    """Retire a unit (Art. 8): routing no longer chooses it and its rules close.
    409 `unit_has_open_orders` while it has open work orders and
    `unit_has_projects` while it is in charge of registered projects (move them
    first); `unit_is_fallback` for the unit that takes what nothing else names;
    `already_retired`. 404 `unit_not_found`."""
    row = await registry.retire_unit(
        session=session,
        context=context,
        principal=principal,
        unit_id=unit_id,
        reason=incoming.reason,
    )
    return present_unit(row)


@router.get("/categories", response_model=list[CategoryOut], tags=["categories"])
async def list_categories(
    session: Session,
    principal: RegistryReader,
    include_retired: Annotated[bool, Query()] = True,
) -> list[CategoryOut]:
    """The categories of the classification standard (Art. 8), retired ones
    included unless `include_retired=false`."""
    rows = await registry.categories(session)
    return [
        present_category(row)
        for row in rows
        if include_retired or row.retirement is None
    ]


@router.post(
    "/categories",
    response_model=CategoryOut,
    status_code=status.HTTP_201_CREATED,
    tags=["categories"],
)
async def add_category(
    incoming: CategoryIn, session: Session, context: Context, principal: RoutingManager
) -> CategoryOut:
    """Add a category to the standard (Art. 8) with its routing rules: its default
    unit, and for a territorial category the office of every subdistrict (the
    default then only catches an unknown place, as a fallback). 409
    `category_exists`; 422 `unknown_unit`, 409 `unit_retired`."""
    row = await registry.add_category(
        session=session, context=context, principal=principal, incoming=incoming
    )
    return present_category(row)


@router.post(
    "/categories/{category_id}/retire",
    response_model=CategoryOut,
    tags=["categories"],
)
async def retire_category(
    category_id: str,
    incoming: RetireIn,
    session: Session,
    context: Context,
    principal: RoutingManager,
) -> CategoryOut:
    """Retire a category from the standard (Art. 8): its rules close, appeals still
    filed under it wait in the dispatch queue. Its open orders carry on. 404
    `category_not_found`; 409 `already_retired`."""
    row = await registry.retire_category(
        session=session,
        context=context,
        principal=principal,
        category_id=category_id,
        reason=incoming.reason,
    )
    return present_category(row)


@router.get("/routing-rules", response_model=list[RoutingRuleOut], tags=["routing"])
async def list_routing_rules(
    session: Session,
    context: Context,
    principal: RoutingReader,
    category_id: Annotated[str | None, Query(max_length=50)] = None,
) -> list[RoutingRuleOut]:
    """The routing table (category × place × keyword → unit, and its kind),
    current and closed rules alike; `in_force` tells which apply now."""
    now = context.clock.now()
    rows = await table.listed(session, category_id=category_id)
    return [present_rule(row, now=now) for row in rows]


@router.post(
    "/routing-rules",
    response_model=RoutingRuleAdded,
    status_code=status.HTTP_201_CREATED,
    tags=["routing"],
)
async def add_routing_rule(
    incoming: RoutingRuleIn,
    session: Session,
    context: Context,
    principal: RoutingManager,
) -> RoutingRuleAdded:
    """Add a rule; a rule in force with the same category, place, keyword and kind
    is closed when it starts. A `first_handler` rule names the main unit of a
    category (and keyword) for the whole district (首办负责, Art. 26); a `fallback`
    rule catches unclear cases, which an operator confirms from the dispatch queue.
    422 `unknown_category`, `unknown_unit`, `unknown_place`, `invalid_rule`,
    `invalid_validity` (a start in the past); 409 `unit_retired`,
    `category_retired`."""
    row, replaced = await table.add_rule(
        session=session, context=context, principal=principal, incoming=incoming
    )
    shown = present_rule(row, now=context.clock.now())
    return RoutingRuleAdded(**shown.model_dump(), replaced_rule_ids=replaced)


@router.post(
    "/routing-rules/{rule_id}/retire",
    response_model=RoutingRuleOut,
    tags=["routing"],
)
async def retire_routing_rule(
    rule_id: int,
    incoming: RetireIn,
    session: Session,
    context: Context,
    principal: RoutingManager,
) -> RoutingRuleOut:
    """Close a rule now; it stays in the table with its history. 404
    `routing_rule_not_found`; 409 `routing_rule_closed`."""
    row = await table.retire_rule(
        session=session,
        context=context,
        principal=principal,
        rule_id=rule_id,
        reason=incoming.reason,
    )
    return present_rule(row, now=context.clock.now())


@router.get("/registry-changes", response_model=list[ChangeOut], tags=["routing"])
async def list_registry_changes(
    session: Session,
    principal: RoutingReader,
    subject: Annotated[history.Subject | None, Query()] = None,
    subject_id: Annotated[str | None, Query(max_length=50)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ChangeOut]:
    """Every change to routing rules, units, categories and projects, oldest
    first: who, when, why and what (never a project's personal data)."""
    rows = await history.changes(
        session, subject=subject, subject_id=subject_id, limit=limit, offset=offset
    )
    return [present_change(row) for row in rows]


def present_unit(row: registry.UnitRow) -> UnitOut:
    retirement = row.retirement
    return UnitOut(
        id=row.unit.id,
        name=row.unit.name,
        kind=row.unit.kind,
        retired=retirement is not None,
        retired_at=retirement.retired_at if retirement else None,
        retire_reason=retirement.reason if retirement else None,
    )


def present_category(row: registry.CategoryRow) -> CategoryOut:
    retirement = row.retirement
    return CategoryOut(
        id=row.category.id,
        name=row.category.name,
        default_unit=row.category.default_unit,
        territorial=row.category.territorial,
        retired=retirement is not None,
        retired_at=retirement.retired_at if retirement else None,
        retire_reason=retirement.reason if retirement else None,
    )


def present_rule(row: table.RuleRow, *, now: datetime) -> RoutingRuleOut:
    rule = row.rule
    return RoutingRuleOut(
        id=rule.id,
        category_id=rule.category_id,
        subdistrict_id=rule.subdistrict_id,
        community=row.community,
        keyword=rule.keyword,
        unit_id=rule.unit_id,
        kind=row.kind,
        valid_from=rule.valid_from,
        valid_to=rule.valid_to,
        in_force=routing.in_force(rule.valid_from, rule.valid_to, at=now),
        created_by=rule.created_by,
        note=rule.note,
    )


def present_change(row: RegistryChange) -> ChangeOut:
    return ChangeOut(
        id=row.id,
        subject=row.subject,
        subject_id=row.subject_id,
        change=row.change,
        actor=row.actor,
        at=row.at,
        reason=row.reason,
        detail=row.detail,
    )
