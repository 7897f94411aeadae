"""What every sender shares: the message it is handed, what it answers, how it fails.

A sender is anything with a `channel` name and an async `send`; the SMS gateway, SMTP
and WeChat senders of later issues implement the same protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from minsheng_common.errors import MinshengError


@dataclass(frozen=True)
class OutgoingNotice:
    """One message ready to leave, with the contact opened for this moment only.

    `contact` is left out of `repr`, so the message can appear in a traceback or a
    debug line without exposing the citizen.
    """

    notice_id: str
    appeal_id: str
    kind: str
    contact_kind: str
    contact: str = field(repr=False)
    body: str
    at: datetime


@dataclass(frozen=True)
class SendResult:
    """The provider's own reference for the message: the proof it took it."""

    provider_ref: str


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
