"""SMS through an HTTP gateway (短信网关).

The gateway takes `POST <url>` with `Authorization: Bearer <key>`,
`Idempotency-Key: <notice id>` and a JSON body
`{"to": "<mobile>", "text": "<message>", "reference": "<notice id>"}`, and answers
2xx with `{"message_id": "<its id>"}`. The message id is what its delivery receipts
name (POST /v1/receipts/sms). The notice id is the gateway's idempotency key: a
retry after a timeout, when the gateway did take the first request, must answer the
first message id and send nothing more.
"""

from __future__ import annotations

from minsheng_notify.senders import http
from minsheng_notify.senders.base import (
    PHONE,
    SMS,
    OutgoingNotice,
    SendRefused,
    SendResult,
)

WHAT = "the SMS gateway"


class SmsGatewaySender:
    """Sends each message as one SMS through the configured gateway."""

    channel = SMS

    def __init__(self, *, url: str, key: str, timeout: float) -> None:
        self.url = url
        self._key = key
        self.timeout = timeout

    async def send(self, message: OutgoingNotice) -> SendResult:
        """Hand the SMS to the gateway; its message id is the proof it took it."""
        if message.contact_kind != PHONE:
            raise SendRefused(
                f"{WHAT} sends to phone numbers, not {message.contact_kind}"
            )

        headers = {"Idempotency-Key": message.notice_id}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        payload = {
            "to": message.contact,
            "text": message.body,
            "reference": message.notice_id,
        }
        async with http.client(self.timeout) as client:
            response = await http.post(
                client, self.url, what=WHAT, json=payload, headers=headers
            )

        http.check_status(response, what=WHAT)
        body = http.read_json(response, what=WHAT)
        return SendResult(provider_ref=http.message_id(body, "message_id", what=WHAT))
