"""The access token WeChat's HTTP APIs want (the official account's and government
WeChat's alike): fetched with the app's credentials, valid for about two hours, kept
until shortly before it expires and fetched again at once when the API calls it
invalid or expired.

Whoever calls the API fetches the token its own way (the path and the credentials
differ) and tells its failures in its own terms; what is shared here is the cache,
the reading of the token API's answer and the codes that mean "a new token is
needed".
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

import httpx

TOKEN_MARGIN_SECONDS: Final = 300.0
"""A token is fetched again this long before WeChat would let it expire."""
DEFAULT_TOKEN_LIFETIME: Final = 7200.0
"""The lifetime WeChat gives, used when its answer names none."""
STALE_TOKEN_CODES: Final = frozenset({40001, 40014, 42001})
"""The access token is invalid (40001, 40014) or expired (42001): fetch a new one."""

TokenFetch = Callable[[httpx.AsyncClient], Awaitable[tuple[str, float]]]
"""Fetches a token: the token and its lifetime in seconds."""

# httpx logs every request line at INFO, and WeChat's APIs take the access token and
# the app secret in the query: that line must never reach a log.
logging.getLogger("httpx").setLevel(logging.WARNING)


class AccessTokens:
    """One access token at a time: fetched when first needed, again shortly before
    it expires, and at once when it is forgotten. Real (monotonic) time, not the
    service clock: the token expires on WeChat's clock."""

    def __init__(
        self, fetch: TokenFetch, *, now: Callable[[], float] = time.monotonic
    ) -> None:
        self._fetch = fetch
        self._now = now
        self._token: str | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def get(self, client: httpx.AsyncClient) -> str:
        """The token in force, fetched first if there is none or it is about to
        expire; callers waiting at once share one fetch."""
        async with self._lock:
            if self._token is None or self._now() >= self._expires:
                token, lifetime = await self._fetch(client)
                keep = max(lifetime - TOKEN_MARGIN_SECONDS, lifetime / 2)
                self._token, self._expires = token, self._now() + keep
            return self._token

    def forget(self, token: str) -> None:
        """Drop `token` (the API refused it); a newer one is kept."""
        if self._token == token:
            self._token = None


def read_grant(body: Mapping[str, Any]) -> tuple[str, float] | None:
    """The token and its lifetime from the token API's answer; None when it gave
    no token (an errcode, a wrong app secret, an address not allowed)."""
    code = body.get("errcode", 0)
    token = body.get("access_token")
    if code != 0 or not isinstance(token, str) or not token:
        return None
    lifetime = body.get("expires_in")
    if isinstance(lifetime, bool) or not isinstance(lifetime, int | float):
        lifetime = DEFAULT_TOKEN_LIFETIME
    return token, float(lifetime)
