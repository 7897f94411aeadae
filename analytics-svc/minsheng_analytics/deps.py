"""The types routes receive by injection: a store session, analytics' context, the
caller of an API route and the person (or system) looking at the page."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security

from minsheng_analytics.errors import PageForbidden, SignInRequired
from minsheng_analytics.service import AnalyticsContext
from minsheng_common import web
from minsheng_common.auth.api import (
    api_key_header,
    bearer_token,
    current_principal,
    require,
)
from minsheng_common.auth.authenticator import Forbidden, Unauthenticated
from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Scope


def _context(request: Request) -> AnalyticsContext:
    context: AnalyticsContext = request.app.state.context
    return context


def wants_html(request: Request) -> bool:
    """True for a browser navigating to a page (it asks for text/html); an API
    client asking for JSON or anything gets the usual error body instead."""
    return "text/html" in request.headers.get("accept", "").lower()


async def _viewer(
    request: Request,
    api_key: Annotated[str | None, Security(api_key_header)],
    token: Annotated[str | None, Security(bearer_token)],
) -> Principal:
    """The caller of a page: a signed-in person (session cookie) or a system with
    a key or token. A browser without valid credentials is sent to the sign-in
    form, a browser whose caller lacks analytics:read gets a page saying so; other
    clients get the usual 401 and 403."""
    try:
        principal = await current_principal(request, api_key, token)
    except Unauthenticated:
        if wants_html(request):
            raise SignInRequired("sign in to see the dashboard") from None
        raise
    if not principal.can(Scope.ANALYTICS_READ):
        if wants_html(request):
            raise PageForbidden(principal)
        raise Forbidden(f"this needs the scope {Scope.ANALYTICS_READ.value}")
    return principal


Session = web.StoreSession
Context = Annotated[AnalyticsContext, Depends(_context)]
Reader = Annotated[Principal, Depends(require(Scope.ANALYTICS_READ))]
"""A caller allowed to read analytics (center roles, leaders, dashboards)."""
Viewer = Annotated[Principal, Depends(_viewer)]
"""Who looks at the dashboard page."""
