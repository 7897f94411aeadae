"""Short-lived signed tokens for people (JWT, HS256).

Several secrets may be configured: the first signs, all verify, so the secret is
rotated by putting a new one first and removing the old one after the longest token
lifetime has passed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Role

ISSUER = "minsheng"
ALGORITHM = "HS256"


class InvalidToken(Exception):
    """The token is malformed, tampered with, expired or signed with an unknown key."""


@dataclass(frozen=True)
class TokenSigner:
    secrets: Sequence[str]
    lifetime: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        if not self.secrets:
            raise ValueError("at least one token secret is needed")

    def issue(self, principal: Principal, *, now: datetime | None = None) -> str:
        issued = now or datetime.now(UTC)
        claims = {
            "iss": ISSUER,
            "sub": principal.subject,
            "role": principal.role.value,
            "unit_id": principal.unit_id,
            "iat": issued,
            "exp": issued + self.lifetime,
        }
        return jwt.encode(claims, self.secrets[0], algorithm=ALGORITHM)

    def verify(self, token: str) -> Principal:
        for secret in self.secrets:
            try:
                claims = jwt.decode(
                    token,
                    secret,
                    algorithms=[ALGORITHM],
                    issuer=ISSUER,
                    options={"require": ["exp", "iat", "sub", "iss"]},
                )
            except jwt.InvalidSignatureError:
                continue
            except jwt.PyJWTError as error:
                raise InvalidToken(str(error)) from error
            # A token living longer than we issue them was not issued by us as is.
            granted = timedelta(seconds=int(claims["exp"]) - int(claims["iat"]))
            if granted > self.lifetime + timedelta(seconds=5):
                raise InvalidToken("the token lives longer than tokens are issued for")
            try:
                return Principal(
                    subject=str(claims["sub"]),
                    role=Role(claims["role"]),
                    unit_id=claims.get("unit_id"),
                    via="token",
                )
            except (KeyError, ValueError) as error:
                raise InvalidToken("the token's claims are incomplete") from error
        raise InvalidToken("the token is not signed with a known key")
