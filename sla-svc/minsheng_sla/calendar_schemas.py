"""What the calendar API takes and gives: a year's official holiday schedule and
its versions."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

DayName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)
]


class NamedDayIn(BaseModel):
    """A day of the schedule and the festival it belongs to."""

    model_config = ConfigDict(extra="forbid")

    date: dt.date
    name: DayName = Field(description='e.g. "春节" or "国庆节"')


class CalendarYearIn(BaseModel):
    """A year's official schedule as the State Council published it (国务院办公厅关于
    节假日安排的通知): every day off and every make-up working day (调休)."""

    model_config = ConfigDict(extra="forbid")

    holidays: list[NamedDayIn] = Field(
        min_length=1,
        max_length=366,
        description="every day off, weekends inside a holiday included",
    )
    makeup_workdays: list[NamedDayIn] = Field(
        default_factory=list,
        max_length=366,
        description="Saturdays and Sundays that are working days",
    )
    note: str = Field(
        default="",
        max_length=500,
        description="where the schedule comes from, e.g. the notice's number",
    )
    base_version: int | None = Field(
        default=None,
        ge=0,
        description="the version this corrects (0 for a year without one); if the "
        "year has another by now, 409 calendar_version_conflict",
    )


class NamedDayOut(BaseModel):
    date: dt.date
    name: str


class CalendarVersionOut(BaseModel):
    """One version of a year's official schedule."""

    year: int
    version: int
    source: str = Field(
        description="center: loaded through this API; chinese-calendar: seeded from "
        "the package"
    )
    holidays: list[NamedDayOut]
    makeup_workdays: list[NamedDayOut]
    note: str
    loaded_by: str
    loaded_at: AwareDatetime
    recomputed: int = Field(
        description="open deadlines recounted when this version was loaded"
    )


class CalendarYearOut(BaseModel):
    """A year of the working calendar as every clock counts it: the version in force,
    or, for a year without an official schedule, the statutory holidays computed
    from their rules (provisional)."""

    year: int
    basis: Literal["official", "provisional"]
    version: int | None = Field(description="null for a provisional year")
    source: str | None
    holidays: list[NamedDayOut]
    makeup_workdays: list[NamedDayOut]
    working_days: int = Field(description="working days in the year")
    note: str
    loaded_by: str | None
    loaded_at: AwareDatetime | None


class CalendarLoaded(BaseModel):
    """The year after a load, and what the load did."""

    created: bool = Field(
        description="a new version was stored (false: the same schedule as the "
        "version in force)"
    )
    recomputed: int = Field(description="open deadlines whose due time was recounted")
    year: CalendarYearOut
