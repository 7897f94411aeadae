"""Who may file requests, and who reads what.

A 311 client files with an `api_key`: a key of the suite's own credentials (hashed,
with expiry and revocation, made with `python -m minsheng_common.auth`) for a
channel system of this server's channel, or a center operator's. Anything else is
403, as GeoReport v2 has it. Reading is open to anyone; a client that gives its key
also sees what it filed itself. Reads without a key are budgeted per address.
"""

from __future__ import annotations

import logging

from minsheng_common.auth.api import AuthContext
from minsheng_common.auth.authenticator import Unauthenticated
from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Role, Scope
from minsheng_open311.errors import KeyRefused
from minsheng_open311.service import Open311Context

log = logging.getLogger(__name__)


def client(auth: AuthContext, key: str | None, *, channel: str) -> Principal:
    """The 311 client whose key this is, or `KeyRefused`; `RateLimited` beyond the
    client's budget."""
    if key is None:
        raise KeyRefused("api_key: required to file a request")
    try:
        principal = auth.authenticator.from_api_key(key)
    except Unauthenticated as error:
        raise KeyRefused(f"api_key: {error.message}") from None
    if not _files_here(principal, channel):
        log.warning("%s tried to file an Open311 request", principal.label())
        raise KeyRefused(
            f"api_key: not a key of a 311 client (a channel key of {channel})"
        )
    auth.limiter.check(principal.subject)
    return principal


def _files_here(principal: Principal, channel: str) -> bool:
    if not principal.can(Scope.APPEALS_SUBMIT):
        return False
    return principal.is_center or (
        principal.role is Role.CHANNEL and principal.channel_id == channel
    )


def viewer(
    auth: AuthContext,
    context: Open311Context,
    key: str | None,
    *,
    address: str,
) -> str | None:
    """The client reading, when it gave its key (a wrong one is 403); None for
    anyone else, whose reads count against their address's budget."""
    if key is None:
        context.public_limiter.check(address)
        return None
    return client(auth, key, channel=context.channel).subject
