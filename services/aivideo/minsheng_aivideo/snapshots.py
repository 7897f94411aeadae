"""Fetching a detection's snapshot from the URL the platform gives, and keeping it.

The snapshot is fetched before anything is stored, so what is accepted is complete:
an appeal never waits for a picture, and a picture that cannot be had refuses the
push (502, or 422 when fetching again cannot help). Only hosts in
AIVIDEO_SNAPSHOT_HOSTS are asked (any outside production when the list is empty),
redirects are not followed, no proxy from the environment is used, and no more
than AIVIDEO_SNAPSHOT_MAX_BYTES are read. What comes back must be a JPEG, PNG or
WebP picture by its first bytes, whatever the server says it is.

A kept snapshot is named by its SHA-256 and ending, and served at
`/v1/snapshots/<name>`: that URL is the attachment intake receives (intake takes
attachments as references to files).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import httpx
from pydantic import HttpUrl

from minsheng_aivideo.errors import (
    SnapshotHostNotAllowed,
    SnapshotNotAnImage,
    SnapshotTooLarge,
    SnapshotUnavailable,
)

log = logging.getLogger(__name__)

FIELD = "snapshot_url"

# (first bytes, content type, ending); WebP is RIFF….WEBP and is told apart below.
_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)
NAME = r"^[0-9a-f]{64}\.(jpg|png|webp)$"
"""How a kept snapshot is named."""


@dataclass(frozen=True)
class Picture:
    """A fetched snapshot."""

    digest: str
    content_type: str
    ending: str
    content: bytes

    @property
    def name(self) -> str:
        return f"{self.digest}.{self.ending}"


@dataclass(frozen=True)
class Fetcher:
    """How snapshots are fetched: from which hosts, how long, how much."""

    hosts: frozenset[str]
    max_bytes: int
    timeout_seconds: float

    async def fetch(self, url: HttpUrl, *, detection_id: str) -> Picture:
        """The picture at `url`, or the error that refuses the push."""
        self._check_host(url)
        try:
            content = await self._download(str(url))
        except httpx.TimeoutException:
            raise SnapshotUnavailable(
                "the snapshot's server did not answer in time", field=FIELD
            ) from None
        except httpx.HTTPError as error:
            raise SnapshotUnavailable(
                f"the snapshot's server is unreachable: {type(error).__name__}",
                field=FIELD,
            ) from None
        kind = _kind(content)
        if kind is None:
            log.warning("snapshot of detection %s is not a picture", detection_id)
            raise SnapshotNotAnImage(
                "the snapshot is not a JPEG, PNG or WebP picture", field=FIELD
            )
        content_type, ending = kind
        return Picture(
            digest=hashlib.sha256(content).hexdigest(),
            content_type=content_type,
            ending=ending,
            content=content,
        )

    def _check_host(self, url: HttpUrl) -> None:
        if not self.hosts:
            return
        host = (url.host or "").lower()
        if host in self.hosts or f"{host}:{url.port}" in self.hosts:
            return
        raise SnapshotHostNotAllowed(
            f"snapshots are not fetched from {host}", field=FIELD
        )

    async def _download(self, url: str) -> bytes:
        async with (
            httpx.AsyncClient(
                timeout=self.timeout_seconds, trust_env=False, follow_redirects=False
            ) as http,
            http.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                raise SnapshotUnavailable(
                    f"the snapshot's server answered {response.status_code}",
                    field=FIELD,
                )
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise self._too_large()
            content = bytearray()
            async for chunk in response.aiter_bytes():
                content.extend(chunk)
                if len(content) > self.max_bytes:
                    raise self._too_large()
            return bytes(content)

    def _too_large(self) -> SnapshotTooLarge:
        return SnapshotTooLarge(
            f"the snapshot is larger than {self.max_bytes} bytes", field=FIELD
        )


def _kind(content: bytes) -> tuple[str, str] | None:
    """The content type and ending of a picture, told by its first bytes."""
    for magic, content_type, ending in _MAGIC:
        if content.startswith(magic):
            return content_type, ending
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None
