"""The registry of construction, rail and road projects (Art. 43).

The unit in charge files each project at least 15 working days before its works
start (counted on the working calendar, rules.md §11); the center may register one
later when it marks it urgent with a reason. Appeals about a registered site route
to the unit in charge (see `routing`). Projects are changed and withdrawn, never
deleted; every change is in the registry's history. The person in charge and the
contact are a public contact's personal data: the center sees them, units do not,
and neither the logs nor the history carry them.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import ids, timeutil
from minsheng_common.auth.authenticator import Forbidden
from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Scope
from minsheng_common.working_calendar import WorkingCalendar
from minsheng_dispatch.admin import lookup
from minsheng_dispatch.admin.context import AdminContext
from minsheng_dispatch.admin.errors import (
    InvalidDates,
    ProjectNotFound,
    ProjectWithdrawn,
    RegisteredTooLate,
    UnknownCategory,
)
from minsheng_dispatch.admin.history import Subject, record
from minsheng_dispatch.admin.models import Project
from minsheng_dispatch.admin.registry import check_unit_usable
from minsheng_dispatch.admin.schemas import ProjectIn, ProjectUpdateIn
from minsheng_dispatch.admin.table import check_place
from minsheng_dispatch.models import Category

log = logging.getLogger(__name__)

PERSONAL = frozenset({"person_in_charge", "contact"})
"""Fields shown to the center only and never written to the history or logs."""


def earliest_start(
    calendar: WorkingCalendar, *, registered_at: datetime, working_days: int
) -> date:
    """The first day works may start: the day after the registration period of
    `working_days` working days, counted from the day after registration
    (rules.md §11), has run out (Art. 43)."""
    end = calendar.add_working_days(registered_at, working_days).at
    return timeutil.local(end).date() + timedelta(days=1)


def readable_unit(principal: Principal) -> str | None:
    """The one unit whose projects the caller may see; None for every unit's."""
    if principal.can(Scope.ROUTING_READ):
        return None
    if principal.unit_id is None:
        raise Forbidden("only a unit or the center may read projects")
    return principal.unit_id


def _managed_unit(principal: Principal) -> str | None:
    """The one unit whose projects the caller may file and change; None for all."""
    if principal.can(Scope.ROUTING_MANAGE):
        return None
    if principal.unit_id is None:
        raise Forbidden("only a unit or the center may register projects")
    return principal.unit_id


async def listed(
    session: AsyncSession, *, principal: Principal, include_withdrawn: bool
) -> list[Project]:
    query = select(Project).order_by(Project.starts_on, Project.id)
    unit_id = readable_unit(principal)
    if unit_id is not None:
        query = query.where(Project.unit_id == unit_id)
    if not include_withdrawn:
        query = query.where(Project.withdrawn_at.is_(None))
    return list(await session.scalars(query))


async def visible(
    session: AsyncSession, *, project_id: str, unit_id: str | None
) -> Project:
    """The project if it exists and is `unit_id`'s (any unit's when None); another
    unit's answers exactly as a missing one."""
    project = await session.get(Project, project_id)
    if project is None or (unit_id is not None and project.unit_id != unit_id):
        raise ProjectNotFound(f"no project {project_id}", field="project_id")
    return project


async def register(
    *,
    session: AsyncSession,
    context: AdminContext,
    principal: Principal,
    incoming: ProjectIn,
) -> Project:
    """Register a project (Art. 43); commits. A unit files its own projects; only
    the center may waive the registration period by marking a project urgent."""
    own = _managed_unit(principal)
    if own is not None and incoming.unit_id != own:
        raise Forbidden("a unit registers its own projects only")
    if own is not None and incoming.urgent:
        raise Forbidden("only the center may mark a registration urgent (Art. 43)")
    await _check(session, context, incoming.model_dump())

    now = context.clock.now()
    if not incoming.urgent:
        _check_notice(context, registered_at=now, starts_on=incoming.starts_on)

    actor = principal.label()
    project = Project(
        id=ids.new_id(),
        **incoming.model_dump(),
        registered_at=now,
        registered_by=actor,
        updated_at=now,
        withdrawn_at=None,
        withdrawn_by=None,
    )
    session.add(project)
    record(
        session,
        subject=Subject.PROJECT,
        subject_id=project.id,
        change="registered",
        actor=actor,
        at=now,
        reason=incoming.urgent_reason or "registered (Art. 43)",
        detail=_public(incoming.model_dump(mode="json")),
    )
    await session.commit()
    log.info(
        "project %s registered by %s for unit %s (urgent: %s)",
        project.id,
        actor,
        project.unit_id,
        project.urgent,
    )
    return project


async def update(
    *,
    session: AsyncSession,
    context: AdminContext,
    principal: Principal,
    project_id: str,
    incoming: ProjectUpdateIn,
) -> Project:
    """Change a registered project (kept current, Art. 43); commits. A start moved
    earlier must still leave the registration period, unless urgent."""
    own = _managed_unit(principal)
    project = await visible(session, project_id=project_id, unit_id=own)
    if project.withdrawn_at is not None:
        raise ProjectWithdrawn(f"project {project_id} was withdrawn")
    changes = incoming.model_dump(exclude_unset=True, exclude={"reason"})
    if own is not None and changes.get("unit_id", own) != own:
        raise Forbidden("a unit hands a project over through the center")
    if own is not None and ("urgent" in changes or "urgent_reason" in changes):
        raise Forbidden("only the center may mark a registration urgent (Art. 43)")

    merged = {
        field: getattr(project, field)
        for field in ProjectIn.model_fields
        if hasattr(project, field)
    } | changes
    await _check(session, context, merged)
    if not merged["urgent"] and "starts_on" in changes:
        _check_notice(
            context, registered_at=project.registered_at, starts_on=merged["starts_on"]
        )

    before = {field: getattr(project, field) for field in changes}
    for field, value in changes.items():
        setattr(project, field, value)
    now = context.clock.now()
    project.updated_at = now
    record(
        session,
        subject=Subject.PROJECT,
        subject_id=project.id,
        change="updated",
        actor=principal.label(),
        at=now,
        reason=incoming.reason,
        detail={
            "changed": sorted(changes),
            "before": _public(_jsonable(before)),
            "after": _public(_jsonable(changes)),
        },
    )
    await session.commit()
    log.info("project %s updated by %s", project.id, principal.label())
    return project


async def withdraw(
    *,
    session: AsyncSession,
    context: AdminContext,
    principal: Principal,
    project_id: str,
    reason: str,
) -> Project:
    """Withdraw a project (no longer routes appeals; kept with its history);
    commits."""
    project = await visible(
        session, project_id=project_id, unit_id=_managed_unit(principal)
    )
    if project.withdrawn_at is not None:
        raise ProjectWithdrawn(f"project {project_id} was withdrawn already")

    now = context.clock.now()
    project.withdrawn_at = now
    project.withdrawn_by = principal.label()
    project.updated_at = now
    record(
        session,
        subject=Subject.PROJECT,
        subject_id=project.id,
        change="withdrawn",
        actor=principal.label(),
        at=now,
        reason=reason,
    )
    await session.commit()
    log.info("project %s withdrawn by %s", project.id, principal.label())
    return project


async def _check(
    session: AsyncSession, context: AdminContext, fields: dict[str, Any]
) -> None:
    if fields["ends_on"] < fields["starts_on"]:
        raise InvalidDates("the works cannot end before they start", field="ends_on")
    await check_unit_usable(session, fields["unit_id"], field="unit_id")
    check_place(context, fields["subdistrict_id"], fields["community"])
    retired = await lookup.retired(session, Subject.CATEGORY)
    for category_id in fields["category_ids"]:
        if await session.get(Category, category_id) is None or category_id in retired:
            raise UnknownCategory(
                f"no category {category_id} in the standard", field="category_ids"
            )


def _check_notice(
    context: AdminContext, *, registered_at: datetime, starts_on: date
) -> None:
    days = context.registration_working_days(registered_at)
    earliest = earliest_start(
        context.calendar, registered_at=registered_at, working_days=days
    )
    if starts_on < earliest:
        registered_on = timeutil.local(registered_at).date()
        raise RegisteredTooLate(
            f"registered on {registered_on}, a project's works may start on "
            f"{earliest} at the earliest: it is registered {days} working days "
            "before its works start (Art. 43); the center may register it as "
            "urgent with a reason",
            field="starts_on",
        )


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value.isoformat() if isinstance(value, date) else value
        for key, value in values.items()
    }


def _public(values: dict[str, Any]) -> dict[str, Any]:
    """The values without personal data: a change of it is noted, not its value."""
    return {
        key: ("<personal data>" if key in PERSONAL else value)
        for key, value in values.items()
    }
