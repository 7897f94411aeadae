"""Periodic reports (定期报告, Art. 40): weekly, fortnightly, monthly, quarterly (Q1
and Q3), half-year and annual, each compiled once and kept.

A report holds, for its period (`report_periods`) against the period just before:
the volumes and rates of the appeals received (the indicators of `indicators`, over
the same received-time window as `GET /v1/kpis`), the appeals received per day or
month, the top categories and subdistricts, the warnings raised (Art. 23) with the
hotspot and high-frequency ones listed, the work orders overdue and still open when
the period ended, the recurring problems, and the units ranked by on-time closure
rate, then total closure rate (Art. 33).

Recurring problems (回潮) are, in this product:
- an event cluster (the "same event" intake assigns, Art. 18, 23) reported again in
  the period after one of its work orders had been closed on time or overdue (a
  staged closure is still being handled, so a report after it is no recurrence);
- and the work orders of a reopened round (重办, round 2 and later) dispatched in the
  period: the citizen or the return visit said the closure did not solve it.
Category and place alone are not used: the projection keeps only the subdistrict as
place (the community a citizen writes is personal data and not kept), and the same
category in one subdistrict recurs every week without being the same problem; a
kind of event recurring at one place over weeks is the high-frequency warning, listed
in its own section.

Each report is compiled on schedule once its period has ended (plus a delay, so the
events of its last minutes have arrived), by a background loop of the service, or on
demand; the first compilation is stored under (kind, first day) and every later
request, in any format, is served from it. A service that was down at a period's end
compiles the latest period of each kind when it runs again; older periods only on
demand.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from minsheng_analytics import (
    indicators,
    labels,
    report_periods,
    report_repository,
    repository,
    service,
)
from minsheng_analytics.models import AppealFact
from minsheng_analytics.report_errors import PeriodNotOver
from minsheng_analytics.report_models import GeneratedReport
from minsheng_analytics.report_periods import Period, ReportKind
from minsheng_analytics.report_schemas import (
    Overdue,
    OverdueOrder,
    PeriodicReport,
    PeriodOut,
    Ranked,
    RateTrend,
    Recurring,
    RecurringProblem,
    ReopenedOrder,
    TrendPoint,
    UnitOverdue,
    UnitRank,
    Volume,
    WarningCount,
    WarningItem,
    Warnings,
)
from minsheng_analytics.schemas import KpiReport, Rate
from minsheng_analytics.service import UNKNOWN, AnalyticsContext
from minsheng_analytics.settings import AnalyticsSettings
from minsheng_common.db import is_connection_error
from minsheng_common.rules import RuleEdition
from minsheng_common.runtime import ServiceRuntime
from minsheng_common.timeutil import local

log = logging.getLogger(__name__)

REPORTING_KEY = "analytics.reporting"
"""Where the runtime keeps the `Reporting` of the background loop and the routes."""

TOP = 10
"""Categories and subdistricts shown."""
LISTED = 100
"""Rows of each list (warnings, overdue orders, recurring problems, reopened
orders); the totals count them all."""

SCHEDULE = "schedule"
DEMAND = "demand"

VOLUMES: tuple[indicators.Indicator, ...] = (
    indicators.RECEIVED,
    indicators.FILED,
    indicators.REJECTED,
    indicators.LEVEL_1,
    indicators.DISPATCHED,
    indicators.CLOSED,
    indicators.CLOSED_OVERDUE,
    indicators.RETURNED,
    indicators.EXTENDED,
    indicators.CLOSURE_REJECTED,
)
RATES: tuple[indicators.Indicator, ...] = (
    indicators.ON_TIME_CLOSURE,
    indicators.TOTAL_CLOSURE,
    indicators.DISPATCH_WITHIN_LIMIT,
    indicators.SIGN_OFF_WITHIN_LIMIT,
    indicators.RETURN_RATE,
    indicators.INSTANT_ANSWER,
)
LISTED_WARNINGS: tuple[str, ...] = ("hotspot", "high_frequency")

RECURRING_DEFINITION = (
    "回潮问题：本期受理的诉求所属事件簇（与受理系统判定“同一事件”的口径一致）此前已有"
    "工单按期或超期办结，即办结后又被反映（阶段性办结仍在办理，不计）；另列本期派出的"
    "重办工单（第二轮及以后）。"
)
NOTES: tuple[str, ...] = (
    "时间均为北京时间；统计周期自首日0时起至末日24时止，对比周期为紧邻的上一个同类"
    "周期。",
    "受理量及各项比率统计本期受理的诉求及其工单，取报告生成时的状态，指标定义见"
    "GET /v1/kpis/definitions。",
    "超期未办结：本期结束时已派单、尚未办结且办理时限已过的工单（不论受理时间），以及"
    "阶段性办结后检查日已过仍未复核的工单。",
    RECURRING_DEFINITION,
    "单位排名按按期办结率、再按总办结率由高到低排列；本期无应办结工单的单位不参与排名。",
    "区域按街道统计：诉求人填写的社区属个人信息，分析库不保存。",
)


@dataclass(frozen=True)
class Reporting:
    """What compiling a report needs besides the store: the context (reference data,
    rules, clock), how long after a period's end its report is due, and how often
    the loop looks."""

    context: AnalyticsContext
    delay: timedelta
    check_seconds: float

    @classmethod
    def of(cls, context: AnalyticsContext, settings: AnalyticsSettings) -> Reporting:
        return cls(
            context=context,
            delay=timedelta(seconds=settings.report_delay_seconds),
            check_seconds=settings.report_check_seconds,
        )

    def due_at(self, period: Period) -> datetime:
        """When the report of `period` may be compiled, in UTC."""
        return period.ends_at + self.delay


async def compile_on_schedule(runtime: ServiceRuntime) -> None:
    """The background loop: every `ANALYTICS_REPORT_CHECK_SECONDS` on the service's
    clock (a demo clock moved forward compiles at once), compile the latest finished
    period of each kind not compiled yet. It waits one interval before the first
    look, so that after a restart the consumers catch up with the bus first."""
    reporting: Reporting = runtime.extras[REPORTING_KEY]
    while True:
        await asyncio.sleep(reporting.check_seconds)
        try:
            await compile_due(sessions=runtime.sessions, reporting=reporting)
        except Exception as error:
            if not is_connection_error(error):
                raise
            log.error("store unreachable for the periodic reports: %r", error)


async def compile_due(
    *, sessions: async_sessionmaker[AsyncSession], reporting: Reporting
) -> list[GeneratedReport]:
    """Compile and store the latest finished period of every kind whose report is
    due and not stored yet; the reports compiled now."""
    now = reporting.context.clock.now()
    compiled = []
    for kind in report_periods.KINDS:
        period = report_periods.latest_finished(kind, now - reporting.delay)
        async with sessions() as session:
            found = await report_repository.stored(session, kind, period.first_day)
            if found is not None:
                continue
            try:
                row = await _store(
                    session, reporting, period, trigger=SCHEDULE, by=None, now=now
                )
            except IntegrityError:
                # Another replica compiled the same period at the same moment; its
                # report stands.
                log.info("%s report of %s compiled elsewhere", kind, period.first_day)
                continue
        compiled.append(row)
    return compiled


async def obtain(
    *,
    session: AsyncSession,
    reporting: Reporting,
    kind: ReportKind,
    first_day: date,
    requested_by: str,
    field: str = "period",
) -> tuple[GeneratedReport, bool]:
    """The stored report of the period of `kind` starting `first_day`, compiled now
    if it is due and was never compiled; and whether it was compiled now.
    `InvalidPeriod` (422) for a day that starts no such period, `PeriodNotOver`
    (409) before it is due."""
    period = report_periods.starting(kind, first_day, field=field)
    found = await report_repository.stored(session, kind, period.first_day)
    if found is not None:
        return found, False

    now = reporting.context.clock.now()
    due = reporting.due_at(period)
    if now < due:
        raise PeriodNotOver(
            f"the {kind} period {period.first_day.isoformat()} to "
            f"{period.last_day.isoformat()} has not ended long enough: its report "
            f"can be compiled from {local(due):%Y-%m-%d %H:%M} Asia/Shanghai",
            field=field,
        )
    try:
        row = await _store(
            session, reporting, period, trigger=DEMAND, by=requested_by, now=now
        )
    except IntegrityError:
        await session.rollback()
        found = await report_repository.stored(session, kind, period.first_day)
        if found is None:
            raise
        return found, False
    return row, True


async def _store(
    session: AsyncSession,
    reporting: Reporting,
    period: Period,
    *,
    trigger: str,
    by: str | None,
    now: datetime,
) -> GeneratedReport:
    """Compile the report and keep it, committing; IntegrityError when another
    compilation of the same period was stored first."""
    report = await compile_report(
        session=session,
        context=reporting.context,
        period=period,
        trigger=trigger,
        now=now,
    )
    row = GeneratedReport(
        kind=period.kind,
        period_start=period.first_day,
        period_end=period.next_day,
        generated_at=now,
        trigger=trigger,
        requested_by=by,
        as_of=report.as_of,
        body=report.model_dump(mode="json"),
    )
    session.add(row)
    await session.commit()
    received = {volume.key: volume.current for volume in report.volumes}
    log.info(
        "%s report of %s compiled (%s%s): %d received, %d overdue open",
        period.kind,
        period.first_day,
        trigger,
        f" by {by}" if by else "",
        received[indicators.RECEIVED.key],
        report.overdue.overdue,
    )
    return row


def content(row: GeneratedReport) -> PeriodicReport:
    """The report as it was compiled."""
    return PeriodicReport.model_validate(row.body)


async def compile_report(
    *,
    session: AsyncSession,
    context: AnalyticsContext,
    period: Period,
    trigger: str,
    now: datetime,
) -> PeriodicReport:
    """Every section of the report of `period`, from the projection as it is now."""
    previous = period.previous()
    edition = _edition(context, period)
    current_kpis = await _kpis(session, context, period)
    previous_kpis = await _kpis(session, context, previous)
    overdue = await _overdue(session, context, period)
    kind_label = report_periods.KIND_LABELS[period.kind]

    return PeriodicReport(
        kind=period.kind,
        kind_label=kind_label,
        title=f"{context.reference.district.name}民生诉求{kind_label}"
        f"（{period.label}）",
        period=period_out(period),
        previous_period=period_out(previous),
        generated_at=now,
        trigger=trigger,
        as_of=current_kpis.as_of,
        rules_edition=edition.id,
        volumes=_volumes(current_kpis, previous_kpis),
        rates=_rates(current_kpis, previous_kpis, edition),
        trend=await _trend(session, period),
        top_categories=await _ranked(
            session,
            AppealFact.category_id,
            period,
            {category.id: category.name for category in context.reference.categories},
        ),
        top_subdistricts=await _ranked(
            session,
            AppealFact.subdistrict_id,
            period,
            {place.id: place.name for place in context.reference.subdistricts},
        ),
        warnings=await _warnings(session, context, period),
        overdue=overdue,
        recurring=await _recurring(session, context, period),
        unit_ranking=_ranking(context, current_kpis, overdue),
        notes=list(NOTES),
    )


def period_out(period: Period) -> PeriodOut:
    return PeriodOut(
        first_day=period.first_day,
        last_day=period.last_day,
        starts_at=period.starts_at,
        ends_at=period.ends_at,
        label=period.label,
    )


def _edition(context: AnalyticsContext, period: Period) -> RuleEdition:
    """The edition in force on the period's last day (its limits label the rates);
    for a period before the first edition, the first."""
    try:
        return context.rule_book.in_force(period.ends_at - timedelta(seconds=1))
    except ValueError:
        return context.rule_book.editions[0]


async def _kpis(
    session: AsyncSession, context: AnalyticsContext, period: Period
) -> KpiReport:
    within = repository.Window(start=period.starts_at, end=period.ends_at)
    return await service.kpis(session=session, context=context, within=within)


def _volumes(current: KpiReport, previous: KpiReport) -> list[Volume]:
    volumes = []
    for indicator in VOLUMES:
        now_count = int(getattr(current.totals, indicator.key))
        before = int(getattr(previous.totals, indicator.key))
        change = now_count - before
        volumes.append(
            Volume(
                key=indicator.key,
                label=indicator.label,
                current=now_count,
                previous=before,
                change=change,
                change_ratio=round(change / before, 4) if before else None,
            )
        )
    return volumes


def _rates(
    current: KpiReport, previous: KpiReport, edition: RuleEdition
) -> list[RateTrend]:
    trends = []
    for indicator in RATES:
        now_rate: Rate = getattr(current.rates, indicator.key)
        before: Rate = getattr(previous.rates, indicator.key)
        points = None
        if now_rate.rate is not None and before.rate is not None:
            points = round((now_rate.rate - before.rate) * 100, 2)
        trends.append(
            RateTrend(
                key=indicator.key,
                label=indicator.label_under(edition),
                current=now_rate,
                previous=before,
                change_points=points,
            )
        )
    return trends


async def _trend(session: AsyncSession, period: Period) -> list[TrendPoint]:
    if period.kind in report_periods.DAILY:
        firsts = period.days()
        names = [f"{day.month}月{day.day}日" for day in firsts]
    else:
        firsts = period.months()
        names = [f"{day.year}年{day.month}月" for day in firsts]
    bounds = [report_periods.midnight(day) for day in firsts] + [period.ends_at]
    counts = await report_repository.received_between(session, bounds)
    return [
        TrendPoint(first_day=day, label=name, received=count)
        for day, name, count in zip(firsts, names, counts, strict=True)
    ]


async def _ranked(
    session: AsyncSession,
    column: InstrumentedAttribute[str | None],
    period: Period,
    names: Mapping[str, str],
) -> list[Ranked]:
    previous = period.previous()
    now_counts = await report_repository.received_by(
        session, column, period.starts_at, period.ends_at
    )
    before = await report_repository.received_by(
        session, column, previous.starts_at, previous.ends_at
    )
    total = sum(now_counts.values())
    ordered = sorted(now_counts.items(), key=lambda item: (-item[1], item[0] or "~"))
    return [
        Ranked(
            id=key or UNKNOWN,
            name=names.get(key, key) if key else labels.UNKNOWN,
            received=count,
            previous=before.get(key, 0),
            change=count - before.get(key, 0),
            share=round(count / total, 4) if total else None,
        )
        for key, count in ordered[:TOP]
    ]


async def _warnings(
    session: AsyncSession, context: AnalyticsContext, period: Period
) -> Warnings:
    previous = period.previous()
    now_counts = await report_repository.warning_counts(
        session, period.starts_at, period.ends_at
    )
    before = await report_repository.warning_counts(
        session, previous.starts_at, previous.ends_at
    )
    raised = await report_repository.warnings_raised(
        session, period.starts_at, period.ends_at, kinds=LISTED_WARNINGS, limit=LISTED
    )
    firsts = await report_repository.first_appeals(
        session, [warning.warning_id for warning in raised]
    )
    items = []
    for warning in raised:
        first = firsts.get(warning.warning_id)
        kind = warning.kind or ""
        items.append(
            WarningItem(
                warning_id=warning.warning_id,
                kind=kind,
                label=labels.WARNING_KINDS.get(kind, kind),
                cluster_id=warning.cluster_id,
                subdistrict=_subdistrict(context, warning.subdistrict_id),
                category=_category(context, first.category_id if first else None),
                title=(first.title if first else None) or "",
                count=warning.count or 0,
                window_hours=warning.window_hours,
                raised_at=warning.raised_at,
            )
        )
    return Warnings(
        counts=[
            WarningCount(
                kind=kind,
                label=label,
                current=now_counts.get(kind, 0),
                previous=before.get(kind, 0),
            )
            for kind, label in labels.WARNING_KINDS.items()
        ],
        items=items,
        items_total=sum(now_counts.get(kind, 0) for kind in LISTED_WARNINGS),
    )


async def _overdue(
    session: AsyncSession, context: AnalyticsContext, period: Period
) -> Overdue:
    end = period.ends_at
    by_unit = await report_repository.overdue_by_unit(session, end)
    rows = await report_repository.overdue_orders(session, end, limit=LISTED)
    units = sorted(
        by_unit.items(), key=lambda item: (-item[1][1], -item[1][0], item[0] or "~")
    )
    return Overdue(
        unclosed=sum(unclosed for unclosed, _ in by_unit.values()),
        overdue=sum(late for _, late in by_unit.values()),
        by_unit=[
            UnitOverdue(
                unit_id=unit_id or UNKNOWN,
                unit=_unit(context, unit_id),
                unclosed=unclosed,
                overdue=late,
            )
            for unit_id, (unclosed, late) in units
        ],
        orders=[
            OverdueOrder(
                work_order_id=row.work_order_id,
                tracking_code=row.tracking_code,
                unit_id=row.unit_id or UNKNOWN,
                unit=_unit(context, row.unit_id),
                category=_category(context, row.category_id),
                subdistrict=_subdistrict(context, row.subdistrict_id),
                clock=row.clock,
                due_at=row.due_at,
                overdue_days=(end - row.due_at).days,
            )
            for row in rows
        ],
        orders_total=sum(late for _, late in by_unit.values()),
    )


async def _recurring(
    session: AsyncSession, context: AnalyticsContext, period: Period
) -> Recurring:
    reports = await report_repository.recurring_reports(
        session, period.starts_at, period.ends_at
    )
    by_cluster: dict[str, list[report_repository.RecurringReport]] = {}
    for report in reports:
        by_cluster.setdefault(report.cluster_id, []).append(report)
    problems = [_problem(context, cluster) for cluster in by_cluster.values()]
    problems.sort(
        key=lambda problem: (
            -problem.reports,
            -problem.last_reported_at.timestamp(),
            problem.cluster_id,
        )
    )
    reopened, reopened_total = await report_repository.reopened_orders(
        session, period.starts_at, period.ends_at, limit=LISTED
    )
    return Recurring(
        definition=RECURRING_DEFINITION,
        problems=problems[:LISTED],
        problems_total=len(problems),
        reopened=[
            ReopenedOrder(
                work_order_id=row.work_order_id,
                tracking_code=row.tracking_code,
                unit_id=row.unit_id or UNKNOWN,
                unit=_unit(context, row.unit_id),
                category=_category(context, row.category_id),
                subdistrict=_subdistrict(context, row.subdistrict_id),
                round=row.round,
                dispatched_at=row.dispatched_at,
            )
            for row in reopened
        ],
        reopened_total=reopened_total,
    )


def _problem(
    context: AnalyticsContext, reports: Sequence[report_repository.RecurringReport]
) -> RecurringProblem:
    latest = reports[-1]
    return RecurringProblem(
        cluster_id=latest.cluster_id,
        category=_category(context, latest.category_id),
        subdistrict=_subdistrict(context, latest.subdistrict_id),
        title=latest.title or "",
        first_closed_at=latest.first_closed_at,
        reports=len(reports),
        last_reported_at=latest.received_at,
    )


def _ranking(
    context: AnalyticsContext, kpis: KpiReport, overdue: Overdue
) -> list[UnitRank]:
    """Units with an order due in the period ranked by on-time, then total closure
    rate (equal rates share a rank); the others after them, unranked."""
    late = {unit.unit_id: unit.overdue for unit in overdue.by_unit}
    unit_ids = (set(kpis.by_unit) | set(late)) - {UNKNOWN}
    rows = []
    for unit_id in unit_ids:
        unit = kpis.by_unit.get(unit_id)
        rows.append(
            UnitRank(
                rank=None,
                unit_id=unit_id,
                unit=context.unit_name(unit_id),
                dispatched=unit.dispatched if unit else 0,
                closed=unit.closed if unit else 0,
                on_time_closure=unit.rates.on_time_closure if unit else Rate.of(0, 0),
                total_closure=unit.rates.total_closure if unit else Rate.of(0, 0),
                overdue=late.get(unit_id, 0),
            )
        )
    ranked = sorted(
        (row for row in rows if row.on_time_closure.rate is not None),
        key=lambda row: (*_standing(row), -row.dispatched, row.unit_id),
    )
    for place, row in enumerate(ranked, start=1):
        ahead = ranked[place - 2] if place > 1 else None
        tied = ahead is not None and _standing(ahead) == _standing(row)
        row.rank = ahead.rank if ahead is not None and tied else place
    unranked = sorted(
        (row for row in rows if row.on_time_closure.rate is None),
        key=lambda row: (-row.dispatched, row.unit_id),
    )
    return ranked + unranked


def _standing(row: UnitRank) -> tuple[float, float]:
    return (-(row.on_time_closure.rate or 0.0), -(row.total_closure.rate or 0.0))


def _unit(context: AnalyticsContext, unit_id: str | None) -> str:
    return context.unit_name(unit_id) if unit_id else labels.UNKNOWN


def _category(context: AnalyticsContext, category_id: str | None) -> str:
    if category_id is None:
        return labels.UNKNOWN
    for category in context.reference.categories:
        if category.id == category_id:
            return category.name
    return category_id


def _subdistrict(context: AnalyticsContext, subdistrict_id: str | None) -> str:
    if subdistrict_id is None:
        return labels.UNKNOWN
    for place in context.reference.subdistricts:
        if place.id == subdistrict_id:
            return place.name
    return subdistrict_id
