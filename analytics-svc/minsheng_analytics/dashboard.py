"""The dashboard page: plain HTML in Chinese, no script, readable in any browser.

Today's volume, the open and overdue work, a schematic map of the subdistricts shaded
by open work and marked with their active warnings, the trend of the last days, the
units ranked by their closure rates, then the KPIs of the period chosen (all time,
today, the last 7 or 30 days) and the tables behind them. The map and the chart are
inline SVG drawn from `schematic`; links move between periods and to a
subdistrict's row, so nothing needs a script.

Rendered by Jinja2 with autoescaping on, so text that came from citizens (titles) or
from other services (codes) is always shown as text, never as markup; and every value
loses its control and format characters on the way, so a NUL or a right-to-left
override in a title cannot reach the page.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final
from urllib.parse import urlencode

import jinja2
import markupsafe

from minsheng_analytics import indicators, labels, overview, schematic
from minsheng_analytics.models import AppealFact
from minsheng_analytics.schemas import (
    KpiReport,
    Rate,
    Slice,
    UnitSlice,
    WorkOrderRates,
)
from minsheng_analytics.service import UNKNOWN, AnalyticsContext
from minsheng_common.rules import RuleEdition
from minsheng_common.timeutil import local

# The periods the page offers: a label and how many days back from today, today
# included; None for all time.
PERIODS: Final[tuple[tuple[str, int | None], ...]] = (
    ("全部", None),
    ("今日", 1),
    ("近7日", 7),
    ("近30日", 30),
)

# Where the page itself lives (pages.DASHBOARD_PATH, which imports this module); the
# period links point back to it.
_PAGE: Final = "/"

# Characters a page keeps although Unicode files them as control characters.
_KEPT_CONTROLS = frozenset("\n\t")


def printable(text: str) -> str:
    """`text` without control and format characters (Unicode Cc and Cf: NUL, escape,
    bidirectional overrides, zero-width marks); newlines and tabs kept."""
    return "".join(
        char
        for char in text
        if char in _KEPT_CONTROLS or unicodedata.category(char) not in ("Cc", "Cf")
    )


def _finalize(value: Any) -> Any:
    # Applied by Jinja2 to every {{ value }} before escaping it. Markup here is the
    # output of the template's own macros, whose values passed through this already;
    # turning it into a plain string would escape the page's own tags.
    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
        return printable(value)
    return value


_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("minsheng_analytics", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    finalize=_finalize,
)


@dataclass(frozen=True)
class Row:
    """One line of a table: a name and its numbers, already formatted."""

    name: str
    cells: list[str]


def render_template(name: str, **values: Any) -> str:
    """One of the package's templates, with the same escaping and cleaning as the
    dashboard (the sign-in form and the refusal page use it)."""
    return _ENVIRONMENT.get_template(name).render(**values)


@dataclass(frozen=True)
class Period:
    """A link to the page over one period; `current` when it is the one shown."""

    label: str
    href: str
    current: bool


@dataclass(frozen=True)
class Region:
    """A subdistrict on the map: its figures, its cell and how dark it is."""

    place: overview.Place
    cell: schematic.Cell
    shade: int
    name_size: float


@dataclass(frozen=True)
class Ranked:
    """A unit in the ranking: its place ("—" when nothing of it was due yet), its
    name and its figures, already formatted."""

    rank: str
    name: str
    cells: list[str]


@dataclass(frozen=True)
class TrendBar:
    bar: schematic.Bar
    label: str
    title: str
    today: bool


def render(
    *,
    context: AnalyticsContext,
    report: KpiReport,
    recent: list[AppealFact],
    now: datetime,
    figures: overview.Overview,
    signed_in_as: str | None = None,
) -> str:
    """The whole page for `report` and the figures of the moment; `signed_in_as`
    names the person signed in (a sign-out button is shown), None for a system
    reading with a key."""
    edition = context.edition_now()
    names = {place.subdistrict_id: place.name for place in figures.places}
    comb = schematic.honeycomb(len(figures.places))
    chart = schematic.bar_chart([day.received for day in figures.days])
    channel_names = {channel.id: channel.name for channel in context.reference.channels}
    rate_labels = [rate.label_under(edition) for rate in indicators.RATES]
    unit_rate_labels = [
        rate.label_under(edition) for rate in indicators.WORK_ORDER_RATES
    ]
    template = _ENVIRONMENT.get_template("dashboard.html")
    return template.render(
        title=f"{context.reference.district.name}民生诉求数据看板",
        signed_in_as=signed_in_as,
        refresh_seconds=context.refresh_seconds,
        as_of=_shown(report.as_of) if report.as_of else "尚无事件",
        generated_at=_shown(now),
        window=_window(report),
        periods=_periods(report, figures.today),
        today=_today(figures),
        map=comb,
        regions=_regions(figures.places, comb),
        shades=schematic.SHADES,
        elsewhere=figures.elsewhere,
        active_hours=figures.active_hours,
        warnings=[_warning(warning, names) for warning in figures.active],
        trend_days=overview.TREND_DAYS,
        trend=_trend(figures, chart),
        trend_chart=chart,
        ranking_headers=_ranking_headers(edition),
        ranking=_ranking(report),
        headline=_headline(report, rate_labels),
        slice_headers=[
            indicator.label
            for indicator in indicators.APPEAL_COUNTS + indicators.WORK_ORDER_COUNTS
        ]
        + rate_labels,
        by_channel=_slices(report.by_channel, channel_names),
        by_type=_slices(report.by_type, labels.APPEAL_TYPES),
        unit_headers=[indicator.label for indicator in indicators.WORK_ORDER_COUNTS]
        + unit_rate_labels,
        by_unit=[
            Row(unit.name if key != UNKNOWN else labels.UNKNOWN, _unit_cells(unit))
            for key, unit in sorted(
                report.by_unit.items(), key=lambda item: -item[1].dispatched
            )
        ],
        by_reason=[
            Row(labels.REJECTION_REASONS.get(code, code), [str(count)])
            for code, count in sorted(
                report.by_rejection_reason.items(), key=lambda item: -item[1]
            )
        ],
        recent=[_recent(appeal, channel_names) for appeal in recent],
    )


def _periods(report: KpiReport, today: date) -> list[Period]:
    """The period links; one is current when the window is exactly its own."""
    start, end = report.window.start, report.window.end
    periods = []
    for label, days in PERIODS:
        if days is None:
            href, current = _PAGE, start is None and end is None
        else:
            since = overview.start_of_day(today - timedelta(days=days - 1))
            href = f"{_PAGE}?{urlencode({'from': since.isoformat()})}"
            current = end is None and start == since
        periods.append(Period(label=label, href=href, current=current))
    return periods


def _today(figures: overview.Overview) -> list[tuple[str, str, str]]:
    """Label, value and the class that colours it."""
    return [
        ("今日受理", str(figures.received_today), ""),
        ("在办工单", str(figures.open), ""),
        ("超期在办", str(figures.overdue), "alarm" if figures.overdue else ""),
        (
            f"预警（近{figures.active_hours}小时）",
            str(figures.warnings),
            "alarm" if figures.warnings else "",
        ),
    ]


def _regions(
    places: Sequence[overview.Place], comb: schematic.Honeycomb
) -> list[Region]:
    highest = max((place.open for place in places), default=0)
    # A long name shrinks to fit its cell instead of spilling into the next one.
    room = comb.radius * 1.45
    return [
        Region(
            place=place,
            cell=cell,
            shade=schematic.shade(place.open, highest),
            name_size=round(min(16.0, room / max(len(place.name), 1)), 1),
        )
        for place, cell in zip(places, comb.cells, strict=True)
    ]


def _warning(warning: overview.ActiveWarning, names: Mapping[str, str]) -> list[str]:
    place = warning.subdistrict_id or ""
    return [
        labels.WARNING_KINDS.get(warning.kind, warning.kind),
        names.get(place, place) or labels.UNKNOWN,
        str(warning.count),
        f"{warning.window_hours}小时" if warning.window_hours else "—",
        _shown(warning.raised_at),
    ]


def _trend(figures: overview.Overview, chart: schematic.BarChart) -> list[TrendBar]:
    return [
        TrendBar(
            bar=bar,
            label=f"{day.day.month}/{day.day.day}",
            title=f"{day.day:%Y-%m-%d} 受理 {day.received} 件",
            today=day.day == figures.today,
        )
        for bar, day in zip(chart.bars, figures.days, strict=True)
    ]


def _ranking_headers(edition: RuleEdition) -> list[str]:
    return [
        indicators.ON_TIME_CLOSURE.label_under(edition),
        indicators.TOTAL_CLOSURE.label_under(edition),
        indicators.DISPATCHED.label,
        indicators.CLOSED.label,
    ]


def _ranking(report: KpiReport) -> list[Ranked]:
    """Units by on-time closure rate, then total closure rate (Art. 33), the one
    with more work due first on a tie; units sharing both rates share a place, and
    units with nothing due yet come last without one."""
    units = [unit for key, unit in report.by_unit.items() if key != UNKNOWN]
    units.sort(
        key=lambda unit: (
            _descending(unit.rates.on_time_closure),
            _descending(unit.rates.total_closure),
            -unit.rates.on_time_closure.denominator,
            unit.name,
        )
    )
    ranked: list[Ranked] = []
    previous: tuple[float | None, float | None] | None = None
    place = 0
    for position, unit in enumerate(units, start=1):
        rates = (unit.rates.on_time_closure.rate, unit.rates.total_closure.rate)
        if rates != previous:
            place, previous = position, rates
        shown = str(place) if rates[0] is not None else "—"
        cells = [
            _percent(unit.rates.on_time_closure),
            _percent(unit.rates.total_closure),
            str(unit.dispatched),
            str(unit.closed),
        ]
        ranked.append(Ranked(rank=shown, name=unit.name, cells=cells))
    return ranked


def _descending(rate: Rate) -> tuple[int, float]:
    # Sorting ascending: a known rate before none, a higher rate before a lower.
    return (0, -rate.rate) if rate.rate is not None else (1, 0.0)


def _shown(moment: datetime) -> str:
    """An instant as wall-clock time in Asia/Shanghai; the page says so once.

    Not `timeutil.format_local`: its `%:z` needs Python 3.12, and we support 3.11.
    """
    return f"{local(moment):%Y-%m-%d %H:%M}"


def _window(report: KpiReport) -> str | None:
    start, end = report.window.start, report.window.end
    if start is None and end is None:
        return None
    shown_start = _shown(start) if start else "最早"
    shown_end = _shown(end) if end else "现在"
    return f"{shown_start} 至 {shown_end}"


def _headline(report: KpiReport, rate_labels: list[str]) -> list[tuple[str, str]]:
    totals = report.totals
    numbers = [
        (indicator.label, str(getattr(totals, indicator.key)))
        for indicator in indicators.APPEAL_COUNTS + indicators.WORK_ORDER_COUNTS
    ]
    return numbers + list(zip(rate_labels, _rate_cells(report.rates), strict=True))


def _slices(slices: Mapping[str, Slice], names: Mapping[str, str]) -> list[Row]:
    rows = []
    for key, counts in sorted(slices.items(), key=lambda item: -item[1].received):
        cells = [
            str(getattr(counts, indicator.key))
            for indicator in indicators.APPEAL_COUNTS + indicators.WORK_ORDER_COUNTS
        ]
        name = labels.UNKNOWN if key == UNKNOWN else names.get(key, key)
        rows.append(Row(name, cells + _rate_cells(counts.rates)))
    return rows


def _unit_cells(unit: UnitSlice) -> list[str]:
    cells = [str(getattr(unit, i.key)) for i in indicators.WORK_ORDER_COUNTS]
    return cells + _rate_cells(unit.rates, indicators.WORK_ORDER_RATES)


def _rate_cells(
    rates: WorkOrderRates,
    chosen: Sequence[indicators.Indicator] = indicators.RATES,
) -> list[str]:
    return [_percent(getattr(rates, indicator.key)) for indicator in chosen]


def _percent(rate: Rate) -> str:
    if rate.rate is None:
        return "—"
    return f"{rate.rate * 100:.1f}%（{rate.numerator}/{rate.denominator}）"


def _recent(appeal: AppealFact, channel_names: Mapping[str, str]) -> list[str]:
    channel = appeal.channel or ""
    return [
        _shown(appeal.received_at) if appeal.received_at else "",
        appeal.tracking_code or "",
        channel_names.get(channel, channel),
        labels.APPEAL_TYPES.get(appeal.appeal_type or "", appeal.appeal_type or ""),
        appeal.title or "",
        _state(appeal),
    ]


def _state(appeal: AppealFact) -> str:
    """The appeal's state in a word: answered at once, held and why, or the filing
    decision."""
    if appeal.answered_at is not None and appeal.decision in (None, "held"):
        return labels.ANSWERED
    if appeal.decision == "held":
        return labels.HELD_REASONS.get(appeal.held_reason or "", labels.HELD)
    return labels.DECISIONS.get(appeal.decision, appeal.decision or "")
