"""What notify's API gives: notices with the evidence of every attempt (Art. 36)."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

NoticeStatus = Literal["pending", "sent", "failed", "manual"]
DeliveryStatus = Literal["accepted", "delivered", "undelivered"]
CallOutcome = Literal["reached", "no_answer", "busy", "unreachable", "wrong_number"]


class AttemptOut(BaseModel):
    """One try to deliver a notice, or the decision to stop trying."""

    at: AwareDatetime
    outcome: str = Field(
        description="sent, failed, held (an SMS kept until the quiet hours end), "
        "recipient_unknown, or no_contact (the appeal carries no contact, so the "
        "notice could not be sent at all)"
    )
    channel: str | None
    provider_ref: str | None
    detail: str | None
    recipient_masked: str | None = None
    content_sha256: str | None = Field(
        default=None, description="SHA-256 (hex) of the text handed to the channel"
    )
    delivery_status: DeliveryStatus | None = Field(
        default=None,
        description="accepted by the provider, then delivered or undelivered as "
        "its receipt says",
    )
    receipt_at: AwareDatetime | None = None


class NoticeOut(BaseModel):
    """A notice to a citizen and the proof of how it went (Art. 36); the recipient
    only masked."""

    id: str
    request_id: str
    appeal_id: str | None
    work_order_id: str | None
    unit_id: str | None
    kind: str = Field(
        description="acceptance: 受理告知 (Art. 28); handling: 办理告知 with the "
        "result (Art. 29), also to every citizen of a merged appeal (Art. 18); "
        "filed: 立案 with the tracking "
        "code; rejected: 不予立案 with the reason (Art. 11); instant_answer: 秒回 "
        "(Art. 44)"
    )
    body: str
    status: NoticeStatus
    channel: str | None = Field(description="the channel it was sent through")
    recipient_masked: str | None
    attempts: int = Field(description="how many times sending was tried")
    created_at: AwareDatetime
    sent_at: AwareDatetime | None
    failed_at: AwareDatetime | None
    provider_ref: str | None = Field(description="the channel's reference for it")
    last_error: str | None
    audience: str = Field(
        default="citizen", description="citizen, unit, agency or leader"
    )
    delivery_status: DeliveryStatus | None = None
    receipt_at: AwareDatetime | None = None
    attempt_log: list[AttemptOut] = Field(description="every attempt, oldest first")


class NoticeList(BaseModel):
    items: list[NoticeOut]


class CallRecordIn(BaseModel):
    """A telephone call staff made to deliver a notice (the call record of Art. 36;
    a telephone letter, 电函, of Art. 23)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    called_by: str = Field(
        min_length=1, max_length=100, description="who called: the staff member"
    )
    called_at: AwareDatetime = Field(description="when the call was made")
    outcome: CallOutcome = Field(
        description="reached (the notice was given by phone), no_answer, busy, "
        "unreachable or wrong_number"
    )
    duration_seconds: int = Field(ge=0, le=86_400, description="how long it took")
    note: str | None = Field(
        default=None, max_length=1000, description="what was said, briefly"
    )


class CallRecordOut(BaseModel):
    """A kept call record and where its notice stands now."""

    id: str
    notice_id: str
    called_by: str
    called_at: AwareDatetime
    outcome: CallOutcome
    duration_seconds: int
    note: str | None
    recorded_by: str
    recorded_at: AwareDatetime
    notice_status: NoticeStatus


class DeliveryReceipt(BaseModel):
    """What a provider says became of one message it took."""

    model_config = ConfigDict(extra="ignore")

    message_id: str = Field(
        min_length=1, max_length=200, description="the provider's id of the message"
    )
    status: Literal["delivered", "undelivered"]
    at: AwareDatetime | None = Field(
        default=None, description="when it was delivered or given up; default: now"
    )
    detail: str | None = Field(default=None, max_length=500)


class ReceiptBatch(BaseModel):
    """Delivery receipts pushed by a provider."""

    receipts: list[DeliveryReceipt] = Field(min_length=1, max_length=500)


class ReceiptsApplied(BaseModel):
    """What the receipts changed: applied, already final (unchanged), or naming no
    message notify sent through this provider (unknown)."""

    applied: int
    unchanged: int
    unknown: int


class CallOut(BaseModel):
    """The call record behind an attempt by telephone."""

    called_by: str
    outcome: CallOutcome
    duration_seconds: int
    note: str | None
    recorded_by: str
    recorded_at: AwareDatetime


class EvidenceAttempt(BaseModel):
    """One attempt as evidence (Art. 36): when, through what, to whom (masked), the
    provider's message id, delivery status and receipt time, and the SHA-256 of
    the text handed over."""

    number: int = Field(description="1 for the notice's first attempt")
    at: AwareDatetime
    outcome: str
    channel: str | None
    recipient_masked: str | None
    provider_ref: str | None
    delivery_status: DeliveryStatus | None
    receipt_at: AwareDatetime | None
    content_sha256: str | None
    detail: str | None
    call: CallOut | None


class EvidenceNotice(BaseModel):
    """A notice with the evidence of every attempt to deliver it."""

    notice_id: str
    request_id: str
    kind: str
    audience: str
    appeal_id: str | None
    work_order_id: str | None
    unit_id: str | None
    status: NoticeStatus
    body: str
    created_at: AwareDatetime
    sent_at: AwareDatetime | None
    failed_at: AwareDatetime | None
    attempts: list[EvidenceAttempt]


class EvidenceOut(BaseModel):
    """Every notice of a work order with the evidence of every attempt: what a unit
    attaches to its appeal against a deduction (Art. 35, 36)."""

    work_order_id: str
    generated_at: AwareDatetime
    notices: list[EvidenceNotice]
