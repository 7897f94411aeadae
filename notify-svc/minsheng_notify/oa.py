"""The OA reminder letter's senders (Art. 23): an agency's letter is a document
delivered to its office system. With `NOTIFY_OA_GATEWAY_URL` each letter goes to
the office system's HTTP interface; without it, the embedded default writes each
letter as a file into a local folder, one per notice, the way the mailbox folder
keeps messages.

The OA interface takes `POST <url>` with `Authorization: Bearer <key>`,
`Idempotency-Key: <notice id>` and a JSON body `{"to": "<office's OA inbox>",
"subject", "kind", "text", "reference": "<notice id>"}`, and answers 2xx with
`{"message_id": "<its id>"}`, as the SMS gateway does: a retry after a lost answer
files nothing twice.
"""

from __future__ import annotations

from pathlib import Path

from minsheng_notify import recipients
from minsheng_notify.senders import (
    MailboxFolderSender,
    OutgoingNotice,
    SenderChoice,
    SendRefused,
    SendResult,
)
from minsheng_notify.senders import http as provider_http
from minsheng_notify.settings import NotifySettings

CHANNEL = "oa"
"""The channel of OA letters in the evidence."""
WHAT = "the OA system"


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


class OaGatewaySender:
    """Hands each letter to the office system's HTTP interface; its document id is
    the proof it was filed."""

    channel = CHANNEL

    def __init__(self, *, url: str, key: str, timeout: float) -> None:
        self.url = url
        self._key = key
        self.timeout = timeout

    async def send(self, message: OutgoingNotice) -> SendResult:
        """File the letter in the office's OA inbox."""
        if message.contact_kind != recipients.OA:
            raise SendRefused(
                f"{WHAT} delivers to OA inboxes, not {message.contact_kind}"
            )

        headers = {"Idempotency-Key": message.notice_id}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        payload = {
            "to": message.contact,
            "subject": message.subject,
            "kind": message.kind,
            "text": message.body,
            "reference": message.notice_id,
        }
        async with provider_http.client(self.timeout) as client:
            response = await provider_http.post(
                client, self.url, what=WHAT, json=payload, headers=headers
            )

        provider_http.check_status(response, what=WHAT)
        body = provider_http.read_json(response, what=WHAT)
        return SendResult(
            provider_ref=provider_http.message_id(body, "message_id", what=WHAT)
        )


def register(choice: SenderChoice, settings: NotifySettings) -> None:
    """Let the configured OA interface carry `oa` letters; without one, the OA
    folder, unless another sender already does."""
    if settings.oa_gateway_url:
        choice.register(
            recipients.OA,
            OaGatewaySender(
                url=settings.oa_gateway_url,
                key=settings.oa_gateway_key.get_secret_value(),
                timeout=settings.oa_timeout_seconds,
            ),
        )
        return
    register_default(choice, settings.oa_path())


def register_default(choice: SenderChoice, folder: Path) -> None:
    """Let the OA folder carry `oa` letters unless another sender already does."""
    if choice.for_contact(recipients.OA) is choice.default:
        choice.register(recipients.OA, OaFolderSender(folder))
