"""What the passive reply (被动回复) tells the citizen, read from where the message
stands: intake's tracking code or instant answer when intake answered in time,
"received" when it did not, and a word on messages that join an appeal or file
nothing."""

from __future__ import annotations

from typing import Final

from minsheng_common.text import strip_invisible
from minsheng_wechat.models import WechatAppeal

MAX_REPLY_BYTES: Final = 2000
"""WeChat takes a text reply of at most 2048 bytes."""

RECEIVED: Final = (
    "您的消息已收到，我们会尽快受理，受理后会通过本公众号告诉您查询编号和办理进展。"
)
REFUSED: Final = (
    "您的消息已收到，但未能作为诉求受理。如需帮助，请拨打12345热线或重新描述您的诉求。"
)
ATTACHED: Final = {
    "image": "已收到您补充的图片，将与您刚才反映的问题一并处理。",
    "location": "已收到您补充的位置，将与您刚才反映的问题一并处理。",
}
PICTURE_NOT_RETRIEVED: Final = "您发来的图片未能收到，如需补充图片，请重新发送。"
PICTURE_NOT_RETRIEVED_ATTACHED: Final = (
    "已收到您补充的图片消息，但图片未能收到，您刚才反映的问题照常处理；"
    "如需补充图片，请重新发送。"
)
NOTHING_TO_FILE: Final = {
    "text": "请用文字描述您要反映的问题，我们会尽快受理。",
    "voice": "未能识别您的语音，请改用文字描述您要反映的问题。",
}
NOT_TAKEN: Final = (
    "本公众号受理文字、语音、图片和位置消息，请用文字描述您要反映的问题。"
)


def for_appeal(item: WechatAppeal) -> str:
    """The reply for a message that opened `item`, by what intake said of it."""
    if item.status == "refused":
        return REFUSED
    if item.status != "delivered" or not item.tracking_code:
        return RECEIVED

    code = item.tracking_code
    if item.decision == "answered" and item.instant_answer:
        return fit(item.instant_answer, suffix=f"\n（查询编号：{code}）")
    if item.decision == "filed":
        return (
            f"您的诉求已受理，查询编号：{code}。我们将按规定转交办理，"
            "办理结果会通过本公众号告诉您。"
        )
    if item.decision == "rejected":
        return (
            f"您的消息已收到，查询编号：{code}。经审核暂不予受理，"
            "原因和建议会另行告诉您。"
        )
    return f"您的诉求已收到，查询编号：{code}，正在审核，结果会通过本公众号告诉您。"


def nothing_to_file(msg_type: str) -> str:
    """The reply for a message that files nothing, by its type."""
    return NOTHING_TO_FILE.get(msg_type, NOT_TAKEN)


def fit(text: str, *, suffix: str = "") -> str:
    """`text` without invisible characters, cut so that it and `suffix` are no
    more than WeChat takes."""
    clean = strip_invisible(text).strip()
    room = MAX_REPLY_BYTES - len(suffix.encode("utf-8"))
    if len(clean.encode("utf-8")) > room:
        ellipsis = "…"
        cut = room - len(ellipsis.encode("utf-8"))
        clean = clean.encode("utf-8")[:cut].decode("utf-8", "ignore") + ellipsis
    return clean + suffix
