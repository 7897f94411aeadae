"""The history of the registry: every change to a routing rule, a unit, a category or
a project, with who made it, when and why."""

from __future__ import annotations

import logging
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_dispatch.admin.models import RegistryChange

log = logging.getLogger(__name__)


class Subject(StrEnum):
    ROUTING_RULE = "routing_rule"
    UNIT = "unit"
    CATEGORY = "category"
    PROJECT = "project"


def record(
    session: AsyncSession,
    *,
    subject: Subject,
    subject_id: str | int,
    change: str,
    actor: str,
    at: datetime,
    reason: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add one change to the history, in the caller's transaction."""
    session.add(
        RegistryChange(
            subject=subject.value,
            subject_id=str(subject_id),
            change=change,
            actor=actor,
            at=at,
            reason=reason,
            detail=detail or {},
        )
    )
    log.info("%s %s %s by %s", subject.value, subject_id, change, actor)


async def changes(
    session: AsyncSession,
    *,
    subject: Subject | None = None,
    subject_id: str | None = None,
    limit: int,
    offset: int,
) -> list[RegistryChange]:
    """Changes oldest first, optionally of one subject or one item."""
    query = select(RegistryChange).order_by(RegistryChange.id)
    if subject is not None:
        query = query.where(RegistryChange.subject == subject.value)
    if subject_id is not None:
        query = query.where(RegistryChange.subject_id == subject_id)
    return list(await session.scalars(query.limit(limit).offset(offset)))
