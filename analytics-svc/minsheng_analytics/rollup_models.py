"""The tables of the maintained rollups (see `rollups`) and the counters they keep.

Every indicator of `indicators` counts facts, one each, where its condition holds; a
fact therefore adds 0 or 1 to each counter. Besides those, each subject has a counter
of its facts (`appeals`, `work_orders`, `return_visits`): a group of a breakdown
exists where its subject has facts, whatever the indicator counts there.

- `indicator_rollups`: the counters summed by grain, day and dimensions. A fact
  falls on the Asia/Shanghai day its appeal was received, under its unit (work
  orders and return visits; none for appeals), and its appeal's subdistrict,
  category and channel. A grain keeps some of the four dimensions (the others are
  stored empty): none, each one, each pair, and all four.
- `rollup_contributions`: per fact, the day, dimensions and counters it added last
  time (a bit per counter of its subject), so a change subtracts exactly that.
- `rollup_state`: the signature of the counters the rollups were built with; the
  rollups are only read while it matches the code's.
"""

from __future__ import annotations

from datetime import date, datetime
from itertools import combinations
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    true,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from minsheng_analytics import indicators
from minsheng_analytics.indicators import Subject
from minsheng_analytics.models import Base, ReturnVisitFact

DIMENSIONS: tuple[str, ...] = ("unit", "subdistrict", "category", "channel")
"""What a query may filter on or break down by, besides the period."""

DIMENSION_COLUMNS: dict[str, str] = {
    "unit": "unit_id",
    "subdistrict": "subdistrict_id",
    "category": "category_id",
    "channel": "channel",
}
"""The rollup column of each dimension (named as in the facts)."""

# A dimension's bit in a grain.
_BITS = {dimension: 1 << number for number, dimension in enumerate(DIMENSIONS)}
FINEST = sum(_BITS.values())

GRAINS: tuple[int, ...] = (
    0,
    *(_BITS[one] for one in DIMENSIONS),
    *(_BITS[one] | _BITS[two] for one, two in combinations(DIMENSIONS, 2)),
    FINEST,
)
"""The grains kept: no dimension, each one, each pair, all four. A question about
three dimensions reads the finest grain with filters."""


def grain(dimensions: set[str]) -> int:
    """The kept grain with exactly `dimensions`, or the finest if it is not kept."""
    wanted = sum(_BITS[dimension] for dimension in dimensions)
    return wanted if wanted in GRAINS else FINEST


def kept(grain_id: int) -> tuple[str, ...]:
    """The dimensions a grain keeps."""
    return tuple(dimension for dimension in DIMENSIONS if grain_id & _BITS[dimension])


FACT_COUNTERS: dict[Subject, str] = {
    "appeal": "appeals",
    "work_order": "work_orders",
    "return_visit": "return_visits",
}
"""The counter of each subject's facts."""

Counter = tuple[str, ColumnElement[bool]]


def _counters(subject: Subject) -> tuple[Counter, ...]:
    chosen: list[Counter] = [(FACT_COUNTERS[subject], true())]
    for indicator in indicators.of(subject):
        chosen.extend(indicator.counters())
    return tuple(chosen)


COUNTERS: dict[Subject, tuple[Counter, ...]] = {
    subject: _counters(subject) for subject in indicators.SUBJECTS
}
"""Each subject's counters, in the order of their bits in a contribution."""

COUNTER_NAMES: tuple[str, ...] = tuple(
    name for subject in indicators.SUBJECTS for name, _condition in COUNTERS[subject]
)


def _key_columns() -> list[Column[Any]]:
    return [
        Column("grain", SmallInteger, primary_key=True, autoincrement=False),
        Column("day", Date, primary_key=True),
        *(
            Column(column, String(50), primary_key=True)
            for column in DIMENSION_COLUMNS.values()
        ),
    ]


rollup_table = Table(
    "indicator_rollups",
    Base.metadata,
    *_key_columns(),
    *(
        Column(name, Integer, nullable=False, server_default="0")
        for name in COUNTER_NAMES
    ),
    # A filter on one dimension reads its rows of the grain without the others'.
    *(
        Index(f"ix_indicator_rollups_grain_{column}_day", "grain", column, "day")
        for column in DIMENSION_COLUMNS.values()
    ),
)


class RollupContribution(Base):
    """What one fact added to the rollups: its day and dimensions (no day: nothing)
    and its counters, bit n for the n-th counter of its subject."""

    __tablename__ = "rollup_contributions"

    subject: Mapped[str] = mapped_column(String(20), primary_key=True)
    fact_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    day: Mapped[date | None] = mapped_column(Date)
    unit_id: Mapped[str] = mapped_column(String(50), default="", server_default="")
    subdistrict_id: Mapped[str] = mapped_column(
        String(50), default="", server_default=""
    )
    category_id: Mapped[str] = mapped_column(String(50), default="", server_default="")
    channel: Mapped[str] = mapped_column(String(50), default="", server_default="")
    counters: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class RollupState(Base):
    """The one row saying which counters the rollups hold (`signature`), and when
    they were last built from the facts."""

    __tablename__ = "rollup_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    signature: Mapped[str] = mapped_column(String(64), default="", server_default="")
    built_at: Mapped[datetime | None]


# The rollups find the return visits of an appeal whose day or dimensions changed.
Index("ix_return_visit_facts_appeal_id", ReturnVisitFact.appeal_id)


class shanghai_day(FunctionElement[date]):  # noqa: N801 - reads as the SQL function
    """The Asia/Shanghai calendar day of a stored UTC instant, in SQL."""

    type = Date()
    inherit_cache = True
    name = "shanghai_day"


@compiles(shanghai_day, "postgresql")
def _day_on_postgresql(element: shanghai_day, compiler: SQLCompiler, **kw: Any) -> str:
    moment = compiler.process(element.clauses, **kw)
    return f"CAST(({moment} AT TIME ZONE 'Asia/Shanghai') AS DATE)"


@compiles(shanghai_day, "sqlite")
def _day_on_sqlite(element: shanghai_day, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps naive UTC text; Shanghai has been UTC+8 without summer time since
    # 1991, so a fixed offset gives its calendar day.
    moment = compiler.process(element.clauses, **kw)
    return f"date({moment}, '+8 hours')"
