"""The tables of attachments, on dispatch's store."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from minsheng_dispatch.models import Base


class Attachment(Base):
    """One stored content, named by its SHA-256 (hex); kept once however often it
    is uploaded."""

    __tablename__ = "attachments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    stored_at: Mapped[datetime]


class AttachmentUpload(Base):
    """Who uploaded a content: the uploading unit may use and read it before any
    order refers to it."""

    __tablename__ = "attachment_uploads"
    __table_args__ = (
        Index("ix_attachment_uploads_attachment", "attachment_id", "unit_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    attachment_id: Mapped[str] = mapped_column(ForeignKey("attachments.id"))
    # None when the center uploaded it.
    unit_id: Mapped[str | None] = mapped_column(String(50))
    uploaded_by: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str | None] = mapped_column(String(255))
    uploaded_at: Mapped[datetime]


class WorkOrderAttachment(Base):
    """An order refers to an attachment in one role: a photo before or after the
    handling, a supporting document, the leader's approval, or another file."""

    __tablename__ = "work_order_attachments"
    __table_args__ = (Index("ix_work_order_attachments_attachment", "attachment_id"),)

    work_order_id: Mapped[str] = mapped_column(
        ForeignKey("work_orders.id"), primary_key=True
    )
    attachment_id: Mapped[str] = mapped_column(
        ForeignKey("attachments.id"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    round: Mapped[int] = mapped_column(Integer)
    added_by: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime]
