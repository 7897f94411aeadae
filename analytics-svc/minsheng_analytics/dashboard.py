"""The dashboard page: plain HTML in Chinese, no script, readable in any browser.

Rendered by Jinja2 with autoescaping on, so text that came from citizens (titles) or
from other services (codes) is always shown as text, never as markup; and every value
loses its control and format characters on the way, so a NUL or a right-to-left
override in a title cannot reach the page.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jinja2
import markupsafe

from minsheng_analytics import indicators, labels
from minsheng_analytics.models import AppealFact
from minsheng_analytics.schemas import (
    KpiReport,
    Rate,
    Slice,
    UnitSlice,
    WorkOrderRates,
)
from minsheng_analytics.service import UNKNOWN, AnalyticsContext
from minsheng_common.timeutil import local

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


def render(
    *,
    context: AnalyticsContext,
    report: KpiReport,
    recent: list[AppealFact],
    now: datetime,
    signed_in_as: str | None = None,
) -> str:
    """The whole page for `report`; `signed_in_as` names the person signed in (a
    sign-out button is shown), None for a system reading with a key."""
    edition = context.edition_now()
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
