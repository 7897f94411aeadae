"""What notify's API gives: notices with the evidence of every attempt (Art. 36)."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

NoticeStatus = Literal["pending", "sent", "failed"]


class AttemptOut(BaseModel):
    """One try to deliver a notice, or the decision to stop trying."""

    at: AwareDatetime
    outcome: str = Field(
        description="sent, failed, recipient_unknown, or no_contact (the appeal "
        "carries no contact, so the notice could not be sent at all)"
    )
    channel: str | None
    provider_ref: str | None
    detail: str | None


class NoticeOut(BaseModel):
    """A notice to a citizen and the proof of how it went (Art. 36); the recipient
    only masked."""

    id: str
    request_id: str
    appeal_id: str
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
    attempt_log: list[AttemptOut] = Field(description="every attempt, oldest first")


class NoticeList(BaseModel):
    items: list[NoticeOut]
