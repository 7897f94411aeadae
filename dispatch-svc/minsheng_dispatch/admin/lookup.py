"""Reading the registry as routing needs it: the rules with their kind and community,
the registered projects, the retired units and categories, and the unit an appeal
goes to under all of them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.events import AppealFiled
from minsheng_dispatch import routing
from minsheng_dispatch.admin import models
from minsheng_dispatch.admin.history import Subject
from minsheng_dispatch.errors import RoutingTableNotReady
from minsheng_dispatch.models import RoutingRule, Unit, WorkOrder

CLOSED_STATUSES = ("closed", "returned", "merged", "split", "parallel")
"""Work-order states that need nothing more from their unit; every other is open."""


async def retired(session: AsyncSession, subject: Subject) -> frozenset[str]:
    """The ids of the retired units or categories."""
    rows = await session.scalars(
        select(models.Retirement.subject_id).where(
            models.Retirement.subject == subject.value
        )
    )
    return frozenset(rows)


async def retirement(
    session: AsyncSession, subject: Subject, subject_id: str
) -> models.Retirement | None:
    return await session.get(models.Retirement, (subject.value, subject_id))


async def rule_rows(
    session: AsyncSession, *, category_id: str | None = None
) -> list[tuple[RoutingRule, models.RoutingRuleDetail | None]]:
    """Every rule, current and closed, with its details, in the order made."""
    query = (
        select(RoutingRule, models.RoutingRuleDetail)
        .outerjoin(
            models.RoutingRuleDetail,
            models.RoutingRuleDetail.rule_id == RoutingRule.id,
        )
        .order_by(RoutingRule.id)
    )
    if category_id is not None:
        query = query.where(RoutingRule.category_id == category_id)
    return [(rule, detail) for rule, detail in (await session.execute(query)).all()]


def as_rule(row: RoutingRule, detail: models.RoutingRuleDetail | None) -> routing.Rule:
    return routing.Rule(
        id=row.id,
        category_id=row.category_id,
        unit_id=row.unit_id,
        valid_from=row.valid_from,
        subdistrict_id=row.subdistrict_id,
        keyword=row.keyword,
        valid_to=row.valid_to,
        community=detail.community if detail else None,
        kind=routing.RuleKind(detail.kind) if detail else routing.RuleKind.STANDARD,
    )


async def rules(session: AsyncSession) -> list[routing.Rule]:
    """The routing table as the routing function reads it."""
    return [as_rule(row, detail) for row, detail in await rule_rows(session)]


async def projects(session: AsyncSession) -> list[routing.Project]:
    """The registered projects not withdrawn, as routing reads them."""
    rows = await session.scalars(
        select(models.Project).where(models.Project.withdrawn_at.is_(None))
    )
    return [
        routing.Project(
            id=row.id,
            name=row.name,
            unit_id=row.unit_id,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            subdistrict_id=row.subdistrict_id,
            community=row.community,
            road=row.road,
            category_ids=frozenset(row.category_ids),
        )
        for row in rows
    ]


async def subdistrict_unit_ids(session: AsyncSession) -> frozenset[str]:
    """The unit ids of the subdistrict offices (街道办事处)."""
    rows = await session.scalars(select(Unit.id).where(Unit.kind == "subdistrict"))
    return frozenset(rows)


async def open_orders(session: AsyncSession, unit_id: str) -> int:
    """How many of the unit's work orders are still open."""
    count = await session.scalar(
        select(func.count())
        .select_from(WorkOrder)
        .where(
            WorkOrder.unit_id == unit_id,
            WorkOrder.status.not_in(CLOSED_STATUSES),
        )
    )
    return int(count or 0)


async def route_appeal(
    session: AsyncSession,
    *,
    appeal: AppealFiled,
    at: datetime,
    fallback_unit: str,
) -> routing.Route:
    """The unit a filed appeal goes to under the registry as it stands at `at`, and
    whether that is certain (`route.certain`): if not, the appeal belongs in the
    dispatch queue. Raises RoutingTableNotReady before the table is seeded."""
    table = await rules(session)
    if not table:
        raise RoutingTableNotReady("the routing table is not seeded yet")
    return routing.pick_unit(
        rules=table,
        category_id=appeal.category_id,
        subdistrict_id=appeal.subdistrict_id,
        community=appeal.community,
        address=appeal.address,
        text=f"{appeal.title}\n{appeal.content}",
        at=at,
        subdistrict_units=await subdistrict_unit_ids(session),
        fallback_unit=fallback_unit,
        projects=await projects(session),
        retired_units=await retired(session, Subject.UNIT),
        retired_categories=await retired(session, Subject.CATEGORY),
    )
