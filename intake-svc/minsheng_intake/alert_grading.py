"""Grades raised by analytics' warnings (Art. 9, 23): a hotspot, a high-frequency
event or a possible safety hazard is level 2, so every level-3 appeal of the
warning's event cluster (and every appeal it lists) becomes level 2, said on the bus
as `appeal.graded`, and appeals joining that cluster later are filed at level 2.

A sensitive-topic warning changes no grade: Art. 9 does not name it. A level-1
appeal stays level 1. An operator's grade wins: an appeal an operator has graded is
never regraded by a warning.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.bus.outbox import Outbox
from minsheng_common.events import WarningRaised
from minsheng_intake import grading
from minsheng_intake.models import Appeal, GradeChange
from minsheng_intake.sameness import clusters
from minsheng_intake.sameness.models import ClusterWarning

log = logging.getLogger(__name__)

RAISING_KINDS = frozenset({"hotspot", "high_frequency", "safety_hazard"})
"""The warnings that make an appeal level 2 (Art. 9: a possible safety hazard, a
high-frequency or a hotspot appeal)."""
WARNING_GRADER = "warning"
"""Who graded an appeal when a warning raised it."""
RAISED_LEVEL: grading.Level = 2
ARTICLE = "Art. 9"


async def on_warning(
    session: AsyncSession, *, outbox: Outbox, warning: WarningRaised
) -> list[str]:
    """Raise the warning's appeals to level 2, in the caller's transaction, and
    remember the cluster for appeals joining it later; the ids of the appeals
    raised."""
    if warning.kind not in RAISING_KINDS:
        log.info(
            "warning %s (%s) changes no grade (Art. 9)",
            warning.warning_id,
            warning.kind,
        )
        return []
    await _remember(session, warning)

    wanted = list(warning.appeal_ids)
    if warning.cluster_id is not None:
        wanted = await clusters.members(session, warning.cluster_id) + wanted
    raised: list[str] = []
    for appeal_id in dict.fromkeys(wanted):
        appeal = await session.get(Appeal, appeal_id)
        if appeal is None or not await _raisable(session, appeal, warning):
            continue
        change = grading.record(
            session,
            appeal,
            level=RAISED_LEVEL,
            basis=basis(warning.kind, warning.warning_id, warning.cluster_id),
            graded_by=WARNING_GRADER,
            at=warning.raised_at,
            previous_level=appeal.level,
        )
        await outbox.stage(
            session, grading.event(appeal, change), occurred_at=warning.raised_at
        )
        raised.append(appeal.id)
        log.info(
            "appeal %s raised to level 2 by warning %s (%s, cluster %s)",
            appeal.id,
            warning.warning_id,
            warning.kind,
            warning.cluster_id,
        )
    return raised


async def grade_joining(session: AsyncSession, appeal: Appeal) -> None:
    """An appeal joining a cluster a warning raised is level 2 at filing, unless the
    rules made it level 1. Before the filing events are staged."""
    if appeal.cluster_id is None or appeal.level != 3:
        return
    raised = await session.get(ClusterWarning, appeal.cluster_id)
    if raised is None:
        return
    appeal.level = RAISED_LEVEL
    appeal.grade_basis = basis(raised.kind, raised.warning_id, raised.cluster_id)
    log.info(
        "appeal %s joins cluster %s raised by warning %s: level 2",
        appeal.id,
        raised.cluster_id,
        raised.warning_id,
    )


def basis(kind: str, warning_id: str, cluster_id: str | None) -> str:
    """Why a warning graded an appeal, as the grade record and event say it."""
    where = f" on event cluster {cluster_id}" if cluster_id else ""
    return f"warning: {kind} {warning_id}{where} ({ARTICLE})"


async def _remember(session: AsyncSession, warning: WarningRaised) -> None:
    if warning.cluster_id is None:
        return
    if await session.get(ClusterWarning, warning.cluster_id) is not None:
        return
    session.add(
        ClusterWarning(
            cluster_id=warning.cluster_id,
            warning_id=warning.warning_id,
            kind=warning.kind,
            raised_at=warning.raised_at,
        )
    )
    log.info(
        "event cluster %s raised to level 2 by warning %s (%s)",
        warning.cluster_id,
        warning.warning_id,
        warning.kind,
    )


async def _raisable(
    session: AsyncSession, appeal: Appeal, warning: WarningRaised
) -> bool:
    """A level-3 appeal that can still be graded and that no operator graded."""
    if appeal.status not in grading.GRADABLE or appeal.level != 3:
        return False
    graded_by = await session.scalars(
        select(GradeChange.graded_by).where(GradeChange.appeal_id == appeal.id)
    )
    if any(who not in (grading.RULES_GRADER, WARNING_GRADER) for who in graded_by):
        log.info(
            "appeal %s keeps the grade an operator gave it; warning %s does not "
            "change it",
            appeal.id,
            warning.warning_id,
        )
        return False
    return True
