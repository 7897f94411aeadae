"""Answering a citizen on the channel the appeal came through (WeChat, a forum,
Open311), through that channel's own adapter.

The adapter takes `POST <its reply URL>` with a JSON body
`{"notice_id", "appeal_id", "kind", "contact_kind", "contact", "text"}`, the header
`Idempotency-Key: <notice id>`, and, when a secret is configured, the same HMAC
signature headers Minsheng's webhooks use (`X-Minsheng-Timestamp`,
`X-Minsheng-Signature`), so the adapter can tell the answer came from notify. It
answers 2xx with `{"message_id": "<its id>"}`, like the SMS gateway.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from minsheng_common.auth import webhooks
from minsheng_notify.senders import http
from minsheng_notify.senders.base import (
    REPLY_PREFIX,
    OutgoingNotice,
    SendResult,
)


class ChannelReplySender:
    """Sends each message back through one channel's adapter."""

    def __init__(
        self, *, channel_id: str, url: str, secret: str | None, timeout: float
    ) -> None:
        self.channel_id = channel_id
        self.channel = f"{REPLY_PREFIX}{channel_id}"
        self.url = url
        self._secret = secret or None
        self.timeout = timeout
        self.what = f"the {channel_id} adapter"

    async def send(self, message: OutgoingNotice) -> SendResult:
        """Hand the answer to the channel's adapter."""
        body = json.dumps(
            {
                "notice_id": message.notice_id,
                "appeal_id": message.appeal_id,
                "kind": message.kind,
                "contact_kind": message.contact_kind,
                "contact": message.contact,
                "text": message.body,
            },
            ensure_ascii=False,
        ).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": message.notice_id,
        }
        if self._secret is not None:
            # The adapter checks the window against its own clock, so the real
            # time signs, never the service clock (which a demo moves).
            stamp = int(datetime.now(UTC).timestamp())
            headers[webhooks.TIMESTAMP_HEADER] = str(stamp)
            headers[webhooks.SIGNATURE_HEADER] = webhooks.sign(
                self._secret, stamp, body
            )

        async with http.client(self.timeout) as client:
            response = await http.post(
                client, self.url, what=self.what, content=body, headers=headers
            )

        http.check_status(response, what=self.what)
        answer = http.read_json(response, what=self.what)
        return SendResult(
            provider_ref=http.message_id(answer, "message_id", what=self.what)
        )
