"""The weekly overdue supervision (督办, Art. 39, 40): every Monday at 09:00 in
Shanghai, each unit with overdue orders gets the list of them, once per unit and
week, on the service clock (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common.clock import FixedClock
from minsheng_common.events import WorkOrderClosed, WorkOrderClosureRequested
from minsheng_common.runtime import ServiceRuntime
from minsheng_common.timeutil import SHANGHAI
from minsheng_sla import service, supervision, watcher
from minsheng_sla.service import SlaContext

Deliver = Callable[..., Awaitable[None]]
Read = Callable[..., Awaitable[Any]]

UNIT = "pingshan-urban-management"
OTHER_UNIT = "pingshan-water-affairs"
QUIET_UNIT = "pingshan-education"
# Complaints created Friday 2026-12-04 are due Tuesday 15 December at 18:00.
CREATED = datetime(2026, 12, 4, 16, 30, tzinfo=SHANGHAI)
DUE = datetime(2026, 12, 15, 18, 0, tzinfo=SHANGHAI)
# Monday 21 December 2026, 09:00 in Shanghai (01:00 UTC).
MONDAY = datetime(2026, 12, 21, 9, 0, tzinfo=SHANGHAI)


async def reach(
    sessions: async_sessionmaker[AsyncSession], context: SlaContext, now: datetime
) -> None:
    async with sessions() as session, session.begin():
        await service.reach_due(
            session=session, outbox=context.outbox, now=now, limit=100
        )


async def orders(deliver: Deliver, make_dispatched: Callable[..., Any]) -> None:
    """wo-1 and wo-2 of UNIT, wo-3 of OTHER_UNIT overdue since 15 December;
    wo-4 of QUIET_UNIT created later, due on 22 December (after the listing)."""
    for name, unit, created in (
        ("wo-1", UNIT, CREATED),
        ("wo-2", UNIT, CREATED + timedelta(minutes=5)),
        ("wo-3", OTHER_UNIT, CREATED),
        ("wo-4", QUIET_UNIT, datetime(2026, 12, 11, 10, 0, tzinfo=SHANGHAI)),
    ):
        event = make_dispatched(name, created_at=created)
        await deliver(event.model_copy(update={"unit_id": unit}))


def lists(events: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Each listed unit's orders, by name (orders due at once come in any order)."""
    return {
        event["data"]["unit_id"]: sorted(
            order["work_order_id"] for order in event["data"]["orders"]
        )
        for event in events
    }


def test_sla_the_listing_is_monday_0900_in_shanghai() -> None:
    """Art. 39: every Monday; 09:00 is an operator's choice in Asia/Shanghai."""
    sunday_night = datetime(2026, 12, 20, 23, 30, tzinfo=SHANGHAI)

    assert supervision.week_of(sunday_night) == date(2026, 12, 14)
    assert supervision.week_of(MONDAY) == date(2026, 12, 21)
    assert supervision.week_of(MONDAY - timedelta(hours=9, seconds=1)) == date(
        2026, 12, 14
    )
    assert supervision.listing_time(date(2026, 12, 21)) == MONDAY
    assert supervision.listing_time(date(2026, 12, 21)).hour == 1


async def test_sla_each_unit_gets_its_overdue_orders_once_on_monday_morning(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    make_runtime: Callable[..., ServiceRuntime],
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
    clock: FixedClock,
    read_staged: Read,
) -> None:
    """Art. 40: one list per unit and week, with every overdue order; a unit with
    none gets no list; passes after the first and other replicas add nothing."""
    await orders(deliver, make_dispatched)
    await reach(sessions, context, DUE + timedelta(days=1))
    first, second = make_runtime(), make_runtime()

    clock.advance(MONDAY - timedelta(minutes=1) - clock.now())
    assert await watcher.supervise_once(first) is None
    assert await read_staged("supervision.overdue_listed") == []

    clock.advance(timedelta(minutes=1))
    assert await watcher.supervise_once(first) == date(2026, 12, 21)
    assert await watcher.supervise_once(first) == date(2026, 12, 21)
    assert await watcher.supervise_once(second) == date(2026, 12, 21)
    clock.advance(timedelta(hours=30))
    assert await watcher.supervise_once(second, listed=None) == date(2026, 12, 21)

    listed = await read_staged("supervision.overdue_listed")
    assert lists(listed) == {UNIT: ["wo-1", "wo-2"], OTHER_UNIT: ["wo-3"]}
    assert len(listed) == 2
    for event in listed:
        assert event["data"]["week_of"] == "2026-12-21"
        assert datetime.fromisoformat(event["data"]["listed_at"]) == MONDAY
        assert event["key"] == event["data"]["unit_id"]
        assert {order["kind"] for order in event["data"]["orders"]} == {"handling"}
        assert {
            datetime.fromisoformat(order["due_at"]) for order in event["data"]["orders"]
        } == {DUE}


async def test_sla_the_next_week_lists_what_is_still_overdue(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    make_runtime: Callable[..., ServiceRuntime],
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
    clock: FixedClock,
    read_staged: Read,
) -> None:
    """Art. 40: weekly; an order handled late in between leaves the list, and an
    order overdue since the first Monday joins the next one."""
    await orders(deliver, make_dispatched)
    await reach(sessions, context, DUE + timedelta(days=1))
    runtime = make_runtime()
    clock.advance(MONDAY - clock.now())
    await watcher.supervise_once(runtime)

    await deliver(
        WorkOrderClosureRequested(
            work_order_id="wo-1",
            appeal_id="appeal-of-wo-1",
            unit_id=UNIT,
            handled_at=MONDAY + timedelta(days=1),
            requested_at=MONDAY + timedelta(days=1),
            requested_by="clerk-7",
        )
    )
    await reach(sessions, context, MONDAY + timedelta(days=2))
    clock.advance(timedelta(days=7))
    assert await watcher.supervise_once(runtime, listed=date(2026, 12, 21)) == date(
        2026, 12, 28
    )

    listed = await read_staged("supervision.overdue_listed")
    weeks = [(e["data"]["week_of"], e["data"]["unit_id"]) for e in listed]
    # Units in name order within a week.
    assert weeks == [
        ("2026-12-21", UNIT),
        ("2026-12-21", OTHER_UNIT),
        ("2026-12-28", QUIET_UNIT),
        ("2026-12-28", UNIT),
        ("2026-12-28", OTHER_UNIT),
    ]
    second_week = lists([e for e in listed if e["data"]["week_of"] == "2026-12-28"])
    assert second_week == {UNIT: ["wo-2"], OTHER_UNIT: ["wo-3"], QUIET_UNIT: ["wo-4"]}


async def test_sla_a_late_listing_holds_what_was_overdue_on_monday_morning(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    make_runtime: Callable[..., ServiceRuntime],
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
    clock: FixedClock,
    read_staged: Read,
) -> None:
    """Art. 40: a service that was down on Monday lists the week when it is back,
    with the orders overdue at 09:00, not those that ran out since."""
    await orders(deliver, make_dispatched)
    # wo-4 ran out on Tuesday 22 December, after the listing time.
    await reach(sessions, context, datetime(2026, 12, 23, 9, 0, tzinfo=SHANGHAI))
    clock.advance(datetime(2026, 12, 23, 10, 0, tzinfo=SHANGHAI) - clock.now())

    assert await watcher.supervise_once(make_runtime()) == date(2026, 12, 21)

    listed = await read_staged("supervision.overdue_listed")
    assert lists(listed) == {UNIT: ["wo-1", "wo-2"], OTHER_UNIT: ["wo-3"]}
    assert {e["data"]["week_of"] for e in listed} == {"2026-12-21"}


async def test_sla_a_missed_staged_closure_check_is_listed_as_overdue(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    make_runtime: Callable[..., ServiceRuntime],
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
    clock: FixedClock,
    read_staged: Read,
) -> None:
    """Art. 17, 40: a staged closure not done by its check date counts as
    overdue."""
    await deliver(make_dispatched(created_at=CREATED))
    await deliver(
        WorkOrderClosureRequested(
            work_order_id="wo-1",
            appeal_id="appeal-of-wo-1",
            unit_id=UNIT,
            handled_at=CREATED + timedelta(days=3),
            requested_at=CREATED + timedelta(days=3),
            requested_by="clerk-7",
        )
    )
    await deliver(
        WorkOrderClosed(
            work_order_id="wo-1",
            appeal_id="appeal-of-wo-1",
            unit_id=UNIT,
            outcome="staged",
            handled_at=CREATED + timedelta(days=3),
            closed_at=CREATED + timedelta(days=4),
            closed_by="operator-1",
            check_date=date(2026, 12, 16),
        )
    )
    await reach(sessions, context, datetime(2026, 12, 17, 9, 0, tzinfo=SHANGHAI))
    clock.advance(MONDAY - clock.now())

    await watcher.supervise_once(make_runtime())

    [listed] = await read_staged("supervision.overdue_listed")
    [order] = listed["data"]["orders"]
    assert (order["work_order_id"], order["kind"]) == ("wo-1", "staged_check")
    assert datetime.fromisoformat(order["due_at"]) == datetime(
        2026, 12, 16, 18, 0, tzinfo=SHANGHAI
    )
