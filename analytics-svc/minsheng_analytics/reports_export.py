"""A compiled periodic report (Art. 40) as CSV, XLSX and a printable HTML page.

Every format is laid out from the same tables (`tables`), so the three show the same
numbers under the same Chinese headings as the JSON body holds.

- CSV is UTF-8 with a byte-order mark, so that Excel reads the Chinese correctly;
  the tables follow each other under their headings, separated by a blank line.
- XLSX has a sheet for the report's particulars and notes, then a sheet per table.
- The page is plain HTML with print styles (A4, headers repeated on each page), made
  by the dashboard's Jinja2 environment: autoescaped, control characters dropped.

Titles come from citizens: a cell starting as a spreadsheet formula would (=, +, -,
@) is kept as text: quoted in the CSV, stored as a string in the workbook. Control
and format characters (escape, NUL, zero-width and bidirectional marks) are dropped
from every text of every format, as the page drops them: a workbook cannot hold
most of them, and no reader sees them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.cell.cell import Cell as XlsxCell
from openpyxl.cell.cell import MergedCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from minsheng_analytics import dashboard, report_periods
from minsheng_analytics.report_schemas import PeriodicReport, Ranked
from minsheng_common.timeutil import local


@dataclass(frozen=True)
class Ratio:
    """A share shown as a percentage; `signed` shows + for a rise."""

    value: float | None
    signed: bool = False


@dataclass(frozen=True)
class Points:
    """A change of a rate in percentage points."""

    value: float | None


Cell = str | int | Ratio | Points | None


@dataclass(frozen=True)
class Table:
    """One table of the report: its sheet name, heading, column names and rows."""

    sheet: str
    title: str
    headers: list[str]
    rows: list[list[Cell]]
    note: str | None = None
    text_columns: frozenset[int] = field(default_factory=frozenset)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NONE = "—"

CONTENT_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
}


def filename(report: PeriodicReport, extension: str) -> str:
    """An ASCII file name: report-<kind>-<first day>.<extension>."""
    return f"report-{report.kind}-{report.period.first_day.isoformat()}.{extension}"


def particulars(report: PeriodicReport) -> list[tuple[str, str]]:
    """The report's particulars, label and value, as every format opens with."""
    before = report.previous_period
    return [
        ("报告", report.title),
        ("统计周期", _span(report.period.first_day, report.period.last_day)),
        (
            "对比周期",
            f"{before.label}（{_span(before.first_day, before.last_day)}）",
        ),
        ("生成时间", shown(report.generated_at)),
        ("数据截至", shown(report.as_of) if report.as_of else "尚无事件"),
        ("生成方式", "按期自动生成" if report.trigger == "schedule" else "按需生成"),
        ("规则版本", report.rules_edition),
    ]


def tables(report: PeriodicReport) -> list[Table]:
    """The report's tables in the order every format shows them."""
    warnings = report.warnings
    overdue = report.overdue
    recurring = report.recurring
    return [
        Table(
            "总体情况",
            "一、总体情况",
            ["指标", "本期", "上期", "增减", "增减幅度"],
            [
                [v.label, v.current, v.previous, v.change, Ratio(v.change_ratio, True)]
                for v in report.volumes
            ],
        ),
        Table(
            "办理质量",
            "二、办理质量",
            ["指标", "本期", "本期分子", "本期分母", "上期", "变化（百分点）"],
            [
                [
                    r.label,
                    Ratio(r.current.rate),
                    r.current.numerator,
                    r.current.denominator,
                    Ratio(r.previous.rate),
                    Points(r.change_points),
                ]
                for r in report.rates
            ],
        ),
        Table(
            "受理走势",
            "三、受理量走势",
            ["日期" if report.kind in report_periods.DAILY else "月份", "受理量"],
            [[point.label, point.received] for point in report.trend],
        ),
        _ranked_table("高发类别", "四、高发类别", "类别", report.top_categories),
        _ranked_table(
            "高发街道", "五、高发区域（街道）", "街道", report.top_subdistricts
        ),
        Table(
            "预警概况",
            "六、预警情况",
            ["预警类型", "本期", "上期"],
            [[w.label, w.current, w.previous] for w in warnings.counts],
        ),
        Table(
            "热点高频",
            "七、热点与高频事件",
            [
                "类型",
                "诉求标题",
                "类别",
                "街道",
                "反映次数",
                "统计时长（小时）",
                "预警时间",
            ],
            [
                [
                    w.label,
                    w.title,
                    w.category,
                    w.subdistrict,
                    w.count,
                    w.window_hours,
                    shown(w.raised_at),
                ]
                for w in warnings.items
            ],
            note=_cut(len(warnings.items), warnings.items_total),
            text_columns=frozenset({1}),
        ),
        Table(
            "超期未办结",
            "八、超期未办结（按单位）",
            ["单位", "未办结", "其中超期"],
            [[u.unit, u.unclosed, u.overdue] for u in overdue.by_unit],
            note=f"本期结束时未办结 {overdue.unclosed} 件，"
            f"其中超期 {overdue.overdue} 件。",
        ),
        Table(
            "超期工单",
            "九、超期未办结工单",
            [
                "工单号",
                "诉求编号",
                "承办单位",
                "类别",
                "街道",
                "超期时限",
                "应办结时间",
                "超期天数",
            ],
            [
                [
                    o.work_order_id,
                    o.tracking_code,
                    o.unit,
                    o.category,
                    o.subdistrict,
                    _CLOCKS.get(o.clock, o.clock),
                    shown(o.due_at),
                    o.overdue_days,
                ]
                for o in overdue.orders
            ],
            note=_cut(len(overdue.orders), overdue.orders_total),
        ),
        Table(
            "回潮问题",
            "十、回潮问题",
            [
                "事件簇",
                "诉求标题",
                "类别",
                "街道",
                "首次办结时间",
                "办结后反映次数",
                "最近反映时间",
            ],
            [
                [
                    p.cluster_id,
                    p.title,
                    p.category,
                    p.subdistrict,
                    shown(p.first_closed_at),
                    p.reports,
                    shown(p.last_reported_at),
                ]
                for p in recurring.problems
            ],
            note=recurring.definition
            + (_cut(len(recurring.problems), recurring.problems_total) or ""),
            text_columns=frozenset({1}),
        ),
        Table(
            "重办工单",
            "十一、重办工单",
            ["工单号", "诉求编号", "承办单位", "类别", "街道", "轮次", "派单时间"],
            [
                [
                    o.work_order_id,
                    o.tracking_code,
                    o.unit,
                    o.category,
                    o.subdistrict,
                    o.round,
                    shown(o.dispatched_at),
                ]
                for o in recurring.reopened
            ],
            note=_cut(len(recurring.reopened), recurring.reopened_total),
        ),
        Table(
            "单位排名",
            "十二、单位排名",
            [
                "名次",
                "单位",
                "派单量",
                "办结量",
                "按期办结率",
                "按期办结",
                "应办结",
                "总办结率",
                "超期未办结",
            ],
            [
                [
                    u.rank,
                    u.unit,
                    u.dispatched,
                    u.closed,
                    Ratio(u.on_time_closure.rate),
                    u.on_time_closure.numerator,
                    u.on_time_closure.denominator,
                    Ratio(u.total_closure.rate),
                    u.overdue,
                ]
                for u in report.unit_ranking
            ],
        ),
    ]


_CLOCKS = {"handling": "办理时限", "staged_check": "阶段性办结复核"}


def _ranked_table(sheet: str, title: str, what: str, items: Sequence[Ranked]) -> Table:
    return Table(
        sheet,
        title,
        ["排名", what, "本期受理", "上期受理", "增减", "占比"],
        [
            [place, i.name, i.received, i.previous, i.change, Ratio(i.share)]
            for place, i in enumerate(items, start=1)
        ],
    )


def _cut(listed: int, total: int) -> str | None:
    return f"共 {total} 项，列出前 {listed} 项。" if total > listed else None


def _span(first: date, last: date) -> str:
    return f"{first.isoformat()} 至 {last.isoformat()}"


def shown(moment: datetime) -> str:
    """An instant as wall-clock time in Asia/Shanghai."""
    return f"{local(moment):%Y-%m-%d %H:%M}"


def text(cell: Cell) -> str:
    """A cell as the CSV and the page show it."""
    if cell is None:
        return NONE
    if isinstance(cell, Ratio):
        if cell.value is None:
            return NONE
        sign = "+" if cell.signed and cell.value > 0 else ""
        return f"{sign}{cell.value * 100:.1f}%"
    if isinstance(cell, Points):
        if cell.value is None:
            return NONE
        return f"{cell.value:+.1f}"
    return str(cell)


def _inert(value: str) -> str:
    """A text cell, without invisible characters, that a spreadsheet will not run
    as a formula."""
    value = dashboard.printable(value)
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def to_csv(report: PeriodicReport) -> bytes:
    """The report as one CSV file: particulars, each table under its heading, notes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_inert(report.title)])
    for label, value in particulars(report):
        writer.writerow([label, _inert(value)])
    for table in tables(report):
        writer.writerow([])
        writer.writerow([table.title])
        writer.writerow(table.headers)
        for row in table.rows:
            writer.writerow(
                [_inert(cell) if isinstance(cell, str) else text(cell) for cell in row]
            )
        if table.note:
            writer.writerow([_inert(table.note)])
    writer.writerow([])
    writer.writerow(["说明"])
    for number, note in enumerate(report.notes, start=1):
        writer.writerow([_inert(f"{number}. {note}")])
    return buffer.getvalue().encode("utf-8-sig")


_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_PERCENT = "0.0%"
_SIGNED_PERCENT = "+0.0%;-0.0%;0.0%"
_POINTS = "+0.0;-0.0;0.0"


def to_xlsx(report: PeriodicReport) -> bytes:
    """The report as a workbook: 报告信息 first, then one sheet per table."""
    workbook = Workbook()
    workbook.properties.title = dashboard.printable(report.title)
    first = workbook.worksheets[0]
    first.title = "报告信息"
    first.append([_value(report.title)])
    first["A1"].font = _TITLE
    for label, value in particulars(report):
        first.append([label, _value(value)])
        _as_text(first.cell(row=first.max_row, column=2))
    first.append([])
    first.append(["说明"])
    first.cell(row=first.max_row, column=1).font = _BOLD
    for number, note in enumerate(report.notes, start=1):
        first.append([_value(f"{number}. {note}")])
    first.column_dimensions["A"].width = 14
    first.column_dimensions["B"].width = 60

    for table in tables(report):
        _sheet(workbook.create_sheet(table.sheet), table)

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet(sheet: Worksheet, table: Table) -> None:
    sheet.append([table.title])
    sheet["A1"].font = _TITLE
    sheet.append(table.headers)
    for heading in sheet[2]:
        heading.font = _BOLD
        heading.alignment = Alignment(horizontal="center", wrap_text=True)
    for row in table.rows:
        sheet.append([_value(cell) for cell in row])
        for column, cell in enumerate(row, start=1):
            target = sheet.cell(row=sheet.max_row, column=column)
            if isinstance(cell, str):
                _as_text(target)
            elif isinstance(cell, Ratio):
                target.number_format = _SIGNED_PERCENT if cell.signed else _PERCENT
            elif isinstance(cell, Points):
                target.number_format = _POINTS
    if table.note:
        sheet.append([_value(table.note)])
    sheet.freeze_panes = "A3"
    for column, header in enumerate(table.headers, start=1):
        wide = 40 if column - 1 in table.text_columns else 8 + 2 * len(header)
        sheet.column_dimensions[get_column_letter(column)].width = min(wide, 40)


def _value(cell: Cell) -> str | int | float | None:
    """A cell as the workbook holds it: a number, or text without the control
    characters a workbook refuses."""
    if isinstance(cell, Ratio | Points):
        return cell.value
    if isinstance(cell, str):
        return dashboard.printable(cell)
    return cell


def _as_text(target: XlsxCell | MergedCell) -> None:
    # openpyxl takes a string starting with "=" for a formula; a citizen's title
    # must stay text.
    if target.data_type == "f":
        target.data_type = "s"


def to_html(report: PeriodicReport, *, links: dict[str, str]) -> str:
    """The printable page (打印版) of the report; `links` lead to the other formats."""
    return dashboard.render_template(
        "report.html",
        title=report.title,
        particulars=particulars(report),
        tables=[
            {
                "title": table.title,
                "headers": table.headers,
                "rows": [
                    [(text(cell), isinstance(cell, str)) for cell in row]
                    for row in table.rows
                ],
                "note": table.note,
            }
            for table in tables(report)
        ],
        notes=report.notes,
        links=links,
    )
