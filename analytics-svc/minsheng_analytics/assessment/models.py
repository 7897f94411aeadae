"""The tables of the unit assessment, on analytics' store beside the projection.

Scores themselves are computed from the projection whenever asked; what is kept is
what people decided and what they were shown: the bonuses the center recorded, the
appeals against deductions with their decisions, and every version of a score that
an appeal, a decision, a bonus or the center's publication fixed. Nothing is ever
deleted or rewritten, except an appeal's decision filled in once.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from minsheng_analytics.models import Base

PENDING = "pending"
ACCEPTED = "accepted"
REFUSED = "refused"

COMMENDATION = "commendation"
FALLBACK = "fallback"


class AssessmentAward(Base):
    """A bonus the center recorded for a unit: a commendation (表扬) by level, or a
    hard event taken on as fallback (兜底, Art. 21) by kind (Art. 34). It counts in
    every period that holds its day."""

    __tablename__ = "assessment_awards"
    __table_args__ = (
        Index("ix_assessment_awards_awarded_on", "awarded_on"),
        Index("ix_assessment_awards_unit_id", "unit_id", "awarded_on"),
        UniqueConstraint("natural_key", name="uq_assessment_awards_natural_key"),
    )

    award_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # What makes two requests the same bonus (see `service`), so a repeat records
    # nothing new.
    natural_key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[str] = mapped_column(String(50))
    level: Mapped[str] = mapped_column(String(40))
    awarded_on: Mapped[date] = mapped_column(Date)
    work_order_id: Mapped[str | None] = mapped_column(String(36))
    reference: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(200))


class AssessmentAppeal(Base):
    """A unit's appeal (申诉, Art. 35) against one deduction of one period, naming
    the work orders it says were not its doing, with its evidence; the center's
    decision fills in once."""

    __tablename__ = "assessment_appeals"
    __table_args__ = (
        Index("ix_assessment_appeals_unit_period", "unit_id", "period_key"),
        Index("ix_assessment_appeals_status", "status", "filed_at"),
        UniqueConstraint("natural_key", name="uq_assessment_appeals_natural_key"),
    )

    appeal_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    natural_key: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[str] = mapped_column(String(50))
    period_key: Mapped[str] = mapped_column(String(30))
    deduction: Mapped[str] = mapped_column(String(40))
    indicator: Mapped[str] = mapped_column(String(50))
    article: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10))
    filed_at: Mapped[datetime]
    filed_by: Mapped[str] = mapped_column(String(200))
    contested_version: Mapped[int] = mapped_column(Integer)
    contested_points: Mapped[float] = mapped_column(Float)
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    resulting_version: Mapped[int | None] = mapped_column(Integer)


class AssessmentAppealOrder(Base):
    """One work order an appeal names. Accepted, the order leaves the indicator of
    the deduction for its unit in every period (`excluded`): whether the unit caused
    it does not depend on the period looked at."""

    __tablename__ = "assessment_appeal_orders"
    __table_args__ = (
        # One appeal per order and indicator: the center's decision stands.
        UniqueConstraint(
            "unit_id",
            "indicator",
            "work_order_id",
            name="uq_assessment_appeal_orders_unit_indicator_order",
        ),
        Index(
            "ix_assessment_appeal_orders_order_indicator",
            "work_order_id",
            "indicator",
        ),
    )

    appeal_id: Mapped[str] = mapped_column(
        ForeignKey("assessment_appeals.appeal_id"), primary_key=True
    )
    work_order_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(50))
    indicator: Mapped[str] = mapped_column(String(50))
    excluded: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )


class AssessmentScore(Base):
    """One version of a unit's score for a period, as it stood when something fixed
    it (`trigger`): the whole breakdown in `score`, its totals in columns."""

    __tablename__ = "assessment_scores"
    __table_args__ = (Index("ix_assessment_scores_period", "period_key", "unit_id"),)

    unit_id: Mapped[str] = mapped_column(String(50), primary_key=True)
    period_key: Mapped[str] = mapped_column(String(30), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    edition_id: Mapped[str] = mapped_column(String(50))
    total: Mapped[float] = mapped_column(Float)
    deductions: Mapped[float] = mapped_column(Float)
    bonuses: Mapped[float] = mapped_column(Float)
    # A digest of the breakdown without its times: a new version is kept only when
    # the score changed.
    fingerprint: Mapped[str] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(30))
    trigger_ref: Mapped[str | None] = mapped_column(String(64))
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(200))
    score: Mapped[dict[str, Any]] = mapped_column(JSON)
