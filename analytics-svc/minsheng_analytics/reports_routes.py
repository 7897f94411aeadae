"""The periodic reports (定期报告, Art. 40): listed, read in JSON, CSV, XLSX or as a
printable page, and compiled on demand. Each needs the scope analytics:read."""

from __future__ import annotations

import logging
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from fastapi.responses import JSONResponse

from minsheng_analytics import pages, report_repository, reports, reports_export
from minsheng_analytics.deps import Reader, Session
from minsheng_analytics.report_periods import KIND_LABELS, ReportKind
from minsheng_analytics.report_schemas import (
    PeriodicReport,
    ReportPage,
    ReportRequest,
    ReportSummary,
)
from minsheng_common import web

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/reports", tags=["reports"])

Format = Literal["json", "csv", "xlsx", "html"]
FORMATS: tuple[Format, ...] = ("json", "csv", "xlsx", "html")

_KINDS = (
    "weekly 周报 (a Monday), fortnightly 半月报 (the 1st or the 16th), monthly 月报 "
    "(the 1st), quarterly 季度报告 (01-01 for Q1 or 07-01 for Q3), half_year 半年报 "
    "(01-01 or 07-01), annual 年报 (01-01); periods in Asia/Shanghai"
)
_CONTENT = {
    "application/json": {},
    "text/csv": {"schema": {"type": "string"}},
    reports_export.CONTENT_TYPES["xlsx"]: {
        "schema": {"type": "string", "format": "binary"}
    },
    "text/html": {"schema": {"type": "string"}},
}


MAX_OFFSET = 1_000_000
"""Far past any list of reports, and within what every store can count."""

_REFUSALS: dict[int | str, dict[str, Any]] = {
    409: {
        "model": web.ErrorResponse,
        "description": "The period has not ended (period_not_over)",
    },
    422: {
        "model": web.ErrorResponse,
        "description": "No period of that kind starts that day, or it starts "
        "before 2000-01-01 (invalid_period), or the request is not valid",
    },
}


def _reporting(request: Request) -> reports.Reporting:
    reporting: reports.Reporting = request.app.state.runtime.extras[
        reports.REPORTING_KEY
    ]
    return reporting


Reporting = Annotated[reports.Reporting, Depends(_reporting)]


@router.get("", response_model=ReportPage)
async def list_reports(
    _reader: Reader,
    session: Session,
    kind: ReportKind | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> ReportPage:
    """The reports compiled so far, on schedule or on demand, the latest period
    first, each with the paths of its four formats. Needs the scope
    analytics:read."""
    rows, total = await report_repository.stored_page(
        session, kind=kind, limit=limit, offset=offset
    )
    items = []
    for row in rows:
        report = reports.content(row)
        items.append(
            ReportSummary(
                kind=report.kind,
                kind_label=KIND_LABELS[report.kind],
                title=report.title,
                period=report.period,
                generated_at=report.generated_at,
                trigger=report.trigger,
                links=_links(report.kind, report.period.first_day),
            )
        )
    return ReportPage(items=items, total=total)


@router.post(
    "",
    response_model=PeriodicReport,
    status_code=status.HTTP_201_CREATED,
    description="Compile the report of one period now (201), or give the one "
    "compiled before (200): a report is compiled once and kept. Kinds and first "
    f"days: {_KINDS}. Needs the scope analytics:read.",
    responses={
        200: {"model": PeriodicReport, "description": "Compiled before: as it was"},
        201: {"description": "Compiled now"},
        **_REFUSALS,
    },
)
async def post_report(
    body: ReportRequest,
    reader: Reader,
    session: Session,
    reporting: Reporting,
) -> Response:
    """Compile the report of one period, or give the one compiled before."""
    row, compiled = await reports.obtain(
        session=session,
        reporting=reporting,
        kind=body.kind,
        first_day=body.period_start,
        requested_by=reader.subject,
        field="period_start",
    )
    report = reports.content(row)
    return JSONResponse(
        report.model_dump(mode="json"),
        status_code=status.HTTP_201_CREATED if compiled else status.HTTP_200_OK,
        headers={"Location": _links(report.kind, report.period.first_day)["json"]},
    )


@router.get(
    "/{kind}/{period}",
    response_model=PeriodicReport,
    responses={
        200: {"content": _CONTENT, "description": "The report in the format asked"},
        **_REFUSALS,
    },
)
async def get_report(
    kind: Annotated[ReportKind, Path(description=_KINDS)],
    period: Annotated[date, Path(description="the period's first day, YYYY-MM-DD")],
    reader: Reader,
    session: Session,
    reporting: Reporting,
    shape: Annotated[
        Format,
        Query(alias="format", description="json, csv (UTF-8 with BOM), xlsx or html"),
    ] = "json",
) -> Response:
    """The report of one period in JSON, CSV, XLSX or as a printable page (打印版),
    compiled now if it is due and was never compiled, else as it was compiled.
    Needs the scope analytics:read."""
    row, _ = await reports.obtain(
        session=session,
        reporting=reporting,
        kind=kind,
        first_day=period,
        requested_by=reader.subject,
    )
    report = reports.content(row)
    if shape == "json":
        return JSONResponse(report.model_dump(mode="json"))
    if shape == "html":
        links = _links(kind, period)
        body = reports_export.to_html(
            report, links={name.upper(): links[name] for name in FORMATS}
        )
        return pages.html(body)
    content = (
        reports_export.to_csv(report)
        if shape == "csv"
        else reports_export.to_xlsx(report)
    )
    name = reports_export.filename(report, shape)
    return Response(
        content,
        media_type=reports_export.CONTENT_TYPES[shape],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def _links(kind: str, first_day: date) -> dict[str, str]:
    path = f"{router.prefix}/{kind}/{first_day.isoformat()}"
    return {name: f"{path}?format={name}" for name in FORMATS}
