"""API bodies. Each count and rate field takes its description from `indicators`, so
the OpenAPI docs carry the definition of every number. Warnings and calendar alerts
are listed as the projection keeps them."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from minsheng_analytics import indicators as ind


class Rate(BaseModel):
    """A share: numerator over denominator; `rate` is null when nothing is counted."""

    numerator: int
    denominator: int
    rate: float | None = Field(description="numerator / denominator, 0 to 1")

    @classmethod
    def of(cls, numerator: int, denominator: int) -> Rate:
        rate = round(numerator / denominator, 4) if denominator else None
        return cls(numerator=numerator, denominator=denominator, rate=rate)


class WorkOrderRates(BaseModel):
    """The rates a unit is assessed by (Art. 33): the time limits of its work orders
    (Art. 12, 13, 28, 29), closure and returns, and the satisfaction of its return
    visits overall and by dimension (Art. 30, 31)."""

    dispatch_within_limit: Rate = Field(
        description=ind.DISPATCH_WITHIN_LIMIT.describe()
    )
    sign_off_within_limit: Rate = Field(
        description=ind.SIGN_OFF_WITHIN_LIMIT.describe()
    )
    acceptance_notice_within_limit: Rate = Field(
        description=ind.ACCEPTANCE_NOTICE_WITHIN_LIMIT.describe()
    )
    handling_notice_within_limit: Rate = Field(
        description=ind.HANDLING_NOTICE_WITHIN_LIMIT.describe()
    )
    on_time_closure: Rate = Field(description=ind.ON_TIME_CLOSURE.describe())
    total_closure: Rate = Field(description=ind.TOTAL_CLOSURE.describe())
    return_rate: Rate = Field(description=ind.RETURN_RATE.describe())
    satisfied: Rate = Field(description=ind.SATISFIED.describe())
    satisfaction_speed: Rate = Field(description=ind.SATISFACTION_SPEED.describe())
    satisfaction_effect: Rate = Field(description=ind.SATISFACTION_EFFECT.describe())
    satisfaction_service: Rate = Field(description=ind.SATISFACTION_SERVICE.describe())
    satisfaction_system: Rate = Field(description=ind.SATISFACTION_SYSTEM.describe())


class Rates(WorkOrderRates):
    """The time-limit rates and the instant-answer rate of consultations."""

    instant_answer: Rate = Field(description=ind.INSTANT_ANSWER.describe())


class WorkOrderCounts(BaseModel):
    dispatched: int = Field(description=ind.DISPATCHED.describe())
    signed: int = Field(description=ind.SIGNED.describe())
    signed_manual: int = Field(description=ind.SIGNED_MANUAL.describe())
    signed_auto: int = Field(description=ind.SIGNED_AUTO.describe())
    acceptance_notices_requested: int = Field(
        description=ind.ACCEPTANCE_NOTICES_REQUESTED.describe()
    )
    acceptance_notices_sent: int = Field(
        description=ind.ACCEPTANCE_NOTICES_SENT.describe()
    )
    handling_notices_requested: int = Field(
        description=ind.HANDLING_NOTICES_REQUESTED.describe()
    )
    handling_notices_sent: int = Field(description=ind.HANDLING_NOTICES_SENT.describe())
    return_requested: int = Field(description=ind.RETURN_REQUESTED.describe())
    returned: int = Field(description=ind.RETURNED.describe())
    extended: int = Field(description=ind.EXTENDED.describe())
    closed: int = Field(description=ind.CLOSED.describe())
    closed_on_time: int = Field(description=ind.CLOSED_ON_TIME.describe())
    closed_overdue: int = Field(description=ind.CLOSED_OVERDUE.describe())
    closed_staged: int = Field(description=ind.CLOSED_STAGED.describe())
    closure_rejected: int = Field(description=ind.CLOSURE_REJECTED.describe())
    merged: int = Field(description=ind.MERGED.describe())
    reopened: int = Field(description=ind.REOPENED.describe())
    urged_half: int = Field(description=ind.URGED_HALF.describe())
    urged_two_thirds: int = Field(description=ind.URGED_TWO_THIRDS.describe())
    urged_overdue: int = Field(description=ind.URGED_OVERDUE.describe())
    reply_templates_asked: int = Field(description=ind.REPLY_TEMPLATES_ASKED.describe())
    reply_templates_received: int = Field(
        description=ind.REPLY_TEMPLATES_RECEIVED.describe()
    )
    reply_templates_in_time: int = Field(
        description=ind.REPLY_TEMPLATES_IN_TIME.describe()
    )


class Counts(WorkOrderCounts):
    """Appeals by filing state and level, and work orders by progress."""

    received: int = Field(description=ind.RECEIVED.describe())
    filed: int = Field(description=ind.FILED.describe())
    rejected: int = Field(description=ind.REJECTED.describe())
    held_verification: int = Field(description=ind.HELD_VERIFICATION.describe())
    held_classification: int = Field(description=ind.HELD_CLASSIFICATION.describe())
    level_1: int = Field(description=ind.LEVEL_1.describe())
    level_2: int = Field(description=ind.LEVEL_2.describe())
    level_3: int = Field(description=ind.LEVEL_3.describe())


class Slice(Counts):
    """The counts and rates of one type or one channel."""

    rates: Rates


class UnitSlice(WorkOrderCounts):
    """One unit's work orders: how many it got, signed, was signed for by default."""

    name: str = Field(description="the unit's name from the reference data")
    rates: WorkOrderRates


class Window(BaseModel):
    """The received-time window the answer covers: [from, to), open when null."""

    start: AwareDatetime | None = Field(serialization_alias="from")
    end: AwareDatetime | None = Field(serialization_alias="to")


class KpiReport(BaseModel):
    """Counts by state, level, type, channel, unit and rejection reason, the two
    time-limit rates and the instant-answer rate, as of the newest event applied."""

    as_of: AwareDatetime | None = Field(
        description="occurred_at of the newest event applied to the projection"
    )
    window: Window
    totals: Counts
    rates: Rates
    by_type: dict[str, Slice] = Field(
        description="by appeal type: consultation 咨询, complaint 投诉, suggestion 建议"
    )
    by_channel: dict[str, Slice] = Field(description="by channel id")
    by_unit: dict[str, UnitSlice] = Field(description="by unit id")
    by_rejection_reason: dict[str, int] = Field(
        description="appeals not filed (不予立案), by reason code"
    )


class IndicatorOut(BaseModel):
    """How one indicator is computed."""

    key: str
    label: str = Field(description="the Chinese label, limits of the edition in force")
    article: str | None
    kind: str = Field(description="count or rate")
    subject: str = Field(
        description="what is counted: appeal, work_order or return_visit"
    )
    numerator: str
    denominator: str | None
    exclusions: str
    target: float | None = Field(
        default=None, description="the rate the rules require, 0 to 1, if any"
    )


class Definitions(BaseModel):
    window: str = Field(description="how `from` and `to` narrow every indicator")
    rules_edition: str = Field(description="the rule edition whose limits label them")
    indicators: list[IndicatorOut]


class WarningOut(BaseModel):
    """A warning (预警, Art. 23) and the appeals that make it up."""

    warning_id: str
    kind: str = Field(
        description="hotspot 热点, high_frequency 高频, safety_hazard 安全隐患, "
        "sensitive 敏感"
    )
    cluster_id: str | None = Field(
        description="the event cluster intake assigned: what counts as the same event"
    )
    appeal_ids: list[str] = Field(description="the appeals that make it up")
    count: int = Field(description="how many reports the warning counted")
    subdistrict_id: str | None
    window_hours: int | None = Field(
        description="the window the reports were counted in, if any"
    )
    raised_at: AwareDatetime


class WarningPage(BaseModel):
    """Warnings newest first, and how many match the filters."""

    items: list[WarningOut]
    total: int


class CalendarAlertOut(BaseModel):
    """A year whose official holiday schedule was reported missing: deadlines
    reaching into it are provisional until it is loaded (rules.md §11)."""

    model_config = ConfigDict(from_attributes=True)

    year: int
    provisional_deadlines: int = Field(
        description="open deadlines that were provisional at the latest alert"
    )
    first_raised_at: AwareDatetime
    raised_at: AwareDatetime = Field(
        description="the latest alert; sla raises it again every day the schedule "
        "is still missing, so an older one means it has likely been loaded since"
    )


class Alerts(BaseModel):
    """Alerts about the data the numbers rest on."""

    calendar_years_missing: list[CalendarAlertOut] = Field(
        description="the latest alert of each year reported missing, by year"
    )
