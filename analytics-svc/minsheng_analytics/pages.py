"""The pages people see besides the dashboard: the sign-in form (登录), the refusal
page, and the session cookie they leave behind.

Every HTML answer carries the same security headers: nothing but the page's own
inline style may load, forms post only back here, no site may frame the page, the
browser never guesses a type and never sends the address elsewhere. The session
cookie holds the person's short-lived token: HttpOnly (no script reads it),
SameSite=Strict (no other site's request carries it), Secure outside local
development, and it lives no longer than the token.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from fastapi import Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse

from minsheng_analytics import dashboard
from minsheng_common.auth.api import SESSION_COOKIE
from minsheng_common.auth.principal import Principal
from minsheng_common.settings import ServiceSettings

SECURITY_HEADERS: Final[dict[str, str]] = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self' 'unsafe-inline'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # The pages show data behind a sign-in: no shared cache may keep them.
    "Cache-Control": "no-store",
}

LOGIN_PATH: Final = "/login"
DASHBOARD_PATH: Final = "/"

# Environments whose browsers talk plain HTTP to 127.0.0.1: a Secure cookie would
# never be sent back there.
_PLAIN_HTTP_ENVIRONMENTS: Final = frozenset({"development", "demo", "test"})

WRONG_CREDENTIALS: Final = "用户名或密码错误，请重新输入。"
TOO_MANY_ATTEMPTS: Final = "尝试次数过多，请稍后再试。"
FROM_ANOTHER_SITE: Final = "登录请求须从本页面提交。"


def html(body: str, *, status_code: int = status.HTTP_200_OK) -> HTMLResponse:
    """An HTML answer with the security headers."""
    return HTMLResponse(body, status_code=status_code, headers=SECURITY_HEADERS)


def protect(response: Response) -> Response:
    """Add the security headers to an answer built elsewhere (a redirect)."""
    response.headers.update(SECURITY_HEADERS)
    return response


def login_page(
    *,
    district: str,
    error: str | None = None,
    username: str = "",
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    """The sign-in form, with an error above it when the last try failed; the user
    name typed is kept (escaped), the password never."""
    body = dashboard.render_template(
        "login.html",
        title=f"{district}民生诉求数据看板 · 登录",
        error=error,
        username=username,
    )
    return html(body, status_code=status_code)


def forbidden_page(*, district: str, principal: Principal) -> HTMLResponse:
    """The 403 page for a caller whose role may not read analytics."""
    body = dashboard.render_template(
        "forbidden.html",
        title=f"{district}民生诉求数据看板 · 无权访问",
        who=principal.subject,
    )
    return html(body, status_code=status.HTTP_403_FORBIDDEN)


def from_another_site(request: Request) -> bool:
    """True when a browser posted the form from anywhere but this page's own origin:
    Sec-Fetch-Site other than same-origin (or none, typed by the person), or else an
    Origin header naming another host. The sign-in and sign-out forms are refused
    then; a client that sends neither header is not a browser and has no cookies to
    abuse."""
    fetch_site = request.headers.get("sec-fetch-site", "").lower()
    if fetch_site:
        return fetch_site not in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return False
    host = request.headers.get("host", "")
    return origin.rstrip("/").split("://", 1)[-1] != host


def secure_cookie(settings: ServiceSettings) -> bool:
    return settings.environment not in _PLAIN_HTTP_ENVIRONMENTS


def signed_in(*, token: str, lifetime: timedelta, secure: bool) -> Response:
    """The redirect to the dashboard that leaves the session cookie behind."""
    response = RedirectResponse(DASHBOARD_PATH, status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(lifetime.total_seconds()),
        path="/",
        secure=secure,
        httponly=True,
        samesite="strict",
    )
    return protect(response)


def redirect_to_login() -> Response:
    """303 to the sign-in form."""
    response = RedirectResponse(LOGIN_PATH, status_code=status.HTTP_303_SEE_OTHER)
    return protect(response)


def signed_out(*, secure: bool) -> Response:
    """The redirect to the sign-in form that clears the session cookie."""
    response = redirect_to_login()
    clear_session(response, secure=secure)
    return response


def clear_session(response: Response, *, secure: bool) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=secure, httponly=True, samesite="strict"
    )
