"""Fetching a picture a channel links to (a camera's snapshot, a citizen's photo)
so the appeal carries a copy that outlives the link.

Only an allowed host is asked, redirects are not followed (a redirect could lead
anywhere), no proxy from the environment is used, and no more than the adapter's
limit is read, whatever the server declares. What comes back is a picture only by
its first bytes, whatever its name or its server says. Whether a picture that
cannot be had refuses the push or is left out is the adapter's choice: this
module says why, the adapter decides."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass

import httpx

# (first bytes, content type, ending); WebP is RIFF….WEBP and is told apart below.
_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
)


@dataclass(frozen=True)
class Picture:
    """A fetched picture, named by its SHA-256 and ending."""

    digest: str
    content_type: str
    ending: str
    content: bytes

    @property
    def name(self) -> str:
        return f"{self.digest}.{self.ending}"


def name_pattern(endings: Collection[str]) -> str:
    """The route's pattern for a kept picture of one of `endings`."""
    return rf"^[0-9a-f]{{64}}\.({'|'.join(endings)})$"


def kind_of(content: bytes, endings: Collection[str]) -> tuple[str, str] | None:
    """The content type and ending of a picture, told by its first bytes, when
    its ending is one of `endings`."""
    kind = _sniffed(content)
    return kind if kind is not None and kind[1] in endings else None


def _sniffed(content: bytes) -> tuple[str, str] | None:
    for magic, content_type, ending in _MAGIC:
        if content.startswith(magic):
            return content_type, ending
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


def picture_of(content: bytes, endings: Collection[str]) -> Picture | None:
    """`content` as a picture of one of `endings`, or None when it is not one."""
    kind = kind_of(content, endings)
    if kind is None:
        return None
    return Picture(
        digest=hashlib.sha256(content).hexdigest(),
        content_type=kind[0],
        ending=kind[1],
        content=content,
    )


def host_allowed(hosts: frozenset[str], host: str, port: int | None) -> bool:
    """Whether `host` (or `host:port`) is in `hosts`; an empty list allows any
    (the adapters' settings refuse an empty list in production)."""
    if not hosts:
        return True
    host = host.lower()
    return host in hosts or f"{host}:{port}" in hosts


class NotTaken(Exception):
    """The server answered, but not with something to take."""


class Refused(NotTaken):
    """The server answered with another status than 200."""

    def __init__(self, status_code: int) -> None:
        super().__init__(f"answered {status_code}")
        self.status_code = status_code


class TooLarge(NotTaken):
    """The picture is larger than the limit (declared, or as read)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"larger than {max_bytes} bytes")
        self.max_bytes = max_bytes


async def download(url: str, *, max_bytes: int, read_timeout: float) -> bytes:
    """The body at `url`, read to at most `max_bytes`, each read waiting at most
    `read_timeout` seconds (the caller bounds the whole). Raises `Refused`,
    `TooLarge`, or httpx's errors for a server that is slow or unreachable."""
    async with (
        httpx.AsyncClient(
            timeout=read_timeout, trust_env=False, follow_redirects=False
        ) as http,
        http.stream("GET", url) as response,
    ):
        if response.status_code != 200:
            raise Refused(response.status_code)
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise TooLarge(max_bytes)
        content = bytearray()
        async for chunk in response.aiter_bytes():
            content.extend(chunk)
            if len(content) > max_bytes:
                raise TooLarge(max_bytes)
        return bytes(content)
