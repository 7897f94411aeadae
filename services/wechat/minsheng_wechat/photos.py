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
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from minsheng_common.adapters import pictures
from minsheng_common.adapters.pictures import Picture as Picture

log = logging.getLogger(__name__)

ENDINGS = ("jpg", "png", "gif", "webp")
NAME = pictures.name_pattern(ENDINGS)
"""How a kept picture is named."""


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
        return pictures.host_allowed(self.hosts, parts.hostname, parts.port)

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
                content = await pictures.download(
                    url, max_bytes=self.max_bytes, read_timeout=timeout
                )
        except (httpx.TimeoutException, TimeoutError):
            reason = "its server did not answer in time"
        except httpx.HTTPError as error:
            reason = f"its server is unreachable ({type(error).__name__})"
        except pictures.Refused as error:
            reason = f"its server {error}"
        except pictures.TooLarge as error:
            reason = f"it is {error}"
        else:
            picture = pictures.picture_of(content, ENDINGS)
            if picture is not None:
                return picture
            reason = "it is not a JPEG, PNG, GIF or WebP picture"
        log.warning("picture of message %s not fetched: %s", message, reason)
        return None
