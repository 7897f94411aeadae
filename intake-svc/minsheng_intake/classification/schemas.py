"""What the triage queue's API takes and gives."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from minsheng_common.rules import AppealType


class RankedCategory(BaseModel):
    category_id: str
    name: str | None = Field(description="the category's name (reference data)")
    confidence: float = Field(ge=0, le=1)


class TriageItem(BaseModel):
    """An appeal waiting for an operator to choose its category, with what the
    suggester proposed."""

    appeal_id: str
    tracking_code: str
    channel: str
    type: AppealType
    title: str = Field(description="personal data masked")
    received_at: datetime
    suggested_category_id: str | None
    confidence: float = Field(ge=0, le=1)
    ranked: list[RankedCategory] = Field(description="the best few, best first")
    queued_at: datetime


class TriagePage(BaseModel):
    items: list[TriageItem]
    total: int = Field(description="how many appeals wait in all")


class ClassificationIn(BaseModel):
    """The operator's choice of category for an appeal in the triage queue."""

    model_config = ConfigDict(extra="forbid")

    category_id: str = Field(min_length=1, max_length=50, description="category id")
    reason: str = Field(
        min_length=1, max_length=500, description="why this category, in words"
    )


class ClassificationOut(BaseModel):
    """The classification recorded: chosen category, by whom, when and why, beside
    what the suggester had proposed."""

    appeal_id: str
    category_id: str
    reason: str
    resolved_by: str
    resolved_at: datetime
    suggested_category_id: str | None
    confidence: float = Field(ge=0, le=1)
    queued_at: datetime
