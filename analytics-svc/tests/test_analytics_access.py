"""Who may read analytics: every API route needs analytics:read; the page takes a
signed-in person or a key with that scope, and sends a browser without one to a
plain Chinese sign-in form."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from minsheng_analytics import pages
from minsheng_analytics.app import create_app
from minsheng_analytics.settings import AnalyticsSettings
from minsheng_common import web
from minsheng_common.auth.api import SESSION_COOKIE
from minsheng_common.devstack.broker import free_port

# The sign-in itself cannot need a sign-in; it shows only the form.
SIGN_IN = {("GET", "/login"), ("POST", "/login"), ("POST", "/logout")}
# Every other route and the roles that may read it (analytics:read).
PROTECTED = {
    ("GET", "/v1/kpis"),
    ("GET", "/v1/kpis/definitions"),
    ("GET", "/v1/warnings"),
    ("GET", "/v1/alerts"),
    ("GET", "/v1/reports"),
    ("POST", "/v1/reports"),
    ("GET", "/v1/reports/{kind}/{period}"),
    ("GET", "/v1/assessment"),
    ("GET", "/v1/series"),
    ("GET", "/v1/breakdown"),
    ("GET", "/"),
}
# The unit assessment's other routes: a unit reads and appeals its own score, the
# center decides; test_analytics_assessment checks who may call each.
ASSESSMENT = {
    ("GET", "/v1/assessment/plan"),
    ("GET", "/v1/assessment/appeals"),
    ("GET", "/v1/assessment/appeals/{appeal_id}"),
    ("POST", "/v1/assessment/appeals/{appeal_id}/decision"),
    ("POST", "/v1/assessment/commendations"),
    ("POST", "/v1/assessment/fallbacks"),
    ("POST", "/v1/assessment/{period}/versions"),
    ("GET", "/v1/assessment/{unit_id}/{period}"),
    ("GET", "/v1/assessment/{unit_id}/{period}/history"),
    ("POST", "/v1/assessment/{unit_id}/{period}/appeals"),
}
# Routes that need a parameter or a body, as a reader calls them. The GET of the week
# sorts before the POST, which then finds the report compiled: 200, not 201.
EXAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/v1/reports/{kind}/{period}"): {"url": "/v1/reports/weekly/2026-03-02"},
    ("POST", "/v1/reports"): {"json": {"kind": "weekly", "period_start": "2026-03-02"}},
    ("GET", "/v1/series"): {"url": "/v1/series?indicator=received"},
    ("GET", "/v1/breakdown"): {"url": "/v1/breakdown?indicator=received&by=channel"},
}
READERS = ("operator", "supervisor", "leader", "dashboard")
NOT_READERS = ("unit", "channel", "operations")
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
CSP = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every route that is not open to anyone by the common rules."""
    return set(web.guarded_routes(app))


def assert_security_headers(answer: httpx.Response) -> None:
    assert answer.headers["content-security-policy"] == CSP
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"


async def sign_in(
    client: httpx.AsyncClient, username: str, password: str
) -> httpx.Response:
    return await client.post(
        "/login", data={"username": username, "password": password}
    )


def test_analytics_every_route_is_in_the_access_table(app: FastAPI) -> None:
    assert routes(app) == PROTECTED | SIGN_IN | ASSESSMENT


async def test_analytics_every_route_refuses_a_caller_without_credentials(
    app: FastAPI, anonymous: httpx.AsyncClient
) -> None:
    for method, path in sorted(routes(app) - SIGN_IN):
        answer = await anonymous.request(method, path)

        assert answer.status_code == 401, (method, path)
        assert answer.json()["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize("role", NOT_READERS)
async def test_analytics_every_route_refuses_a_key_without_the_scope(
    app: FastAPI, anonymous: httpx.AsyncClient, credentials: Any, role: str
) -> None:
    headers = {"X-API-Key": credentials.keys[role]}
    for method, path in sorted(routes(app) - SIGN_IN - ASSESSMENT):
        answer = await anonymous.request(method, path, headers=headers)

        assert answer.status_code == 403, (method, path)
        assert answer.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("role", READERS)
async def test_analytics_every_route_answers_a_reader(
    app: FastAPI, anonymous: httpx.AsyncClient, credentials: Any, role: str
) -> None:
    headers = {"X-API-Key": credentials.keys[role]}
    for method, path in sorted(routes(app) - SIGN_IN - ASSESSMENT):
        example = EXAMPLES.get((method, path), {})
        answer = await anonymous.request(
            method,
            example.get("url", path),
            json=example.get("json"),
            headers=headers,
        )

        assert answer.status_code == 200, (method, path)


async def test_analytics_a_wrong_key_is_refused(anonymous: httpx.AsyncClient) -> None:
    answer = await anonymous.get("/v1/kpis", headers={"X-API-Key": "ms_nope_nope"})

    assert answer.status_code == 401


async def test_analytics_a_browser_without_a_session_is_sent_to_sign_in(
    anonymous: httpx.AsyncClient,
) -> None:
    answer = await anonymous.get("/", headers=BROWSER)

    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"
    assert_security_headers(answer)


async def test_analytics_the_sign_in_form_is_plain_chinese_html(
    anonymous: httpx.AsyncClient,
) -> None:
    answer = await anonymous.get("/login", headers=BROWSER)

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert_security_headers(answer)
    page = answer.text
    assert '<html lang="zh-CN">' in page
    assert '<form method="post" action="/login">' in page
    assert 'name="username"' in page
    assert 'name="password" type="password"' in page
    assert "登录" in page
    assert "<script" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)


async def test_analytics_a_person_signs_in_and_sees_the_dashboard(
    anonymous: httpx.AsyncClient,
) -> None:
    answer = await sign_in(anonymous, "operator", "correct horse battery staple")

    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    assert_security_headers(answer)
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/", "max-age=900"} <= attributes
    assert "secure" not in attributes, "plain HTTP outside production"

    page = await anonymous.get("/", headers=BROWSER)

    assert page.status_code == 200
    assert_security_headers(page)
    assert "受理总数" in page.text
    assert "当前用户：operator" in page.text
    assert '<form class="session" method="post" action="/logout">' in page.text


async def test_analytics_a_leader_signs_in_and_reads_the_kpis(
    anonymous: httpx.AsyncClient,
) -> None:
    await sign_in(anonymous, "leader", "correct horse battery staple")

    assert (await anonymous.get("/", headers=BROWSER)).status_code == 200
    assert (await anonymous.get("/v1/kpis")).status_code == 200


async def test_analytics_a_wrong_password_shows_the_form_again(
    anonymous: httpx.AsyncClient,
) -> None:
    answer = await sign_in(anonymous, "operator", "wrong")

    assert answer.status_code == 401
    assert "set-cookie" not in answer.headers
    assert_security_headers(answer)
    assert "用户名或密码错误" in answer.text
    assert 'value="operator"' in answer.text
    assert "wrong" not in answer.text
    assert (await anonymous.get("/", headers=BROWSER)).status_code == 303


async def test_analytics_the_sign_in_form_escapes_what_was_typed(
    anonymous: httpx.AsyncClient,
) -> None:
    answer = await sign_in(anonymous, '"><script>alert(1)</script>', "x")

    assert answer.status_code == 401
    assert "<script" not in answer.text
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in answer.text


async def test_analytics_a_sign_in_posted_from_another_site_is_refused(
    anonymous: httpx.AsyncClient,
) -> None:
    answer = await anonymous.post(
        "/login",
        data={"username": "operator", "password": "correct horse battery staple"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )

    assert answer.status_code == 403
    assert "set-cookie" not in answer.headers


async def test_analytics_a_unit_person_gets_a_refusal_page_not_the_data(
    anonymous: httpx.AsyncClient, app_projector: Any, story: Any
) -> None:
    await app_projector.apply_all(story("a-1").full_life())
    signed = await sign_in(anonymous, "unit", "correct horse battery staple")
    assert signed.status_code == 303

    answer = await anonymous.get("/", headers=BROWSER)

    assert answer.status_code == 403
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert_security_headers(answer)
    assert "没有查看数据看板的权限" in answer.text
    assert "受理总数" not in answer.text
    assert "垃圾桶" not in answer.text
    assert (await anonymous.get("/v1/kpis")).status_code == 403


async def test_analytics_signing_out_clears_the_cookie(
    anonymous: httpx.AsyncClient,
) -> None:
    await sign_in(anonymous, "operator", "correct horse battery staple")

    answer = await anonymous.post("/logout")

    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f'{SESSION_COOKIE}=""')
    assert "max-age=0" in cookie.lower()
    assert (await anonymous.get("/", headers=BROWSER)).status_code == 303


async def test_analytics_a_forged_session_is_cleared_and_sent_to_sign_in(
    anonymous: httpx.AsyncClient,
) -> None:
    anonymous.cookies.set(SESSION_COOKIE, "not.a.token")

    answer = await anonymous.get("/", headers=BROWSER)

    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"
    assert "max-age=0" in answer.headers["set-cookie"].lower()
    assert (await anonymous.get("/v1/kpis")).status_code == 401


def test_analytics_the_cookie_is_secure_outside_local_environments(
    settings: AnalyticsSettings,
) -> None:
    for environment in ("development", "demo", "test"):
        settings.environment = environment  # type: ignore[assignment]
        assert not pages.secure_cookie(settings)
    settings.environment = "production"
    assert pages.secure_cookie(settings)


@pytest.fixture
async def production(
    tmp_path: Path, credentials: Any
) -> AsyncIterator[httpx.AsyncClient]:
    settings = AnalyticsSettings(
        database_url=f"sqlite:///{tmp_path / 'analytics-production.db'}",
        data_dir=tmp_path,
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        environment="production",
        token_secrets="Zq8vN3kT0pL6xR1mW9yB4cF7hJ2dS5gA-p1",
    )
    application = create_app(settings)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(
        transport=transport, base_url="https://analytics"
    ) as http:
        yield http


async def test_analytics_in_production_the_session_cookie_is_secure(
    production: httpx.AsyncClient,
) -> None:
    answer = await sign_in(production, "operator", "correct horse battery staple")

    assert answer.status_code == 303
    attributes = {
        part.strip().lower() for part in answer.headers["set-cookie"].split(";")
    }
    assert "secure" in attributes
