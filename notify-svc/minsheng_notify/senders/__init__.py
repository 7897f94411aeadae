"""Senders, and the one place that decides which sender carries which message.

Later senders (SMS gateway, SMTP, WeChat template message) are added in
`build_senders` and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping

from minsheng_notify.senders.base import (
    OutgoingNotice,
    Sender,
    SendFailed,
    SendRefused,
    SendResult,
)
from minsheng_notify.senders.mailbox import MailboxFolderSender
from minsheng_notify.settings import NotifySettings

__all__ = [
    "MailboxFolderSender",
    "OutgoingNotice",
    "SendFailed",
    "SendRefused",
    "SendResult",
    "Sender",
    "SenderChoice",
    "build_senders",
]


class SenderChoice:
    """Which sender carries a message, by the kind of contact the citizen gave
    (phone, email, forum_account, wechat_openid); `default` for every other kind."""

    def __init__(
        self, *, default: Sender, by_contact_kind: Mapping[str, Sender] | None = None
    ) -> None:
        self.default = default
        self._by_contact_kind = dict(by_contact_kind or {})

    def for_contact(self, contact_kind: str) -> Sender:
        return self._by_contact_kind.get(contact_kind, self.default)


def build_senders(settings: NotifySettings) -> SenderChoice:
    """The senders of this installation: the embedded mailbox folder for now."""
    return SenderChoice(default=MailboxFolderSender(settings.mailbox_path()))
