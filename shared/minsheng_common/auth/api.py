"""Authentication and authorisation as FastAPI dependencies, and the sign-in route."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Security
from fastapi.security import (
    APIKeyHeader,
    OAuth2PasswordBearer,
    OAuth2PasswordRequestForm,
)
from pydantic import BaseModel

from minsheng_common.auth.authenticator import Authenticator, Forbidden, Unauthenticated
from minsheng_common.auth.principal import Principal
from minsheng_common.auth.ratelimit import RateLimiter
from minsheng_common.auth.registry import CredentialStore
from minsheng_common.auth.roles import Scope
from minsheng_common.auth.tokens import TokenSigner
from minsheng_common.settings import ServiceSettings

SESSION_COOKIE = "minsheng_session"

api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="A system's API key (channel, unit system, dashboard, operations).",
)
bearer_token = OAuth2PasswordBearer(
    tokenUrl="/v1/auth/token",
    auto_error=False,
    description="A person's token from POST /v1/auth/token.",
)


MAX_USERNAME = 100
MAX_PASSWORD = 1024


@dataclass
class AuthContext:
    authenticator: Authenticator
    limiter: RateLimiter
    sign_in_limiter: RateLimiter
    accepts_session_cookie: bool = False

    async def sign_in(self, username: str, password: str) -> str:
        """A person's token, or `Unauthenticated`; `RateLimited` after too many
        attempts on one account. The password check is slow on purpose (Argon2), so
        it runs beside the event loop, not on it."""
        if len(username) > MAX_USERNAME or len(password) > MAX_PASSWORD:
            raise Unauthenticated("wrong user name or password")
        account = hashlib.sha256(username.encode("utf-8")).hexdigest()[:16]
        self.sign_in_limiter.check(f"sign-in:{account}")
        return await asyncio.to_thread(self.authenticator.sign_in, username, password)

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> AuthContext:
        signer = TokenSigner(
            secrets=settings.token_secret_list(),
            lifetime=timedelta(minutes=settings.token_minutes),
        )
        return cls(
            authenticator=Authenticator(
                store=CredentialStore(settings.credentials_path()), signer=signer
            ),
            limiter=RateLimiter(per_minute=settings.rate_limit_per_minute),
            sign_in_limiter=RateLimiter(
                per_minute=settings.sign_in_attempts_per_minute
            ),
            accepts_session_cookie=settings.session_cookie_auth,
        )


async def current_principal(
    request: Request,
    api_key: Annotated[str | None, Security(api_key_header)],
    token: Annotated[str | None, Security(bearer_token)],
) -> Principal:
    """The caller, from an API key, a bearer token, or the dashboard's session
    cookie; 401 without valid credentials, 429 over the caller's budget."""
    auth: AuthContext = request.app.state.auth
    if api_key:
        principal = auth.authenticator.from_api_key(api_key)
    elif token:
        principal = auth.authenticator.from_token(token)
    elif auth.accepts_session_cookie and (
        cookie := request.cookies.get(SESSION_COOKIE)
    ):
        principal = auth.authenticator.from_token(cookie)
    else:
        raise Unauthenticated(
            "credentials are required: an X-API-Key header or a bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    auth.limiter.check(principal.subject)
    request.state.principal = principal
    return principal


def require(*scopes: Scope) -> Callable[..., Awaitable[Principal]]:
    """A dependency that lets the request through when the caller has any of
    `scopes`, and answers 403 otherwise."""

    async def dependency(
        principal: Annotated[Principal, Depends(current_principal)],
    ) -> Principal:
        if not any(principal.can(scope) for scope in scopes):
            needed = " or ".join(scope.value for scope in scopes)
            raise Forbidden(f"this needs the scope {needed}")
        return principal

    dependency.__name__ = "require_" + "_or_".join(s.name.lower() for s in scopes)
    return dependency


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


class WhoAmI(BaseModel):
    subject: str
    role: str
    unit_id: str | None
    channel_id: str | None
    scopes: list[str]


router = APIRouter(prefix="/v1/auth", tags=["authentication"])


@router.post("/token", response_model=TokenOut)
async def sign_in(
    request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> TokenOut:
    """Sign a person in (OAuth2 password flow) and return a short-lived token."""
    auth: AuthContext = request.app.state.auth
    token = await auth.sign_in(form.username, form.password)
    lifetime = auth.authenticator.signer.lifetime
    return TokenOut(access_token=token, expires_in=int(lifetime.total_seconds()))


@router.get("/me", response_model=WhoAmI)
async def who_am_i(
    principal: Annotated[Principal, Depends(current_principal)],
) -> WhoAmI:
    """The caller as the services see it: role, unit or channel, scopes."""
    return WhoAmI(
        subject=principal.subject,
        role=principal.role.value,
        unit_id=principal.unit_id,
        channel_id=principal.channel_id,
        scopes=sorted(scope.value for scope in principal.scopes),
    )
