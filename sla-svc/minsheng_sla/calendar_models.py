"""The tables of the working calendar the center keeps: every version of each year's
official schedule, and the alerts raised while next year's is missing."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from minsheng_sla.models import Base

NamedDays = list[dict[str, Any]]
"""Days with their names, as stored: `[{"date": "2027-01-01", "name": "元旦"}]`."""


class CalendarVersion(Base):
    """One version of a year's official holiday schedule (节假日安排): seeded from the
    `chinese-calendar` package, or loaded by the center from the State Council's
    notice. A correction adds a version; none is ever changed, and the highest
    version of a year is the one every clock counts with.

    `id` grows with every version of any year, so its highest value tells a replica
    whether its calendar is current.
    """

    __tablename__ = "calendar_versions"
    __table_args__ = (
        UniqueConstraint("year", "version", name="uq_calendar_versions_year_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(30))
    holidays: Mapped[NamedDays] = mapped_column(JSON)
    makeup_workdays: Mapped[NamedDays] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text)
    loaded_by: Mapped[str] = mapped_column(String(200))
    loaded_at: Mapped[datetime]
    recomputed: Mapped[int] = mapped_column(Integer)


class CalendarAlert(Base):
    """An alert that a year's official schedule is missing, raised at most once a
    day per year however many replicas look."""

    __tablename__ = "calendar_alerts"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    raised_on: Mapped[date] = mapped_column(Date, primary_key=True)
    raised_at: Mapped[datetime]
    provisional_deadlines: Mapped[int] = mapped_column(Integer)
