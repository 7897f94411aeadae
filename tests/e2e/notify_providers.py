"""The providers notify sends through, as real servers a test starts on 127.0.0.1:
an SMS gateway, an OA system, WeChat's two APIs and a forum (its feed, which the
forum adapter polls, and its replies, which the adapter posts) over HTTP (one port),
and a mail server (aiosmtpd). Each keeps what it was handed, so a test sees every
message that left the running suite.

Like a real provider, each delivers a message once per reference (the SMS and OA
idempotency key, WeChat's client_msg_id, government WeChat's same text to the same
person, the email's Message-ID), however often it is sent. A recipient can be
refused for good (400) or failed for its next few messages (503).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from email import message_from_bytes
from email import policy as email_policy
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller

from minsheng_common.devstack.broker import free_port

SMS = "sms"
OA = "oa"
EMAIL = "email"
WECHAT_TEMPLATE = "wechat_template"
GOV_WECHAT = "gov_wechat"
FORUM_REPLY = "forum_reply"
REPLY_PREFIX = "reply:"

TEMPLATE_FIELD = "content"


@dataclass(frozen=True)
class Delivered:
    """One message a provider took: through which, to whom, what it said, the id
    it answered, and the notice id when notify handed one over."""

    provider: str
    to: str
    text: str
    message_id: str
    reference: str | None = None
    subject: str | None = None


class Providers:
    """Every provider of the suite's notify, running; `env()` points notify at
    them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._delivered: dict[str, Delivered] = {}
        self._refused: set[str] = set()
        self._failing: dict[str, int] = {}
        self.refusals: list[tuple[str, str]] = []
        self.failures: list[tuple[str, str]] = []
        self._posts: dict[str, list[dict[str, Any]]] = {}
        self._http: ThreadingHTTPServer | None = None
        self._smtp: Controller | None = None

    # --- what a test plans and reads ---------------------------------------------

    def refuse(self, recipient: str) -> None:
        """Refuse every message to `recipient` for good (an unknown number)."""
        with self._lock:
            self._refused.add(recipient)

    def fail_next(self, recipient: str, times: int = 1) -> None:
        """Answer 503 to the next `times` messages to `recipient`."""
        with self._lock:
            self._failing[recipient] = self._failing.get(recipient, 0) + times

    def post_on_forum(self, channel: str, post: dict[str, Any]) -> None:
        """Put a post on `channel`'s forum feed, where the forum adapter reads it."""
        with self._lock:
            self._posts.setdefault(channel, []).append(post)

    def feed(self, channel: str, after: str | None, limit: int) -> dict[str, Any]:
        """A page of the forum's feed after the cursor (the number of posts read)."""
        with self._lock:
            posts = list(self._posts.get(channel, []))
        start = int(after or 0)
        page = posts[start : start + limit]
        return {"posts": page, "next": str(start + len(page))}

    def delivered(self, provider: str | None = None) -> list[Delivered]:
        """What was delivered, in order, through `provider` or any."""
        with self._lock:
            found = list(self._delivered.values())
        return [d for d in found if provider is None or d.provider == provider]

    def to(self, recipient: str, provider: str | None = None) -> list[Delivered]:
        return [d for d in self.delivered(provider) if d.to == recipient]

    @property
    def url(self) -> str:
        assert self._http is not None
        host, port = self._http.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def smtp_port(self) -> int:
        assert self._smtp is not None
        return int(self._smtp.port)

    def env(self, *, reply_channel: str, receipt_secret: str) -> dict[str, str]:
        """Notify's settings for these providers, and the forum adapter's source of
        `reply_channel` (polled here, answered here by reply posts): the launcher
        then wires notify's answers to that channel through the forum adapter."""
        return {
            "NOTIFY_SMS_GATEWAY_URL": f"{self.url}/sms",
            "NOTIFY_SMS_GATEWAY_KEY": "e2e-sms-gateway-key",
            "NOTIFY_OA_GATEWAY_URL": f"{self.url}/oa",
            "NOTIFY_OA_GATEWAY_KEY": "e2e-oa-key",
            "NOTIFY_WECHAT_API_URL": self.url,
            "NOTIFY_WECHAT_APP_ID": "wx-e2e",
            "NOTIFY_WECHAT_APP_SECRET": "e2e-wechat-secret",
            "NOTIFY_WECHAT_TEMPLATE_ID": "tpl-e2e",
            "NOTIFY_WECHAT_TEMPLATE_FIELD": TEMPLATE_FIELD,
            "NOTIFY_GOV_WECHAT_API_URL": self.url,
            "NOTIFY_GOV_WECHAT_CORP_ID": "corp-e2e",
            "NOTIFY_GOV_WECHAT_CORP_SECRET": "e2e-corp-secret",
            "NOTIFY_GOV_WECHAT_AGENT_ID": "1000002",
            "NOTIFY_SMTP_HOST": "127.0.0.1",
            "NOTIFY_SMTP_PORT": str(self.smtp_port),
            "NOTIFY_SMTP_STARTTLS": "false",
            "NOTIFY_SMTP_FROM": "民生诉求 <noreply@minsheng.test>",
            "NOTIFY_RECEIPT_SECRETS": json.dumps({SMS: receipt_secret}),
            "FORUM_SOURCES": json.dumps(
                [
                    {
                        "name": "e2e-forum",
                        "channel": reply_channel,
                        "feed_url": f"{self.url}/forum/{reply_channel}/feed",
                        "reply_url": f"{self.url}/forum/{reply_channel}/replies",
                        "interval_seconds": 0.2,
                    }
                ]
            ),
        }

    # --- running -----------------------------------------------------------------

    def start(self) -> Providers:
        providers = self

        class Handler(_Handler):
            owner = providers

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self._http.serve_forever, name="e2e-providers", daemon=True
        ).start()
        self._smtp = Controller(
            _MailHandler(self), hostname="127.0.0.1", port=free_port()
        )
        self._smtp.start()
        return self

    def stop(self) -> None:
        if self._smtp is not None:
            self._smtp.stop()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()

    # --- what the servers call ---------------------------------------------------

    def verdict(self, provider: str, recipient: str) -> HTTPStatus:
        """OK, or the failure planned for this recipient's message."""
        with self._lock:
            if recipient in self._refused:
                self.refusals.append((provider, recipient))
                return HTTPStatus.BAD_REQUEST
            if self._failing.get(recipient, 0) > 0:
                self._failing[recipient] -= 1
                self.failures.append((provider, recipient))
                return HTTPStatus.SERVICE_UNAVAILABLE
        return HTTPStatus.OK

    def deliver(self, provider: str, key: str, message: Delivered) -> Delivered:
        """Keep `message` once per (provider, key); the first one kept."""
        with self._lock:
            kept = self._delivered.setdefault(f"{provider}:{key}", message)
        return kept

    def next_id(self) -> int:
        with self._lock:
            return len(self._delivered) + 1


class _Handler(BaseHTTPRequestHandler):
    owner: Providers

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the requests carry phone numbers."""

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        if path.startswith("/forum/") and path.endswith("/feed"):
            query = parse_qs(parts.query)
            self._answer(
                HTTPStatus.OK,
                self.owner.feed(
                    path.split("/")[2],
                    query.get("after", [None])[0],
                    int(query.get("limit", ["50"])[0]),
                ),
            )
            return
        if path in ("/cgi-bin/token", "/cgi-bin/gettoken"):
            self._answer(
                HTTPStatus.OK,
                {"errcode": 0, "access_token": "e2e-token", "expires_in": 7200},
            )
            return
        self._answer(HTTPStatus.NOT_FOUND, {"error": "no such path"})

    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.loads(raw or b"{}")
        if parts.path in ("/sms", "/oa"):
            self._gateway(parts.path.strip("/"), body)
        elif parts.path.startswith("/forum/") and parts.path.endswith("/replies"):
            self._forum_reply(body)
        elif parts.path.startswith("/cgi-bin/message/"):
            token = parse_qs(parts.query).get("access_token", [""])[0]
            if token != "e2e-token":
                self._answer(HTTPStatus.OK, {"errcode": 40001, "errmsg": "token"})
            elif parts.path.endswith("/template/send"):
                self._wechat_template(body)
            else:
                self._gov_wechat(body)
        else:
            self._answer(HTTPStatus.NOT_FOUND, {"error": "no such path"})

    def _gateway(self, provider: str, body: dict[str, Any]) -> None:
        verdict = self.owner.verdict(provider, str(body["to"]))
        if verdict is not HTTPStatus.OK:
            self._answer(verdict, {"code": "invalid_number"})
            return
        key = self.headers.get("Idempotency-Key") or str(body["reference"])
        kept = self.owner.deliver(
            provider,
            key,
            Delivered(
                provider=provider,
                to=str(body["to"]),
                text=str(body["text"]),
                message_id=f"{provider}-{self.owner.next_id()}",
                reference=str(body["reference"]),
                subject=body.get("subject"),
            ),
        )
        self._answer(HTTPStatus.OK, {"message_id": kept.message_id})

    def _forum_reply(self, body: dict[str, Any]) -> None:
        # A forum takes one reply per Idempotency-Key (the notice id).
        key = self.headers.get("Idempotency-Key") or str(body["reference"])
        kept = self.owner.deliver(
            FORUM_REPLY,
            key,
            Delivered(
                provider=FORUM_REPLY,
                to=str(body["post_id"]),
                text=str(body["text"]),
                message_id=f"reply-{self.owner.next_id()}",
                reference=str(body["reference"]),
            ),
        )
        self._answer(HTTPStatus.OK, {"reply_id": kept.message_id})

    def _wechat_template(self, body: dict[str, Any]) -> None:
        number = self.owner.next_id()
        kept = self.owner.deliver(
            WECHAT_TEMPLATE,
            str(body["client_msg_id"]),
            Delivered(
                provider=WECHAT_TEMPLATE,
                to=str(body["touser"]),
                text=str(body["data"][TEMPLATE_FIELD]["value"]),
                message_id=str(number),
                reference=str(body["client_msg_id"]),
            ),
        )
        self._answer(
            HTTPStatus.OK, {"errcode": 0, "errmsg": "ok", "msgid": int(kept.message_id)}
        )

    def _gov_wechat(self, body: dict[str, Any]) -> None:
        to, text = str(body["touser"]), str(body["text"]["content"])
        number = self.owner.next_id()
        kept = self.owner.deliver(
            GOV_WECHAT,
            f"{to}:{text}",
            Delivered(provider=GOV_WECHAT, to=to, text=text, message_id=str(number)),
        )
        self._answer(
            HTTPStatus.OK, {"errcode": 0, "errmsg": "ok", "msgid": int(kept.message_id)}
        )

    def _answer(self, status: HTTPStatus, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _MailHandler:
    """aiosmtpd's handler: keeps each mail once per Message-ID."""

    def __init__(self, owner: Providers) -> None:
        self.owner = owner

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.owner.verdict(EMAIL, address) is not HTTPStatus.OK:
            return "550 5.1.1 Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        mail = message_from_bytes(
            envelope.original_content, policy=email_policy.default
        )
        message_id = str(mail["Message-ID"])
        notice_id = message_id.strip("<>").split("@", 1)[0]
        for address in envelope.rcpt_tos:
            self.owner.deliver(
                EMAIL,
                f"{address}:{message_id}",
                Delivered(
                    provider=EMAIL,
                    to=address,
                    text=mail.get_body(("plain",)).get_content().strip(),
                    message_id=message_id,
                    reference=notice_id,
                    subject=str(mail["Subject"]),
                ),
            )
        return "250 2.0.0 Ok: queued"
