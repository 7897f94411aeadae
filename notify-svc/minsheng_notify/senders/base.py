"""What every sender shares: the message it is handed, what it answers, how it fails.

A sender is anything with a `channel` name and an async `send`: the mailbox folder,
the SMS gateway, SMTP, WeChat template messages, government WeChat and a channel's
own reply adapter all implement the same protocol.

Every sender must be idempotent by `notice_id` as far as its channel allows: it hands
the notice id to the provider as the message's own reference (an idempotency key,
a Message-ID, WeChat's de-duplication), so a retry after an answer that never came
does not make a second message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from minsheng_common.errors import MinshengError

# The channels a message can go through; also the `channel` of its evidence and the
# provider name its delivery receipts arrive under (POST /v1/receipts/{provider}).
MAILBOX = "mailbox"
SMS = "sms"
EMAIL = "email"
WECHAT_TEMPLATE = "wechat_template"
"""A WeChat official-account template message (模板消息) to a citizen's openid."""
GOV_WECHAT = "gov_wechat"
"""Government WeChat (政务微信), for leaders and units."""
CALL = "call"
"""A telephone call made by staff and recorded afterwards (Art. 36 call record)."""
REPLY_PREFIX = "reply:"
"""Before a channel id: the answer went back through that channel's own adapter."""

# Kinds of contact; the citizen's come from intake, the others name officials.
PHONE = "phone"
EMAIL_ADDRESS = "email"
WECHAT_OPENID = "wechat_openid"
FORUM_ACCOUNT = "forum_account"
GOV_WECHAT_USER = "gov_wechat_user"
TELEPHONE = "telephone"
"""A number staff call (a telephone letter, 电函): no sender carries it; the call
is recorded afterwards."""


@dataclass(frozen=True)
class OutgoingNotice:
    """One message ready to leave, with the contact opened for this moment only.

    `contact` is left out of `repr`, so the message can appear in a traceback or a
    debug line without exposing the citizen.
    """

    notice_id: str
    appeal_id: str | None
    kind: str
    contact_kind: str
    contact: str = field(repr=False)
    body: str
    at: datetime
    subject: str = "民生诉求通知"


@dataclass(frozen=True)
class SendResult:
    """The provider's own reference for the message: the proof it took it.

    `provider_ref` is what the provider's delivery receipts name the message by;
    `detail` is anything else worth keeping as evidence (an SMTP server's reply).
    """

    provider_ref: str
    detail: str | None = None


class SendFailed(MinshengError):
    """The message did not leave; trying again later may succeed.

    The message text must never contain the contact: it is stored as evidence and
    logged.
    """

    code = "send_failed"
    retriable = True


class SendRefused(SendFailed):
    """The provider refused the message for good (e.g. an address it cannot reach);
    trying again would not help."""

    code = "send_refused"
    retriable = False


class Sender(Protocol):
    """Carries a notice to its recipient over one channel."""

    channel: str

    async def send(self, message: OutgoingNotice) -> SendResult:
        """Hand the message to the channel; raise `SendFailed` if it did not leave."""
        ...
