"""SLA's HTTP API: the clocks on work orders and the working calendar.

Every route needs credentials. A unit sees only the clocks on its own work orders;
another unit's work order answers exactly as an unknown one (Art. 41).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from minsheng_common import working_calendar
from minsheng_common.events import DeadlineKind
from minsheng_common.timeutil import as_utc, local
from minsheng_sla import access, calendar_view, outcomes, preview, service
from minsheng_sla.deps import CalendarReader, Context, DeadlinesReader, Session
from minsheng_sla.models import Deadline, DeadlineChange
from minsheng_sla.periods import UrgingPoint
from minsheng_sla.schemas import (
    CalendarAnswer,
    CalendarDay,
    DeadlineChangeOut,
    DeadlineOut,
    DeadlinePage,
    DeadlineStatus,
    LateBy,
    PreviewIn,
    PreviewOut,
    UrgingOut,
    WorkingDays,
)

router = APIRouter(prefix="/v1")


@router.get(
    "/work-orders/{work_order_id}/deadlines",
    response_model=list[DeadlineOut],
    tags=["deadlines"],
)
async def work_order_deadlines(
    work_order_id: str, session: Session, context: Context, principal: DeadlinesReader
) -> list[DeadlineOut]:
    """Every clock on a work order (sign-off, handling, acceptance notice, handling
    notice, staged-closure check), each with its due time, status, legal basis, the
    extensions that moved it, its urging points (催办) and its outcome: met, or
    missed and by how much. 404 `work_order_not_found` for an order that is not the
    calling unit's."""
    deadlines = await service.deadlines_of(
        session=session,
        work_order_id=work_order_id,
        unit_id=access.visible_unit(principal),
    )
    changes = await service.changes_of(session=session, deadlines=deadlines)
    return [
        present(deadline, changes[deadline.id], context=context)
        for deadline in deadlines
    ]


@router.get("/deadlines", response_model=DeadlinePage, tags=["deadlines"])
async def list_deadlines(
    session: Session,
    context: Context,
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
    return DeadlinePage(
        items=[present(row, context=context) for row in rows], total=total
    )


@router.post("/deadlines/preview", response_model=PreviewOut, tags=["deadlines"])
async def preview_deadline(
    incoming: PreviewIn, context: Context, principal: CalendarReader
) -> PreviewOut:
    """When a clock of `kind` started at `start` would run out and when its unit
    would be urged (催办, Art. 39), counted as on a work order, and whether that
    rests on a provisional calendar year. `appeal_type` is needed for handling and
    refused elsewhere (422 `invalid_preview` with its field). A project
    registration (Art. 43) counts backwards from the day works start: the latest
    day to register."""
    answer = preview.preview(
        calendar=context.calendar,
        rules=context.rules,
        kind=incoming.kind,
        start=incoming.start,
        appeal_type=incoming.appeal_type,
        rules_edition=incoming.rules_edition,
    )
    urgings = [urging_out(point) for point in answer.urgings]
    if answer.urgings:
        urgings.append(overdue_urging(answer.due.at))
    return PreviewOut(
        kind=answer.kind,
        start=answer.start,
        due_at=answer.due.at,
        due_at_local=local(answer.due.at).isoformat(),
        latest_date=answer.latest_date,
        provisional=answer.due.provisional,
        provisional_years=list(answer.due.provisional_years),
        urgings=urgings,
        article=answer.article,
        period=answer.period,
        rules_edition=answer.rules_edition,
    )


@router.get("/overdue", response_model=DeadlinePage, tags=["deadlines"])
async def overdue(
    session: Session,
    context: Context,
    principal: DeadlinesReader,
    unit: Annotated[str | None, Query(max_length=50)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> DeadlinePage:
    """Orders overdue and still not handled (超期未办结, Art. 40): handling clocks
    that ran out and staged-closure checks missed, longest overdue first, each with
    by how much. The center sees every unit's (or `unit`'s); a unit only its own."""
    rows, total = await service.overdue(
        session=session,
        visible_unit=access.visible_unit(principal),
        unit_id=unit,
        limit=limit,
        offset=offset,
    )
    return DeadlinePage(
        items=[present(row, context=context) for row in rows], total=total
    )


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


def present(
    deadline: Deadline,
    changes: Sequence[DeadlineChange] = (),
    *,
    context: service.SlaContext,
) -> DeadlineOut:
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
        outcome=outcomes.outcome_of(deadline),
        late_by=late_by(deadline, context.calendar, context.clock.now()),
        urgings=urgings_of(deadline),
        urged_level=deadline.urged_level,
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


def late_by(
    deadline: Deadline, calendar: working_calendar.WorkingCalendar, now: datetime
) -> LateBy | None:
    late = outcomes.lateness(deadline, calendar=calendar, now=now)
    if late is None:
        return None
    return LateBy(
        working_seconds=int(late.working.total_seconds()),
        natural_seconds=int(late.natural.total_seconds()),
        until=late.until,
        final=late.final,
        text=outcomes.describe(late),
    )


def urgings_of(deadline: Deadline) -> list[UrgingOut]:
    """A clock's urging points in order, the overdue one (its due time) last, for
    a clock that has points or was urged as overdue."""
    points = [
        (level, at)
        for level, at in ((1, deadline.urge_half_at), (2, deadline.urge_two_thirds_at))
        if at is not None
    ]
    if points or deadline.urged_level:
        points.append((3, deadline.due_at))
    return [
        UrgingOut(
            step=service.URGING_STEP_OF_LEVEL[level],
            level=level,
            at=at,
            at_local=local(at).isoformat(),
        )
        for level, at in points
    ]


def urging_out(point: UrgingPoint) -> UrgingOut:
    return UrgingOut(
        step=point.step,
        level=point.level,
        at=point.at,
        at_local=local(point.at).isoformat(),
    )


def overdue_urging(due_at: datetime) -> UrgingOut:
    return UrgingOut(
        step="overdue", level=3, at=due_at, at_local=local(due_at).isoformat()
    )
