"""The message WeChat pushes, as read from its XML, and what the adapter's API
gives."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from minsheng_common.adapters.schemas import DeliveryState

OPENID = r"^[A-Za-z0-9_-]{1,64}$"
"""An openid (and the account's id): WeChat's are 28 such characters."""

Kind = Literal["text", "voice", "image", "location"]
"""The messages that make or join an appeal."""
Outcome = Literal["opened", "attached", "event", "ignored"]


class InboundMessage(BaseModel):
    """A message or event the official account's server pushes, by WeChat's element
    names (`ToUserName`, `FromUserName`, `CreateTime`, `MsgType`, …).

    `Location_X` is the latitude and `Location_Y` the longitude; `Recognition` is
    WeChat's speech recognition of a voice message (empty when the account has it
    off).
    """

    model_config = ConfigDict(populate_by_name=True, str_strip_whitespace=True)

    to_user: str = Field(alias="ToUserName", pattern=OPENID)
    from_user: str = Field(alias="FromUserName", pattern=OPENID, repr=False)
    create_time: int = Field(alias="CreateTime", ge=0, lt=2**40)
    msg_type: str = Field(alias="MsgType", min_length=1, max_length=30)
    msg_id: str | None = Field(
        default=None, alias="MsgId", pattern=r"^[0-9]{1,30}$", max_length=30
    )
    content: str | None = Field(default=None, alias="Content", max_length=20_000)
    pic_url: str | None = Field(default=None, alias="PicUrl", max_length=2000)
    media_id: str | None = Field(default=None, alias="MediaId", max_length=200)
    latitude: float | None = Field(
        default=None, alias="Location_X", ge=-90, le=90, allow_inf_nan=False
    )
    longitude: float | None = Field(
        default=None, alias="Location_Y", ge=-180, le=180, allow_inf_nan=False
    )
    scale: int | None = Field(default=None, alias="Scale", ge=0, le=30)
    label: str | None = Field(default=None, alias="Label", max_length=500)
    recognition: str | None = Field(
        default=None, alias="Recognition", max_length=20_000
    )
    event: str | None = Field(default=None, alias="Event", max_length=50)
    event_key: str | None = Field(default=None, alias="EventKey", max_length=500)


class MessageOut(BaseModel):
    """A message the account received and what became of it; never the citizen's
    openid or words."""

    message_key: str = Field(
        description="the idempotency key: the MsgId, or for an event the sender "
        "and CreateTime"
    )
    citizen: str = Field(description="a pseudonym of the sender's openid")
    msg_type: str
    event: str | None
    outcome: Outcome = Field(
        description="opened an appeal, attached to the citizen's pending appeal, "
        "an event of the account, or ignored (nothing to file: an empty text, an "
        "unrecognised voice, a kind of message not taken)"
    )
    appeal_item: str | None
    photo_url: str | None
    sent_at: AwareDatetime = Field(description="the message's CreateTime")
    received_at: AwareDatetime


class MessagePage(BaseModel):
    items: list[MessageOut]
    total: int


class AppealOut(DeliveryState):
    """One appeal on its way to intake: the message that opened it and what joined
    it."""

    citizen: str = Field(description="a pseudonym of the sender's openid")
    opened_by: Kind
    first_message_key: str
    follow_ups: int = Field(description="pictures and locations attached to it")
    title: str
    instant_answer: str | None = Field(
        description="the knowledge base's answer intake gave at once, if any"
    )
