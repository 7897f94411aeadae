"""Analytics' application: the API and page plus its runtime (store, consumer of
every topic)."""

from __future__ import annotations

from fastapi import FastAPI

from minsheng_analytics import consumers, routes
from minsheng_analytics.service import AnalyticsContext
from minsheng_analytics.settings import AnalyticsSettings
from minsheng_common import web
from minsheng_common.events import topics
from minsheng_common.reference import load_reference
from minsheng_common.rules import load_rule_book
from minsheng_common.runtime import ConsumerSpec, ServiceRuntime

MIGRATIONS = "minsheng_analytics:migrations"


def create_app(settings: AnalyticsSettings | None = None) -> FastAPI:
    settings = settings or AnalyticsSettings()
    rule_book = load_rule_book(settings.rules_file)
    runtime = ServiceRuntime(
        settings=settings,
        script_location=MIGRATIONS,
        consumers=[
            ConsumerSpec(
                name="projection",
                topics=topics.ALL,
                handlers=consumers.handlers(rule_book),
            )
        ],
    )
    app = web.create_app(
        title="Minsheng analytics",
        description="Analytics' own projection of every event, the unit KPIs "
        "(Art. 33) and a plain dashboard page at `/`.",
        runtime=runtime,
        routers=[routes.router, routes.page],
    )
    app.state.context = AnalyticsContext(
        reference=load_reference(settings.reference_file),
        rule_book=rule_book,
        clock=runtime.clock,
        refresh_seconds=settings.dashboard_refresh_seconds,
        recent=settings.dashboard_recent,
    )
    return app
