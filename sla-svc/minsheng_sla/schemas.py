"""What SLA's API gives."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from minsheng_common.events import DeadlineKind
from minsheng_sla.models import DeadlineStatus


class DeadlineChangeOut(BaseModel):
    """A due time moved by an approved extension (延期, Art. 16)."""

    from_due_at: AwareDatetime
    to_due_at: AwareDatetime
    working_days: int
    reason: str
    changed_at: AwareDatetime = Field(description="when the center decided it")


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
        description="pending, met, reached, or cancelled (the order was returned or "
        "merged into another before the clock ran out)"
    )
    met_at: AwareDatetime | None = None
    reached_at: AwareDatetime | None = None
    cancelled_at: AwareDatetime | None = None
    late: bool | None = Field(
        default=None, description="met after the due time; null until met"
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
