"""The routing table as the center edits it (Art. 6, 8, 21, 26): rules are added and
closed, never deleted or rewritten, and each change keeps who made it and why."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.auth.principal import Principal
from minsheng_dispatch import routing
from minsheng_dispatch.admin import lookup
from minsheng_dispatch.admin.context import AdminContext
from minsheng_dispatch.admin.errors import (
    CategoryRetired,
    InvalidRule,
    InvalidValidity,
    RuleClosed,
    RuleNotFound,
    UnitRetired,
    UnknownCategory,
    UnknownPlace,
    UnknownUnit,
)
from minsheng_dispatch.admin.history import Subject, record
from minsheng_dispatch.admin.models import RoutingRuleDetail
from minsheng_dispatch.admin.schemas import RoutingRuleIn
from minsheng_dispatch.models import Category, RoutingRule, Unit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RuleRow:
    """A rule with its details, as the API shows it."""

    rule: RoutingRule
    detail: RoutingRuleDetail | None

    @property
    def kind(self) -> routing.RuleKind:
        if self.detail is None:
            return routing.RuleKind.STANDARD
        return routing.RuleKind(self.detail.kind)

    @property
    def community(self) -> str | None:
        return self.detail.community if self.detail else None


async def listed(
    session: AsyncSession, *, category_id: str | None = None
) -> list[RuleRow]:
    """Every rule, current and closed, in the order made."""
    return [
        RuleRow(rule, detail)
        for rule, detail in await lookup.rule_rows(session, category_id=category_id)
    ]


async def add_rule(
    *,
    session: AsyncSession,
    context: AdminContext,
    principal: Principal,
    incoming: RoutingRuleIn,
) -> tuple[RuleRow, list[int]]:
    """Add a rule to the table, closing the rule it replaces; commits. Answers the
    rule and the ids of the rules it closed."""
    now = context.clock.now()
    valid_from = incoming.valid_from or now
    if valid_from < now:
        raise InvalidValidity(
            "a rule cannot start in the past: the table's history is not rewritten",
            field="valid_from",
        )
    await _check_parts(session, context, incoming)

    actor = principal.label()
    row = RoutingRule(
        category_id=incoming.category_id,
        subdistrict_id=incoming.subdistrict_id,
        keyword=incoming.keyword,
        unit_id=incoming.unit_id,
        valid_from=valid_from,
        valid_to=None,
        created_by=actor,
        note=incoming.reason,
    )
    replaced = await _open_rules_of_key(session, incoming, at=valid_from)
    session.add(row)
    await session.flush()
    detail = RoutingRuleDetail(
        rule_id=row.id, kind=incoming.kind.value, community=incoming.community
    )
    session.add(detail)
    for old in replaced:
        close(
            session,
            old.rule,
            at=valid_from,
            actor=actor,
            reason=f"replaced by rule {row.id}: {incoming.reason}",
        )
    record(
        session,
        subject=Subject.ROUTING_RULE,
        subject_id=row.id,
        change="added",
        actor=actor,
        at=now,
        reason=incoming.reason,
        detail=_snapshot(RuleRow(row, detail)),
    )
    await session.commit()
    log.info(
        "routing rule %s added: category %s → unit %s (%s)",
        row.id,
        row.category_id,
        row.unit_id,
        incoming.kind.value,
    )
    return RuleRow(row, detail), [old.rule.id for old in replaced]


async def retire_rule(
    *,
    session: AsyncSession,
    context: AdminContext,
    principal: Principal,
    rule_id: int,
    reason: str,
) -> RuleRow:
    """Close a rule now (it stays in the table, with its history); commits."""
    now = context.clock.now()
    rule = await session.get(RoutingRule, rule_id)
    if rule is None:
        raise RuleNotFound(f"no routing rule {rule_id}", field="rule_id")
    row = RuleRow(rule, await session.get(RoutingRuleDetail, rule_id))
    if row.rule.valid_to is not None and row.rule.valid_to <= now:
        raise RuleClosed(f"routing rule {rule_id} was closed already")

    close(session, row.rule, at=now, actor=principal.label(), reason=reason)
    await session.commit()
    return row


def close(
    session: AsyncSession,
    rule: RoutingRule,
    *,
    at: datetime,
    actor: str,
    reason: str,
) -> None:
    """Close a rule at `at` (a rule not started yet never applies), with its
    history; in the caller's transaction."""
    rule.valid_to = max(at, rule.valid_from)
    record(
        session,
        subject=Subject.ROUTING_RULE,
        subject_id=rule.id,
        change="retired",
        actor=actor,
        at=at,
        reason=reason,
        detail={"valid_to": rule.valid_to.isoformat()},
    )
    log.info("routing rule %s closed by %s", rule.id, actor)


async def close_rules_naming(
    session: AsyncSession,
    *,
    at: datetime,
    actor: str,
    reason: str,
    unit_id: str | None = None,
    category_id: str | None = None,
) -> list[int]:
    """Close every open rule of a unit or a category being retired."""
    closed = []
    for row in await listed(session, category_id=category_id):
        rule = row.rule
        still_open = rule.valid_to is None or rule.valid_to > at
        if still_open and (unit_id is None or rule.unit_id == unit_id):
            close(session, rule, at=at, actor=actor, reason=reason)
            closed.append(rule.id)
    return closed


async def _check_parts(
    session: AsyncSession, context: AdminContext, incoming: RoutingRuleIn
) -> None:
    if await session.get(Category, incoming.category_id) is None:
        raise UnknownCategory(
            f"no category {incoming.category_id}", field="category_id"
        )
    if incoming.category_id in await lookup.retired(session, Subject.CATEGORY):
        raise CategoryRetired(
            f"category {incoming.category_id} is retired from the standard (Art. 8)"
        )
    if await session.get(Unit, incoming.unit_id) is None:
        raise UnknownUnit(f"no unit {incoming.unit_id}", field="unit_id")
    if incoming.unit_id in await lookup.retired(session, Subject.UNIT):
        raise UnitRetired(f"unit {incoming.unit_id} is retired (Art. 8)")

    placed = incoming.subdistrict_id is not None or incoming.community is not None
    if incoming.kind is routing.RuleKind.FIRST_HANDLER and placed:
        raise InvalidRule(
            "a first-handler rule names the main unit for the whole district by "
            "category (and keyword), not by place (Art. 26)",
            field="kind",
        )
    check_place(context, incoming.subdistrict_id, incoming.community)


def check_place(
    context: AdminContext, subdistrict_id: str | None, community: str | None
) -> None:
    """Refuse a subdistrict or community the reference data does not know."""
    if subdistrict_id is None:
        if community is not None:
            raise UnknownPlace(
                "a community is given with its subdistrict", field="subdistrict_id"
            )
        return
    communities = context.communities(subdistrict_id)
    if communities is None:
        raise UnknownPlace(f"no subdistrict {subdistrict_id}", field="subdistrict_id")
    if community is not None and community not in communities:
        raise UnknownPlace(
            f"{community} is not a community of {subdistrict_id}", field="community"
        )


async def _open_rules_of_key(
    session: AsyncSession, incoming: RoutingRuleIn, *, at: datetime
) -> list[RuleRow]:
    return [
        row
        for row in await listed(session, category_id=incoming.category_id)
        if (row.rule.valid_to is None or row.rule.valid_to > at)
        and row.rule.subdistrict_id == incoming.subdistrict_id
        and row.community == incoming.community
        and row.rule.keyword == incoming.keyword
        and row.kind is incoming.kind
    ]


def _snapshot(row: RuleRow) -> dict[str, object]:
    rule = row.rule
    return {
        "category_id": rule.category_id,
        "subdistrict_id": rule.subdistrict_id,
        "community": row.community,
        "keyword": rule.keyword,
        "unit_id": rule.unit_id,
        "kind": row.kind.value,
        "valid_from": rule.valid_from.isoformat(),
    }
