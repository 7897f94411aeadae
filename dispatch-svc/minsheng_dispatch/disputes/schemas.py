"""What the dispute API takes and gives. Standalone on purpose: the order's detail
(`minsheng_dispatch.schemas`) shows its disputes with these models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from minsheng_common.events.catalogue import DisputeLevel

DisputeState = Literal["open", "decided"]
UnitId = Annotated[str, StringConstraints(min_length=1, max_length=50)]
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)
]
DocumentId = Annotated[str, StringConstraints(min_length=1, max_length=64)]

LEVEL_HELP = (
    "the level that acts: center (中心协调), bureau_leadership (局领导协调) or "
    "district_meeting (区领导专题协调会议); it must be the level the dispute stands "
    "at (409 `dispute_level_mismatch` otherwise)"
)
DOCUMENT_HELP = (
    "an uploaded attachment's id (POST /v1/attachments): the written decision "
    "(minutes, a signed note) of the level that acts"
)


class DisputeOpenIn(BaseModel):
    """The center opens a dispute (争议, Art. 24) on an order whose units contest
    who owns it, naming them and the reason."""

    model_config = ConfigDict(extra="forbid")

    unit_ids: list[UnitId] = Field(
        min_length=2,
        max_length=10,
        description="the units that contest the order, at least two, each once",
    )
    reason: Text = Field(description="what the units contest and why")

    @field_validator("unit_ids")
    @classmethod
    def _each_once(cls, unit_ids: list[str]) -> list[str]:
        if len(set(unit_ids)) != len(unit_ids):
            raise ValueError("each unit is named once")
        return unit_ids


class DisputeEscalateIn(BaseModel):
    """The level a dispute stands at cannot resolve it: it goes one level up."""

    model_config = ConfigDict(extra="forbid")

    level: DisputeLevel = Field(description=LEVEL_HELP)
    reason: Text = Field(description="why this level could not resolve it")
    document: DocumentId | None = Field(default=None, description=DOCUMENT_HELP)


class DisputeDecideIn(BaseModel):
    """The level a dispute stands at names the unit that owns the order."""

    model_config = ConfigDict(extra="forbid")

    level: DisputeLevel = Field(description=LEVEL_HELP)
    owner_unit_id: UnitId = Field(description="the unit that owns the order")
    decision: Text = Field(description="the decision as the level gave it")
    document: DocumentId | None = Field(
        default=None,
        description=DOCUMENT_HELP + "; required for bureau_leadership and "
        "district_meeting (422 `decision_document_required`)",
    )


class DisputeStepOut(BaseModel):
    """One step of a dispute: who recorded it, when, at which level, and why."""

    step: Literal["opened", "escalated", "decided"]
    level: DisputeLevel = Field(
        description="opened: center; escalated: the level it went to; decided: the "
        "level that decided"
    )
    actor: str = Field(description="the caller who recorded the step")
    at: AwareDatetime
    text: str = Field(description="the reason, or the decision")
    document: str | None
    owner_unit_id: str | None


class DisputeOut(BaseModel):
    """An ownership dispute (争议事件, Art. 24) with each of its steps."""

    id: str
    work_order_id: str = Field(description="the order the units contest")
    appeal_id: str
    unit_ids: list[str]
    reason: str
    state: DisputeState
    level: DisputeLevel = Field(
        description="where the dispute stands, or the level that decided it"
    )
    next_level: DisputeLevel | None = Field(
        description="where it goes if escalated; none at the district meeting, "
        "which must decide"
    )
    opened_at: AwareDatetime
    opened_by: str
    updated_at: AwareDatetime
    owner_unit_id: str | None
    decision: str | None
    decision_document: str | None
    decided_at: AwareDatetime | None
    decided_by: str | None
    redispatched_to: str | None = Field(
        description="the owner's new order when the decision moved the appeal "
        "away from the unit that held it"
    )
    steps: list[DisputeStepOut]


class DisputePage(BaseModel):
    items: list[DisputeOut]
    total: int
