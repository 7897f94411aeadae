"""The registry of construction, rail and road projects (Art. 43): the unit in
charge files its projects, the center any project; units see their own projects,
and only the center sees a project's person in charge and contact."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from minsheng_common.auth.principal import Principal
from minsheng_dispatch.admin import projects
from minsheng_dispatch.admin.context import AdminContext
from minsheng_dispatch.admin.deps import Context, ProjectFiler, ProjectReader, Session
from minsheng_dispatch.admin.models import Project
from minsheng_dispatch.admin.schemas import (
    ProjectIn,
    ProjectOut,
    ProjectUpdateIn,
    RetireIn,
)

router = APIRouter(prefix="/v1", tags=["projects"])


@router.get("/projects", response_model=list[ProjectOut])
async def list_projects(
    session: Session,
    context: Context,
    principal: ProjectReader,
    include_withdrawn: Annotated[bool, Query()] = False,
) -> list[ProjectOut]:
    """Registered projects by start date; a unit sees its own."""
    rows = await projects.listed(
        session, principal=principal, include_withdrawn=include_withdrawn
    )
    return [present(row, context=context, principal=principal) for row in rows]


@router.get("/projects/{project_id}", response_model=ProjectOut)
async def get_project(
    project_id: str, session: Session, context: Context, principal: ProjectReader
) -> ProjectOut:
    """One project. 404 `project_not_found` for another unit's."""
    row = await projects.visible(
        session, project_id=project_id, unit_id=projects.readable_unit(principal)
    )
    return present(row, context=context, principal=principal)


@router.post(
    "/projects", response_model=ProjectOut, status_code=status.HTTP_201_CREATED
)
async def register_project(
    incoming: ProjectIn, session: Session, context: Context, principal: ProjectFiler
) -> ProjectOut:
    """Register a project at least 15 working days before its works start
    (Art. 43): 422 `registered_too_late` otherwise, unless the center marks it
    `urgent` with an `urgent_reason`. A unit registers its own projects. Appeals
    about the site (its name in the text, or its road or community while the works
    run) go to the unit in charge."""
    row = await projects.register(
        session=session, context=context, principal=principal, incoming=incoming
    )
    return present(row, context=context, principal=principal)


@router.patch("/projects/{project_id}", response_model=ProjectOut)
async def update_project(
    project_id: str,
    incoming: ProjectUpdateIn,
    session: Session,
    context: Context,
    principal: ProjectFiler,
) -> ProjectOut:
    """Keep a project current (Art. 43); the change and its reason go to the
    history. A start moved earlier still needs the registration period unless
    urgent. 404 `project_not_found`; 409 `project_withdrawn`."""
    row = await projects.update(
        session=session,
        context=context,
        principal=principal,
        project_id=project_id,
        incoming=incoming,
    )
    return present(row, context=context, principal=principal)


@router.post("/projects/{project_id}/withdraw", response_model=ProjectOut)
async def withdraw_project(
    project_id: str,
    incoming: RetireIn,
    session: Session,
    context: Context,
    principal: ProjectFiler,
) -> ProjectOut:
    """Withdraw a project: it no longer routes appeals and stays in the registry.
    404 `project_not_found`; 409 `project_withdrawn`."""
    row = await projects.withdraw(
        session=session,
        context=context,
        principal=principal,
        project_id=project_id,
        reason=incoming.reason,
    )
    return present(row, context=context, principal=principal)


def present(row: Project, *, context: AdminContext, principal: Principal) -> ProjectOut:
    center = principal.is_center
    return ProjectOut(
        id=row.id,
        name=row.name,
        kind=row.kind,
        builder=row.builder,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        subdistrict_id=row.subdistrict_id,
        community=row.community,
        road=row.road,
        person_in_charge=row.person_in_charge if center else None,
        contact=row.contact if center else None,
        unit_id=row.unit_id,
        category_ids=list(row.category_ids),
        registered_at=row.registered_at,
        registered_by=row.registered_by,
        earliest_start=projects.earliest_start(
            context.calendar,
            registered_at=row.registered_at,
            working_days=context.registration_working_days(row.registered_at),
        ),
        urgent=row.urgent,
        urgent_reason=row.urgent_reason,
        updated_at=row.updated_at,
        withdrawn_at=row.withdrawn_at,
    )
