"""The periodic reports compiled (Art. 40): each kept as compiled, so that what went
to the leaders is what is served later, in every format, and never recompiled."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from minsheng_analytics.models import Base


class GeneratedReport(Base):
    """One report of one kind and period, compiled on schedule at the period's end
    or on demand; `body` is the JSON of `report_schemas.PeriodicReport`."""

    __tablename__ = "generated_reports"
    __table_args__ = (Index("ix_generated_reports_period_end", "period_end"),)

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    # The first day after the period; both days are Asia/Shanghai dates.
    period_end: Mapped[date] = mapped_column(Date)
    generated_at: Mapped[datetime]
    # "schedule" (at the period's end) or "demand" (someone asked for it).
    trigger: Mapped[str] = mapped_column(String(20))
    requested_by: Mapped[str | None] = mapped_column(String(100))
    as_of: Mapped[datetime | None]
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
