"""What the adapter sends to intake, and what its own API takes and gives."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from minsheng_common.rules import AppealType

ItemStatus = Literal["pending", "delivered", "refused"]
Decision = Literal["filed", "rejected"]


class ForumContact(BaseModel):
    """The forum account: where the citizen is answered (Art. 11(2)1)."""

    kind: Literal["forum_account"] = "forum_account"
    value: str = Field(min_length=1, max_length=200)


class CanonicalAppeal(BaseModel):
    """An appeal in intake's canonical form (`POST /v1/appeals`)."""

    channel: str
    channel_ref: str = Field(description="the forum's message id: the idempotency key")
    type: AppealType
    category_hint: str | None
    title: str
    content: str
    contact: ForumContact
    received_at: AwareDatetime = Field(description="the message's due time, +08:00")


class ForumPost(BaseModel):
    """A message the forum pushes (POST /v1/posts), signed with a shared secret.

    `posted_at` without an offset is read as Asia/Shanghai. The account in
    `user_id` is where the citizen is answered; it is passed to intake and never
    shown or logged here.
    """

    message_id: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="the forum's message id: the idempotency key",
    )
    user_id: str = Field(min_length=1, max_length=200)
    title: str = Field(
        min_length=1,
        max_length=500,
        description="at most FORUM_MAX_TITLE_CHARS characters (200 by default, "
        "intake's limit) once places are mapped; longer: 422 too_long",
    )
    detail: str = Field(
        min_length=1,
        max_length=20_000,
        description="at most FORUM_MAX_DETAIL_CHARS characters (5000 by default, "
        "intake's limit for the content) once places are mapped; longer: 422 "
        "too_long",
    )
    posted_at: datetime
    category: str = Field(
        default="", max_length=50, description="the forum's own category label"
    )


class PostAccepted(BaseModel):
    """A pushed post taken on (or one taken before: the same message id)."""

    id: str = Field(description="the forum item that carries the post to intake")
    message_id: str
    status: ItemStatus
    duplicate: bool = Field(
        description="the message id was pushed before; that item is answered"
    )


class ReplayRequest(BaseModel):
    """How to replay the sample onto the demo clock."""

    compression: float | None = Field(
        default=None,
        ge=1,
        description="how many times faster than on the forum; default from settings",
    )
    limit: int | None = Field(
        default=None, ge=1, description="only the earliest N messages"
    )


class UnparseableRow(BaseModel):
    """A row whose time stamp could not be read; it is not replayed."""

    row: int
    message_id: str
    posted_at: str


class ReplayReport(BaseModel):
    """What a replay scheduled (回放结果)."""

    source: str
    compression: float
    scheduled: int = Field(description="new items stored and due for delivery")
    skipped_already_stored: int = Field(
        description="rows an earlier replay already stored"
    )
    unparseable: int
    unparseable_rows: list[UnparseableRow]
    first_due_at: AwareDatetime | None
    last_due_at: AwareDatetime | None


class ItemOut(BaseModel):
    """One forum message on its way to intake; the forum account is not shown."""

    id: str
    source: str
    message_id: str
    row_number: int
    position: int
    title: str
    type: AppealType
    category_hint: str | None
    posted_at: AwareDatetime
    due_at: AwareDatetime
    status: ItemStatus
    attempts: int
    last_error: str | None
    next_attempt_at: AwareDatetime | None
    delivered_at: AwareDatetime | None
    already_received: bool = Field(
        description="intake answered 200: it had this channel reference already"
    )
    appeal_id: str | None
    tracking_code: str | None
    decision: Decision | None


class ItemPage(BaseModel):
    items: list[ItemOut]
    total: int


class DecisionCounts(BaseModel):
    """Distinct appeals intake holds from this adapter, by filing decision."""

    filed: int = 0
    rejected: int = 0


class Stats(BaseModel):
    """Where the adapter's items stand."""

    total: int
    pending: int
    delivered: int
    refused: int
    already_received: int = Field(
        description="delivered items intake already had (answered 200)"
    )
    by_decision: DecisionCounts
