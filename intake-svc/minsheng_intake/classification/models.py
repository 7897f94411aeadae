"""The triage queue's table: appeals whose category suggestion was not confident
enough, waiting for a center operator to classify them (Art. 8)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from minsheng_intake.models import Base


class AppealTriage(Base):
    """One appeal in the triage queue: what the suggester proposed, and, once an
    operator classified it, the category chosen, by whom, when and why."""

    __tablename__ = "appeal_triage"
    __table_args__ = (Index("ix_appeal_triage_waiting", "resolved_at", "queued_at"),)

    appeal_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    suggested_category_id: Mapped[str | None] = mapped_column(String(50))
    confidence: Mapped[float]
    ranked: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """The best few categories, best first: {"category_id", "confidence"} each."""
    queued_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_by: Mapped[str | None] = mapped_column(String(200), default=None)
    category_id: Mapped[str | None] = mapped_column(String(50), default=None)
    """The category the operator chose."""
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    """Why, in the operator's words."""
