"""What dispatch's API takes and gives."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from minsheng_common.rules import AppealType
from minsheng_dispatch.disputes.schemas import DisputeOut

WorkOrderStatus = Literal[
    "dispatched",
    "return_requested",
    "returned",
    "signed",
    "in_progress",
    "closure_requested",
    "closed",
    "merged",
    "split",
    "parallel",
]
OrderRole = Literal["sole", "lead", "cooperating", "candidate"]
Outcome = Literal["on_time", "overdue", "staged"]
StagedCheck = Literal["pending", "done", "not_done", "unverified"]

Person = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
]
NoticeText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)
]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)
]
Note = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)
]
ReplyText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
AttachmentId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class UnitOut(BaseModel):
    """A unit that receives work orders."""

    id: str
    name: str
    kind: str = Field(description="district_unit, subdistrict (街道办事处), center, …")


class RouteOut(BaseModel):
    """Why the order went to its unit."""

    rule_id: int | None = Field(
        description="the routing rule; none for a project or an operator's choice"
    )
    reason: str = Field(
        description="project (Art. 43), first_handler (Art. 26), keyword, community "
        "or subdistrict when routing was certain; operator when the center "
        "dispatched it from the dispatch queue (Art. 12); center_redispatch, "
        "dispute_decision, center_split or center_parallel for an order that "
        "replaced another. Orders made before the queue may carry category_default "
        "or a fallback (fallback_rule, territorial_fallback, center_fallback)"
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
    status: WorkOrderStatus = Field(
        description="dispatched 已分拨, return_requested 申请退件, returned 已退件 "
        "(ended; see redispatched_to), signed 已签收, in_progress 办理中, "
        "closure_requested 申请办结, closed 已办结; ended by the center: merged 已并案 "
        "(see merged_into), split 已拆分 and parallel 已并行分拨 (the orders that "
        "took its place name it in split_from, or share its parallel group)"
    )
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
    round: int = Field(description="1, then 2, 3, … after each reopening (重办)")
    clock_from: Literal["created", "dispatched"] = Field(
        description="where the handling period starts: creation (Art. 15), or this "
        "unit's own dispatch for an order that replaced a returned one, a split "
        "one or went out in parallel (Art. 19, 22)"
    )
    updated_at: AwareDatetime = Field(description="the order's latest transition")
    handling_due_at: AwareDatetime | None = Field(
        description="when the handling period runs out, extensions included; none "
        "until sla has set it"
    )
    extended_working_days: int = Field(description="approved extensions (Art. 16)")
    progress_started_at: AwareDatetime | None = Field(
        description="the first progress note: the order is in progress from then"
    )
    handling_notice_requested_at: AwareDatetime | None
    handling_notice_sent_at: AwareDatetime | None = Field(
        description="when the platform sent the handling notice (Art. 29); closure "
        "is approved only after it"
    )
    closure_requested_at: AwareDatetime | None
    handled_at: AwareDatetime | None
    staged: bool = Field(description="the closure asked for is staged (阶段性办结)")
    check_date: date | None = Field(description="a staged closure's check date")
    closed_at: AwareDatetime | None
    closed_by: str | None
    outcome: Outcome | None = Field(
        description="on_time 按期办结, overdue 超期办结, staged 阶段性办结 (Art. 17)"
    )
    staged_check: StagedCheck | None = Field(
        description="a staged closure's check: pending, done, not_done, or "
        "unverified when the check date passed unchecked (counts as overdue)"
    )
    redispatched_from: str | None = Field(
        description="the returned order this one replaced"
    )
    redispatched_to: str | None = Field(
        description="for a returned order, the order that replaced it"
    )
    role: OrderRole = Field(
        default="sole",
        description="sole 独办; in a parallel group (并行, Art. 20, 22): candidate "
        "(ownership unclear: confirm or return it), lead 牵头单位 (gathers the "
        "opinions, gives the single reply) or cooperating 协同单位 (gives its "
        "opinion to the lead)",
    )
    parallel_group_id: str | None = Field(
        default=None, description="the parallel group (并行) the order belongs to"
    )
    split_from: str | None = Field(
        default=None, description="the order this one was split from (拆分, Art. 19)"
    )
    merged_into: str | None = Field(
        default=None, description="for a merged order, the order it went into (并案)"
    )
    channel: str | None = Field(default=None, description="the appeal's channel")
    cluster_id: str | None = Field(
        default=None, description="intake's event cluster: the same event (Art. 18)"
    )


class ChangeOut(BaseModel):
    """One change of an order in the unit's change log."""

    seq: int = Field(description="its place in the log; pass it back as `after`")
    action: str
    at: AwareDatetime


class UnitWorkOrderOut(WorkOrderOut):
    """An order in a unit's list; with `after`, the changes since that cursor."""

    changes: list[ChangeOut] = Field(default_factory=list)


class WorkOrderPage(BaseModel):
    items: list[WorkOrderOut]
    total: int


class UnitWorkOrderPage(BaseModel):
    """A unit's orders. `next_cursor` is the cursor to poll with next
    (`after=next_cursor`): every change after it comes exactly once."""

    items: list[UnitWorkOrderOut]
    total: int
    next_cursor: int


class ActionOut(BaseModel):
    """One step in an order's history."""

    id: int
    action: str
    actor: str
    at: AwareDatetime
    detail: dict[str, Any]


class OrderAttachmentOut(BaseModel):
    """An attachment an order refers to; fetch it with GET /v1/attachments/{id}."""

    id: str
    role: str
    content_type: str
    size: int
    round: int
    added_by: str
    added_at: AwareDatetime


class ExtensionOut(BaseModel):
    """An extension request (延期, Art. 16) and its decision."""

    id: str
    round: int
    working_days: int
    reason: str
    leader_approval: str | None
    status: Literal["pending", "approved", "refused"]
    requested_at: AwareDatetime
    requested_by: str
    decided_at: AwareDatetime | None
    decided_by: str | None
    decision_reason: str | None


class WorkOrderDetail(WorkOrderOut):
    """One order with its whole history: every transition (who, when, why), its
    attachments and extensions."""

    history: list[ActionOut]
    attachments: list[OrderAttachmentOut]
    extensions: list[ExtensionOut]
    disputes: list[DisputeOut] = Field(
        default_factory=list,
        description="ownership disputes (Art. 24) about the order, or whose decision "
        "sent it here, each with its steps",
    )


class AttachmentOut(BaseModel):
    """An uploaded attachment; `id` is its SHA-256."""

    id: str
    content_type: str
    size: int
    filename: str | None
    uploaded_at: AwareDatetime


class ReturnRequestIn(BaseModel):
    """The unit asks to give the order back (申请退件, Art. 13), before signing."""

    model_config = ConfigDict(extra="forbid")

    reason: Reason = Field(description="why the order is not the unit's")


class ReturnApproveIn(BaseModel):
    """The center approves a return and names the unit the appeal goes to."""

    model_config = ConfigDict(extra="forbid")

    unit_id: str = Field(min_length=1, max_length=50)
    reason: Reason


class DecisionIn(BaseModel):
    """A decision of the center that needs its reason."""

    model_config = ConfigDict(extra="forbid")

    reason: Reason


class ApprovalIn(BaseModel):
    """A decision of the center; the note is optional."""

    model_config = ConfigDict(extra="forbid")

    note: Reason | None = None


class ProgressIn(BaseModel):
    """How the handling is going (办理进展)."""

    model_config = ConfigDict(extra="forbid")

    note: Note


class ExtensionIn(BaseModel):
    """A request for more handling time (延期, Art. 16)."""

    model_config = ConfigDict(extra="forbid")

    working_days: int = Field(ge=1, le=100)
    reason: Reason
    leader_approval: AttachmentId | None = Field(
        default=None,
        description="the district leader's written approval, an uploaded "
        "attachment's id: needed beyond the first extension or its 5 working days",
    )


class HandlingNoticeIn(BaseModel):
    """What the unit tells the citizen about the result (办理告知, Art. 29)."""

    model_config = ConfigDict(extra="forbid")

    message: NoticeText


class ClosureAttachmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: AttachmentId
    role: Literal["before", "after", "other"] = Field(
        description="a photo before or after the handling, or another file"
    )


class ClosureIn(BaseModel):
    """The unit asks the center to close the order (申请办结, Art. 17), with its
    reply: when it was handled, what was done, the result. Staged closures
    (阶段性办结) carry a supporting document and a check date."""

    model_config = ConfigDict(extra="forbid")

    handled_at: AwareDatetime | None = None
    actions: ReplyText | None = Field(default=None, description="what was done")
    result: ReplyText | None = Field(default=None, description="the result")
    attachments: list[ClosureAttachmentIn] = Field(default_factory=list, max_length=50)
    staged: bool = False
    check_date: date | None = Field(
        default=None, description="a staged closure's check date (Art. 17)"
    )
    supporting_document: AttachmentId | None = Field(
        default=None,
        description="a staged closure's supporting document, e.g. a stamped "
        "rectification notice: an uploaded attachment's id",
    )
    handling_notice: HandlingNoticeIn | None = Field(
        default=None,
        description="the handling notice to the citizen (Art. 29), if not sent "
        "separately",
    )


class StagedCheckIn(BaseModel):
    """The center's check of a staged closure (Art. 17)."""

    model_config = ConfigDict(extra="forbid")

    done: bool
    note: Reason | None = None


class HandlingNoticeOut(BaseModel):
    """The handling notice accepted for sending; notify sends it."""

    request_id: str
    work_order_id: str
    appeal_id: str
    unit_id: str
    message: str
    requested_by: str
    requested_at: AwareDatetime


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
