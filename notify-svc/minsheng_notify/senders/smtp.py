"""Email through an SMTP server (`minsheng_common.smtp`: aiosmtplib), STARTTLS or
implicit TLS optional.

Each email's Message-ID is made from the notice id (`<notice id@from domain>`), so a
retry after a lost answer carries the same Message-ID and mail clients show one
message; it is also the provider reference the receipts name
(POST /v1/receipts/email). A 5xx answer refuses the message for good (an address
that does not exist); anything else that goes wrong is tried again.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from minsheng_common import redaction, smtp
from minsheng_notify.senders.base import (
    EMAIL,
    EMAIL_ADDRESS,
    OutgoingNotice,
    SendFailed,
    SendRefused,
    SendResult,
)


class SmtpSender:
    """Sends each message as a plain-text UTF-8 email."""

    channel = EMAIL

    def __init__(
        self,
        *,
        host: str,
        port: int,
        from_address: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        implicit_tls: bool = False,
        ca_file: Path | None = None,
        timeout: float = 15.0,
    ) -> None:
        self.server = smtp.SmtpServer(
            host=host,
            port=port,
            username=username or None,
            password=password or None,
            starttls=starttls and not implicit_tls,
            implicit_tls=implicit_tls,
            ca_file=ca_file,
            timeout=timeout,
        )
        self.from_address = from_address
        # Read now: a CA file that cannot be read stops the service at start.
        _ = self.server.tls_context

    async def send(self, message: OutgoingNotice) -> SendResult:
        """Hand the email to the mail server."""
        if message.contact_kind != EMAIL_ADDRESS:
            raise SendRefused(
                f"{smtp.WHAT} sends to email addresses, not {message.contact_kind}"
            )

        mail = self._mail(message)
        try:
            reply = await smtp.submit(self.server, mail)
        except smtp.SmtpRefused as error:
            raise SendRefused(error.message) from None
        except smtp.SmtpFailed as error:
            raise SendFailed(error.message) from None

        # The server's own words may name the recipient; masked before keeping.
        detail = redaction.redact(reply.strip())[:200] or None
        return SendResult(provider_ref=str(mail["Message-ID"]), detail=detail)

    def _mail(self, message: OutgoingNotice) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.from_address
        mail["To"] = message.contact
        mail["Subject"] = message.subject
        mail["Date"] = format_datetime(message.at)
        mail["Message-ID"] = smtp.message_id(message.notice_id, self.from_address)
        mail.set_content(message.body, charset="utf-8")
        return mail
