"""What the administration's API takes and gives."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from minsheng_dispatch.routing import RuleKind

Ident = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9-]{0,49}$", max_length=50
    ),
]
Why = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=2, max_length=500)
]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
]
Short = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)
]
Keyword = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
]
UnitKind = Literal["district_unit", "subdistrict", "center", "warning_recipient"]
ProjectKind = Literal["construction", "rail", "road"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RoutingRuleIn(_In):
    """A new rule of the routing table. A rule in force with the same category,
    place, keyword and kind is closed when this one starts (it replaces it)."""

    category_id: Ident
    unit_id: Ident
    kind: RuleKind = Field(
        default=RuleKind.STANDARD,
        description="standard (certain when its place or keyword matches; one "
        "for the whole district without a keyword is the category's default, for an "
        "operator to confirm), first_handler (the main "
        "unit named by the standard, 首办负责, Art. 26: category and optional "
        "keyword only) or fallback (unclear cases, for an operator to confirm)",
    )
    subdistrict_id: Ident | None = None
    community: Short | None = Field(
        default=None, description="a community of the subdistrict (needs it)"
    )
    keyword: Keyword | None = Field(
        default=None, description="applies only when the text contains it"
    )
    valid_from: AwareDatetime | None = Field(
        default=None, description="when it takes effect; now when left out"
    )
    reason: Why = Field(description="why the table changes (kept in its history)")


class RetireIn(_In):
    reason: Why = Field(description="why (kept in the history)")


class RoutingRuleOut(BaseModel):
    """One row of the routing table, current or closed."""

    id: int
    category_id: str
    subdistrict_id: str | None
    community: str | None
    keyword: str | None
    unit_id: str
    kind: RuleKind
    valid_from: AwareDatetime
    valid_to: AwareDatetime | None
    in_force: bool
    created_by: str
    note: str | None


class RoutingRuleAdded(RoutingRuleOut):
    replaced_rule_ids: list[int] = Field(
        description="rules of the same key closed when this one starts"
    )


class UnitIn(_In):
    """A new unit that can receive work orders."""

    id: Ident
    name: Name
    kind: UnitKind
    reason: Why


class UnitOut(BaseModel):
    """A unit that receives work orders; a retired one receives nothing new."""

    id: str
    name: str
    kind: str = Field(description="district_unit, subdistrict (街道办事处), center, …")
    retired: bool
    retired_at: AwareDatetime | None
    retire_reason: str | None


class CategoryIn(_In):
    """A new first-level category of the classification standard (Art. 8). Its
    routing rules are made with it: the default unit, and in every subdistrict the
    subdistrict office (territorial) or the default unit (any other)."""

    id: Ident
    name: Name
    default_unit: Ident | None = None
    territorial: bool = False
    reason: Why

    @model_validator(mode="after")
    def _routable(self) -> Self:
        if self.default_unit is None and not self.territorial:
            raise ValueError("a category needs a default unit or to be territorial")
        return self


class CategoryOut(BaseModel):
    id: str
    name: str
    default_unit: str | None
    territorial: bool
    retired: bool
    retired_at: AwareDatetime | None
    retire_reason: str | None


class ChangeOut(BaseModel):
    """One change of the registry: who, when, why, what."""

    id: int
    subject: str
    subject_id: str
    change: str
    actor: str
    at: AwareDatetime
    reason: str
    detail: dict[str, Any]


class ProjectIn(_In):
    """A construction, rail or road project registered with the center (Art. 43),
    at least 15 working days before its works start unless the center marks it
    urgent with a reason."""

    name: Name
    kind: ProjectKind
    builder: Name
    starts_on: date
    ends_on: date
    subdistrict_id: Ident
    community: Short | None = None
    road: Keyword | None = Field(
        default=None, description="the road as appeals name it, e.g. 坪山大道"
    )
    person_in_charge: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ]
    contact: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=3, max_length=100)
    ] = Field(description="the public contact; shown to the center only")
    unit_id: Ident = Field(description="the unit in charge of the project")
    category_ids: list[Ident] = Field(
        default_factory=list,
        max_length=30,
        description="when given, only appeals of these categories at its place "
        "route to it (its name in the text always does)",
    )
    urgent: bool = Field(
        default=False, description="center only: waives the registration period"
    )
    urgent_reason: Why | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.urgent and self.urgent_reason is None:
            raise ValueError("an urgent registration needs urgent_reason")
        return self


class ProjectUpdateIn(_In):
    """Changes to a registered project; only the fields given change."""

    name: Name | None = None
    builder: Name | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    community: Short | None = None
    road: Keyword | None = None
    person_in_charge: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
        ]
        | None
    ) = None
    contact: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=True, min_length=3, max_length=100),
        ]
        | None
    ) = None
    unit_id: Ident | None = None
    category_ids: list[Ident] | None = Field(default=None, max_length=30)
    urgent: bool | None = None
    urgent_reason: Why | None = None
    reason: Why

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.urgent and self.urgent_reason is None:
            raise ValueError("an urgent registration needs urgent_reason")
        return self


class ProjectOut(BaseModel):
    """A registered project. `person_in_charge` and `contact` are shown to the
    center only (null for a unit)."""

    id: str
    name: str
    kind: str
    builder: str
    starts_on: date
    ends_on: date
    subdistrict_id: str
    community: str | None
    road: str | None
    person_in_charge: str | None
    contact: str | None
    unit_id: str
    category_ids: list[str]
    registered_at: AwareDatetime
    registered_by: str
    earliest_start: date = Field(
        description="the first day works could start after the registration "
        "period (Art. 43)"
    )
    urgent: bool
    urgent_reason: str | None
    updated_at: AwareDatetime
    withdrawn_at: AwareDatetime | None


class QueueDispatchIn(_In):
    """An operator's choice of unit for a queued appeal."""

    unit_id: Ident
    reason: Why
    first_asked: bool = Field(
        default=False,
        description="name the unit first-asked (首问负责, Art. 25): for an urgent "
        "appeal whose owner cannot be found; it may then not return the order",
    )


class QueueEntryOut(BaseModel):
    """An appeal routing was not certain of, waiting for an operator or dispatched
    by one. The 1-hour dispatch target (Art. 12) runs from filing either way."""

    appeal_id: str
    tracking_code: str
    reason: str = Field(description="why routing was not certain (route reason)")
    basis: str
    suggested_unit_id: str
    category_id: str | None
    subdistrict_id: str | None
    level: int
    title: str
    filed_at: AwareDatetime
    queued_at: AwareDatetime
    waiting_seconds: float = Field(
        description="natural seconds from filing to dispatch, or to now if waiting"
    )
    within_target: bool = Field(description="within the dispatch target (Art. 12)")
    resolved_at: AwareDatetime | None
    resolved_by: str | None
    unit_id: str | None
    resolve_reason: str | None
    first_asked: bool
    work_order_id: str | None


class QueuePage(BaseModel):
    items: list[QueueEntryOut]
    total: int
