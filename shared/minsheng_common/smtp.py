"""Handing an email to an SMTP server (aiosmtplib): STARTTLS or implicit TLS, an
optional login, the installation's own CA besides the system's.

What the server answers is told in two errors: `SmtpRefused` when every reply code
is 5xx (an address that does not exist: trying again cannot help) and `SmtpFailed`
for the rest (down, timed out, a 4xx, our login refused), which may pass later.
Neither quotes the server's text, which may name the recipient: only reply codes.

A message's Message-ID is made from the sender's own reference (`message_id`), so a
retry after a lost answer carries the same Message-ID and mail clients show one
message.
"""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parseaddr
from functools import cached_property
from pathlib import Path
from typing import NoReturn

import aiosmtplib

from minsheng_common.errors import MinshengError

WHAT = "the mail server"

# What may stand left of the "@" of a Message-ID made here (RFC 5322 dot-atom).
_ID_CHARS = re.compile(r"[^A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]")


class SmtpFailed(MinshengError):
    """The mail server did not take the message; trying again later may succeed.
    The message names reply codes only, never an address."""

    status_code = 502
    code = "smtp_failed"
    retriable = True


class SmtpRefused(SmtpFailed):
    """The mail server refused the message for good (5xx)."""

    code = "smtp_refused"
    retriable = False


@dataclass(frozen=True)
class SmtpServer:
    """Where and how mail is handed over."""

    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = True
    implicit_tls: bool = False
    ca_file: Path | None = None
    timeout: float = 15.0

    @cached_property
    def tls_context(self) -> ssl.SSLContext:
        """The system's CAs, and the installation's own besides (a mail server with
        a certificate of the government's own CA); read once, so a sender that
        reads it when it is made fails at start, not at its first message."""
        context = ssl.create_default_context()
        if self.ca_file is not None:
            context.load_verify_locations(cafile=str(self.ca_file))
        return context


async def submit(server: SmtpServer, mail: EmailMessage) -> str:
    """Hand `mail` to `server`; the server's reply (which may quote the recipient:
    mask it before keeping it). `SmtpRefused` or `SmtpFailed` when it is not
    taken."""
    try:
        _, reply = await aiosmtplib.send(
            mail,
            hostname=server.host,
            port=server.port,
            username=server.username or None,
            password=server.password or None,
            # Implicit TLS wins: asking for both would start TLS twice.
            start_tls=server.starttls and not server.implicit_tls,
            use_tls=server.implicit_tls,
            tls_context=server.tls_context,
            timeout=server.timeout,
        )
    except aiosmtplib.SMTPRecipientsRefused as error:
        codes = sorted({refused.code for refused in error.recipients})
        _raise_for_codes(codes, "refused the recipient")
    except aiosmtplib.SMTPAuthenticationError as error:
        # Our credentials, not the message: it may pass once they are fixed.
        raise SmtpFailed(f"{WHAT} refused the login ({error.code})") from None
    except aiosmtplib.SMTPResponseException as error:
        _raise_for_codes([error.code], "refused the message")
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
        raise SmtpFailed(f"{WHAT} unreachable: {type(error).__name__}") from None
    return reply


def message_id(reference: str, from_address: str) -> str:
    """`<reference@domain of the sender>`: the same reference always gives the same
    Message-ID. Characters a Message-ID cannot hold are replaced."""
    domain = parseaddr(from_address)[1].rpartition("@")[2] or "localhost"
    return f"<{_ID_CHARS.sub('-', reference)}@{domain}>"


def _raise_for_codes(codes: list[int], said: str) -> NoReturn:
    shown = ", ".join(str(code) for code in codes)
    if codes and all(500 <= code < 600 for code in codes):
        raise SmtpRefused(f"{WHAT} {said} ({shown})")
    raise SmtpFailed(f"{WHAT} {said} ({shown})")
