"""What SLA's API gives."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from minsheng_common.events import DeadlineKind
from minsheng_common.events.catalogue import UrgingStep
from minsheng_common.rules import AppealType
from minsheng_sla.models import DeadlineStatus
from minsheng_sla.outcomes import Outcome
from minsheng_sla.preview import PreviewKind


class DeadlineChangeOut(BaseModel):
    """A due time moved by an approved extension (延期, Art. 16)."""

    from_due_at: AwareDatetime
    to_due_at: AwareDatetime
    working_days: int
    reason: str
    changed_at: AwareDatetime = Field(description="when the center decided it")


class LateBy(BaseModel):
    """By how much a clock was missed (超时): in working time and in natural time."""

    working_seconds: int = Field(description="working time between due and `until`")
    natural_seconds: int = Field(description="natural time between due and `until`")
    until: AwareDatetime = Field(
        description="when the step was done, or now while it is still not done"
    )
    final: bool = Field(description="the step is done: the figure no longer grows")
    text: str = Field(description='e.g. "2.5 working hours late (3:30:00 in …)"')


class UrgingOut(BaseModel):
    """An urging point (催办, Art. 39): when the unit is urged, at which level."""

    step: UrgingStep
    level: int = Field(description="1 half, 2 two thirds, 3 overdue")
    at: AwareDatetime = Field(description="UTC; for overdue, the due time")
    at_local: str = Field(description="Asia/Shanghai, ISO 8601")


class DeadlineOut(BaseModel):
    """A clock on a work order (时限): when it started, when it runs out, and on which
    article and rules edition that rests."""

    id: str
    work_order_id: str
    appeal_id: str
    unit_id: str
    kind: DeadlineKind = Field(
        description="sign_off 签收 (Art. 13), handling 办理 (Art. 15, extended "
        "under Art. 16), acceptance_notice 受理告知 (Art. 28), handling_notice "
        "办理告知 (Art. 29), staged_check 阶段性办结核查 (Art. 17)"
    )
    starts_at: AwareDatetime
    due_at: AwareDatetime = Field(description="UTC")
    due_at_local: str = Field(description="the due time in Asia/Shanghai, ISO 8601")
    provisional: bool = Field(
        description="the count crossed a year without an official holiday schedule; "
        "computed from weekends and fixed holidays (rules.md §11)"
    )
    status: DeadlineStatus = Field(
        description="pending, met, reached, or cancelled (the order was returned, "
        "merged into another, split or sent on in parallel before the clock ran out)"
    )
    met_at: AwareDatetime | None = None
    reached_at: AwareDatetime | None = None
    cancelled_at: AwareDatetime | None = None
    late: bool | None = Field(
        default=None, description="met after the due time; null until met"
    )
    outcome: Outcome | None = Field(
        default=None,
        description="met (in time) or missed (met late, or run out and not met); "
        "null while running or cancelled",
    )
    late_by: LateBy | None = Field(
        default=None, description="by how much a missed clock is late"
    )
    urgings: list[UrgingOut] = Field(
        default_factory=list,
        description="the urging points of a handling clock (Art. 39)",
    )
    urged_level: int = Field(
        default=0,
        description="the highest urging level sent: 0 none, 1 half, 2 two thirds, "
        "3 overdue (a step whose point passed after the clock ran out is skipped)",
    )
    article: str
    period: str = Field(description='the length, e.g. "2 working hours"')
    rules_edition: str
    changes: list[DeadlineChangeOut] = Field(
        default_factory=list,
        description="every extension that moved the due time, oldest first (shown "
        "on a work order's clocks; empty in lists)",
    )


class DeadlinePage(BaseModel):
    items: list[DeadlineOut]
    total: int


class CalendarDay(BaseModel):
    """One day of the working calendar."""

    date: date
    weekday: int = Field(description="1 Monday … 7 Sunday")
    working: bool
    basis: Literal["official", "provisional"] = Field(
        description="official: the State Council's schedule; provisional: a year "
        "without one, computed from weekends and fixed holidays"
    )


class WorkingDays(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    first: date = Field(serialization_alias="from")
    last: date = Field(serialization_alias="to")
    working_days: int = Field(description="how many of the listed days are working")
    provisional: bool
    days: list[CalendarDay]


class CalendarAnswer(BaseModel):
    """When a period counted from `start` ends."""

    start: AwareDatetime
    working_days: int | None
    working_hours: float | None
    due_at: AwareDatetime = Field(description="UTC")
    due_at_local: str = Field(description="Asia/Shanghai, ISO 8601")
    provisional: bool
    provisional_years: list[int]


class PreviewIn(BaseModel):
    """A clock to count without a work order."""

    model_config = ConfigDict(extra="forbid")

    start: datetime = Field(
        description="ISO 8601; no offset = Asia/Shanghai. Where the clock starts: "
        "filing (dispatch), dispatch (sign_off), creation, or dispatch for split "
        "and parallel orders (handling), signing (acceptance_notice), handling "
        "completed (handling_notice), the third closure (reply_template), the day "
        "works start (project_registration)"
    )
    kind: PreviewKind = Field(
        description="dispatch 分拨 (Art. 12), sign_off 签收 (Art. 13), handling 办理 "
        "(Art. 15), acceptance_notice 受理告知 (Art. 28), handling_notice 办理告知 "
        "(Art. 29), reply_template 答复模板 (Art. 43), project_registration 项目报备 "
        "(Art. 43, counted backwards)"
    )
    appeal_type: AppealType | None = Field(
        default=None, description="handling only: consultation, suggestion, complaint"
    )
    rules_edition: str | None = Field(
        default=None,
        max_length=50,
        description="the edition to count with; default: the one in force at start",
    )


class PreviewOut(BaseModel):
    """When the clock runs out and when its unit is urged."""

    kind: PreviewKind
    start: AwareDatetime
    due_at: AwareDatetime = Field(
        description="UTC; for project_registration, the end of the latest day"
    )
    due_at_local: str = Field(description="Asia/Shanghai, ISO 8601")
    latest_date: date | None = Field(
        default=None,
        description="project_registration: the last day to register (Shanghai)",
    )
    provisional: bool = Field(
        description="the count crossed a year without an official holiday schedule"
    )
    provisional_years: list[int]
    urgings: list[UrgingOut] = Field(
        description="when half and two thirds of the working time have passed "
        "(Art. 39), then the overdue urging at the due time; empty for clocks "
        "that are not urged"
    )
    article: str
    period: str
    rules_edition: str
