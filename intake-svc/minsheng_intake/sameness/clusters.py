"""Event clusters (Art. 18): several people reporting the same event — same place,
similar text, within a window — share a cluster id, so dispatch can merge them (same
channel) or suggest a merge (other channels), and analytics counts hotspots by
cluster instead of matching text again. A new problem opens a new cluster.

A cluster is represented by its first report. A report joins the most similar
cluster of its subdistrict whose reports lie within the window of its own time,
when it is at least `cluster_threshold` alike.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import ids
from minsheng_common.timeutil import as_utc
from minsheng_intake.sameness import similarity
from minsheng_intake.sameness.models import AppealCluster, EventCluster
from minsheng_intake.sameness.params import DEFAULTS, SamenessParams
from minsheng_intake.sameness.places import Place
from minsheng_intake.sameness.similarity import Problem

log = logging.getLogger(__name__)


async def assign_cluster(
    session: AsyncSession,
    *,
    appeal_id: str,
    problem: Problem,
    received_at: datetime,
    params: SamenessParams = DEFAULTS,
) -> str:
    """The id of the event cluster the appeal belongs to, joining the closest one or
    opening a new one, in the caller's transaction. Asked again for the same appeal,
    the same id."""
    held = await session.get(AppealCluster, appeal_id)
    if held is not None:
        return held.cluster_id
    received_at = as_utc(received_at)
    await _one_at_a_time(session, problem.place.subdistrict_id)

    cluster, score = await _closest(session, problem, received_at, params)
    if cluster is None or score < params.cluster_threshold:
        cluster, score = _open(appeal_id, problem, received_at), 1.0
        session.add(cluster)
        log.info("appeal %s opens event cluster %s", appeal_id, cluster.id)
    else:
        cluster.size = EventCluster.size + 1
        cluster.opened_at = min(cluster.opened_at, received_at)
        cluster.last_seen_at = max(cluster.last_seen_at, received_at)
        log.info(
            "appeal %s joins event cluster %s (similarity %.2f)",
            appeal_id,
            cluster.id,
            score,
        )
    session.add(
        AppealCluster(
            appeal_id=appeal_id,
            cluster_id=cluster.id,
            similarity=score,
            joined_at=received_at,
        )
    )
    await session.flush()
    return cluster.id


async def cluster_of(session: AsyncSession, appeal_id: str) -> str | None:
    """The cluster id of an appeal, if it was given one."""
    held = await session.get(AppealCluster, appeal_id)
    return held.cluster_id if held else None


async def members(session: AsyncSession, cluster_id: str) -> list[str]:
    """The appeals of a cluster, in the order they joined."""
    rows = await session.scalars(
        select(AppealCluster.appeal_id)
        .where(AppealCluster.cluster_id == cluster_id)
        .order_by(AppealCluster.joined_at, AppealCluster.appeal_id)
    )
    return list(rows)


async def _closest(
    session: AsyncSession,
    problem: Problem,
    received_at: datetime,
    params: SamenessParams,
) -> tuple[EventCluster | None, float]:
    if problem.place.subdistrict_id is None:
        return None, 0.0
    window = timedelta(hours=params.cluster_window_hours)
    candidates = await session.scalars(
        select(EventCluster)
        .where(
            EventCluster.subdistrict_id == problem.place.subdistrict_id,
            EventCluster.last_seen_at >= received_at - window,
            EventCluster.opened_at <= received_at + window,
        )
        .order_by(EventCluster.opened_at, EventCluster.id)
    )
    best: EventCluster | None = None
    best_score = 0.0
    for cluster in candidates:
        score = similarity.similarity(problem, representative(cluster), params)
        if score > best_score:
            best, best_score = cluster, score
    return best, best_score


def representative(cluster: EventCluster) -> Problem:
    """The problem of the cluster's first report, as stored."""
    kept: dict[str, Any] = cluster.representative
    return Problem(
        tokens=tuple(cluster.tokens),
        pairs=tuple(kept.get("pairs", ())),
        things=frozenset(kept.get("things", ())),
        troubles=frozenset(kept.get("troubles", ())),
        place=Place(
            subdistrict_id=cluster.subdistrict_id,
            community=cluster.community,
            parts=dict(kept.get("parts", {})),
        ),
    )


def _open(appeal_id: str, problem: Problem, received_at: datetime) -> EventCluster:
    return EventCluster(
        id=ids.new_id(),
        subdistrict_id=problem.place.subdistrict_id,
        community=problem.place.community,
        opened_at=received_at,
        last_seen_at=received_at,
        size=1,
        first_appeal_id=appeal_id,
        tokens=list(problem.tokens),
        representative={
            "pairs": list(problem.pairs),
            "things": sorted(problem.things),
            "troubles": sorted(problem.troubles),
            "parts": dict(problem.place.parts),
        },
    )


async def _one_at_a_time(session: AsyncSession, subdistrict_id: str | None) -> None:
    """On PostgreSQL, assign clusters of one subdistrict one transaction at a time
    (a lock held to the end of the caller's transaction), so two reports of a new
    event arriving together do not open two clusters. SQLite writes one transaction
    at a time anyway."""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.blake2b(
        f"minsheng-intake-clusters:{subdistrict_id}".encode(), digest_size=8
    ).digest()
    key = int.from_bytes(digest, "big", signed=True)
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
