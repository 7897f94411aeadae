"""The embedded default sender: each message becomes a file in a local folder."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from pathlib import Path

from minsheng_notify.senders.base import MAILBOX, OutgoingNotice, SendFailed, SendResult


class MailboxFolderSender:
    """Writes each message as `<folder>/<notice_id>.json` (UTF-8 JSON).

    The file name is the notice id, so sending the same notice again replaces the
    file rather than adding one: a retry after a crash leaves exactly one message.
    Each file holds the citizen's contact, so only the service's own user can read
    it (file 0600, a folder it creates 0700).
    """

    channel = MAILBOX

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def send(self, message: OutgoingNotice) -> SendResult:
        """Write the message into the mailbox folder."""
        name = f"{message.notice_id}.json"
        try:
            await asyncio.to_thread(self._write, name, _document(message))
        except OSError as error:
            raise SendFailed(
                f"mailbox folder not writable: {type(error).__name__}"
            ) from error
        return SendResult(provider_ref=f"mailbox:{name}")

    def _write(self, name: str, document: dict[str, str]) -> None:
        # Write a sibling file and rename it into place, so a reader never sees half
        # a message and a second write of the same notice replaces the first.
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".sending-", suffix=".tmp")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(document, handle, ensure_ascii=False, indent=2)
            os.replace(tmp, self.folder / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _document(message: OutgoingNotice) -> dict[str, str]:
    return {
        "notice_id": message.notice_id,
        "appeal_id": message.appeal_id or "",
        "kind": message.kind,
        "contact_kind": message.contact_kind,
        "contact": message.contact,
        "body": message.body,
        "sent_at": message.at.isoformat(),
    }
