"""Units named responsible for an order (Art. 21, 25, 26), who may therefore not
return it.

- First-asked (首问负责, Art. 25): for an urgent appeal whose owner cannot be found
  quickly, the center dispatches it to the unit best placed to handle it; that unit
  owns it to the end.
- First-handler (首办负责, Art. 26): for a complex event units push to each other,
  the main unit the center named by the classification standard (a first-handler
  rule of the routing table); the naming stands until the standard changes, that is
  while its rule is in force.
"""

from __future__ import annotations

import logging
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_dispatch import routing
from minsheng_dispatch.admin.errors import (
    FirstAskedCannotReturn,
    FirstHandlerCannotReturn,
)
from minsheng_dispatch.admin.models import ResponsibilityAssignment
from minsheng_dispatch.models import RoutingRule

log = logging.getLogger(__name__)


class Kind(StrEnum):
    FIRST_ASKED = "first_asked"
    FIRST_HANDLER = "first_handler"


def name(
    session: AsyncSession,
    *,
    work_order_id: str,
    kind: Kind,
    unit_id: str,
    named_by: str,
    reason: str,
    at: datetime,
    rule_id: int | None = None,
) -> ResponsibilityAssignment:
    """Record that `unit_id` is responsible for the order, in the caller's
    transaction."""
    assignment = ResponsibilityAssignment(
        work_order_id=work_order_id,
        kind=kind.value,
        unit_id=unit_id,
        rule_id=rule_id,
        named_by=named_by,
        reason=reason,
        at=at,
    )
    session.add(assignment)
    log.info(
        "work order %s: unit %s named %s by %s", work_order_id, unit_id, kind, named_by
    )
    return assignment


def note_route(
    session: AsyncSession,
    *,
    work_order_id: str,
    route: routing.Route,
    at: datetime,
) -> ResponsibilityAssignment | None:
    """Record the first-handler naming of an order a first-handler rule routed
    (Art. 26); nothing for any other route. In the caller's transaction."""
    if route.reason is not routing.Reason.FIRST_HANDLER:
        return None
    return name(
        session,
        work_order_id=work_order_id,
        kind=Kind.FIRST_HANDLER,
        unit_id=route.unit_id,
        named_by=f"routing rule {route.rule_id}",
        reason=route.basis,
        at=at,
        rule_id=route.rule_id,
    )


async def of_order(
    session: AsyncSession, work_order_id: str
) -> list[ResponsibilityAssignment]:
    rows = await session.scalars(
        select(ResponsibilityAssignment)
        .where(ResponsibilityAssignment.work_order_id == work_order_id)
        .order_by(ResponsibilityAssignment.id)
    )
    return list(rows)


async def check_may_return(
    session: AsyncSession, *, work_order_id: str, unit_id: str, at: datetime
) -> None:
    """Refuse (409) a return request of a unit named responsible for the order:
    first-asked always (Art. 25), first-handler while its rule is in force
    (Art. 26)."""
    for assignment in await of_order(session, work_order_id):
        if assignment.unit_id != unit_id:
            continue
        if assignment.kind == Kind.FIRST_ASKED:
            raise FirstAskedCannotReturn(
                f"work order {work_order_id}: unit {unit_id} was named first-asked "
                "by the center (首问负责) and owns the order to the end; it cannot "
                "be returned (Art. 25)"
            )
        if assignment.kind == Kind.FIRST_HANDLER and await _rule_stands(
            session, assignment.rule_id, at=at
        ):
            raise FirstHandlerCannotReturn(
                f"work order {work_order_id}: unit {unit_id} is the main unit the "
                "classification standard names (首办负责); it cannot be returned "
                "while that rule stands (Art. 26)"
            )


async def _rule_stands(
    session: AsyncSession, rule_id: int | None, *, at: datetime
) -> bool:
    if rule_id is None:
        return True
    rule = await session.get(RoutingRule, rule_id)
    return rule is not None and routing.in_force(rule.valid_from, rule.valid_to, at=at)
