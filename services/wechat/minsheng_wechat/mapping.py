"""A citizen's WeChat message in intake's canonical form: what kind of message it
is, what it says, and the citizen's openid as the contact (so notify can answer on
WeChat)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Final

from minsheng_common.adapters.schemas import CanonicalAppeal, Contact, Coordinates
from minsheng_common.text import strip_invisible
from minsheng_common.timeutil import SHANGHAI
from minsheng_wechat.schemas import InboundMessage, Kind

CONTACT_KIND: Final = "wechat_openid"
HEADLINE_CHARS = 30
FOLLOW_UPS: Final[frozenset[Kind]] = frozenset({"image", "location"})
"""The kinds that may join a citizen's pending appeal instead of opening one."""
PICTURE_ATTACHED: Final = "市民通过微信公众号发来一张图片，未附文字说明，图片见附件。"
PICTURE_NOT_RETRIEVED: Final = (
    "市民通过微信公众号发来一张图片，未附文字说明。图片未能取回，"
    "本诉求没有附件；如需图片，请与市民联系。"
)
PICTURE_NOT_RETRIEVED_NOTE: Final = "（市民随后还发来图片，但图片未能取回，未作附件。）"
"""Added once to the content of an appeal a picture that could not be kept
joined, however many such pictures there were."""


def citizen(openid: str) -> str:
    """The pseudonym logs, queues and the API name a citizen by: the openid never
    appears in clear outside the appeal's payload."""
    return "wx-" + hashlib.sha256(openid.encode("utf-8")).hexdigest()[:24]


def message_key(message: InboundMessage) -> str:
    """The idempotency key WeChat advises: the MsgId of a message; the sender and
    CreateTime of an event (with the event, as two may share a second)."""
    if message.msg_type == "event":
        return (
            f"event:{citizen(message.from_user)}:{message.create_time}:"
            f"{message.event or ''}"
        )
    return f"msg:{message.msg_id}"


def kind_of(message: InboundMessage) -> Kind | None:
    """What the message can be on an appeal; None when there is nothing to file
    (an empty text, a voice WeChat did not recognise, a video or a link)."""
    if message.msg_type == "text" and readable(message.content):
        return "text"
    if message.msg_type == "voice" and readable(message.recognition):
        return "voice"
    if message.msg_type == "image" and message.pic_url:
        return "image"
    if (
        message.msg_type == "location"
        and message.latitude is not None
        and message.longitude is not None
    ):
        return "location"
    return None


def readable(text: str | None) -> str:
    """The text without what a person cannot see, trimmed; empty when nothing is
    left."""
    return strip_invisible(text or "").strip()


def sent_at(message: InboundMessage) -> datetime:
    """The message's CreateTime (Unix seconds) as a moment."""
    return datetime.fromtimestamp(message.create_time, UTC)


def canonical_appeal(
    message: InboundMessage, kind: Kind, *, channel: str, photo_url: str | None
) -> CanonicalAppeal:
    """The message as an appeal: a text or recognised voice is the content; a
    picture or a location alone says so, with the picture attached or the place
    given. A picture that could not be kept (no `photo_url`) is said to be missing
    rather than linked: WeChat's `PicUrl` is not attached, as intake takes only
    files of known endings, and not written into the content either, as it is a
    link to the citizen's picture that anyone holding it can open. Intake reads
    the type, category and place."""
    label = readable(message.label) or None
    coordinates = None
    if kind == "text":
        content = readable(message.content)
        title = headline(content)
    elif kind == "voice":
        spoken = readable(message.recognition)
        content = f"{spoken}\n（语音留言，由微信识别为文字）"
        title = headline(spoken)
    elif kind == "image":
        content = PICTURE_ATTACHED if photo_url else PICTURE_NOT_RETRIEVED
        title = "微信图片反映"
    else:
        coordinates = Coordinates(
            latitude=message.latitude or 0.0, longitude=message.longitude or 0.0
        )
        place = label or "未标注地名"
        content = (
            f"市民通过微信公众号发来一个位置：{place}"
            f"（纬度 {coordinates.latitude:.6f}，经度 {coordinates.longitude:.6f}），"
            "未附文字说明。"
        )
        title = headline(f"微信位置：{place}")

    return CanonicalAppeal(
        channel=channel,
        channel_ref=f"wx-{message.msg_id}",
        title=title,
        content=content,
        contact=Contact(kind=CONTACT_KIND, value=message.from_user),
        address=label if kind == "location" else None,
        coordinates=coordinates,
        received_at=sent_at(message).astimezone(SHANGHAI),
        attachments=[photo_url] if photo_url else [],
    )


def note_picture_not_retrieved(content: str) -> str:
    """An appeal's content with the note that a picture joining it could not be
    retrieved, added once."""
    if PICTURE_NOT_RETRIEVED_NOTE in content:
        return content
    return f"{content}\n{PICTURE_NOT_RETRIEVED_NOTE}"


def headline(text: str) -> str:
    """The first line, cut to a title's length."""
    first = text.strip().splitlines()[0].strip() if text.strip() else ""
    if len(first) <= HEADLINE_CHARS:
        return first
    return first[: HEADLINE_CHARS - 1] + "…"
