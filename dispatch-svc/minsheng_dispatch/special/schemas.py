"""What the special dispatch API takes and gives."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from minsheng_dispatch.schemas import (
    Note,
    OrderRole,
    Person,
    Reason,
    WorkOrderOut,
    WorkOrderStatus,
)

WorkOrderId = Annotated[str, StringConstraints(min_length=1, max_length=36)]
UnitId = Annotated[str, StringConstraints(min_length=1, max_length=50)]


class MergeIn(BaseModel):
    """Orders about the same event to merge into this one (并案, Art. 18)."""

    model_config = ConfigDict(extra="forbid")

    work_order_ids: list[WorkOrderId] = Field(
        min_length=1,
        max_length=50,
        description="the orders that end and go into this one; each citizen is told "
        "this order's result",
    )
    reason: Reason


class MergeOut(BaseModel):
    """The surviving order and the orders merged into it."""

    work_order: WorkOrderOut
    merged: list[WorkOrderOut]


class MergeSuggestionOut(BaseModel):
    """Open orders of one event cluster of intake (the same event, Art. 18) that may
    be merged."""

    cluster_id: str
    same_channel: bool = Field(
        description="all came through one channel: Art. 18's case. Appeals of one "
        "cluster, channel, category and unit are merged at dispatch already; these "
        "are left because the first order was too far along, they came through "
        "other channels, or they were classified or routed differently (perhaps "
        "other events), which are only suggested"
    )
    same_category: bool = Field(
        description="all were classified in one category; if not, check that they "
        "are one event before merging"
    )
    same_unit: bool = Field(
        description="all went to one unit; if not, merging hands the others' "
        "appeals to the kept order's unit"
    )
    channels: list[str]
    suggested_work_order_id: str | None = Field(
        description="the order to keep: the earliest that can take the others in"
    )
    orders: list[WorkOrderOut]


class MergeSuggestionPage(BaseModel):
    items: list[MergeSuggestionOut]
    total: int


class SplitPartIn(BaseModel):
    """One event of the appeal and the unit responsible for it."""

    model_config = ConfigDict(extra="forbid")

    unit_id: UnitId
    summary: Note = Field(description="what of the appeal is this unit's")


class SplitIn(BaseModel):
    """One appeal with several events for different units, split into one order
    (event number) per event (拆分, Art. 19)."""

    model_config = ConfigDict(extra="forbid")

    parts: list[SplitPartIn] = Field(min_length=2, max_length=10)
    reason: Reason


class SplitOut(BaseModel):
    """The order that was split (now ended) and its parts."""

    work_order: WorkOrderOut
    parts: list[WorkOrderOut]


class CandidatesIn(BaseModel):
    """Ownership is unclear from the description: every unit gets the event; the one
    that confirms handles it, the others return it (Art. 20)."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["candidates"]
    unit_ids: list[UnitId] = Field(min_length=2, max_length=10)
    reason: Reason


class LeadIn(BaseModel):
    """The facts are clear but several units are involved: the lead (牵头单位)
    gathers the cooperating units' (协同单位) opinions and gives the single reply
    (Art. 20)."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["lead"]
    lead_unit_id: UnitId
    cooperating_unit_ids: list[UnitId] = Field(min_length=1, max_length=9)
    reason: Reason


ParallelIn = Annotated[CandidatesIn | LeadIn, Field(discriminator="mode")]


class ConfirmIn(BaseModel):
    """A candidate unit confirms that the event is its own, and signs for it."""

    model_config = ConfigDict(extra="forbid")

    signed_by: Person = Field(description="the clerk who signs, as the unit names him")


class OpinionIn(BaseModel):
    """A cooperating unit's opinion to the lead (协同意见, Art. 20)."""

    model_config = ConfigDict(extra="forbid")

    opinion: Note


class OpinionOut(BaseModel):
    """A cooperating unit's opinion, or the center's waiver of it."""

    work_order_id: str
    unit_id: str
    status: Literal["submitted", "waived"]
    opinion: str | None = Field(description="the opinion; none when waived")
    reason: str | None = Field(description="why the center waived it")
    at: AwareDatetime
    by: str
    due_at: AwareDatetime | None = Field(
        description="the end of the cooperating order's handling period"
    )
    on_time: bool = Field(description="given (or waived) within that period")


class MemberOut(BaseModel):
    """One unit's order in a parallel group."""

    work_order_id: str
    unit_id: str
    role: OrderRole
    status: WorkOrderStatus
    dispatched_at: AwareDatetime
    handling_due_at: AwareDatetime | None
    opinion: OpinionOut | None = Field(
        default=None,
        description="a cooperating unit's opinion: shown to the center, the lead and "
        "the unit that gave it",
    )


class ParallelGroupOut(BaseModel):
    """One event sent to several units at once (并行, Art. 20, 22), one event number,
    each unit's order timed from its own dispatch."""

    id: str
    appeal_id: str
    tracking_code: str
    mode: Literal["candidates", "lead"]
    origin_work_order_id: str = Field(description="the order the group replaced")
    reason: str
    created_at: AwareDatetime
    created_by: str
    owner_work_order_id: str | None = Field(
        description="candidates mode: the order of the unit that confirmed"
    )
    owner_confirmed_at: AwareDatetime | None
    members: list[MemberOut]
    opinions_missing: list[str] = Field(
        description="lead mode: the open cooperating orders whose opinion the lead "
        "still waits for; the lead's closure waits for them (Art. 20)"
    )
