"""The KPIs: fold the grouped counts of the projection into totals and slices by type,
channel, unit and rejection reason (Art. 33); levels (Art. 9), holds (Art. 11) and the
instant-answer rate (Art. 43) come with the appeal counts, satisfaction (Art. 30, 31)
with the return visits. Warnings (Art. 23) and calendar alerts are listed as kept."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_analytics import indicators, repository
from minsheng_analytics.errors import InvalidWindow
from minsheng_analytics.models import WarningFact
from minsheng_analytics.schemas import (
    Alerts,
    CalendarAlertOut,
    Counts,
    Definitions,
    IndicatorOut,
    KpiReport,
    Rate,
    Rates,
    Slice,
    UnitSlice,
    WarningOut,
    WarningPage,
    Window,
    WorkOrderRates,
)
from minsheng_common.clock import Clock
from minsheng_common.reference import ReferenceData
from minsheng_common.rules import RuleBook, RuleEdition
from minsheng_common.timeutil import as_utc

# Rows whose dimension is not known yet (an order seen before its appeal) are grouped
# under this key rather than dropped.
UNKNOWN = "unknown"


@dataclass(frozen=True)
class AnalyticsContext:
    """What the KPIs and the page need besides the store."""

    reference: ReferenceData
    rule_book: RuleBook
    clock: Clock
    refresh_seconds: int
    recent: int

    def edition_now(self) -> RuleEdition:
        return self.rule_book.in_force(self.clock.now())

    def unit_name(self, unit_id: str) -> str:
        for unit in self.reference.units:
            if unit.id == unit_id:
                return unit.name
        return unit_id


def window(start: datetime | None, end: datetime | None) -> repository.Window:
    """The received-time window [start, end); a time without offset is Asia/Shanghai."""
    start = as_utc(start) if start is not None else None
    end = as_utc(end) if end is not None else None
    if start is not None and end is not None and end <= start:
        raise InvalidWindow("`to` must be after `from`", field="to")
    return repository.Window(start=start, end=end)


async def kpis(
    *, session: AsyncSession, context: AnalyticsContext, within: repository.Window
) -> KpiReport:
    """Every indicator over the appeals received in the window, and its slices."""
    totals: Counter[str] = Counter()
    by_type: defaultdict[str, Counter[str]] = defaultdict(Counter)
    by_channel: defaultdict[str, Counter[str]] = defaultdict(Counter)
    by_unit: defaultdict[str, Counter[str]] = defaultdict(Counter)
    reasons: Counter[str] = Counter()

    for row in await repository.appeal_rows(session, within):
        appeal_type, channel, reason = row[0], row[1], row[2]
        values = _values(row._mapping, indicators.of("appeal"))
        for tally in (
            totals,
            by_type[appeal_type or UNKNOWN],
            by_channel[channel or UNKNOWN],
        ):
            tally.update(values)
        if reason is not None and values[indicators.REJECTED.key]:
            reasons[reason] += values[indicators.REJECTED.key]

    for row in await repository.work_order_rows(session, within):
        unit_id, appeal_type, channel = row[0], row[1], row[2]
        values = _values(row._mapping, indicators.of("work_order"))
        for tally in (
            totals,
            by_type[appeal_type or UNKNOWN],
            by_channel[channel or UNKNOWN],
            by_unit[unit_id or UNKNOWN],
        ):
            tally.update(values)

    for row in await repository.return_visit_rows(session, within):
        unit_id, appeal_type, channel = row[0], row[1], row[2]
        values = _values(row._mapping, indicators.of("return_visit"))
        for tally in (
            totals,
            by_type[appeal_type or UNKNOWN],
            by_channel[channel or UNKNOWN],
            by_unit[unit_id or UNKNOWN],
        ):
            tally.update(values)

    return KpiReport(
        as_of=await repository.as_of(session),
        window=Window(start=within.start, end=within.end),
        totals=_counts(totals),
        rates=_rates(totals),
        by_type={key: _slice(by_type[key]) for key in sorted(by_type)},
        by_channel={key: _slice(by_channel[key]) for key in sorted(by_channel)},
        by_unit={
            key: UnitSlice(
                name=context.unit_name(key),
                rates=_work_order_rates(by_unit[key]),
                **_work_order_counts(by_unit[key]),
            )
            for key in sorted(by_unit)
        },
        by_rejection_reason=dict(sorted(reasons.items())),
    )


async def warnings(
    *,
    session: AsyncSession,
    kind: str | None,
    since: datetime | None,
    limit: int,
    offset: int,
) -> WarningPage:
    """Warnings raised at or after `since` (a time without offset is
    Asia/Shanghai), of one kind if given, newest first."""
    found, total = await repository.warnings(
        session,
        kind=kind,
        since=as_utc(since) if since is not None else None,
        limit=limit,
        offset=offset,
    )
    return WarningPage(
        items=[_warning_out(warning, appeal_ids) for warning, appeal_ids in found],
        total=total,
    )


async def alerts(*, session: AsyncSession) -> Alerts:
    """The latest alert of every year whose holiday schedule was reported missing."""
    rows = await repository.calendar_alerts(session)
    return Alerts(
        calendar_years_missing=[CalendarAlertOut.model_validate(row) for row in rows]
    )


def definitions(*, context: AnalyticsContext) -> Definitions:
    """How every indicator is computed, labelled with the limits in force now."""
    edition = context.edition_now()
    return Definitions(
        window=indicators.WINDOW,
        rules_edition=edition.id,
        indicators=[
            IndicatorOut(
                key=indicator.key,
                label=indicator.label_under(edition),
                article=indicator.article,
                kind="rate" if indicator.is_rate else "count",
                subject=indicator.subject,
                numerator=indicator.numerator,
                denominator=indicator.denominator,
                exclusions=indicator.exclusions,
                target=indicator.target,
            )
            for indicator in indicators.ALL
        ],
    )


def _warning_out(warning: WarningFact, appeal_ids: list[str]) -> WarningOut:
    # Validated rather than built field by field: the store's columns are nullable,
    # and a listed warning has every one its event gives.
    return WarningOut.model_validate(
        {
            "warning_id": warning.warning_id,
            "kind": warning.kind,
            "cluster_id": warning.cluster_id,
            "appeal_ids": appeal_ids,
            "count": warning.count,
            "subdistrict_id": warning.subdistrict_id,
            "window_hours": warning.window_hours,
            "raised_at": warning.raised_at,
        }
    )


def _values(
    row: Mapping[str, Any], chosen: Sequence[indicators.Indicator]
) -> dict[str, int]:
    values: dict[str, int] = {}
    for indicator in chosen:
        for column in indicator.columns():
            values[column.name] = int(row[column.name] or 0)
    return values


def _counts(tally: Mapping[str, int]) -> Counts:
    return Counts(
        **{indicator.key: tally.get(indicator.key, 0) for indicator in _all_counts()}
    )


def _work_order_counts(tally: Mapping[str, int]) -> dict[str, int]:
    return {
        indicator.key: tally.get(indicator.key, 0)
        for indicator in indicators.WORK_ORDER_COUNTS
    }


def _rates(tally: Mapping[str, int]) -> Rates:
    return Rates(**_rates_of(tally, indicators.RATES))


def _work_order_rates(tally: Mapping[str, int]) -> WorkOrderRates:
    return WorkOrderRates(**_rates_of(tally, indicators.UNIT_RATES))


def _rates_of(
    tally: Mapping[str, int], chosen: Sequence[indicators.Indicator]
) -> dict[str, Rate]:
    return {
        indicator.key: Rate.of(
            tally.get(indicator.numerator_key, 0),
            tally.get(indicator.denominator_key, 0),
        )
        for indicator in chosen
    }


def _slice(tally: Mapping[str, int]) -> Slice:
    return Slice(rates=_rates(tally), **_counts(tally).model_dump())


def _all_counts() -> Iterable[indicators.Indicator]:
    return indicators.APPEAL_COUNTS + indicators.WORK_ORDER_COUNTS
