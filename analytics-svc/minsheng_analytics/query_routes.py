"""The query API for other systems' dashboards: any indicator (Art. 33) as a time
series or broken down by unit, subdistrict, category, channel or period, with
filters. Every route needs the scope analytics:read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from minsheng_analytics import indicators, query
from minsheng_analytics.deps import Context, Reader, Session
from minsheng_analytics.labels import UNKNOWN as UNKNOWN_NAME
from minsheng_analytics.query_schemas import (
    Breakdown,
    Filters,
    IndicatorRef,
    Item,
    Point,
    Series,
)
from minsheng_analytics.schemas import Window
from minsheng_analytics.service import AnalyticsContext

router = APIRouter(prefix="/v1", tags=["indicator queries"])

_KEYS = [indicator.key for indicator in indicators.ALL]
_DEFINITIONS = "\n".join(
    f"- `{indicator.key}` ({indicator.subject}): {indicator.describe()}"
    for indicator in indicators.ALL
)
_COMMON = (
    "Times are counted in Asia/Shanghai: a day runs from midnight to midnight, a "
    "week from Monday, a month from the 1st. `from`/`to` take a date or a time (no "
    "offset = Shanghai) and keep the appeals received in [from, to), with the work "
    "orders and return visits of those appeals; facts whose appeal analytics has not "
    "seen received are left out. The filters keep one unit (work orders: the unit "
    "they went to; return visits: the unit the survey names; appeals have none), "
    "subdistrict, category or channel (the appeal's). A window on Shanghai midnights "
    "is answered from the maintained daily rollups, any other from the projection "
    "itself, with the same definitions. Errors: 422 `unknown_indicator`, "
    "`unknown_dimension`, `not_applicable` (a unit for an appeal indicator), "
    "`invalid_window`, `too_many_periods`, `invalid_request` (a malformed date), "
    "each naming its `field`. Needs the scope analytics:read.\n\n"
    f"The indicators:\n\n{_DEFINITIONS}"
)

Indicator = Annotated[
    str,
    Query(
        description="the indicator's key (GET /v1/kpis/definitions)",
        max_length=100,
        json_schema_extra={"enum": _KEYS},
    ),
]
Interval = Annotated[
    query.Interval, Query(description="the length of a period: day, week or month")
]
From = Annotated[
    datetime | None,
    Query(alias="from", description="appeals received at or after this date or time"),
]
To = Annotated[
    datetime | None, Query(description="appeals received before this date or time")
]
Unit = Annotated[str | None, Query(max_length=50, description="a unit id")]
Subdistrict = Annotated[
    str | None, Query(max_length=50, description="a subdistrict id")
]
Category = Annotated[str | None, Query(max_length=50, description="a category id")]
Channel = Annotated[str | None, Query(max_length=50, description="a channel id")]


@router.get(
    "/series",
    response_model=Series,
    summary="An indicator as a time series",
    description="The indicator period by period, oldest first: every period of the "
    "window, or from the first to the last period with facts when the window is "
    f"open; a period without facts has a zero count. {_COMMON}",
)
async def get_series(
    _reader: Reader,
    session: Session,
    context: Context,
    indicator: Indicator,
    interval: Interval = "day",
    start: From = None,
    to: To = None,
    unit: Unit = None,
    subdistrict: Subdistrict = None,
    category: Category = None,
    channel: Channel = None,
) -> Series:
    filters = query.Filters(
        unit=unit, subdistrict=subdistrict, category=category, channel=channel
    )
    asked = query.question(indicator=indicator, start=start, end=to, filters=filters)
    answer = await query.series(session, asked, interval=interval)
    return Series(
        indicator=_indicator(asked.indicator, context),
        interval=interval,
        window=Window(start=asked.window.start, end=asked.window.end),
        filters=Filters(**asdict(filters)),
        source=answer.source,
        points=[
            Point(
                period=key,
                value=figure.value,
                numerator=figure.numerator,
                denominator=figure.denominator,
            )
            for key, figure in answer.groups
        ],
    )


@router.get(
    "/breakdown",
    response_model=Breakdown,
    summary="An indicator broken down by unit, subdistrict, category, channel or "
    "period",
    description="The indicator in every group of `by` that has facts of its subject "
    "(for `period`, every period of the window), one page at a time. The order is "
    "stable, so pages never overlap or skip: by key (`sort=key`, the default; the "
    "first day for periods) or by value, highest first and then by key "
    f"(`sort=value`); `total` counts the groups over every page. {_COMMON}",
)
async def get_breakdown(
    _reader: Reader,
    session: Session,
    context: Context,
    indicator: Indicator,
    by: Annotated[
        str,
        Query(
            max_length=20,
            description="unit, subdistrict, category, channel or period",
            json_schema_extra={"enum": list(query.BREAKDOWNS)},
        ),
    ],
    interval: Interval = "month",
    start: From = None,
    to: To = None,
    unit: Unit = None,
    subdistrict: Subdistrict = None,
    category: Category = None,
    channel: Channel = None,
    sort: Annotated[
        Literal["key", "value"],
        Query(description="key (ascending) or value (highest first, then key)"),
    ] = "key",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Breakdown:
    filters = query.Filters(
        unit=unit, subdistrict=subdistrict, category=category, channel=channel
    )
    asked = query.question(indicator=indicator, start=start, end=to, filters=filters)
    answer = await query.breakdown(session, asked, by=by, interval=interval, sort=sort)
    names = _names(context, by)
    return Breakdown(
        indicator=_indicator(asked.indicator, context),
        by=by,
        interval=interval,
        window=Window(start=asked.window.start, end=asked.window.end),
        filters=Filters(**asdict(filters)),
        source=answer.source,
        sort=sort,
        total=len(answer.groups),
        limit=limit,
        offset=offset,
        items=[
            Item(
                key=key,
                name=names.get(key),
                value=figure.value,
                numerator=figure.numerator,
                denominator=figure.denominator,
            )
            for key, figure in answer.groups[offset : offset + limit]
        ],
    )


def _indicator(
    indicator: indicators.Indicator, context: AnalyticsContext
) -> IndicatorRef:
    return IndicatorRef(
        key=indicator.key,
        label=indicator.label_under(context.edition_now()),
        kind="rate" if indicator.is_rate else "count",
        subject=indicator.subject,
        article=indicator.article,
        definition=indicator.describe(),
    )


def _names(context: AnalyticsContext, by: str) -> dict[str, str]:
    reference = context.reference
    listed: dict[str, Sequence[Any]] = {
        "unit": reference.units,
        "subdistrict": reference.subdistricts,
        "category": reference.categories,
        "channel": reference.channels,
    }
    names = {entry.id: entry.name for entry in listed.get(by, [])}
    if by != "period":
        names[query.UNKNOWN] = UNKNOWN_NAME
    return names
