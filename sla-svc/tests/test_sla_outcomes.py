"""A clock keeps its outcome (Art. 17, 33): met in time, or missed and by how much in
working time and in natural time, even when the step is done later and even when
the calendar is corrected afterwards (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common.events import WorkOrderClosureRejected, WorkOrderClosureRequested
from minsheng_common.timeutil import SHANGHAI
from minsheng_common.working_calendar import OfficialYear, WorkingCalendar
from minsheng_sla import outcomes, service
from minsheng_sla.service import SlaContext

Deliver = Callable[..., Awaitable[None]]
Read = Callable[..., Awaitable[Any]]

UNIT = "pingshan-urban-management"
CREATED = datetime(2026, 12, 4, 16, 30, tzinfo=SHANGHAI)
DUE = datetime(2026, 12, 15, 18, 0, tzinfo=SHANGHAI)
# Wednesday 16 December 11:00: 2 working hours (09:00-11:00) and 17 natural hours
# after the due time.
HANDLED_LATE = datetime(2026, 12, 16, 11, 0, tzinfo=SHANGHAI)


def closure_requested(handled_at: datetime) -> WorkOrderClosureRequested:
    return WorkOrderClosureRequested(
        work_order_id="wo-1",
        appeal_id="appeal-of-wo-1",
        unit_id=UNIT,
        handled_at=handled_at,
        requested_at=handled_at,
        requested_by="clerk-7",
    )


async def reach(
    sessions: async_sessionmaker[AsyncSession], context: SlaContext, now: datetime
) -> None:
    async with sessions() as session, session.begin():
        await service.reach_due(
            session=session, outbox=context.outbox, now=now, limit=100
        )


async def test_sla_a_clock_met_late_keeps_by_how_much_it_was_missed(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
    read_deadlines: Read,
    calendar: WorkingCalendar,
) -> None:
    """Art. 17 (overdue closure, 超期办结): reached, then handled the next morning."""
    await deliver(make_dispatched(created_at=CREATED))
    await reach(sessions, context, DUE + timedelta(minutes=1))

    await deliver(closure_requested(HANDLED_LATE))

    handling = (await read_deadlines())["handling"]
    assert (handling.status, handling.met_at) == ("met", HANDLED_LATE)
    assert handling.reached_at == DUE + timedelta(minutes=1)
    assert handling.late_working_seconds == 2 * 3600
    assert outcomes.outcome_of(handling) == "missed"
    late = outcomes.lateness(handling, calendar=calendar, now=HANDLED_LATE)
    assert late == outcomes.Lateness(
        working=timedelta(hours=2),
        natural=timedelta(hours=17),
        until=HANDLED_LATE,
        final=True,
    )
    assert outcomes.describe(late) == (
        "2 working hours late (17:00:00 in natural time)"
    )


async def test_sla_a_clock_met_in_time_reads_met(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_deadlines: Read,
    calendar: WorkingCalendar,
) -> None:
    """Art. 17 (on-time closure, 按期办结)."""
    await deliver(make_dispatched(created_at=CREATED))

    await deliver(closure_requested(DUE - timedelta(hours=1)))

    handling = (await read_deadlines())["handling"]
    assert outcomes.outcome_of(handling) == "met"
    assert handling.late_working_seconds is None
    assert outcomes.lateness(handling, calendar=calendar, now=DUE) is None


async def test_sla_an_open_overdue_clock_is_missed_by_a_growing_amount(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
    read_deadlines: Read,
    calendar: WorkingCalendar,
) -> None:
    """Art. 40 (overdue and not handled, 超期未办结): measured up to now."""
    await deliver(make_dispatched(created_at=CREATED))
    await reach(sessions, context, DUE)
    handling = (await read_deadlines())["handling"]
    now = datetime(2026, 12, 16, 15, 0, tzinfo=SHANGHAI)

    late = outcomes.lateness(handling, calendar=calendar, now=now)

    assert outcomes.outcome_of(handling) == "missed"
    assert late is not None
    assert (late.working, late.natural) == (timedelta(hours=4), timedelta(hours=21))
    assert (late.until, late.final) == (now, False)
    later = outcomes.lateness(handling, calendar=calendar, now=now + timedelta(days=1))
    assert later is not None and later.working == timedelta(hours=11)


async def test_sla_the_outcome_survives_a_corrected_calendar(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
    read_deadlines: Read,
    calendar: WorkingCalendar,
) -> None:
    """Art. 33: a unit's record does not change when a day is declared off after
    the step was done: the working time missed is kept as counted then."""
    await deliver(make_dispatched(created_at=CREATED))
    await reach(sessions, context, DUE)
    await deliver(closure_requested(HANDLED_LATE))
    handling = (await read_deadlines())["handling"]
    schedule = calendar.official[2026]
    corrected = WorkingCalendar(
        hours=calendar.hours,
        official={
            **calendar.official,
            2026: OfficialYear(
                year=2026,
                holidays=schedule.holidays | {date(2026, 12, 16)},
                makeup_workdays=schedule.makeup_workdays,
                source="test",
            ),
        },
    )
    assert not corrected.is_working_day(date(2026, 12, 16))

    late = outcomes.lateness(handling, calendar=corrected, now=HANDLED_LATE)

    assert late is not None
    assert late.working == timedelta(hours=2)


async def test_sla_a_rejected_closure_takes_the_late_mark_back(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
    read_deadlines: Read,
) -> None:
    """Art. 17: a closure sent back means the step is not done: the clock reads
    reached again, missed by a growing amount, with no final figure."""
    await deliver(make_dispatched(created_at=CREATED))
    await reach(sessions, context, DUE)
    await deliver(closure_requested(HANDLED_LATE))

    await deliver(
        WorkOrderClosureRejected(
            work_order_id="wo-1",
            appeal_id="appeal-of-wo-1",
            unit_id=UNIT,
            reason="未附整改前后照片",
            rejected_at=HANDLED_LATE + timedelta(hours=1),
            rejected_by="operator-1",
        )
    )

    handling = (await read_deadlines())["handling"]
    assert (handling.status, handling.met_at) == ("reached", None)
    assert handling.late_working_seconds is None
    assert outcomes.outcome_of(handling) == "missed"
