"""What dispatch's API takes and gives."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from minsheng_common.rules import AppealType

WorkOrderStatus = Literal["dispatched", "signed"]

Person = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
]
NoticeText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)
]


class UnitOut(BaseModel):
    """A unit that receives work orders."""

    id: str
    name: str
    kind: str = Field(description="district_unit, subdistrict (街道办事处), center, …")


class RouteOut(BaseModel):
    """Why the order went to its unit."""

    rule_id: int | None = Field(description="the routing rule; none for a fallback")
    reason: str = Field(
        description="keyword, subdistrict, category_default, territorial_fallback "
        "(Art. 21) or center_fallback"
    )
    basis: str


class WorkOrderOut(BaseModel):
    """A work order (工单) as its unit sees it; the citizen's contact never appears."""

    id: str
    appeal_id: str
    tracking_code: str
    unit_id: str
    appeal_type: AppealType
    category_id: str | None
    subdistrict_id: str | None
    community: str | None
    title: str
    content: str
    address: str | None
    status: WorkOrderStatus = Field(description="dispatched 已分拨, signed 已签收")
    filed_at: AwareDatetime
    created_at: AwareDatetime = Field(description="the order's start: the filing")
    dispatched_at: AwareDatetime
    dispatch_seconds: float = Field(description="natural seconds from filing (Art. 12)")
    dispatched_within_target: bool = Field(
        description="dispatched within the edition's dispatch hours (Art. 12)"
    )
    route: RouteOut
    rules_edition: str
    sign_off_due_at: AwareDatetime | None = Field(
        description="when the sign-off time runs out (Art. 13): a sign at or after it "
        "finds the order signed by default; none until sla has set the deadline"
    )
    signed_at: AwareDatetime | None
    sign_mode: Literal["manual", "auto"] | None = Field(
        description="manual 签收, or auto 默认签收 (Art. 13)"
    )
    signed_by: str | None
    acceptance_notice_requested_at: AwareDatetime | None


class WorkOrderPage(BaseModel):
    items: list[WorkOrderOut]
    total: int


class ActionOut(BaseModel):
    """One step in an order's history."""

    id: int
    action: str
    actor: str
    at: AwareDatetime
    detail: dict[str, Any]


class AcceptanceNoticeIn(BaseModel):
    """What the unit tells the citizen on accepting (受理告知, Art. 28)."""

    model_config = ConfigDict(extra="forbid")

    accepted: bool = Field(description="whether the unit accepts the appeal")
    message: NoticeText = Field(description="the text the citizen receives")


class SignIn(BaseModel):
    """A unit signs for its order (签收, Art. 13), optionally with the acceptance
    notice to the citizen. The unit is the caller's own, from its credentials."""

    model_config = ConfigDict(extra="forbid")

    signed_by: Person = Field(description="the clerk who signs, as the unit names him")
    acceptance_notice: AcceptanceNoticeIn | None = None


class AcceptanceNoticeRequestIn(BaseModel):
    """A unit asks the platform to send its acceptance notice (Art. 28). The unit is
    the caller's own, from its credentials."""

    model_config = ConfigDict(extra="forbid")

    requested_by: Person = Field(description="the clerk who asks")
    accepted: bool
    message: NoticeText


class AcceptanceNoticeRequestOut(BaseModel):
    """The acceptance notice accepted for sending; notify sends it."""

    request_id: str
    work_order_id: str
    appeal_id: str
    unit_id: str
    accepted: bool
    message: str
    requested_by: str
    requested_at: AwareDatetime


class RoutingRuleOut(BaseModel):
    """One row of the routing table, current or closed."""

    id: int
    category_id: str
    subdistrict_id: str | None
    keyword: str | None
    unit_id: str
    valid_from: AwareDatetime
    valid_to: AwareDatetime | None
    in_force: bool
    created_by: str
    note: str | None
