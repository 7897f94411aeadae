"""Analytics' HTTP API, the dashboard page and its sign-in.

Every API route (KPIs, warnings, alerts) needs the scope analytics:read (center roles,
leaders, dashboards).
The page takes a signed-in person (the session cookie from `POST /login`) or a
system's key or token with the same scope; a browser without one is sent to the
sign-in form.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response, status
from fastapi.responses import HTMLResponse

from minsheng_analytics import (
    dashboard,
    indicators,
    overview,
    pages,
    repository,
    service,
)
from minsheng_analytics.deps import Context, Reader, Session, Viewer
from minsheng_analytics.schemas import Alerts, Definitions, KpiReport, WarningPage
from minsheng_common.auth.api import AuthContext
from minsheng_common.auth.authenticator import Unauthenticated
from minsheng_common.auth.ratelimit import RateLimited
from minsheng_common.events.catalogue import WarningKind
from minsheng_common.runtime import ServiceRuntime

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1", tags=["kpis"])
page = APIRouter(tags=["dashboard"])

_FROM = Query(
    default=None,
    alias="from",
    description="count only appeals received at or after this time",
)
_TO = Query(default=None, description="count only appeals received before this time")

_DEFINITIONS = "\n".join(
    f"- `{indicator.key}`: {indicator.describe()}" for indicator in indicators.ALL
)


@router.get(
    "/kpis",
    response_model=KpiReport,
    description="Counts by state, level, type, channel, unit and rejection reason, "
    "the dispatch and sign-off rates (Art. 12, 13, 33) and the instant-answer rate "
    "of consultations (Art. 43–44), from analytics' own projection "
    "of every event. A time without offset is read as Asia/Shanghai. Needs the "
    f"scope analytics:read.\n\n{indicators.WINDOW}\n\n{_DEFINITIONS}",
)
async def get_kpis(
    _reader: Reader,
    session: Session,
    context: Context,
    start: datetime | None = _FROM,
    to: datetime | None = _TO,
) -> KpiReport:
    """The unit KPIs as of the newest event applied."""
    within = service.window(start, to)
    return await service.kpis(session=session, context=context, within=within)


@router.get("/kpis/definitions", response_model=Definitions)
async def get_definitions(_reader: Reader, context: Context) -> Definitions:
    """How every indicator is counted: numerator, denominator and exclusions.
    Needs the scope analytics:read."""
    return service.definitions(context=context)


@router.get("/warnings", response_model=WarningPage, tags=["warnings"])
async def list_warnings(
    _reader: Reader,
    session: Session,
    kind: WarningKind | None = None,
    since: Annotated[
        datetime | None,
        Query(description="only warnings raised at or after; no offset = Shanghai"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> WarningPage:
    """Warnings (预警, Art. 23) newest first: hotspots, high-frequency events, safety
    hazards and sensitive topics, each with its event cluster, the appeals that make
    it up, their count, subdistrict and when it was raised. Needs the scope
    analytics:read (center roles, leaders, dashboards)."""
    return await service.warnings(
        session=session, kind=kind, since=since, limit=limit, offset=offset
    )


@router.get("/alerts", response_model=Alerts, tags=["alerts"])
async def get_alerts(_reader: Reader, session: Session) -> Alerts:
    """Alerts about what the numbers rest on: the years whose official holiday
    schedule is missing, so that deadlines reaching into them are provisional
    (the latest alert of each year). Needs the scope analytics:read."""
    return await service.alerts(session=session)


@page.get(
    "/",
    response_class=HTMLResponse,
    summary="The dashboard page (看板)",
    responses={303: {"description": "A browser without credentials: to /login"}},
)
async def get_dashboard(
    viewer: Viewer,
    session: Session,
    context: Context,
    start: datetime | None = _FROM,
    to: datetime | None = _TO,
) -> HTMLResponse:
    """A plain page in Chinese: today's volume, open and overdue work, a schematic
    map of the subdistricts with their warnings, the trend of the last 14 days, the
    unit ranking, then the headline numbers and the tables by channel, type, unit
    and rejection reason of the period; times in Asia/Shanghai. For a signed-in
    person or a key with analytics:read; a browser without credentials is
    redirected to the sign-in form, one without the scope gets a page saying so
    (403)."""
    within = service.window(start, to)
    now = context.clock.now()
    report = await service.kpis(session=session, context=context, within=within)
    recent = await repository.recent_appeals(session, within, context.recent)
    figures = await overview.gather(
        session=session, reference=context.reference, now=now
    )
    body = dashboard.render(
        context=context,
        report=report,
        recent=recent,
        now=now,
        figures=figures,
        signed_in_as=viewer.subject if viewer.via == "token" else None,
    )
    return pages.html(body)


@page.get("/login", response_class=HTMLResponse, summary="The sign-in form (登录)")
async def get_login(context: Context) -> HTMLResponse:
    """The plain sign-in form for people (center staff, leaders)."""
    return pages.login_page(district=context.reference.district.name)


@page.post(
    "/login",
    response_class=HTMLResponse,
    status_code=status.HTTP_303_SEE_OTHER,
    summary="Sign in (登录)",
    responses={
        303: {"description": "Signed in: the session cookie is set, on to /"},
        401: {"description": "Wrong user name or password: the form again"},
    },
)
async def post_login(
    request: Request,
    context: Context,
    username: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """Check the user name and password, set the session cookie (the person's
    short-lived token) and go to the dashboard; a wrong password shows the form
    again (401)."""
    district = context.reference.district.name
    if pages.from_another_site(request):
        return pages.login_page(
            district=district,
            error=pages.FROM_ANOTHER_SITE,
            status_code=status.HTTP_403_FORBIDDEN,
        )
    auth: AuthContext = request.app.state.auth
    try:
        token = await auth.sign_in(username, password)
    except RateLimited as error:
        page_answer = pages.login_page(
            district=district,
            error=pages.TOO_MANY_ATTEMPTS,
            username=username,
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
        )
        page_answer.headers.update(error.headers or {})
        return page_answer
    except Unauthenticated:
        return pages.login_page(
            district=district,
            error=pages.WRONG_CREDENTIALS,
            username=username,
            status_code=status.HTTP_401_UNAUTHORIZED,
        )
    log.info("%s signed in to the dashboard", username)
    return pages.signed_in(
        token=token,
        lifetime=auth.authenticator.signer.lifetime,
        secure=pages.secure_cookie(_runtime(request).settings),
    )


@page.post(
    "/logout",
    status_code=status.HTTP_303_SEE_OTHER,
    summary="Sign out (退出登录)",
    response_class=Response,
    responses={303: {"description": "The session cookie is cleared, on to /login"}},
)
async def post_logout(request: Request, context: Context) -> Response:
    """Clear the session cookie and go back to the sign-in form; refused when
    another site posts the form."""
    if pages.from_another_site(request):
        return pages.login_page(
            district=context.reference.district.name,
            error=pages.FROM_ANOTHER_SITE,
            status_code=status.HTTP_403_FORBIDDEN,
        )
    return pages.signed_out(secure=pages.secure_cookie(_runtime(request).settings))


def _runtime(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime
