"""Disputes as the API shows them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_dispatch.disputes import levels, repository
from minsheng_dispatch.disputes.models import OPEN, Dispute, DisputeStep
from minsheng_dispatch.disputes.schemas import DisputeOut, DisputeStepOut


def present(dispute: Dispute, steps: Sequence[DisputeStep]) -> DisputeOut:
    return DisputeOut(
        id=dispute.id,
        work_order_id=dispute.work_order_id,
        appeal_id=dispute.appeal_id,
        unit_ids=list(dispute.unit_ids),
        reason=dispute.reason,
        state=cast(Any, dispute.state),
        level=cast(Any, dispute.level),
        next_level=_next_level(dispute),
        opened_at=dispute.opened_at,
        opened_by=dispute.opened_by,
        updated_at=dispute.updated_at,
        owner_unit_id=dispute.owner_unit_id,
        decision=dispute.decision,
        decision_document=dispute.decision_document,
        decided_at=dispute.decided_at,
        decided_by=dispute.decided_by,
        redispatched_to=dispute.redispatched_to,
        steps=[_present_step(step) for step in steps],
    )


async def presented(
    session: AsyncSession, disputes: Sequence[Dispute]
) -> list[DisputeOut]:
    """The disputes with their steps, read in one query."""
    steps = await repository.steps(session, [dispute.id for dispute in disputes])
    return [present(dispute, steps[dispute.id]) for dispute in disputes]


async def of_order(session: AsyncSession, work_order_id: str) -> list[DisputeOut]:
    """What an order's detail shows: its disputes and the one that made it."""
    return await presented(session, await repository.of_order(session, work_order_id))


def _next_level(dispute: Dispute) -> Any:
    if dispute.state != OPEN:
        return None
    return levels.above(levels.Level(dispute.level))


def _present_step(step: DisputeStep) -> DisputeStepOut:
    return DisputeStepOut(
        step=cast(Any, step.step),
        level=cast(Any, step.level),
        actor=step.actor,
        at=step.at,
        text=step.text,
        document=step.document,
        owner_unit_id=step.owner_unit_id,
    )
