"""What the adapter sends to intake, and what its own API takes and gives."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AliasChoices, AwareDatetime, BaseModel, ConfigDict, Field

from minsheng_common.adapters.schemas import DeliveryState, ItemStatus
from minsheng_common.rules import AppealType


class ForumContact(BaseModel):
    """How the citizen is reached (Art. 11(2)1): the forum account, where the
    citizen is answered, or a telephone number or email a polled post left."""

    kind: Literal["forum_account", "phone", "email"] = "forum_account"
    value: str = Field(min_length=1, max_length=200)


class CanonicalAppeal(BaseModel):
    """An appeal in intake's canonical form (`POST /v1/appeals`)."""

    channel: str
    channel_ref: str = Field(description="the forum's message id: the idempotency key")
    type: AppealType
    category_hint: str | None
    title: str
    content: str
    contact: ForumContact | None
    second_contact: ForumContact | None = Field(
        default=None,
        description="a polled post's telephone or email besides the account",
    )
    address: str | None = Field(
        default=None, description="the place a polled post names, as it gave it"
    )
    received_at: AwareDatetime = Field(
        description="the replayed message's due time, the pushed post's arrival or "
        "the polled post's time on the forum, +08:00"
    )


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
    url: str | None = Field(
        default=None, description="where a polled post is read on its forum"
    )


class FeedPost(BaseModel):
    """One post of a forum feed page (see `minsheng_forum.feed`).

    Only `id`, `content` and `posted_at` (ISO 8601 with an offset) are required;
    an id may be a number. The texts are the citizen's and are never logged.
    """

    model_config = ConfigDict(coerce_numbers_to_str=True, extra="ignore")

    id: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="the post's id on its forum: the idempotency key",
    )
    title: str = ""
    content: str
    author: str | None = Field(
        default=None, max_length=200, description="the poster's forum account"
    )
    contact: str | None = Field(
        default=None, max_length=200, description="a telephone number or email left"
    )
    posted_at: AwareDatetime
    url: str | None = Field(default=None, max_length=1000)
    address: str | None = Field(
        default=None,
        max_length=500,
        validation_alias=AliasChoices("address", "place"),
        description="the place the post names (`place` is read too)",
    )
    category: str | None = Field(
        default=None, max_length=50, description="the forum's own category label"
    )


class FeedEnvelope(BaseModel):
    """A page of a forum feed as a whole: its posts oldest first, and the cursor
    after them. Each post is read on its own as a `FeedPost`, so one that cannot be
    read is skipped without failing the page."""

    model_config = ConfigDict(extra="ignore")

    posts: list[Any]
    next: str | None = Field(default=None, min_length=1, max_length=500)


class SourceOut(BaseModel):
    """Where the adapter stands in a polled forum source (轮询状态)."""

    name: str
    channel: str
    feed: str = Field(description="the feed's address, without query or credentials")
    replies: bool = Field(description="answers go back as reply posts (a reply_url)")
    interval_seconds: float
    cursor: str | None = Field(description="the cursor the next poll asks with")
    polled_at: AwareDatetime | None = Field(description="the last poll, ok or not")
    succeeded_at: AwareDatetime | None = Field(description="the last poll that worked")
    failures: int = Field(
        description="polls failed in a row since the last that worked"
    )
    last_error: str | None
    posts_stored: int = Field(description="posts taken on from this source")
    posts_repeated: int = Field(
        description="posts the feed gave again, already taken and not taken twice"
    )
    posts_unreadable: int = Field(
        description="posts skipped because they could not be read (a field missing "
        "or wrong, such as a time without its offset); each is in the log at WARNING"
    )
