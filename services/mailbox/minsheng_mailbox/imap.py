"""Reading the government mailbox over IMAP: one connection a poll, the folder
opened read-only (EXAMINE), messages found by UID and fetched with BODY.PEEK, so
reading changes nothing in the mailbox (not even the \\Seen flag a clerk relies
on in their own mail client).

The client is the standard library's `imaplib`, each call run in a worker thread.
It was chosen over aioimaplib and IMAPClient: the poller makes a handful of round
trips a minute, so an asyncio client buys nothing; imaplib is maintained with
Python itself, speaks IMAPS, STARTTLS and UID commands, and takes a timeout that
bounds every blocking call (IMAPClient is a convenience layer over imaplib, and
aioimaplib a smaller project with its own release rhythm). Its two gaps are
filled here: folder names in modified UTF-7 (a folder may be called 政府信箱), and
the FETCH answers parsed for the size, date and literal.

Every failure (refused connection, TLS, timeout, a NO or BAD) becomes
`MailboxUnavailable`; a refused login `MailboxLoginRefused`. Their messages give
the server's response code at most, never its text, the user name or password.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import imaplib
import re
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

from minsheng_mailbox.errors import MailboxLoginRefused, MailboxUnavailable

Security = Literal["tls", "starttls", "plain"]
WHAT = "the mail server"

_RESPONSE_CODE = re.compile(rb"\[([A-Z][A-Z-]*)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')

Result = TypeVar("Result")


@dataclass(frozen=True)
class ImapServer:
    """Where the mailbox is and how to reach it."""

    host: str
    port: int
    security: Security
    username: str
    password: str = field(repr=False)
    folder: str = "INBOX"
    ca_file: Path | None = None
    timeout: float = 30.0


@dataclass(frozen=True)
class Fetched:
    """A message as fetched: whole, or only its headers when it is larger than the
    adapter downloads."""

    uid: int
    size: int
    internal_date: datetime | None
    raw: bytes = field(repr=False)
    whole: bool


class _Connection:
    """One IMAP connection with the folder open read-only (blocking calls)."""

    def __init__(self, server: ImapServer) -> None:
        self._server = server
        self._imap: imaplib.IMAP4 | None = None
        self.uidvalidity = 0

    def open(self) -> None:
        server = self._server
        imap: imaplib.IMAP4
        if server.security == "tls":
            imap = imaplib.IMAP4_SSL(
                server.host,
                server.port,
                ssl_context=_tls_context(server.ca_file),
                timeout=server.timeout,
            )
        else:
            imap = imaplib.IMAP4(server.host, server.port, timeout=server.timeout)
        self._imap = imap
        if server.security == "starttls":
            self._starttls(imap)
        self._login(imap)
        status, _ = imap.select(folder_name(server.folder), readonly=True)
        if status != "OK":
            raise MailboxUnavailable(f"{WHAT} has no folder {server.folder!r}")
        _, values = imap.response("UIDVALIDITY")
        if not values or values[0] is None:
            raise MailboxUnavailable(f"{WHAT} gave no UIDVALIDITY for the folder")
        self.uidvalidity = int(values[0])

    def _starttls(self, imap: imaplib.IMAP4) -> None:
        try:
            imap.starttls(ssl_context=_tls_context(self._server.ca_file))
        except imaplib.IMAP4.error as error:
            raise MailboxUnavailable(
                f"{WHAT} does not offer STARTTLS{_code(error)}"
            ) from None

    def _login(self, imap: imaplib.IMAP4) -> None:
        try:
            imap.login(self._server.username, self._server.password)
        except imaplib.IMAP4.error as error:
            raise MailboxLoginRefused(
                f"{WHAT} refused the login{_code(error)}"
            ) from None

    def uids_after(self, last_uid: int) -> list[int]:
        """The UIDs above `last_uid`, ascending. (`n:*` also names the highest
        message when n is above it, so the answer is filtered.)"""
        data = self._ok(self._imap_call().uid("SEARCH", f"UID {last_uid + 1}:*"))
        found = b" ".join(part for part in data if isinstance(part, bytes)).split()
        return sorted(uid for uid in map(int, found) if uid > last_uid)

    def fetch(self, uid: int, *, max_bytes: int) -> Fetched | None:
        """The message of `uid` (its headers only above `max_bytes`); None when it
        is gone (expunged since the search)."""
        imap = self._imap_call()
        facts = self._ok(imap.uid("FETCH", str(uid), "(RFC822.SIZE INTERNALDATE)"))
        line = _first_line(facts)
        size_found = _SIZE.search(line)
        if size_found is None:
            return None
        size = int(size_found.group(1))
        whole = size <= max_bytes
        part = "BODY.PEEK[]" if whole else "BODY.PEEK[HEADER]"
        raw = _literal(self._ok(imap.uid("FETCH", str(uid), f"({part})")))
        if raw is None:
            return None
        return Fetched(
            uid=uid, size=size, internal_date=_internal_date(line), raw=raw, whole=whole
        )

    def close(self) -> None:
        if self._imap is None:
            return
        try:
            self._imap.logout()
        except (imaplib.IMAP4.error, OSError):
            with contextlib.suppress(OSError):
                self._imap.shutdown()
        self._imap = None

    def _imap_call(self) -> imaplib.IMAP4:
        if self._imap is None:
            raise MailboxUnavailable(f"{WHAT} connection is closed")
        return self._imap

    @staticmethod
    def _ok(answer: tuple[str, list[Any]]) -> list[Any]:
        status, data = answer
        if status != "OK":
            raise MailboxUnavailable(f"{WHAT} answered {status}")
        return data


class Mailbox:
    """An open mailbox folder, each call run in a worker thread."""

    def __init__(self, connection: _Connection) -> None:
        self._connection = connection

    @property
    def uidvalidity(self) -> int:
        return self._connection.uidvalidity

    async def uids_after(self, last_uid: int) -> list[int]:
        return await _in_thread(self._connection.uids_after, last_uid)

    async def fetch(self, uid: int, *, max_bytes: int) -> Fetched | None:
        return await _in_thread(
            lambda: self._connection.fetch(uid, max_bytes=max_bytes)
        )


@contextlib.asynccontextmanager
async def opened(server: ImapServer) -> AsyncIterator[Mailbox]:
    """The folder of `server` open read-only until the block ends."""
    connection = _Connection(server)
    try:
        await _in_thread(connection.open)
        yield Mailbox(connection)
    finally:
        await asyncio.to_thread(connection.close)


async def _in_thread(call: Callable[..., Result], *args: Any) -> Result:
    """Run a blocking call in a worker thread, its failures in our vocabulary."""
    try:
        return await asyncio.to_thread(call, *args)
    except MailboxUnavailable:
        raise
    except ssl.SSLError as error:
        raise MailboxUnavailable(
            f"{WHAT}: TLS failed ({error.reason or type(error).__name__})"
        ) from None
    except TimeoutError:
        raise MailboxUnavailable(f"{WHAT} did not answer in time") from None
    except imaplib.IMAP4.error as error:
        raise MailboxUnavailable(f"{WHAT} failed{_code(error)}") from None
    except (OSError, EOFError, ValueError) as error:
        raise MailboxUnavailable(
            f"{WHAT} is unreachable: {type(error).__name__}"
        ) from None


def _tls_context(ca_file: Path | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    return context


def _code(error: BaseException) -> str:
    """The IMAP response code of a NO or BAD ([AUTHENTICATIONFAILED]), never the
    server's own words."""
    text = str(error).encode("utf-8", "replace")
    found = _RESPONSE_CODE.search(text)
    return f" ({found.group(1).decode()})" if found else ""


def _first_line(data: list[Any]) -> bytes:
    for part in data:
        if isinstance(part, tuple):
            return bytes(part[0])
        if isinstance(part, bytes):
            return part
    return b""


def _literal(data: list[Any]) -> bytes | None:
    """The literal of a FETCH answer (the message's bytes)."""
    for part in data:
        if isinstance(part, tuple) and len(part) >= 2:
            return bytes(part[1])
    return None


def _internal_date(line: bytes) -> datetime | None:
    found = _INTERNALDATE.search(line)
    if found is None:
        return None
    try:
        # `%b` is read in the C locale the process runs in: Jan, Feb…
        return datetime.strptime(
            found.group(1).decode().strip(), "%d-%b-%Y %H:%M:%S %z"
        )
    except ValueError:
        return None


def folder_name(name: str) -> str:
    """A folder name as IMAP writes it: modified UTF-7 (RFC 3501 5.1.3) in
    quotes, so 政府信箱 and names with spaces reach the server intact."""
    encoded: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            chunk = base64.b64encode("".join(pending).encode("utf-16-be"))
            encoded.append("&" + chunk.decode().rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            encoded.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    quoted = "".join(encoded).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}"'
