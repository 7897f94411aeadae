"""Fetching the picture of an image message from its `PicUrl`, and keeping it.

The picture is fetched while the push waits (within its reply budget), so the appeal
carries a copy that outlives WeChat's link: kept by its SHA-256 and served at
`/v1/photos/<sha256>.<ending>`, the URL intake receives as the attachment. Only
hosts in WECHAT_PHOTO_HOSTS are asked (WeChat's picture host by default; any
outside production when the list is empty), redirects are not followed, no proxy
from the environment is used, no more than WECHAT_PHOTO_MAX_BYTES are read, and
what comes back must be a JPEG, PNG, GIF or WebP picture by its first bytes.

Unlike a camera's snapshot, a citizen's picture never refuses the push: when it
cannot be had in time (the host slow, down or not allowed, the answer not a
picture or too large), nothing is attached and the appeal says the picture could
not be retrieved. WeChat's own `PicUrl` is never attached: intake takes only
files of known endings, and WeChat's links have none. The citizen's message is
taken either way.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

log = logging.getLogger(__name__)

# (first bytes, content type, ending); WebP is RIFF….WEBP and is told apart below.
_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
)
NAME = r"^[0-9a-f]{64}\.(jpg|png|gif|webp)$"
"""How a kept picture is named."""


@dataclass(frozen=True)
class Picture:
    """A fetched picture."""

    digest: str
    content_type: str
    ending: str
    content: bytes

    @property
    def name(self) -> str:
        return f"{self.digest}.{self.ending}"


class _NotTaken(Exception):
    """Why a picture was not taken, for the log line."""


@dataclass(frozen=True)
class PhotoFetcher:
    """How pictures are fetched: from which hosts, how long at most, how much."""

    hosts: frozenset[str]
    max_bytes: int
    timeout_seconds: float

    def allowed(self, url: str) -> bool:
        """Whether `url` is an http(s) URL on a host pictures are taken from."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return False
        if not self.hosts:
            return True
        host = parts.hostname.lower()
        return host in self.hosts or f"{host}:{parts.port}" in self.hosts

    async def fetch(self, url: str, *, within: float, message: str) -> Picture | None:
        """The picture at `url` fetched within `within` seconds (and the fetcher's
        own limit), or None; `message` names the message in the log."""
        if not self.allowed(url):
            log.warning("picture of message %s not fetched: host not allowed", message)
            return None
        timeout = min(self.timeout_seconds, within)
        if timeout <= 0:
            log.warning("picture of message %s not fetched: no time left", message)
            return None
        try:
            # httpx's timeout bounds each read; this bounds the whole picture.
            async with asyncio.timeout(timeout):
                content = await self._download(url, timeout)
        except (httpx.TimeoutException, TimeoutError):
            reason = "its server did not answer in time"
        except httpx.HTTPError as error:
            reason = f"its server is unreachable ({type(error).__name__})"
        except _NotTaken as error:
            reason = str(error)
        else:
            kind = _kind(content)
            if kind is not None:
                return Picture(
                    digest=hashlib.sha256(content).hexdigest(),
                    content_type=kind[0],
                    ending=kind[1],
                    content=content,
                )
            reason = "it is not a JPEG, PNG, GIF or WebP picture"
        log.warning("picture of message %s not fetched: %s", message, reason)
        return None

    async def _download(self, url: str, wait: float) -> bytes:
        async with (
            httpx.AsyncClient(
                timeout=wait, trust_env=False, follow_redirects=False
            ) as http,
            http.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                raise _NotTaken(f"its server answered {response.status_code}")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise _NotTaken(f"it is larger than {self.max_bytes} bytes")
            content = bytearray()
            async for chunk in response.aiter_bytes():
                content.extend(chunk)
                if len(content) > self.max_bytes:
                    raise _NotTaken(f"it is larger than {self.max_bytes} bytes")
            return bytes(content)


def _kind(content: bytes) -> tuple[str, str] | None:
    """The content type and ending of a picture, told by its first bytes."""
    for magic, content_type, ending in _MAGIC:
        if content.startswith(magic):
            return content_type, ending
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None
