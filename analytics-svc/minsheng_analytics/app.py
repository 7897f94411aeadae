"""Analytics' application: the API and page plus its runtime (store, consumer of
every topic)."""

from __future__ import annotations

from typing import cast

from fastapi import FastAPI, Request, Response
from starlette.types import ExceptionHandler

from minsheng_analytics import (
    consumers,
    pages,
    query_routes,
    reports,
    reports_routes,
    rollups,
    routes,
    warning_detection,
    warning_rules,
)
from minsheng_analytics.assessment import plan as assessment_plan
from minsheng_analytics.assessment import routes as assessment_routes
from minsheng_analytics.errors import PageForbidden, SignInRequired
from minsheng_analytics.service import AnalyticsContext
from minsheng_analytics.settings import AnalyticsSettings
from minsheng_common import web
from minsheng_common.auth.api import SESSION_COOKIE
from minsheng_common.events import topics
from minsheng_common.reference import load_reference
from minsheng_common.rules import load_rule_book
from minsheng_common.runtime import ConsumerSpec, ServiceRuntime

MIGRATIONS = "minsheng_analytics:migrations"


def create_app(settings: AnalyticsSettings | None = None) -> FastAPI:
    settings = settings or AnalyticsSettings()
    rule_book = load_rule_book(settings.rules_file)
    reference = load_reference(settings.reference_file)
    runtime = ServiceRuntime(
        settings=settings,
        script_location=MIGRATIONS,
        background=[reports.compile_on_schedule],
    )
    # Detection stages its warnings through the runtime's outbox, so the consumer is
    # added once the runtime has one.
    detector = warning_detection.WarningDetector(
        outbox=runtime.outbox,
        rules=warning_rules.load_warning_rules(reference, settings.warning_rules_file),
    )
    runtime.add_consumer(
        ConsumerSpec(
            name="projection",
            topics=topics.ALL,
            handlers=detector.wrap(consumers.handlers(rule_book)),
        )
    )
    app = web.create_app(
        title="Minsheng analytics",
        description="Analytics' own projection of every event, the unit KPIs "
        "(Art. 33) and a plain dashboard page at `/`.",
        runtime=runtime,
        routers=[
            routes.router,
            routes.page,
            reports_routes.router,
            assessment_routes.router,
            query_routes.router,
        ],
        on_start=rollups.prepare,
    )
    app.state.context = AnalyticsContext(
        reference=reference,
        rule_book=rule_book,
        clock=runtime.clock,
        refresh_seconds=settings.dashboard_refresh_seconds,
        recent=settings.dashboard_recent,
    )
    app.state.assessment_plan = assessment_plan.load_plan(settings.assessment_file)
    runtime.extras[reports.REPORTING_KEY] = reports.Reporting.of(
        app.state.context, settings
    )
    app.add_exception_handler(SignInRequired, cast(ExceptionHandler, _to_sign_in))
    app.add_exception_handler(PageForbidden, cast(ExceptionHandler, _refuse_page))
    return app


async def _to_sign_in(request: Request, _error: SignInRequired) -> Response:
    """A browser without valid credentials goes to the sign-in form; an expired or
    forged session cookie is cleared on the way."""
    response = pages.redirect_to_login()
    if SESSION_COOKIE in request.cookies:
        settings = request.app.state.runtime.settings
        pages.clear_session(response, secure=pages.secure_cookie(settings))
    return response


async def _refuse_page(request: Request, error: PageForbidden) -> Response:
    context: AnalyticsContext = request.app.state.context
    return pages.forbidden_page(
        district=context.reference.district.name, principal=error.principal
    )
