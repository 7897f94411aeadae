"""The OA reminder letter's sender (Art. 23): an agency's letter is a document
delivered to its office system. The embedded default writes each letter as a file
into a local folder, one per notice, the way the mailbox folder keeps messages; an
installation with a real OA interface registers its own sender for the `oa`
contact kind instead.
"""

from __future__ import annotations

from pathlib import Path

from minsheng_notify import recipients
from minsheng_notify.senders import (
    MailboxFolderSender,
    OutgoingNotice,
    SenderChoice,
    SendResult,
)

CHANNEL = "oa"
"""The channel of OA letters in the evidence."""


class OaFolderSender(MailboxFolderSender):
    """Writes each OA letter as `<folder>/<notice_id>.json`, with the office's OA
    inbox, the kind and the letter's text; a second send of the same notice
    replaces its file."""

    channel = CHANNEL

    async def send(self, message: OutgoingNotice) -> SendResult:
        """Write the letter into the OA folder."""
        written = await super().send(message)
        return SendResult(
            provider_ref=f"{CHANNEL}:{message.notice_id}.json", detail=written.detail
        )


def register_default(choice: SenderChoice, folder: Path) -> None:
    """Let the OA folder carry `oa` letters unless another sender already does."""
    if choice.for_contact(recipients.OA) is choice.default:
        choice.register(recipients.OA, OaFolderSender(folder))
