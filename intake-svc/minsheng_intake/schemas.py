"""What intake's API takes and gives."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, HttpUrl

from minsheng_common.rules import AppealType

ContactKind = Literal["phone", "email", "forum_account", "wechat_openid"]


class ContactIn(BaseModel):
    """How to reach the citizen (a real registered contact, Art. 11(2)1)."""

    kind: ContactKind = Field(description="phone, email, or an account on the channel")
    value: str = Field(min_length=1, max_length=200)


class Coordinates(BaseModel):
    """A position as the channel gave it (WeChat location, camera), kept as given."""

    model_config = ConfigDict(allow_inf_nan=False)

    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class AppealIn(BaseModel):
    """An appeal in canonical form, as every channel adapter sends it."""

    model_config = ConfigDict(extra="forbid")

    channel: str = Field(min_length=1, max_length=50, description="channel id")
    channel_ref: str = Field(
        min_length=1,
        max_length=200,
        description="the channel's own reference: the idempotency key; sending the "
        "same reference again returns the first result",
    )
    type: AppealType = Field(
        description="consultation 咨询, complaint 投诉, suggestion 建议"
    )
    category_hint: str | None = Field(default=None, max_length=50)
    title: str = Field(default="", max_length=400)
    content: str = Field(default="", max_length=20_000)
    contact: ContactIn | None = None
    address: str | None = Field(default=None, max_length=500)
    coordinates: Coordinates | None = None
    received_at: datetime = Field(
        description="when the channel received it; a time without offset is read as "
        "Asia/Shanghai"
    )
    attachments: list[HttpUrl] = Field(default_factory=list, max_length=20)
    name: str | None = Field(
        default=None,
        max_length=50,
        description="the citizen's name, if given; stored encrypted and shown only "
        "through a recorded disclosure",
    )
    consent_to_disclose: bool = Field(
        default=False,
        description="the citizen agrees that the handling unit may see the contact "
        "and name",
    )


class Place(BaseModel):
    subdistrict_id: str | None
    community: str | None
    found_in: str | None = Field(description="address or text")


class Decision(BaseModel):
    """The filing decision; `reason_code` and `article` only when not filed."""

    status: Literal["filed", "rejected"]
    reason_code: str | None = None
    article: str | None = None
    detail: str | None = None
    decided_at: AwareDatetime


class ContactOut(BaseModel):
    kind: str
    masked: str


class AppealOut(BaseModel):
    """An appeal as intake holds it, with personal data masked in its texts and its
    channel reference, and the contact masked (Art. 41); the originals only through
    a recorded contact disclosure."""

    id: str
    tracking_code: str
    channel: str
    channel_ref: str
    type: AppealType
    category_id: str | None
    title: str
    content: str
    address: str | None
    place: Place
    contact: ContactOut | None
    received_at: AwareDatetime
    received_zone_assumed: bool
    decision: Decision


class AppealStatusOut(BaseModel):
    """The status of a channel's own submission: no personal data, no content."""

    id: str
    tracking_code: str
    channel: str
    channel_ref: str
    type: AppealType
    decision: Decision
    received_at: AwareDatetime


class AppealPage(BaseModel):
    items: list[AppealOut]
    total: int


class AppealCounts(BaseModel):
    """How many appeals intake holds, by decision and by reason."""

    total: int
    filed: int
    rejected: int
    by_reason: dict[str, int]
    by_channel: dict[str, int]


class DisclosureIn(BaseModel):
    """Why the caller needs the citizen's contact in clear; kept in the record."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        min_length=4,
        max_length=200,
        description="in words: at least 4 letters or Chinese characters",
    )


class ClearContact(BaseModel):
    kind: str
    value: str


class DisclosureOut(BaseModel):
    """The citizen's contact, name and texts as written, in clear; this answer is
    recorded."""

    appeal_id: str
    contact: ClearContact | None
    name: str | None
    title: str = Field(description="the title as the citizen wrote it")
    content: str = Field(description="the content as the citizen wrote it")
    address: str | None = Field(description="the address as the citizen wrote it")
    disclosed_at: AwareDatetime


class DisclosureRecord(BaseModel):
    """One disclosure: who saw the contact of which appeal, when and why."""

    id: str
    appeal_id: str
    who: str
    role: str
    unit_id: str | None
    reason: str
    at: AwareDatetime


class DisclosureList(BaseModel):
    items: list[DisclosureRecord]
