"""Turning a request's credentials into a principal, the same way in every service."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from minsheng_common.auth import hashing
from minsheng_common.auth.principal import Principal
from minsheng_common.auth.registry import CredentialStore
from minsheng_common.auth.tokens import InvalidToken, TokenSigner
from minsheng_common.errors import MinshengError

log = logging.getLogger(__name__)


class Unauthenticated(MinshengError):
    """No credentials, or credentials that are not valid now."""

    status_code = 401
    code = "unauthenticated"


class Forbidden(MinshengError):
    """Valid credentials without the scope the route needs."""

    status_code = 403
    code = "forbidden"


@dataclass
class Authenticator:
    store: CredentialStore
    signer: TokenSigner

    def from_api_key(self, plain: str) -> Principal:
        parts = hashing.split_api_key(plain)
        record = self.store.current().key(parts[0]) if parts else None
        if (
            parts is None
            or record is None
            or not hashing.secret_matches(parts[1], record.secret_hash)
        ):
            raise Unauthenticated("the API key is not valid")
        if not record.usable_at(datetime.now(UTC)):
            raise Unauthenticated("the API key has expired or was revoked")
        return Principal(
            subject=record.key_id,
            role=record.role,
            unit_id=record.unit_id,
            channel_id=record.channel_id,
            via="api_key",
        )

    def from_token(self, token: str) -> Principal:
        try:
            principal = self.signer.verify(token)
        except InvalidToken as error:
            raise Unauthenticated(f"the token is not valid: {error}") from error
        user = self.store.current().user(principal.subject)
        if user is None or user.disabled:
            raise Unauthenticated("the user no longer exists or is disabled")
        # The role and unit are the user's now, not what they were at sign-in.
        return Principal(
            subject=user.username, role=user.role, unit_id=user.unit_id, via="token"
        )

    def sign_in(self, username: str, password: str) -> str:
        """A fresh token for a person, or `Unauthenticated`."""
        user = self.store.current().user(username)
        if (
            user is None
            or user.disabled
            or not hashing.password_matches(password, user.password_hash)
        ):
            log.warning("failed sign-in for a user name")
            raise Unauthenticated("wrong user name or password")
        principal = Principal(
            subject=user.username, role=user.role, unit_id=user.unit_id, via="token"
        )
        return self.signer.issue(principal)
