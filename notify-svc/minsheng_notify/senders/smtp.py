"""Email through an SMTP server (aiosmtplib), STARTTLS or implicit TLS optional.

Each email's Message-ID is made from the notice id (`<notice id@from domain>`), so a
retry after a lost answer carries the same Message-ID and mail clients show one
message; it is also the provider reference the receipts name
(POST /v1/receipts/email). A 5xx answer refuses the message for good (an address
that does not exist); anything else that goes wrong is tried again.
"""

from __future__ import annotations

import ssl
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import NoReturn

import aiosmtplib

from minsheng_common import redaction
from minsheng_notify.senders.base import (
    EMAIL,
    EMAIL_ADDRESS,
    OutgoingNotice,
    SendFailed,
    SendRefused,
    SendResult,
)

WHAT = "the mail server"


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
        self.host = host
        self.port = port
        self.from_address = from_address
        self._username = username or None
        self._password = password or None
        self.starttls = starttls and not implicit_tls
        self.implicit_tls = implicit_tls
        self.timeout = timeout
        # The system's CAs, and the installation's own besides (a mail server with
        # a certificate of the government's own CA).
        self._tls = ssl.create_default_context()
        if ca_file is not None:
            self._tls.load_verify_locations(cafile=str(ca_file))
        domain = parseaddr(from_address)[1].rpartition("@")[2]
        self._domain = domain or "localhost"

    async def send(self, message: OutgoingNotice) -> SendResult:
        """Hand the email to the mail server."""
        if message.contact_kind != EMAIL_ADDRESS:
            raise SendRefused(
                f"{WHAT} sends to email addresses, not {message.contact_kind}"
            )

        mail = self._mail(message)
        try:
            _, reply = await aiosmtplib.send(
                mail,
                hostname=self.host,
                port=self.port,
                username=self._username,
                password=self._password,
                start_tls=self.starttls,
                use_tls=self.implicit_tls,
                tls_context=self._tls,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = sorted({refused.code for refused in error.recipients})
            _raise_for_codes(codes, "refused the recipient")
        except aiosmtplib.SMTPAuthenticationError as error:
            # Our credentials, not the message: it may pass once they are fixed.
            raise SendFailed(f"{WHAT} refused the login ({error.code})") from None
        except aiosmtplib.SMTPResponseException as error:
            _raise_for_codes([error.code], "refused the message")
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            raise SendFailed(f"{WHAT} unreachable: {type(error).__name__}") from None

        # The server's own words may name the recipient; masked before keeping.
        detail = redaction.redact(reply.strip())[:200] or None
        return SendResult(provider_ref=str(mail["Message-ID"]), detail=detail)

    def _mail(self, message: OutgoingNotice) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.from_address
        mail["To"] = message.contact
        mail["Subject"] = message.subject
        mail["Date"] = format_datetime(message.at)
        mail["Message-ID"] = f"<{message.notice_id}@{self._domain}>"
        mail.set_content(message.body, charset="utf-8")
        return mail


def _raise_for_codes(codes: list[int], said: str) -> NoReturn:
    # Only the reply codes are kept: the server's text may quote the address.
    shown = ", ".join(str(code) for code in codes)
    if codes and all(500 <= code < 600 for code in codes):
        raise SendRefused(f"{WHAT} {said} ({shown})")
    raise SendFailed(f"{WHAT} {said} ({shown})")
