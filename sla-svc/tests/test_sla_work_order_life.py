"""The clocks over the whole life of a work order, on SQLite and PostgreSQL: where the
handling period starts (Art. 15, 19, 22), extensions (Art. 16), the closure request and
the handling notice (Art. 17, 29), staged closures (Art. 17), rejected closures, and
orders that end by return or merger (Art. 13, 18), each applied once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common.clock import FixedClock
from minsheng_common.events import (
    HandlingNoticeRequested,
    NoticeSent,
    WorkOrderClosed,
    WorkOrderClosureRejected,
    WorkOrderClosureRequested,
    WorkOrderExtensionDecided,
    WorkOrderMerged,
    WorkOrderReturnDecided,
)
from minsheng_common.timeutil import SHANGHAI
from minsheng_common.working_calendar import WorkingCalendar
from minsheng_sla import service
from minsheng_sla.models import DeadlineChange
from minsheng_sla.service import SlaContext

Deliver = Callable[..., Awaitable[None]]
Read = Callable[..., Awaitable[Any]]

UNIT = "pingshan-urban-management"
# Friday 2026-12-04: created in the afternoon, the complaint is due on 2026-12-15.
CREATED = datetime(2026, 12, 4, 16, 30, tzinfo=SHANGHAI)
HANDLING_DUE = datetime(2026, 12, 15, 18, 0, tzinfo=SHANGHAI)
# Sunday 2026-09-20: a complaint created then is due Wednesday 2026-09-30 18:00,
# the last working day before the National Day holiday (1-7 October 2026).
BEFORE_NATIONAL_DAY = datetime(2026, 9, 20, 10, 0, tzinfo=SHANGHAI)


def _ids(work_order_id: str) -> dict[str, str]:
    return {
        "work_order_id": work_order_id,
        "appeal_id": f"appeal-of-{work_order_id}",
        "unit_id": UNIT,
    }


def extension(
    work_order_id: str = "wo-1",
    *,
    days: int,
    approved: bool = True,
    at: datetime = CREATED,
) -> WorkOrderExtensionDecided:
    return WorkOrderExtensionDecided(
        **_ids(work_order_id),
        approved=approved,
        working_days=days,
        reason="需协调产权单位",
        decided_at=at,
        decided_by="operator-1",
    )


def closure_requested(
    work_order_id: str = "wo-1", *, handled_at: datetime
) -> WorkOrderClosureRequested:
    return WorkOrderClosureRequested(
        **_ids(work_order_id),
        handled_at=handled_at,
        requested_at=handled_at + timedelta(hours=1),
        requested_by="clerk-7",
    )


def closure_rejected(
    work_order_id: str = "wo-1", *, at: datetime
) -> WorkOrderClosureRejected:
    return WorkOrderClosureRejected(
        **_ids(work_order_id),
        reason="未附整改前后照片",
        rejected_at=at,
        rejected_by="operator-1",
    )


def closed(
    work_order_id: str = "wo-1",
    *,
    outcome: str,
    at: datetime,
    check_date: date | None = None,
) -> WorkOrderClosed:
    return WorkOrderClosed(
        **_ids(work_order_id),
        outcome=outcome,  # type: ignore[arg-type]
        handled_at=at - timedelta(hours=2),
        closed_at=at,
        closed_by="operator-1",
        check_date=check_date,
    )


def notice_requested(
    work_order_id: str = "wo-1", *, at: datetime
) -> HandlingNoticeRequested:
    return HandlingNoticeRequested(
        request_id=f"handling-of-{work_order_id}",
        **_ids(work_order_id),
        tracking_code="MS20261204000001",
        message="已清理完毕。",
        requested_at=at,
        requested_by="clerk-7",
    )


def notice_sent(
    work_order_id: str = "wo-1", *, at: datetime, kind: str = "handling"
) -> NoticeSent:
    return NoticeSent(
        notice_id=f"notice-{kind}-{work_order_id}",
        request_id=f"{kind}-of-{work_order_id}",
        appeal_id=f"appeal-of-{work_order_id}",
        work_order_id=work_order_id,
        kind=kind,
        channel="mailbox",
        recipient_masked="138****8000",
        sent_at=at,
        provider_ref="mailbox:1",
        attempts=1,
    )


async def reach(
    sessions: async_sessionmaker[AsyncSession], context: SlaContext, now: datetime
) -> list[Any]:
    async with sessions() as session, session.begin():
        return await service.reach_due(
            session=session, outbox=context.outbox, now=now, limit=100
        )


# Where the handling period starts (Art. 15, 19, 22) and reopened rounds.


async def test_sla_a_split_order_is_timed_from_its_own_dispatch(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_deadlines: Read,
    calendar: WorkingCalendar,
) -> None:
    # Created Friday, dispatched as a split order the next Monday morning.
    dispatched_at = datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)
    event = make_dispatched(
        created_at=CREATED,
        dispatched_at=dispatched_at,
        clock_from="dispatched",
        split_from="wo-0",
    )

    await deliver(event)

    handling = (await read_deadlines())["handling"]
    assert handling.starts_at == dispatched_at
    assert handling.due_at == datetime(2026, 12, 16, 18, 0, tzinfo=SHANGHAI)
    assert handling.due_at == calendar.add_working_days(dispatched_at, 7).at
    assert handling.article == "Art. 15, 19, 22"


async def test_sla_an_ordinary_order_is_timed_from_creation_whatever_its_dispatch(
    deliver: Deliver, make_dispatched: Callable[..., Any], read_deadlines: Read
) -> None:
    dispatched_at = datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)

    await deliver(make_dispatched(created_at=CREATED, dispatched_at=dispatched_at))

    handling = (await read_deadlines())["handling"]
    assert handling.starts_at == CREATED
    assert handling.due_at == HANDLING_DUE
    assert handling.article == "Art. 15"


async def test_sla_a_reopened_round_gets_fresh_clocks_of_its_own(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_deadlines: Read,
    calendar: WorkingCalendar,
) -> None:
    await deliver(make_dispatched("wo-1", created_at=CREATED))
    await deliver(closure_requested("wo-1", handled_at=CREATED + timedelta(days=3)))
    reopened_at = datetime(2026, 12, 21, 9, 30, tzinfo=SHANGHAI)

    await deliver(make_dispatched("wo-1-r2", created_at=reopened_at, round=2))

    first, second = await read_deadlines("wo-1"), await read_deadlines("wo-1-r2")
    assert first["handling"].status == "met"
    assert second["handling"].status == "pending"
    assert second["handling"].starts_at == reopened_at
    assert second["handling"].due_at == calendar.add_working_days(reopened_at, 7).at
    assert second["handling"].due_at == datetime(2026, 12, 30, 18, 0, tzinfo=SHANGHAI)
    assert {clock.id for clock in first.values()}.isdisjoint(
        clock.id for clock in second.values()
    )


# Extensions (Art. 16).


async def test_sla_an_extension_across_national_day_moves_the_due_time_as_counted(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_deadlines: Read,
    read_staged: Read,
    sessions: async_sessionmaker[AsyncSession],
    calendar: WorkingCalendar,
) -> None:
    await deliver(make_dispatched(created_at=BEFORE_NATIONAL_DAY))
    before = (await read_deadlines())["handling"]
    assert before.due_at == datetime(2026, 9, 30, 18, 0, tzinfo=SHANGHAI)

    decided_at = datetime(2026, 9, 28, 11, 0, tzinfo=SHANGHAI)
    await deliver(extension(days=5, at=decided_at), event_id="ext-1")

    # 1-7 October are off; Saturday 10 October is a make-up working day (调休):
    # 8, 9, 10, 12, 13 October are the five working days.
    after = (await read_deadlines())["handling"]
    assert after.id == before.id
    assert after.due_at == datetime(2026, 10, 13, 18, 0, tzinfo=SHANGHAI)
    assert after.due_at == calendar.add_working_days(before.due_at, 5).at
    assert after.status == "pending"
    assert after.article == "Art. 15, 16"

    async with sessions() as session:
        [change] = (await session.scalars(select(DeadlineChange))).all()
    assert change.deadline_id == before.id
    assert change.from_due_at == before.due_at
    assert change.to_due_at == after.due_at
    assert (change.working_days, change.event_id) == (5, "ext-1")
    assert change.reason == "需协调产权单位"
    assert change.changed_at == decided_at

    handling_set = [
        event["data"]
        for event in await read_staged("deadline.set")
        if event["data"]["kind"] == "handling"
    ]
    assert [entry["deadline_id"] for entry in handling_set] == [before.id] * 2
    assert datetime.fromisoformat(handling_set[-1]["due_at"]) == after.due_at


async def test_sla_the_same_extension_twice_moves_the_deadline_once(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_deadlines: Read,
    read_staged: Read,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await deliver(make_dispatched(created_at=BEFORE_NATIONAL_DAY))

    await deliver(extension(days=5), event_id="ext-1")
    await deliver(extension(days=5), event_id="ext-1")

    due = (await read_deadlines())["handling"].due_at
    assert due == datetime(2026, 10, 13, 18, 0, tzinfo=SHANGHAI)
    async with sessions() as session:
        assert len((await session.scalars(select(DeadlineChange))).all()) == 1
    assert len(await read_staged("deadline.set")) == 3


async def test_sla_a_refused_extension_changes_nothing(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_deadlines: Read,
    read_staged: Read,
) -> None:
    await deliver(make_dispatched(created_at=CREATED))

    await deliver(extension(days=5, approved=False))

    assert (await read_deadlines())["handling"].due_at == HANDLING_DUE
    assert len(await read_staged("deadline.set")) == 2


async def test_sla_an_extension_after_the_clock_ran_out_lets_it_run_again(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_deadlines: Read,
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
    clock: FixedClock,
) -> None:
    await deliver(make_dispatched(created_at=CREATED))
    await reach(sessions, context, HANDLING_DUE + timedelta(minutes=1))
    assert (await read_deadlines())["handling"].status == "reached"
    clock.advance(HANDLING_DUE + timedelta(hours=1) - clock.now())

    await deliver(extension(days=3, at=clock.now()))

    handling = (await read_deadlines())["handling"]
    assert handling.status == "pending"
    assert handling.reached_at is None
    assert handling.due_at == datetime(2026, 12, 18, 18, 0, tzinfo=SHANGHAI)


# The closure request and the handling notice (Art. 17, 29).


async def test_sla_a_closure_request_meets_handling_and_starts_the_notice_clock(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_deadlines: Read,
    read_staged: Read,
    calendar: WorkingCalendar,
) -> None:
    handled_at = datetime(2026, 12, 10, 15, 0, tzinfo=SHANGHAI)
    await deliver(make_dispatched(created_at=CREATED))

    await deliver(closure_requested(handled_at=handled_at))

    clocks = await read_deadlines()
    assert clocks["handling"].status == "met"
    assert clocks["handling"].met_at == handled_at
    notice = clocks["handling_notice"]
    assert notice.status == "pending"
    assert notice.starts_at == handled_at
    assert notice.due_at == calendar.add_working_days(handled_at, 1).at
    assert notice.due_at == datetime(2026, 12, 11, 18, 0, tzinfo=SHANGHAI)
    assert (notice.article, notice.period) == ("Art. 29", "1 working day")
    [met] = await read_staged("deadline.met")
    assert (met["data"]["kind"], met["data"]["late"]) == ("handling", False)


async def test_sla_a_closure_handled_after_the_due_time_meets_handling_late(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_staged: Read,
) -> None:
    await deliver(make_dispatched(created_at=CREATED))

    await deliver(closure_requested(handled_at=HANDLING_DUE + timedelta(minutes=1)))

    [met] = await read_staged("deadline.met")
    assert (met["data"]["kind"], met["data"]["late"]) == ("handling", True)


async def test_sla_the_handling_notice_sent_later_meets_its_clock_once(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_deadlines: Read,
    read_staged: Read,
) -> None:
    handled_at = datetime(2026, 12, 10, 15, 0, tzinfo=SHANGHAI)
    sent_at = datetime(2026, 12, 11, 9, 5, tzinfo=SHANGHAI)
    await deliver(make_dispatched(created_at=CREATED))
    await deliver(closure_requested(handled_at=handled_at))

    await deliver(notice_requested(at=sent_at - timedelta(minutes=5)))
    await deliver(notice_sent(at=sent_at))
    await deliver(notice_sent(at=sent_at + timedelta(minutes=1)))

    notice = (await read_deadlines())["handling_notice"]
    assert (notice.status, notice.met_at) == ("met", sent_at)
    met = [event["data"] for event in await read_staged("deadline.met")]
    assert [(m["kind"], m["late"]) for m in met] == [
        ("handling", False),
        ("handling_notice", False),
    ]


async def test_sla_a_notice_sent_before_the_closure_request_meets_the_clock_at_once(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_deadlines: Read,
    read_staged: Read,
) -> None:
    handled_at = datetime(2026, 12, 10, 15, 0, tzinfo=SHANGHAI)
    sent_at = datetime(2026, 12, 10, 16, 0, tzinfo=SHANGHAI)
    await deliver(make_dispatched(created_at=CREATED))
    await deliver(notice_requested(at=sent_at - timedelta(minutes=1)))
    await deliver(notice_sent(at=sent_at))

    await deliver(closure_requested(handled_at=handled_at))

    notice = (await read_deadlines())["handling_notice"]
    assert (notice.status, notice.met_at) == ("met", sent_at)
    kinds = [event["data"]["kind"] for event in await read_staged("deadline.met")]
    assert kinds == ["handling", "handling_notice"]


async def test_sla_a_handling_notice_sent_two_working_days_late_meets_it_late(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_staged: Read,
) -> None:
    handled_at = datetime(2026, 12, 10, 15, 0, tzinfo=SHANGHAI)
    await deliver(make_dispatched(created_at=CREATED))
    await deliver(closure_requested(handled_at=handled_at))

    await deliver(notice_sent(at=datetime(2026, 12, 14, 9, 0, tzinfo=SHANGHAI)))

    met = [event["data"] for event in await read_staged("deadline.met")]
    assert (met[-1]["kind"], met[-1]["late"]) == ("handling_notice", True)


async def test_sla_an_acceptance_notice_sent_does_not_meet_the_handling_notice(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_deadlines: Read,
) -> None:
    await deliver(make_dispatched(created_at=CREATED))
    await deliver(closure_requested(handled_at=CREATED + timedelta(days=2)))

    await deliver(notice_sent(at=CREATED + timedelta(days=2), kind="acceptance"))

    assert (await read_deadlines())["handling_notice"].status == "pending"


# Rejected closures (Art. 17).


async def test_sla_a_rejected_closure_sets_the_handling_clock_running_again(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_deadlines: Read,
    read_staged: Read,
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
) -> None:
    await deliver(make_dispatched(created_at=CREATED))
    await deliver(closure_requested(handled_at=CREATED + timedelta(days=3)))

    await deliver(closure_rejected(at=CREATED + timedelta(days=4)))
    await deliver(closure_rejected(at=CREATED + timedelta(days=4, hours=1)))

    handling = (await read_deadlines())["handling"]
    assert (handling.status, handling.met_at) == ("pending", None)
    handling_set = [
        event
        for event in await read_staged("deadline.set")
        if event["data"]["kind"] == "handling"
    ]
    assert len(handling_set) == 2
    # Running again, it is reached like any other clock when its time passes.
    reached = await reach(sessions, context, HANDLING_DUE)
    assert handling.id in {clock.id for clock in reached}


async def test_sla_a_rejected_closure_of_an_overdue_order_reads_reached_again(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_deadlines: Read,
    read_staged: Read,
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
) -> None:
    await deliver(make_dispatched(created_at=CREATED))
    await reach(sessions, context, HANDLING_DUE)
    await deliver(closure_requested(handled_at=HANDLING_DUE + timedelta(days=1)))

    await deliver(closure_rejected(at=HANDLING_DUE + timedelta(days=2)))

    handling = (await read_deadlines())["handling"]
    assert (handling.status, handling.reached_at) == ("reached", HANDLING_DUE)
    later = await reach(sessions, context, HANDLING_DUE + timedelta(days=3))
    assert handling.id not in {clock.id for clock in later}
    reached_kinds = [e["data"]["kind"] for e in await read_staged("deadline.reached")]
    assert reached_kinds.count("handling") == 1


# Staged closures (Art. 17).


async def test_sla_a_staged_closure_is_checked_at_the_end_of_its_check_date(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_deadlines: Read,
    read_staged: Read,
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
) -> None:
    closed_at = datetime(2026, 12, 14, 10, 0, tzinfo=SHANGHAI)
    check_due = datetime(2027, 1, 29, 18, 0, tzinfo=SHANGHAI)
    await deliver(make_dispatched(created_at=CREATED))

    await deliver(closed(outcome="staged", at=closed_at, check_date=date(2027, 1, 29)))
    await deliver(closed(outcome="staged", at=closed_at, check_date=date(2027, 1, 29)))

    check = (await read_deadlines())["staged_check"]
    assert (check.status, check.starts_at, check.due_at) == (
        "pending",
        closed_at,
        check_due,
    )
    assert (check.article, check.period) == ("Art. 17", "until 2027-01-29")
    assert not check.provisional
    early = await reach(sessions, context, check_due - timedelta(seconds=1))
    assert "staged_check" not in {clock.kind for clock in early}

    reached = await reach(sessions, context, check_due)

    assert [clock.id for clock in reached] == [check.id]
    [event] = [
        e["data"]
        for e in await read_staged("deadline.reached")
        if e["data"]["kind"] == "staged_check"
    ]
    assert datetime.fromisoformat(event["due_at"]) == check_due
    staged_set = [
        e
        for e in await read_staged("deadline.set")
        if e["data"]["kind"] == "staged_check"
    ]
    assert len(staged_set) == 1


async def test_sla_a_later_closure_meets_the_staged_check(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_deadlines: Read,
    read_staged: Read,
) -> None:
    await deliver(make_dispatched(created_at=CREATED))
    await deliver(
        closed(
            outcome="staged",
            at=datetime(2026, 12, 14, 10, 0, tzinfo=SHANGHAI),
            check_date=date(2027, 1, 29),
        )
    )

    verified_at = datetime(2027, 1, 28, 11, 0, tzinfo=SHANGHAI)
    await deliver(closed(outcome="on_time", at=verified_at))

    check = (await read_deadlines())["staged_check"]
    assert (check.status, check.met_at) == ("met", verified_at)
    [met] = await read_staged("deadline.met")
    assert (met["data"]["kind"], met["data"]["late"]) == ("staged_check", False)


# Orders that end without being handled: returned or merged (Art. 13, 18).


async def test_sla_an_approved_return_cancels_the_pending_clocks_which_never_reach(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_deadlines: Read,
    read_staged: Read,
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
) -> None:
    decided_at = datetime(2026, 12, 4, 17, 50, tzinfo=SHANGHAI)
    await deliver(make_dispatched(created_at=CREATED))

    await deliver(
        WorkOrderReturnDecided(
            **_ids("wo-1"),
            approved=True,
            reason="不属本单位职责",
            decided_at=decided_at,
            decided_by="operator-1",
            redispatched_to="wo-2",
        )
    )

    clocks = await read_deadlines()
    assert {clock.status for clock in clocks.values()} == {"cancelled"}
    assert {clock.cancelled_at for clock in clocks.values()} == {decided_at}
    assert await reach(sessions, context, HANDLING_DUE + timedelta(days=30)) == []
    assert await read_staged("deadline.reached") == []


async def test_sla_a_refused_return_leaves_the_clocks_running(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_deadlines: Read,
) -> None:
    await deliver(make_dispatched(created_at=CREATED))

    await deliver(
        WorkOrderReturnDecided(
            **_ids("wo-1"),
            approved=False,
            reason="属本单位职责",
            decided_at=CREATED + timedelta(hours=1),
            decided_by="operator-1",
        )
    )

    assert {clock.status for clock in (await read_deadlines()).values()} == {"pending"}


async def test_sla_a_merger_cancels_the_merged_orders_and_keeps_the_survivor(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    make_signed: Callable[..., Any],
    read_deadlines: Read,
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
) -> None:
    for work_order_id in ("wo-1", "wo-2", "wo-3"):
        await deliver(make_dispatched(work_order_id, created_at=CREATED))
    signed_at = CREATED + timedelta(hours=1)
    await deliver(make_signed("wo-2", at=signed_at))

    await deliver(
        WorkOrderMerged(
            work_order_id="wo-1",
            appeal_id="appeal-of-wo-1",
            merged_work_order_ids=["wo-2", "wo-3"],
            merged_appeal_ids=["appeal-of-wo-2", "appeal-of-wo-3"],
            merged_at=signed_at + timedelta(hours=1),
            merged_by="operator-1",
        )
    )

    survivor = await read_deadlines("wo-1")
    merged_signed, merged = await read_deadlines("wo-2"), await read_deadlines("wo-3")
    assert {clock.status for clock in survivor.values()} == {"pending"}
    assert {kind: clock.status for kind, clock in merged_signed.items()} == {
        "sign_off": "met",
        "handling": "cancelled",
        "acceptance_notice": "cancelled",
    }
    assert {clock.status for clock in merged.values()} == {"cancelled"}
    reached = await reach(sessions, context, HANDLING_DUE + timedelta(days=30))
    assert {clock.work_order_id for clock in reached} == {"wo-1"}


@pytest.mark.parametrize("event", ["extension", "closure", "notice"])
async def test_sla_a_cancelled_clock_is_neither_moved_nor_met(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_deadlines: Read,
    read_staged: Read,
    event: str,
) -> None:
    await deliver(make_dispatched(created_at=CREATED))
    await deliver(
        WorkOrderMerged(
            work_order_id="wo-9",
            appeal_id="appeal-of-wo-9",
            merged_work_order_ids=["wo-1"],
            merged_appeal_ids=["appeal-of-wo-1"],
            merged_at=CREATED + timedelta(hours=2),
            merged_by="operator-1",
        )
    )
    later = CREATED + timedelta(days=1)

    if event == "extension":
        await deliver(extension(days=5, at=later))
    elif event == "closure":
        await deliver(closure_requested(handled_at=later))
    else:
        await deliver(notice_sent(at=later))

    handling = (await read_deadlines())["handling"]
    assert (handling.status, handling.due_at) == ("cancelled", HANDLING_DUE)
    assert await read_staged("deadline.met") == []
