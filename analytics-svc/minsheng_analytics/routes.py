"""Analytics' HTTP API and the dashboard page."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from minsheng_analytics import dashboard, indicators, repository, service
from minsheng_analytics.deps import Context, Session
from minsheng_analytics.schemas import Definitions, KpiReport

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
    description="Counts by state, type, channel, unit and rejection reason, and the "
    "dispatch and sign-off rates (Art. 12, 13, 33), from analytics' own projection "
    "of every event. A time without offset is read as Asia/Shanghai.\n\n"
    f"{indicators.WINDOW}\n\n{_DEFINITIONS}",
)
async def get_kpis(
    session: Session,
    context: Context,
    start: datetime | None = _FROM,
    to: datetime | None = _TO,
) -> KpiReport:
    """The unit KPIs as of the newest event applied."""
    within = service.window(start, to)
    return await service.kpis(session=session, context=context, within=within)


@router.get("/kpis/definitions", response_model=Definitions)
async def get_definitions(context: Context) -> Definitions:
    """How every indicator is counted: numerator, denominator and exclusions."""
    return service.definitions(context=context)


@page.get("/", response_class=HTMLResponse, summary="The dashboard page (看板)")
async def get_dashboard(
    session: Session,
    context: Context,
    start: datetime | None = _FROM,
    to: datetime | None = _TO,
) -> HTMLResponse:
    """A plain page in Chinese with the headline numbers and the tables by channel,
    type, unit and rejection reason; times in Asia/Shanghai."""
    within = service.window(start, to)
    report = await service.kpis(session=session, context=context, within=within)
    recent = await repository.recent_appeals(session, within, context.recent)
    html = dashboard.render(
        context=context, report=report, recent=recent, now=context.clock.now()
    )
    return HTMLResponse(html)
