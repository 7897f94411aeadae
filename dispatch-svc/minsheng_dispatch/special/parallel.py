"""Parallel dispatch (并行, Art. 20, 22): one event, one event number, several units
at once, each with its own order timed and assessed from its own dispatch.

The center chooses one of two modes. `candidates`: the description cannot tell which
unit is responsible; the one that confirms handles it, the others return it (see
`candidates`). `lead`: the facts are clear but several units are involved; the lead
(牵头单位) gathers the cooperating units' (协同单位) opinions and gives the citizen the
single reply (see `cooperation`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import ids, redaction
from minsheng_common.auth.principal import Principal
from minsheng_dispatch import access, repository, service
from minsheng_dispatch.admin.registry import check_unit_usable
from minsheng_dispatch.models import WorkOrder
from minsheng_dispatch.service import DispatchContext
from minsheng_dispatch.special import groups, orders, roles
from minsheng_dispatch.special import repository as special_repository
from minsheng_dispatch.special.errors import ParallelGroupNotFound, UnitsRepeated
from minsheng_dispatch.special.models import CooperationOpinion, ParallelGroup
from minsheng_dispatch.special.schemas import CandidatesIn, LeadIn

log = logging.getLogger(__name__)

ARTICLE = "Art. 20"
REASON = "center_parallel"


@dataclass(frozen=True)
class GroupView:
    """A group as one caller may see it: the opinions it may read, and which
    opinions the lead still waits for."""

    group: ParallelGroup
    tracking_code: str
    members: list[WorkOrder]
    opinions: dict[str, CooperationOpinion]
    missing: list[str]


async def assign(
    *,
    session: AsyncSession,
    context: DispatchContext,
    principal: Principal,
    work_order_id: str,
    incoming: CandidatesIn | LeadIn,
) -> GroupView:
    """The center sends an unfinished order's event to several units at once; the
    order ends (parallel) and each unit gets its own order under the same event
    number, timed from now. Commits."""
    reason = redaction.redact(incoming.reason)
    origin = await orders.center_order(session, work_order_id)
    orders.check_unfinished(origin, what="be sent in parallel", article=ARTICLE)
    orders.check_not_in_group(origin, what="be sent in parallel", article=ARTICLE)
    places = await _places(session, incoming)

    now = context.clock.now()
    actor = principal.label()
    edition = context.rule_book.by_id(origin.rules_edition)
    group = ParallelGroup(
        id=ids.new_id(),
        appeal_id=origin.appeal_id,
        origin_work_order_id=origin.id,
        mode=incoming.mode,
        reason=reason,
        created_at=now,
        created_by=actor,
        updated_at=now,
    )
    session.add(group)
    members = [
        orders.derived(
            origin,
            unit_id=unit_id,
            origin_key=f"parallel:{origin.id}:{number}",
            tracking_code=origin.tracking_code,
            content=origin.content,
            role=role,
            parallel_group_id=group.id,
            split_from=origin.split_from,
            now=now,
            edition=edition,
            reason=REASON,
            basis=f"{role} of parallel group {group.id}, sent by the center "
            f"({ARTICLE}, Art. 22): {reason}",
        )
        for number, (unit_id, role) in enumerate(places, start=1)
    ]
    await orders.replace(
        session,
        context,
        origin,
        status=repository.PARALLEL,
        replacements=members,
        parallel_group_id=group.id,
        actor=actor,
        at=now,
        reason=reason,
        detail={
            "parallel_group_id": group.id,
            "mode": incoming.mode,
            "members": [
                {"work_order_id": m.id, "unit_id": m.unit_id, "role": m.role}
                for m in members
            ],
        },
        what="be sent in parallel",
        article=ARTICLE,
    )
    await session.commit()
    log.info(
        "work order %s for appeal %s sent in parallel (%s) by %s as group %s: %s",
        origin.id,
        origin.appeal_id,
        incoming.mode,
        actor,
        group.id,
        ", ".join(f"{m.id} ({m.unit_id}, {m.role})" for m in members),
    )
    return await _view(session, group, show_all=True)


async def _places(
    session: AsyncSession, incoming: CandidatesIn | LeadIn
) -> list[tuple[str, str]]:
    """(unit, role) of each order of the group, each unit known, in service and
    named once."""
    if isinstance(incoming, CandidatesIn):
        named = [
            (unit_id, roles.CANDIDATE, f"unit_ids.{index}")
            for index, unit_id in enumerate(incoming.unit_ids)
        ]
    else:
        named = [(incoming.lead_unit_id, roles.LEAD, "lead_unit_id")] + [
            (unit_id, roles.COOPERATING, f"cooperating_unit_ids.{index}")
            for index, unit_id in enumerate(incoming.cooperating_unit_ids)
        ]
    seen: set[str] = set()
    for unit_id, _, field in named:
        if unit_id in seen:
            raise UnitsRepeated(
                f"unit {unit_id} is named twice: each unit of a parallel group has "
                f"one order ({ARTICLE})",
                field=field,
            )
        seen.add(unit_id)
        await check_unit_usable(session, unit_id, field=field)
    return [(unit_id, role) for unit_id, role, _ in named]


async def view(
    *, session: AsyncSession, principal: Principal, work_order_id: str
) -> GroupView:
    """The parallel group of an order the caller may see (or that replaced it). The
    center and the lead read every opinion; another unit only its own."""
    visible = access.visible_unit(principal)
    order = await service.visible_order(
        session=session, work_order_id=work_order_id, unit_id=visible
    )
    group = await special_repository.group_of(session, order)
    if group is None:
        raise ParallelGroupNotFound(
            f"work order {order.id} belongs to no parallel group",
            field="work_order_id",
        )
    show_all = visible is None or (
        order.role == roles.LEAD
        and order.parallel_group_id == group.id
        and order.status != repository.RETURNED
    )
    return await _view(session, group, show_all=show_all, own=order.id)


async def _view(
    session: AsyncSession,
    group: ParallelGroup,
    *,
    show_all: bool,
    own: str | None = None,
) -> GroupView:
    members = await special_repository.members(session, group.id)
    opinions = await special_repository.opinions(session, group.id)
    origin = await repository.get(session, group.origin_work_order_id)
    return GroupView(
        group=group,
        tracking_code=origin.tracking_code if origin else "",
        members=members,
        opinions={
            work_order_id: given
            for work_order_id, given in opinions.items()
            if show_all or work_order_id == own
        },
        missing=[m.id for m in groups.without_opinion(members, opinions)],
    )
