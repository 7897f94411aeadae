"""SLA's HTTP API: the clocks on work orders and the working calendar.

Every route needs credentials. A unit sees only the clocks on its own work orders;
another unit's work order answers exactly as an unknown one (Art. 41).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from minsheng_common.events import DeadlineKind
from minsheng_common.timeutil import as_utc, local
from minsheng_sla import access, calendar_view, service
from minsheng_sla.deps import CalendarReader, Context, DeadlinesReader, Session
from minsheng_sla.models import Deadline, DeadlineChange
from minsheng_sla.schemas import (
    CalendarAnswer,
    CalendarDay,
    DeadlineChangeOut,
    DeadlineOut,
    DeadlinePage,
    DeadlineStatus,
    WorkingDays,
)

router = APIRouter(prefix="/v1")


@router.get(
    "/work-orders/{work_order_id}/deadlines",
    response_model=list[DeadlineOut],
    tags=["deadlines"],
)
async def work_order_deadlines(
    work_order_id: str, session: Session, principal: DeadlinesReader
) -> list[DeadlineOut]:
    """Every clock on a work order (sign-off, handling, acceptance notice, handling
    notice, staged-closure check), each with its due time, status, legal basis and
    the extensions that moved it. 404 `work_order_not_found` for an order that is
    not the calling unit's."""
    deadlines = await service.deadlines_of(
        session=session,
        work_order_id=work_order_id,
        unit_id=access.visible_unit(principal),
    )
    changes = await service.changes_of(session=session, deadlines=deadlines)
    return [present(deadline, changes[deadline.id]) for deadline in deadlines]


@router.get("/deadlines", response_model=DeadlinePage, tags=["deadlines"])
async def list_deadlines(
    session: Session,
    principal: DeadlinesReader,
    status: DeadlineStatus | None = None,
    kind: DeadlineKind | None = None,
    unit_id: Annotated[str | None, Query(max_length=50)] = None,
    due_before: Annotated[
        datetime | None,
        Query(description="only clocks due at or before; no offset = Shanghai"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> DeadlinePage:
    """Clocks, soonest due first: e.g. `status=pending&due_before=…` shows what runs
    out next. A unit sees only its own work orders' clocks."""
    rows, total = await service.list_deadlines(
        session=session,
        visible_unit=access.visible_unit(principal),
        status=status,
        kind=kind,
        unit_id=unit_id,
        due_before=as_utc(due_before) if due_before is not None else None,
        limit=limit,
        offset=offset,
    )
    return DeadlinePage(items=[present(row) for row in rows], total=total)


@router.get("/calendar/working-days", response_model=WorkingDays, tags=["calendar"])
async def working_days(
    context: Context,
    principal: CalendarReader,
    first: Annotated[date, Query(alias="from", description="first day, YYYY-MM-DD")],
    last: Annotated[date, Query(alias="to", description="last day, included")],
) -> WorkingDays:
    """Which days from `from` to `to` are working days (工作日), and whether each
    answer comes from the official schedule or is provisional."""
    days = calendar_view.days_between(context.calendar, first, last)
    return WorkingDays(
        first=first,
        last=last,
        working_days=sum(day.working for day in days),
        provisional=not all(day.official for day in days),
        days=[
            CalendarDay(
                date=day.day,
                weekday=day.day.isoweekday(),
                working=day.working,
                basis="official" if day.official else "provisional",
            )
            for day in days
        ],
    )


@router.get("/calendar/add", response_model=CalendarAnswer, tags=["calendar"])
async def add_period(
    context: Context,
    principal: CalendarReader,
    start: Annotated[
        datetime, Query(description="ISO 8601; no offset = Asia/Shanghai")
    ],
    working_days: Annotated[int | None, Query(ge=1, le=400)] = None,
    working_hours: Annotated[float | None, Query(gt=0, le=3000)] = None,
) -> CalendarAnswer:
    """When a period of `working_days` or `working_hours` from `start` ends, counted
    as the deadlines are (rules.md §11). Give exactly one of the two."""
    due = calendar_view.add(
        context.calendar,
        start=start,
        working_days=working_days,
        working_hours=working_hours,
    )
    return CalendarAnswer(
        start=as_utc(start),
        working_days=working_days,
        working_hours=working_hours,
        due_at=due.at,
        due_at_local=local(due.at).isoformat(),
        provisional=due.provisional,
        provisional_years=list(due.provisional_years),
    )


def present(deadline: Deadline, changes: Sequence[DeadlineChange] = ()) -> DeadlineOut:
    late = deadline.met_at > deadline.due_at if deadline.met_at is not None else None
    return DeadlineOut(
        id=deadline.id,
        work_order_id=deadline.work_order_id,
        appeal_id=deadline.appeal_id,
        unit_id=deadline.unit_id,
        kind=deadline.kind,
        starts_at=deadline.starts_at,
        due_at=deadline.due_at,
        due_at_local=local(deadline.due_at).isoformat(),
        provisional=deadline.provisional,
        status=deadline.status,
        met_at=deadline.met_at,
        reached_at=deadline.reached_at,
        cancelled_at=deadline.cancelled_at,
        late=late,
        article=deadline.article,
        period=deadline.period,
        rules_edition=deadline.rules_edition,
        changes=[
            DeadlineChangeOut(
                from_due_at=change.from_due_at,
                to_due_at=change.to_due_at,
                working_days=change.working_days,
                reason=change.reason,
                changed_at=change.changed_at,
            )
            for change in changes
        ],
    )
