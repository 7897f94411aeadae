"""Bodies of the query API: one indicator as a series or a breakdown, with the
indicator's definition, the window and filters it was asked for, and where the
answer came from."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from minsheng_analytics.query import Interval, Source
from minsheng_analytics.schemas import Window

_VALUE = (
    "the count, or the rate from 0 to 1 (rounded to 4 places; null when the "
    "denominator is 0)"
)


class IndicatorRef(BaseModel):
    """The indicator asked for and how it is counted."""

    key: str
    label: str = Field(description="the Chinese label, limits of the edition in force")
    kind: Literal["count", "rate"]
    subject: str = Field(
        description="what is counted: appeal, work_order, return_visit"
    )
    article: str | None
    definition: str = Field(description="numerator, denominator and exclusions")


class Filters(BaseModel):
    """The filters applied; null where any value was taken."""

    unit: str | None
    subdistrict: str | None
    category: str | None
    channel: str | None


class Point(BaseModel):
    """The indicator in one period."""

    period: date = Field(
        description="the first day of the period in Asia/Shanghai: the day itself, "
        "the Monday of its week or the 1st of its month"
    )
    value: float | int | None = Field(description=_VALUE)
    numerator: int | None = Field(description="a rate's numerator; null for a count")
    denominator: int | None = Field(
        description="a rate's denominator; null for a count"
    )


class Series(BaseModel):
    """The indicator period by period, oldest first."""

    indicator: IndicatorRef
    interval: Interval
    window: Window
    filters: Filters
    source: Source = Field(
        description="rollups: the maintained daily rollups; facts: counted from the "
        "projection (a window not on Shanghai midnights, or rollups being rebuilt)"
    )
    points: list[Point]


class Item(BaseModel):
    """The indicator in one group of a breakdown."""

    key: str = Field(
        description="the unit, subdistrict, category or channel id ('unknown' for "
        "facts whose value analytics has not seen yet), or the period's first day"
    )
    name: str | None = Field(
        description="the Chinese name from the reference data, if it has one"
    )
    value: float | int | None = Field(description=_VALUE)
    numerator: int | None = Field(description="a rate's numerator; null for a count")
    denominator: int | None = Field(
        description="a rate's denominator; null for a count"
    )


class Breakdown(BaseModel):
    """One page of the indicator's groups, in a stable order, and how many there
    are in all."""

    indicator: IndicatorRef
    by: str = Field(description="unit, subdistrict, category, channel or period")
    interval: Interval = Field(description="the length of a period (by period)")
    window: Window
    filters: Filters
    source: Source = Field(
        description="rollups: the maintained daily rollups; facts: counted from the "
        "projection (a window not on Shanghai midnights, or rollups being rebuilt)"
    )
    sort: Literal["key", "value"]
    total: int = Field(description="groups in all, over every page")
    limit: int
    offset: int
    items: list[Item]
