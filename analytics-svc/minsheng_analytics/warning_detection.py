"""Warning detection (预警, Art. 23): analytics raises `warning.raised` from the appeals
it projects, through its outbox, in the transaction that projects the appeal.

- **Hotspot**: at least `min_reports` reports of one event cluster (the cluster intake
  gives on `appeal.filed`, so the two services agree on "the same event") received
  within `window_hours` of each other, for each rule of the reference data's
  `hotspot_rules`. A window slides: it fires at the report that makes some
  `window_hours` span (both ends included) hold `min_reports` reports, with those
  reports as evidence; once per cluster and rule.
- **High-frequency**: the same category at the same subdistrict and community with
  `min_reports` reports within `window_days`, spread over `min_weeks` ISO weeks; once
  per place and window. A later warning for the place counts only reports received
  after the one that crossed the threshold last time. The community is the official
  name of the reference data the citizen wrote, or none (then the report names no
  place and is not counted): what else a citizen writes there is personal data and
  is neither kept nor logged.
- **Safety hazard**: an appeal filed or graded at a hazard level, or graded by a
  hazard basis (`warning_rules`); once per event cluster, or per appeal outside one.
  A grading that arrives before the appeal's filing waits for it (the filing names
  the cluster), so a cluster gets one hazard whatever order the events come in; an
  appeal never filed raises none.
- **Sensitive**: an appeal whose category, title or content is about a watched
  topic; once per event cluster, or per appeal outside one.

Times are the appeals' `received_at`; a warning's `raised_at` is when its evidence
was complete: the latest filing among its reports (for a hazard, the grading), the
same whatever order the events arrive in. Each warning has a trigger row whose key
(kind, scope, window) is unique, and the counting of a cluster or place holds that
scope's lock row: a duplicate delivery raises nothing twice, and two consumers
(PostgreSQL) neither both fire nor both miss a threshold. Analytics projects its
own `warning.raised` like any other warning (`oversight.on_warning_raised`).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_analytics import repository
from minsheng_analytics.models import (
    WarningGrading,
    WarningReport,
    WarningScope,
    WarningTrigger,
)
from minsheng_analytics.warning_rules import (
    HighFrequencyRule,
    HotspotRule,
    WarningRules,
)
from minsheng_common.bus.consumer import Handler
from minsheng_common.bus.outbox import Outbox
from minsheng_common.events import AppealFiled, AppealGraded, Envelope, WarningRaised
from minsheng_common.events.catalogue import WarningKind
from minsheng_common.timeutil import local

log = logging.getLogger(__name__)

# Warning ids derive from their trigger key, so detection run again over the same
# events (a rebuilt store) names each warning as before, and receivers dedup by it.
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "minsheng:analytics:warning")

# The window of the kinds that fire once per cluster or appeal.
_ONCE = "once"


@dataclass(frozen=True)
class Report:
    """One report as counted: which appeal, when received, where, and when analytics
    could first know it (its filing, or the grading that made it a hazard)."""

    appeal_id: str
    received_at: datetime
    known_at: datetime
    subdistrict_id: str | None = None


def crossing(
    reports: Sequence[Report],
    *,
    window: timedelta,
    min_reports: int,
    min_weeks: int = 1,
) -> list[Report] | None:
    """The reports of the first window that meets the rule, in received order, or
    None: the last of them is the report that crosses the threshold.

    `reports` are sorted by time. For each report, the widest window ending at it
    (reports at most `window` earlier) is checked; the first that holds `min_reports`
    reports over `min_weeks` ISO weeks wins. For a count alone that window holds
    exactly `min_reports` reports, since the one before it held fewer."""
    start = 0
    for end, last in enumerate(reports):
        while last.received_at - reports[start].received_at > window:
            start += 1
        chosen = reports[start : end + 1]
        if len(chosen) >= min_reports and _weeks(chosen) >= min_weeks:
            return list(chosen)
    return None


def _weeks(reports: Sequence[Report]) -> int:
    return len({local(report.received_at).isocalendar()[:2] for report in reports})


class WarningDetector:
    """Raises warnings from `appeal.filed` and `appeal.graded` (Art. 23)."""

    def __init__(self, *, outbox: Outbox, rules: WarningRules) -> None:
        self.outbox = outbox
        self.rules = rules

    def wrap(self, handlers: Mapping[str, Handler]) -> dict[str, Handler]:
        """`handlers` with detection after the projection of `appeal.filed` and
        `appeal.graded`, in the same transaction: a warning is staged only if the
        event is applied, and once, as the inbox applies an event once."""
        wrapped = dict(handlers)
        wrapped[AppealFiled.event_type] = _then(
            handlers[AppealFiled.event_type], self.on_filed
        )
        wrapped[AppealGraded.event_type] = _then(
            handlers[AppealGraded.event_type], self.on_graded
        )
        return wrapped

    async def on_filed(
        self, session: AsyncSession, envelope: Envelope, data: AppealFiled
    ) -> None:
        """Count the filed appeal in its cluster and place, then check every kind."""
        community = self.rules.community(data.subdistrict_id, data.community)
        cluster = _cluster_scope(data.cluster_id) if data.cluster_id else None
        place = _place_scope(data, community)
        # Cluster before place, always: two consumers never wait on each other in a
        # cycle.
        for scope in (cluster, place):
            if scope is not None:
                await repository.locked(session, WarningScope, scope)
        await repository.add_absent(
            session,
            WarningReport,
            [
                {
                    "appeal_id": data.appeal_id,
                    "cluster_id": data.cluster_id,
                    "category_id": data.category_id,
                    "subdistrict_id": data.subdistrict_id,
                    "community": community,
                    "received_at": data.received_at,
                    "filed_at": data.filed_at,
                }
            ],
        )

        report = Report(
            data.appeal_id, data.received_at, data.filed_at, data.subdistrict_id
        )
        if cluster is not None:
            for rule in self.rules.hotspots:
                await self._hotspot(session, cluster, data, rule)
        if place is not None and community is not None:
            await self._high_frequency(session, place, data, community)
        await self._hazard_at_filing(session, data, report)
        topic = self.rules.sensitive_topic(
            category_id=data.category_id, texts=[data.title, data.content]
        )
        if topic is not None:
            log.debug("appeal %s is about watched topic %s", data.appeal_id, topic)
            await self._once(session, "sensitive", report, data.cluster_id)

    async def on_graded(
        self, session: AsyncSession, envelope: Envelope, data: AppealGraded
    ) -> None:
        """A grade at a hazard level or on a hazard basis raises a safety hazard,
        once the appeal's filing has named its cluster."""
        if not self.rules.safety_hazard.is_hazard(data.level, data.basis):
            return
        counted = await session.get(WarningReport, data.appeal_id)
        if counted is None:
            await _remember_grading(session, data)
            return
        cluster_id = counted.cluster_id
        if cluster_id is not None:
            await repository.locked(session, WarningScope, _cluster_scope(cluster_id))
        report = Report(
            data.appeal_id,
            counted.received_at,
            data.graded_at,
            counted.subdistrict_id,
        )
        await self._once(session, "safety_hazard", report, cluster_id)

    async def _hazard_at_filing(
        self, session: AsyncSession, data: AppealFiled, report: Report
    ) -> None:
        """A hazard filed at a hazard level, or graded one before its filing: the
        warning is the one the other order of events would raise (known at the
        filing for a level given then, at the grading otherwise)."""
        graded = await session.get(WarningGrading, data.appeal_id)
        if data.level not in self.rules.safety_hazard.levels:
            if graded is None:
                return
            report = dataclasses.replace(report, known_at=graded.graded_at)
        await self._once(session, "safety_hazard", report, data.cluster_id)
        if graded is not None:
            await session.delete(graded)

    async def _hotspot(
        self,
        session: AsyncSession,
        scope: str,
        data: AppealFiled,
        rule: HotspotRule,
    ) -> None:
        window = f"{rule.window_hours}h"
        if await _fired(session, "hotspot", [scope], window):
            return
        # A window that crosses now holds the new report, so only reports within
        # one window of it matter.
        reports = await _reports(
            session,
            WarningReport.cluster_id == data.cluster_id,
            around=data.received_at,
            within=rule.window,
        )
        evidence = crossing(reports, window=rule.window, min_reports=rule.min_reports)
        if evidence is not None:
            await self._fire(
                session,
                kind="hotspot",
                scope=scope,
                window=window,
                evidence=evidence,
                cluster_id=data.cluster_id,
                window_hours=rule.window_hours,
            )

    async def _high_frequency(
        self,
        session: AsyncSession,
        scope: str,
        data: AppealFiled,
        community: str,
    ) -> None:
        rule: HighFrequencyRule = self.rules.high_frequency
        last = await session.scalar(
            select(func.max(WarningTrigger.crossed_at)).where(
                WarningTrigger.kind == "high_frequency", WarningTrigger.scope == scope
            )
        )
        conditions = [
            WarningReport.category_id == data.category_id,
            WarningReport.subdistrict_id == data.subdistrict_id,
            WarningReport.community == community,
        ]
        if last is not None:
            # Reports already behind a warning of this place raise no second one.
            conditions.append(WarningReport.received_at > last)
        reports = await _reports(
            session, *conditions, around=data.received_at, within=rule.window
        )
        evidence = crossing(
            reports,
            window=rule.window,
            min_reports=rule.min_reports,
            min_weeks=rule.min_weeks,
        )
        if evidence is not None:
            started = evidence[0].received_at.strftime("%Y-%m-%dT%H:%M:%SZ")
            await self._fire(
                session,
                kind="high_frequency",
                scope=scope,
                window=f"{rule.window_days}d@{started}",
                evidence=evidence,
                cluster_id=None,
                window_hours=rule.window_days * 24,
            )

    async def _once(
        self,
        session: AsyncSession,
        kind: WarningKind,
        report: Report,
        cluster_id: str | None,
    ) -> None:
        """A warning of the appeal's cluster, or of the appeal outside one, unless
        one of this kind was raised for either."""
        appeal = f"appeal:{report.appeal_id}"
        scopes = (
            [appeal] if cluster_id is None else [_cluster_scope(cluster_id), appeal]
        )
        if await _fired(session, kind, scopes, _ONCE):
            return
        await self._fire(
            session,
            kind=kind,
            scope=scopes[0],
            window=_ONCE,
            evidence=[report],
            cluster_id=cluster_id,
            window_hours=None,
        )

    async def _fire(
        self,
        session: AsyncSession,
        *,
        kind: WarningKind,
        scope: str,
        window: str,
        evidence: list[Report],
        cluster_id: str | None,
        window_hours: int | None,
    ) -> None:
        crossed = evidence[-1]
        # The moment the evidence was complete, whatever order its events came in.
        raised_at = max(report.known_at for report in evidence)
        warning_id = str(uuid.uuid5(_NAMESPACE, f"{kind}|{scope}|{window}"))
        if not await _claim(
            session,
            {
                "kind": kind,
                "scope": scope,
                "window": window,
                "warning_id": warning_id,
                "appeal_id": crossed.appeal_id,
                "crossed_at": crossed.received_at,
                "raised_at": raised_at,
            },
        ):
            log.debug("warning %s was raised already", warning_id)
            return
        warning = WarningRaised(
            warning_id=warning_id,
            kind=kind,
            cluster_id=cluster_id,
            appeal_ids=[report.appeal_id for report in evidence],
            subdistrict_id=crossed.subdistrict_id,
            count=len(evidence),
            window_hours=window_hours,
            raised_at=raised_at,
        )
        await self.outbox.stage(session, warning, occurred_at=raised_at)
        # Without the scope: a place's scope names its community.
        log.info(
            "warning %s raised: %s of cluster %s (window %s), %d appeals, crossed "
            "by appeal %s",
            warning_id,
            kind,
            cluster_id or "-",
            window,
            len(evidence),
            crossed.appeal_id,
        )


def _then(project: Handler, detect: Handler) -> Handler:
    @functools.wraps(project)
    async def handle(session: AsyncSession, envelope: Envelope, data: Any) -> None:
        await project(session, envelope, data)
        await detect(session, envelope, data)

    return handle


def _cluster_scope(cluster_id: str) -> str:
    return f"cluster:{cluster_id}"


def _place_scope(data: AppealFiled, community: str | None) -> str | None:
    """Category and place of a report, when all three are known: a report without an
    official community names no place narrower than a whole subdistrict."""
    if not (data.category_id and data.subdistrict_id and community):
        return None
    return f"place:{data.category_id}|{data.subdistrict_id}|{community}"


async def _remember_grading(session: AsyncSession, data: AppealGraded) -> None:
    """Keep a hazard grading of an appeal not filed yet, the earliest if several."""
    await repository.add_absent(
        session,
        WarningGrading,
        [{"appeal_id": data.appeal_id, "graded_at": data.graded_at}],
    )
    kept = await session.get(
        WarningGrading, data.appeal_id, with_for_update=True, populate_existing=True
    )
    if kept is not None and data.graded_at < kept.graded_at:
        kept.graded_at = data.graded_at
    log.debug("appeal %s graded a hazard before its filing", data.appeal_id)


async def _reports(
    session: AsyncSession, *conditions: Any, around: datetime, within: timedelta
) -> list[Report]:
    rows = await session.execute(
        select(
            WarningReport.appeal_id,
            WarningReport.received_at,
            WarningReport.subdistrict_id,
            WarningReport.filed_at,
        )
        .where(
            *conditions,
            WarningReport.received_at >= around - within,
            WarningReport.received_at <= around + within,
        )
        .order_by(WarningReport.received_at, WarningReport.appeal_id)
    )
    return [Report(row[0], row[1], row[3], row[2]) for row in rows]


async def _fired(
    session: AsyncSession, kind: str, scopes: list[str], window: str
) -> bool:
    found = await session.scalar(
        select(WarningTrigger.warning_id)
        .where(
            WarningTrigger.kind == kind,
            WarningTrigger.scope.in_(scopes),
            WarningTrigger.window == window,
        )
        .limit(1)
    )
    return found is not None


async def _claim(session: AsyncSession, values: Mapping[str, Any]) -> bool:
    """Insert the trigger row; False when its key was there already, even one
    inserted by a concurrent transaction (it waits for that one's outcome)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    claimed = await session.scalar(
        insert(WarningTrigger)
        .values(**values)
        .on_conflict_do_nothing()
        .returning(WarningTrigger.warning_id)
    )
    return claimed is not None
