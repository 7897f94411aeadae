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
from minsheng_common.adapters import pictures
from minsheng_common.adapters.pictures import Picture as Picture

log = logging.getLogger(__name__)

FIELD = "snapshot_url"

ENDINGS = ("jpg", "png", "webp")
NAME = pictures.name_pattern(ENDINGS)
"""How a kept snapshot is named."""


@dataclass(frozen=True)
class Fetcher:
    """How snapshots are fetched: from which hosts, how long, how much."""

    hosts: frozenset[str]
    max_bytes: int
    timeout_seconds: float

    async def fetch(self, url: HttpUrl, *, detection_id: str) -> Picture:
        """The picture at `url`, or the error that refuses the push."""
        host = url.host or ""
        if not pictures.host_allowed(self.hosts, host, url.port):
            raise SnapshotHostNotAllowed(
                f"snapshots are not fetched from {host.lower()}", field=FIELD
            )
        try:
            content = await pictures.download(
                str(url),
                max_bytes=self.max_bytes,
                read_timeout=self.timeout_seconds,
            )
        except httpx.TimeoutException:
            raise SnapshotUnavailable(
                "the snapshot's server did not answer in time", field=FIELD
            ) from None
        except httpx.HTTPError as error:
            raise SnapshotUnavailable(
                f"the snapshot's server is unreachable: {type(error).__name__}",
                field=FIELD,
            ) from None
        except pictures.Refused as error:
            raise SnapshotUnavailable(
                f"the snapshot's server {error}", field=FIELD
            ) from None
        except pictures.TooLarge as error:
            raise SnapshotTooLarge(f"the snapshot is {error}", field=FIELD) from None
        picture = pictures.picture_of(content, ENDINGS)
        if picture is None:
            log.warning("snapshot of detection %s is not a picture", detection_id)
            raise SnapshotNotAnImage(
                "the snapshot is not a JPEG, PNG or WebP picture", field=FIELD
            )
        return picture


def _kind(content: bytes) -> tuple[str, str] | None:
    """The content type and ending of a snapshot, told by its first bytes."""
    return pictures.kind_of(content, ENDINGS)
