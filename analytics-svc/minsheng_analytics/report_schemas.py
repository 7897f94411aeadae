"""The periodic report (定期报告, Art. 40) as the API gives it in JSON and keeps it:
every number the CSV, XLSX and printable formats show comes from this body."""

from __future__ import annotations

from datetime import date

from pydantic import AwareDatetime, BaseModel, Field

from minsheng_analytics.report_periods import ReportKind
from minsheng_analytics.schemas import Rate


class PeriodOut(BaseModel):
    """A period in Asia/Shanghai days, and the instants (UTC) it runs between."""

    first_day: date
    last_day: date
    starts_at: AwareDatetime = Field(description="00:00 Shanghai of the first day")
    ends_at: AwareDatetime = Field(description="00:00 Shanghai after the last day")
    label: str = Field(description="the period in words, e.g. 2026年3月")


class Volume(BaseModel):
    """A count of this period against the previous one (环比)."""

    key: str = Field(description="the indicator (GET /v1/kpis/definitions)")
    label: str
    current: int
    previous: int
    change: int = Field(description="current - previous")
    change_ratio: float | None = Field(
        description="change / previous, null when the previous period had none"
    )


class RateTrend(BaseModel):
    """A rate of this period against the previous one."""

    key: str = Field(description="the indicator (GET /v1/kpis/definitions)")
    label: str
    current: Rate
    previous: Rate
    change_points: float | None = Field(
        description="current - previous in percentage points, null when either is"
    )


class TrendPoint(BaseModel):
    """Appeals received in one day (periods up to a month) or one month."""

    first_day: date
    label: str
    received: int


class Ranked(BaseModel):
    """A category or a subdistrict by the appeals received there."""

    id: str
    name: str
    received: int
    previous: int
    change: int
    share: float | None = Field(description="of all appeals received, 0 to 1")


class WarningCount(BaseModel):
    kind: str
    label: str
    current: int
    previous: int


class WarningItem(BaseModel):
    """A hotspot or high-frequency warning raised in the period (Art. 23)."""

    warning_id: str
    kind: str
    label: str
    cluster_id: str | None
    subdistrict: str
    category: str
    title: str = Field(description="the (redacted) title of its first appeal")
    count: int
    window_hours: int | None
    raised_at: AwareDatetime


class Warnings(BaseModel):
    counts: list[WarningCount] = Field(description="warnings raised, by kind")
    items: list[WarningItem] = Field(
        description="hotspot and high-frequency warnings, most reports first"
    )
    items_total: int = Field(description="how many there are; `items` may be cut")


class OverdueOrder(BaseModel):
    """A work order overdue and not closed when the period ended (超期未办结)."""

    work_order_id: str
    tracking_code: str | None
    unit_id: str
    unit: str
    category: str
    subdistrict: str
    clock: str = Field(description="handling, or staged_check (Art. 17)")
    due_at: AwareDatetime
    overdue_days: int = Field(description="whole days past due at the period's end")


class UnitOverdue(BaseModel):
    unit_id: str
    unit: str
    unclosed: int
    overdue: int


class Overdue(BaseModel):
    """Work orders still open when the period ended, whenever they were received."""

    unclosed: int = Field(description="dispatched and not closed at the period's end")
    overdue: int = Field(
        description="of them, past their handling deadline, plus "
        "staged closures whose check date passed unchecked"
    )
    by_unit: list[UnitOverdue]
    orders: list[OverdueOrder] = Field(description="longest overdue first")
    orders_total: int = Field(description="how many there are; `orders` may be cut")


class RecurringProblem(BaseModel):
    """An event cluster reported again in the period after one of its work orders
    had been closed (回潮)."""

    cluster_id: str
    category: str
    subdistrict: str
    title: str = Field(description="the (redacted) title of its latest report")
    first_closed_at: AwareDatetime = Field(
        description="the first closure of the cluster"
    )
    reports: int = Field(description="reports in the period after that closure")
    last_reported_at: AwareDatetime


class ReopenedOrder(BaseModel):
    """A work order of a reopened round (重办) dispatched in the period."""

    work_order_id: str
    tracking_code: str | None
    unit_id: str
    unit: str
    category: str
    subdistrict: str
    round: int
    dispatched_at: AwareDatetime


class Recurring(BaseModel):
    definition: str
    problems: list[RecurringProblem]
    problems_total: int
    reopened: list[ReopenedOrder]
    reopened_total: int


class UnitRank(BaseModel):
    """A unit's closure rates over the appeals received in the period (Art. 33)."""

    rank: int | None = Field(
        description="by on-time closure rate, then total closure rate; null when "
        "none of its orders was due"
    )
    unit_id: str
    unit: str
    dispatched: int
    closed: int
    on_time_closure: Rate
    total_closure: Rate
    overdue: int = Field(description="its orders overdue and open at the period's end")


class PeriodicReport(BaseModel):
    """A weekly, fortnightly, monthly, quarterly, half-year or annual report."""

    kind: ReportKind
    kind_label: str
    title: str
    period: PeriodOut
    previous_period: PeriodOut = Field(description="what the trends compare with")
    generated_at: AwareDatetime
    trigger: str = Field(description="schedule (at the period's end) or demand")
    as_of: AwareDatetime | None = Field(
        description="occurred_at of the newest event applied when it was compiled"
    )
    rules_edition: str = Field(description="the edition whose limits label rates")
    volumes: list[Volume]
    rates: list[RateTrend]
    trend: list[TrendPoint]
    top_categories: list[Ranked]
    top_subdistricts: list[Ranked]
    warnings: Warnings
    overdue: Overdue
    recurring: Recurring
    unit_ranking: list[UnitRank]
    notes: list[str] = Field(description="how the numbers are counted")


class ReportRequest(BaseModel):
    """Compile (or fetch, if compiled already) the report of one period."""

    kind: ReportKind
    period_start: date = Field(description="the period's first day, Asia/Shanghai")


class ReportSummary(BaseModel):
    """A compiled report and where to read it in each format."""

    kind: ReportKind
    kind_label: str
    title: str
    period: PeriodOut
    generated_at: AwareDatetime
    trigger: str
    links: dict[str, str] = Field(description="format → path")


class ReportPage(BaseModel):
    items: list[ReportSummary] = Field(description="newest period first")
    total: int
