"""Urging (催办, Art. 39): a unit is urged when half, then two thirds of its handling
clock's working time has passed, and when the clock runs out, the level rising at
each step; each step is sent once, always inside working hours (rules.md §11).
SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common.clock import FixedClock
from minsheng_common.events import WorkOrderClosureRequested, WorkOrderExtensionDecided
from minsheng_common.rules import RuleBook
from minsheng_common.runtime import ServiceRuntime
from minsheng_common.timeutil import SHANGHAI
from minsheng_common.working_calendar import WorkingCalendar
from minsheng_sla import periods, service, watcher
from minsheng_sla.service import SlaContext

Deliver = Callable[..., Awaitable[None]]
Read = Callable[..., Awaitable[Any]]

UNIT = "pingshan-urban-management"
# Friday 2026-12-04 16:30: a complaint's 7 working days are 7-11 and 14-15 December
# (49 working hours from Monday 09:00), due Tuesday 15 December at 18:00.
CREATED = datetime(2026, 12, 4, 16, 30, tzinfo=SHANGHAI)
# 24.5 working hours in: three whole days (21 hours), then 3.5 hours of Thursday
# 10 December: 09:00-12:00 and 14:00-14:30.
HALF = datetime(2026, 12, 10, 14, 30, tzinfo=SHANGHAI)
# 32 h 40 min in: four whole days (28 hours), then 4 h 40 min of Friday 11
# December: 09:00-12:00 and 14:00-15:40.
TWO_THIRDS = datetime(2026, 12, 11, 15, 40, tzinfo=SHANGHAI)
DUE = datetime(2026, 12, 15, 18, 0, tzinfo=SHANGHAI)


def edition(rules: RuleBook) -> Any:
    return rules.editions[-1]


async def urge(
    sessions: async_sessionmaker[AsyncSession], context: SlaContext, now: datetime
) -> list[Any]:
    async with sessions() as session, session.begin():
        return await service.urge_due(
            session=session, outbox=context.outbox, now=now, limit=100
        )


async def reach(
    sessions: async_sessionmaker[AsyncSession], context: SlaContext, now: datetime
) -> list[Any]:
    async with sessions() as session, session.begin():
        return await service.reach_due(
            session=session, outbox=context.outbox, now=now, limit=100
        )


def steps(events: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return [(event["data"]["step"], event["data"]["level"]) for event in events]


# Where the urging points fall (pure counting).


def test_sla_urging_points_of_a_complaint_are_half_and_two_thirds_of_its_working_time(
    calendar: WorkingCalendar, rules: RuleBook
) -> None:
    """Art. 39 and rules.md §11: fractions of the handling period's working time,
    counted from the day after creation."""
    plan = periods.handling(
        calendar=calendar,
        edition=edition(rules),
        created_at=CREATED,
        appeal_type="complaint",
    )

    assert plan.due.at == DUE
    assert [(p.step, p.level, p.at) for p in plan.urgings] == [
        ("half", 1, HALF),
        ("two_thirds", 2, TWO_THIRDS),
    ]
    begin = periods.period_start(calendar, CREATED)
    assert begin == datetime(2026, 12, 5, 0, 0, tzinfo=SHANGHAI)
    assert calendar.working_time_between(begin, DUE) == timedelta(hours=49)
    assert calendar.working_time_between(begin, HALF) == timedelta(hours=24.5)


@pytest.mark.parametrize(
    ("appeal_type", "half", "two_thirds"),
    [
        # 7 working hours on Monday 7 December: 3.5 h and 4 h 40 min in.
        ("consultation", (2026, 12, 7, 14, 30), (2026, 12, 7, 15, 40)),
        # 21 working hours from Monday: 10.5 h (Monday and 3.5 h of Tuesday) and
        # 14 h (Monday and Tuesday, to the end of the day) in.
        ("suggestion", (2026, 12, 8, 14, 30), (2026, 12, 8, 18, 0)),
    ],
)
def test_sla_urging_points_follow_the_appeal_types_period(
    calendar: WorkingCalendar,
    rules: RuleBook,
    appeal_type: str,
    half: tuple[int, ...],
    two_thirds: tuple[int, ...],
) -> None:
    """Art. 15, 39: 1 and 3 working days divided the same way."""
    plan = periods.handling(
        calendar=calendar,
        edition=edition(rules),
        created_at=CREATED,
        appeal_type=appeal_type,  # type: ignore[arg-type]
    )

    assert [p.at for p in plan.urgings] == [
        datetime(*half, tzinfo=SHANGHAI),
        datetime(*two_thirds, tzinfo=SHANGHAI),
    ]


def test_sla_urging_never_falls_at_night_on_a_weekend_or_on_a_holiday(
    calendar: WorkingCalendar, rules: RuleBook
) -> None:
    """Art. 39, rules.md §11: because the fractions are of working time, every
    urging point lies in working hours of a working day, whatever the start: nights,
    weekends, Spring Festival, National Day, make-up Saturdays, the provisional
    2027."""
    zone = calendar.hours.zone
    start = datetime(2026, 1, 1, 0, 0, tzinfo=zone)
    checked = 0
    for step in range(0, 24 * 400, 7):
        created_at = start + timedelta(hours=step, minutes=13 * step % 60)
        for appeal_type in ("consultation", "suggestion", "complaint"):
            plan = periods.handling(
                calendar=calendar,
                edition=edition(rules),
                created_at=created_at,
                appeal_type=appeal_type,  # type: ignore[arg-type]
            )
            begin = periods.period_start(calendar, created_at)
            total = calendar.working_time_between(begin, plan.due.at)
            for point, fraction in zip(
                plan.urgings, edition(rules).urging_points, strict=True
            ):
                local = point.at.astimezone(zone)
                assert calendar.is_working_day(local.date()), point
                assert any(
                    opening < local.time() <= closing
                    for opening, closing in calendar.hours.periods
                ), point
                assert begin < point.at < plan.due.at
                elapsed = calendar.working_time_between(begin, point.at)
                microseconds = total // timedelta(microseconds=1)
                assert elapsed == timedelta(
                    microseconds=microseconds
                    * fraction.numerator
                    // fraction.denominator
                )
                checked += 1
    assert checked > 8000


def test_sla_other_clocks_are_not_urged(
    calendar: WorkingCalendar, rules: RuleBook
) -> None:
    """Art. 13, 28, 29, 43: sign-off ends in a default signature, notices and
    templates are judged in assessment; only handling is urged (Art. 39)."""
    current = edition(rules)
    plans = [
        periods.sign_off(calendar=calendar, edition=current, dispatched_at=CREATED),
        periods.acceptance_notice(
            calendar=calendar, edition=current, signed_at=CREATED
        ),
        periods.handling_notice(calendar=calendar, edition=current, handled_at=CREATED),
        periods.reply_template(calendar=calendar, edition=current, closed_at=CREATED),
    ]

    assert [plan.urgings for plan in plans] == [(), (), (), ()]
    assert set(periods.URGED_KINDS) == {"handling"}


def test_sla_urging_fractions_come_from_the_edition_in_force(
    calendar: WorkingCalendar, rules: RuleBook
) -> None:
    """Art. 39 with the fractions as rule parameters: another edition's points."""
    other = edition(rules).model_copy(update={"urging_fractions": ["1/7"]})

    plan = periods.handling(
        calendar=calendar, edition=other, created_at=CREATED, appeal_type="complaint"
    )

    # One seventh of 49 hours is Monday 7 December, all of it.
    assert [(p.step, p.level, p.at) for p in plan.urgings] == [
        ("half", 1, datetime(2026, 12, 7, 18, 0, tzinfo=SHANGHAI))
    ]
    assert other.urging_points == [Fraction(1, 7)]


# The clocks on work orders.


async def test_sla_a_handling_clock_keeps_its_urging_points(
    deliver: Deliver, make_dispatched: Callable[..., Any], read_deadlines: Read
) -> None:
    """Art. 39: stored on the clock, the next one waiting for the watcher."""
    await deliver(make_dispatched(created_at=CREATED))

    clocks = await read_deadlines()
    handling, sign_off = clocks["handling"], clocks["sign_off"]
    assert (handling.urge_half_at, handling.urge_two_thirds_at) == (HALF, TWO_THIRDS)
    assert handling.next_urge_at == HALF
    assert handling.urged_level == 0
    assert (sign_off.urge_half_at, sign_off.next_urge_at) == (None, None)


async def test_sla_the_unit_is_urged_at_half_two_thirds_and_overdue_each_once(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
    read_staged: Read,
    read_deadlines: Read,
) -> None:
    """Art. 39: three urgings, level 1, 2, 3, each sent once however often the
    watcher looks."""
    await deliver(make_dispatched(created_at=CREATED))

    assert await urge(sessions, context, HALF - timedelta(seconds=1)) == []
    assert len(await urge(sessions, context, HALF)) == 1
    assert await urge(sessions, context, HALF + timedelta(hours=5)) == []
    assert (await read_deadlines())["handling"].next_urge_at == TWO_THIRDS
    assert len(await urge(sessions, context, TWO_THIRDS)) == 1
    assert await urge(sessions, context, DUE - timedelta(minutes=1)) == []
    await reach(sessions, context, DUE)
    await reach(sessions, context, DUE + timedelta(hours=1))
    assert await urge(sessions, context, DUE + timedelta(days=3)) == []

    urged = await read_staged("deadline.urged")
    assert steps(urged) == [("half", 1), ("two_thirds", 2), ("overdue", 3)]
    handling = (await read_deadlines())["handling"]
    assert {event["data"]["deadline_id"] for event in urged} == {handling.id}
    assert [datetime.fromisoformat(e["data"]["urged_at"]) for e in urged] == [
        HALF,
        TWO_THIRDS,
        DUE,
    ]
    assert {datetime.fromisoformat(e["data"]["due_at"]) for e in urged} == {DUE}
    assert {e["data"]["unit_id"] for e in urged} == {UNIT}
    assert {e["key"] for e in urged} == {"appeal-of-wo-1"}
    assert (handling.urged_level, handling.next_urge_at) == (3, None)


async def test_sla_a_watcher_that_was_away_urges_step_by_step(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
    read_staged: Read,
) -> None:
    """Art. 39: the level rises step by step, even when both points passed
    while no watcher ran."""
    await deliver(make_dispatched(created_at=CREATED))
    later = TWO_THIRDS + timedelta(hours=2)

    first = await urge(sessions, context, later)
    second = await urge(sessions, context, later)
    third = await urge(sessions, context, later)

    assert [len(first), len(second), len(third)] == [1, 1, 0]
    assert steps(await read_staged("deadline.urged")) == [
        ("half", 1),
        ("two_thirds", 2),
    ]


async def test_sla_a_clock_already_run_out_is_urged_only_as_overdue(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
    read_staged: Read,
    read_deadlines: Read,
) -> None:
    """Art. 39: half and two thirds are not sent after the clock ran out."""
    await deliver(make_dispatched(created_at=CREATED))
    late = DUE + timedelta(days=2)

    # Not reached yet (the watcher reaches first in each pass): still no fraction,
    # and nothing more waits to be urged before reaching.
    assert await urge(sessions, context, late) == []
    handling = (await read_deadlines())["handling"]
    assert (handling.urged_level, handling.next_urge_at) == (0, None)
    await reach(sessions, context, late)
    assert await urge(sessions, context, late) == []

    assert steps(await read_staged("deadline.urged")) == [("overdue", 3)]


async def test_sla_a_clock_met_in_time_is_not_urged_again(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
    read_staged: Read,
) -> None:
    """Art. 39: handled before two thirds of the time, no further urging."""
    await deliver(make_dispatched(created_at=CREATED))
    await urge(sessions, context, HALF)
    await deliver(
        WorkOrderClosureRequested(
            work_order_id="wo-1",
            appeal_id="appeal-of-wo-1",
            unit_id=UNIT,
            handled_at=HALF + timedelta(hours=1),
            requested_at=HALF + timedelta(hours=1),
            requested_by="clerk-7",
        )
    )

    assert await urge(sessions, context, TWO_THIRDS) == []
    await reach(sessions, context, DUE + timedelta(days=1))

    assert steps(await read_staged("deadline.urged")) == [("half", 1)]


async def test_sla_sign_off_is_reached_but_never_urged(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
    read_staged: Read,
) -> None:
    """Art. 13: the sign-off clock ends in a default signature, not in urging."""
    await deliver(make_dispatched(created_at=CREATED))

    reached = await reach(
        sessions, context, datetime(2026, 12, 7, 12, 0, tzinfo=SHANGHAI)
    )

    assert [row.kind for row in reached] == ["sign_off"]
    assert await read_staged("deadline.urged") == []


async def test_sla_an_extension_moves_the_points_still_to_come(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
    read_deadlines: Read,
    read_staged: Read,
    calendar: WorkingCalendar,
) -> None:
    """Art. 16, 39: the extended period's working time is divided again; the half
    urging already sent is not sent again."""
    await deliver(make_dispatched(created_at=CREATED))
    await urge(sessions, context, HALF)

    await deliver(
        WorkOrderExtensionDecided(
            work_order_id="wo-1",
            appeal_id="appeal-of-wo-1",
            unit_id=UNIT,
            approved=True,
            working_days=5,
            reason="需协调产权单位",
            decided_at=HALF + timedelta(hours=1),
            decided_by="operator-1",
        )
    )

    handling = (await read_deadlines())["handling"]
    # 12 working days (84 hours), due Tuesday 22 December: half is 42 hours, 6
    # whole days (7-11, 14 December), two thirds 56 hours, 8 days (to 16 December).
    assert handling.due_at == datetime(2026, 12, 22, 18, 0, tzinfo=SHANGHAI)
    assert handling.urge_half_at == datetime(2026, 12, 14, 18, 0, tzinfo=SHANGHAI)
    assert handling.urge_two_thirds_at == datetime(2026, 12, 16, 18, 0, tzinfo=SHANGHAI)
    assert handling.next_urge_at == handling.urge_two_thirds_at
    assert (
        await urge(sessions, context, datetime(2026, 12, 16, 9, tzinfo=SHANGHAI)) == []
    )
    assert len(await urge(sessions, context, handling.urge_two_thirds_at)) == 1
    assert steps(await read_staged("deadline.urged")) == [
        ("half", 1),
        ("two_thirds", 2),
    ]
    begin = periods.period_start(calendar, CREATED)
    assert calendar.working_time_between(
        begin, handling.urge_two_thirds_at
    ) == timedelta(hours=56)


async def test_sla_urging_and_its_event_are_one_transaction(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
    read_deadlines: Read,
    read_staged: Read,
) -> None:
    """Art. 39: an urging rolled back is neither recorded nor sent, so the next
    pass sends it."""
    await deliver(make_dispatched(created_at=CREATED))

    with pytest.raises(RuntimeError, match="crash"):
        async with sessions() as session, session.begin():
            urged = await service.urge_due(
                session=session, outbox=context.outbox, now=HALF, limit=10
            )
            assert len(urged) == 1
            raise RuntimeError("crash before commit")

    assert (await read_deadlines())["handling"].urged_level == 0
    assert await read_staged("deadline.urged") == []
    assert len(await urge(sessions, context, HALF)) == 1


async def test_sla_the_watcher_loop_urges_on_the_service_clock(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    make_runtime: Callable[..., ServiceRuntime],
    clock: FixedClock,
    read_staged: Read,
) -> None:
    """Art. 39: `urge_once` reads "now" from the runtime's clock."""
    await deliver(make_dispatched(created_at=CREATED))
    runtime = make_runtime()

    assert await watcher.urge_once(runtime, limit=10) == 0
    clock.advance(HALF - clock.now())
    assert await watcher.urge_once(runtime, limit=10) == 1
    assert await watcher.urge_once(runtime, limit=10) == 0

    assert steps(await read_staged("deadline.urged")) == [("half", 1)]


def test_sla_urging_points_of_a_holiday_start_skip_the_holiday(
    calendar: WorkingCalendar, rules: RuleBook
) -> None:
    """Art. 39, rules.md §11: a complaint created on National Day 2026 (1 October)
    counts from Thursday 8 October; its points fall after the holiday."""
    created_at = datetime(2026, 10, 1, 10, 0, tzinfo=SHANGHAI)

    plan = periods.handling(
        calendar=calendar,
        edition=edition(rules),
        created_at=created_at,
        appeal_type="complaint",
    )

    # 8, 9, 10 (make-up Saturday), 12, 13, 14, 15 October; half = 24.5 hours:
    # 8, 9, 10 October whole, then 12 October 14:30.
    assert plan.due.at == datetime(2026, 10, 15, 18, 0, tzinfo=SHANGHAI)
    assert plan.urgings[0].at == datetime(2026, 10, 12, 14, 30, tzinfo=SHANGHAI)
    assert all(
        point.at.astimezone(SHANGHAI).date() > date(2026, 10, 7)
        and point.at.astimezone(SHANGHAI).time() > time(9, 0)
        for point in plan.urgings
    )
