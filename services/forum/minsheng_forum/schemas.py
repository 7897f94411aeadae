"""What the adapter sends to intake, and what its own API takes and gives."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from minsheng_common.adapters.schemas import DeliveryState, ItemStatus
from minsheng_common.rules import AppealType


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


class ItemOut(DeliveryState):
    """One forum message on its way to intake; the forum account is not shown."""

    message_id: str
    row_number: int
    title: str
    type: AppealType
    category_hint: str | None
    posted_at: AwareDatetime
