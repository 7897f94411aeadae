"""The clocks of special dispatch, applied as the consumer loop applies them, on
SQLite and PostgreSQL: an order split (Art. 19) or sent on in parallel (Art. 20, 22)
ends with its pending clocks cancelled and its urgings stopped; a cooperating unit's
opinion meets its own order's handling clock (Art. 20, 22), and the closure with
its lead counts nothing again; ownership disputes (Art. 24) move clocks only
through the return and dispatch they bring."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common.events import (
    WorkOrderClosed,
    WorkOrderDisputeDecided,
    WorkOrderDisputeEscalated,
    WorkOrderOpinionSubmitted,
    WorkOrderReplaced,
    WorkOrderReturnDecided,
)
from minsheng_common.timeutil import SHANGHAI
from minsheng_common.working_calendar import WorkingCalendar
from minsheng_sla import outcomes, service
from minsheng_sla.consumers import WorkOrderEvents
from minsheng_sla.service import SlaContext

Deliver = Callable[..., Awaitable[None]]
Read = Callable[..., Awaitable[Any]]

UNIT = "pingshan-urban-management"
# Friday 2026-12-04 16:30: the original complaint is urged at half on Thursday
# 10 December 14:30 and due Tuesday 15 December 18:00 (see test_sla_urging).
CREATED = datetime(2026, 12, 4, 16, 30, tzinfo=SHANGHAI)
HALF = datetime(2026, 12, 10, 14, 30, tzinfo=SHANGHAI)
DUE = datetime(2026, 12, 15, 18, 0, tzinfo=SHANGHAI)
# Monday 2026-12-07 10:00: the parallel orders are dispatched; a complaint timed
# from then is due Wednesday 16 December 18:00.
SENT_ON = datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)
MEMBER_DUE = datetime(2026, 12, 16, 18, 0, tzinfo=SHANGHAI)
GROUP = "group-1"


def replaced(
    kind: str = "parallel",
    *,
    at: datetime = SENT_ON,
    replacement_ids: tuple[str, ...] = ("wo-lead", "wo-coop"),
) -> WorkOrderReplaced:
    return WorkOrderReplaced(
        work_order_id="wo-1",
        appeal_id="appeal-of-wo-1",
        unit_id=UNIT,
        kind=kind,  # type: ignore[arg-type]
        replacement_ids=list(replacement_ids),
        parallel_group_id=GROUP if kind == "parallel" else None,
        reason="涉及多个单位",
        replaced_at=at,
        replaced_by="operator-1",
    )


def opinion(*, at: datetime, on_time: bool) -> WorkOrderOpinionSubmitted:
    return WorkOrderOpinionSubmitted(
        work_order_id="wo-coop",
        appeal_id="appeal-of-wo-coop",
        unit_id=UNIT,
        parallel_group_id=GROUP,
        lead_work_order_id="wo-lead",
        submitted_at=at,
        submitted_by="clerk-9",
        due_at=MEMBER_DUE,
        on_time=on_time,
    )


def closed_with_lead(*, handled_at: datetime, at: datetime) -> WorkOrderClosed:
    """The cooperating order's closure as dispatch stages it when the lead closes:
    handled when its opinion came (or was waived), on time if within its period."""
    return WorkOrderClosed(
        work_order_id="wo-coop",
        appeal_id="appeal-of-wo-coop",
        unit_id=UNIT,
        outcome="on_time" if handled_at <= MEMBER_DUE else "overdue",
        handled_at=handled_at,
        closed_at=at,
        closed_by="operator-1",
        appeal_closed=False,
    )


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


async def overdue_orders(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with sessions() as session:
        found, _ = await service.overdue(
            session=session, visible_unit=None, unit_id=None, limit=100, offset=0
        )
    return [deadline.work_order_id for deadline in found]


async def send_on_in_parallel(
    deliver: Deliver, make_dispatched: Callable[..., Any]
) -> None:
    """wo-1 becomes a lead and a cooperating order, each timed from SENT_ON."""
    await deliver(replaced())
    for work_order_id, role in (("wo-lead", "lead"), ("wo-coop", "cooperating")):
        await deliver(
            make_dispatched(
                work_order_id,
                created_at=CREATED,
                dispatched_at=SENT_ON,
                clock_from="dispatched",
                role=role,
                parallel_group_id=GROUP,
            )
        )


def of_order(events: list[dict[str, Any]], work_order_id: str) -> list[Any]:
    return [e for e in events if e["data"]["work_order_id"] == work_order_id]


# The order replaced: split (Art. 19) or sent on in parallel (Art. 20, 22).


@pytest.mark.parametrize("kind", ["split", "parallel"])
async def test_sla_a_replaced_order_s_pending_clocks_are_cancelled_never_missed(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    make_signed: Callable[..., Any],
    read_deadlines: Read,
    read_staged: Read,
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
    kind: str,
) -> None:
    """Art. 19, 20, 22: the original order ends unfinished; a step it had done keeps
    its outcome, every pending clock is cancelled and reaches nothing."""
    signed_at = CREATED + timedelta(minutes=20)
    await deliver(make_dispatched(created_at=CREATED))
    await deliver(make_signed(at=signed_at))

    await deliver(replaced(kind))

    clocks = await read_deadlines()
    assert {k: clock.status for k, clock in clocks.items()} == {
        "sign_off": "met",
        "handling": "cancelled",
        "acceptance_notice": "cancelled",
    }
    for name in ("handling", "acceptance_notice"):
        assert clocks[name].cancelled_at == SENT_ON
        assert outcomes.outcome_of(clocks[name]) is None
    assert outcomes.outcome_of(clocks["sign_off"]) == "met"
    assert clocks["handling"].next_urge_at is None

    reached = await reach(sessions, context, DUE + timedelta(days=30))
    assert reached == []
    assert await read_staged("deadline.reached") == []
    assert await overdue_orders(sessions) == []


async def test_sla_a_replaced_order_is_urged_no_more(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_deadlines: Read,
    read_staged: Read,
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
) -> None:
    """Art. 39: urged at half before it was split, the original order waits for no
    two-thirds or overdue urging afterwards."""
    await deliver(make_dispatched(created_at=CREATED))
    assert len(await urge(sessions, context, HALF)) == 1
    assert (await read_deadlines())["handling"].next_urge_at is not None

    await deliver(replaced("split", at=HALF + timedelta(hours=1)))

    handling = (await read_deadlines())["handling"]
    assert (handling.status, handling.urged_level) == ("cancelled", 1)
    assert handling.next_urge_at is None
    assert await urge(sessions, context, DUE - timedelta(minutes=1)) == []
    assert await reach(sessions, context, DUE + timedelta(days=1)) == []
    urged = await read_staged("deadline.urged")
    assert [(e["data"]["step"], e["data"]["level"]) for e in urged] == [("half", 1)]


async def test_sla_replacing_orders_are_timed_from_their_own_dispatch(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_deadlines: Read,
    calendar: WorkingCalendar,
) -> None:
    """Art. 19, 22: each new order's handling starts at its own dispatch, whatever
    the original order's clocks read."""
    await deliver(make_dispatched(created_at=CREATED))

    await send_on_in_parallel(deliver, make_dispatched)

    assert (await read_deadlines("wo-1"))["handling"].status == "cancelled"
    for work_order_id in ("wo-lead", "wo-coop"):
        handling = (await read_deadlines(work_order_id))["handling"]
        assert handling.status == "pending"
        assert handling.starts_at == SENT_ON
        assert handling.due_at == MEMBER_DUE
        assert handling.due_at == calendar.add_working_days(SENT_ON, 7).at
        assert handling.next_urge_at is not None


async def test_sla_a_clock_run_out_before_the_replacement_stays_missed(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_deadlines: Read,
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
) -> None:
    """Art. 17, 19: the unit missed the handling period before the order was split;
    ending the order does not undo that."""
    await deliver(make_dispatched(created_at=CREATED))
    await reach(sessions, context, DUE)

    await deliver(replaced("split", at=DUE + timedelta(hours=1)))

    clocks = await read_deadlines()
    assert clocks["handling"].status == "reached"
    assert clocks["handling"].cancelled_at is None
    assert outcomes.outcome_of(clocks["handling"]) == "missed"


async def test_sla_the_same_replacement_twice_cancels_once(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_deadlines: Read,
) -> None:
    """A second delivery (dispatch re-sent it under a new event id) changes
    nothing: the clocks stay cancelled when the first one came."""
    await deliver(make_dispatched(created_at=CREATED))
    await deliver(replaced("split"))

    await deliver(replaced("split", at=SENT_ON + timedelta(hours=3)))

    clocks = await read_deadlines()
    assert {clock.status for clock in clocks.values()} == {"cancelled"}
    assert {clock.cancelled_at for clock in clocks.values()} == {SENT_ON}


# A cooperating unit's opinion (Art. 20, 22).


async def test_sla_an_opinion_in_time_meets_the_cooperating_order_once(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    make_signed: Callable[..., Any],
    read_deadlines: Read,
    read_staged: Read,
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
) -> None:
    """Art. 20, 22: the opinion is all a cooperating unit owes, within its own
    period; closing with the lead, and a redelivered opinion, count nothing again."""
    await deliver(make_dispatched(created_at=CREATED))
    await send_on_in_parallel(deliver, make_dispatched)
    await deliver(make_signed("wo-coop", at=SENT_ON + timedelta(minutes=30)))
    given_at = datetime(2026, 12, 10, 11, 0, tzinfo=SHANGHAI)

    await deliver(opinion(at=given_at, on_time=True))
    await deliver(opinion(at=given_at, on_time=True))

    by_opinion = (await read_deadlines("wo-coop"))["handling"]
    assert (by_opinion.status, by_opinion.met_at) == ("met", given_at)
    assert await urge(sessions, context, MEMBER_DUE - timedelta(minutes=1)) != []
    assert of_order(await read_staged("deadline.urged"), "wo-coop") == []

    await deliver(closed_with_lead(handled_at=given_at, at=MEMBER_DUE))

    handling = (await read_deadlines("wo-coop"))["handling"]
    assert (handling.status, handling.met_at) == ("met", given_at)
    assert handling.late_working_seconds is None
    assert outcomes.outcome_of(handling) == "met"
    met = [
        event
        for event in of_order(await read_staged("deadline.met"), "wo-coop")
        if event["data"]["kind"] == "handling"
    ]
    assert len(met) == 1
    assert met[0]["data"]["deadline_id"] == handling.id
    assert met[0]["data"]["late"] is False
    assert datetime.fromisoformat(met[0]["data"]["met_at"]) == given_at
    reached = await reach(sessions, context, MEMBER_DUE + timedelta(days=1))
    assert {(d.work_order_id, d.kind) for d in reached if d.kind == "handling"} == {
        ("wo-lead", "handling")
    }


async def test_sla_a_late_opinion_meets_the_cooperating_order_late_and_ends_overdue(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    make_signed: Callable[..., Any],
    read_deadlines: Read,
    read_staged: Read,
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
) -> None:
    """Art. 20, 22, 40: run out, urged as overdue and listed, the cooperating order
    is met late by its opinion (one working hour: 09:00-10:00 Thursday) and leaves
    the overdue list; its closure with the lead counts nothing again."""
    await deliver(make_dispatched(created_at=CREATED))
    await send_on_in_parallel(deliver, make_dispatched)
    await deliver(make_signed("wo-coop", at=SENT_ON + timedelta(minutes=30)))
    await reach(sessions, context, MEMBER_DUE)
    assert "wo-coop" in await overdue_orders(sessions)
    given_at = datetime(2026, 12, 17, 10, 0, tzinfo=SHANGHAI)

    await deliver(opinion(at=given_at, on_time=False))

    by_opinion = (await read_deadlines("wo-coop"))["handling"]
    assert (by_opinion.status, by_opinion.late_working_seconds) == ("met", 3600)
    assert "wo-coop" not in await overdue_orders(sessions)

    await deliver(
        closed_with_lead(handled_at=given_at, at=given_at + timedelta(days=1))
    )

    handling = (await read_deadlines("wo-coop"))["handling"]
    assert (handling.status, handling.met_at) == ("met", given_at)
    assert handling.reached_at == MEMBER_DUE
    assert handling.late_working_seconds == 3600
    assert outcomes.outcome_of(handling) == "missed"
    met = [
        event
        for event in of_order(await read_staged("deadline.met"), "wo-coop")
        if event["data"]["kind"] == "handling"
    ]
    assert [event["data"]["late"] for event in met] == [True]
    assert "wo-coop" not in await overdue_orders(sessions)


async def test_sla_its_own_clock_decides_when_dispatch_counts_an_opinion_otherwise(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_deadlines: Read,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Art. 22: the cooperating order is assessed on sla's clock; an opinion that
    dispatch calls on time after that clock's due time is met late, and said."""
    await deliver(make_dispatched(created_at=CREATED))
    await send_on_in_parallel(deliver, make_dispatched)
    given_at = MEMBER_DUE + timedelta(minutes=1)

    with caplog.at_level(logging.WARNING, logger="minsheng_sla.service"):
        await deliver(opinion(at=given_at, on_time=True))

    handling = (await read_deadlines("wo-coop"))["handling"]
    assert (handling.status, outcomes.outcome_of(handling)) == ("met", "missed")
    assert any(
        "dispatch counts the opinion on time" in record.getMessage()
        and "counts it late" in record.getMessage()
        for record in caplog.records
    )


@pytest.mark.parametrize(
    ("waived_at", "late"),
    [
        (datetime(2026, 12, 14, 15, 0, tzinfo=SHANGHAI), False),
        (datetime(2026, 12, 17, 11, 0, tzinfo=SHANGHAI), True),
    ],
)
async def test_sla_a_waived_opinion_meets_the_cooperating_order_at_its_closure(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_deadlines: Read,
    read_staged: Read,
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
    waived_at: datetime,
    late: bool,
) -> None:
    """Art. 20: the center waived the opinion (no event of its own); the order
    closes with its lead, handled when waived, and its clock stops there, in time
    or late as dispatch counted the closure."""
    await deliver(make_dispatched(created_at=CREATED))
    await send_on_in_parallel(deliver, make_dispatched)
    await reach(sessions, context, waived_at)

    await deliver(closed_with_lead(handled_at=waived_at, at=waived_at))
    await deliver(closed_with_lead(handled_at=waived_at, at=waived_at))

    handling = (await read_deadlines("wo-coop"))["handling"]
    assert (handling.status, handling.met_at) == ("met", waived_at)
    assert outcomes.outcome_of(handling) == ("missed" if late else "met")
    met = [
        event
        for event in of_order(await read_staged("deadline.met"), "wo-coop")
        if event["data"]["kind"] == "handling"
    ]
    assert [event["data"]["late"] for event in met] == [late]
    reached = await reach(sessions, context, MEMBER_DUE + timedelta(days=30))
    assert "wo-coop" not in {deadline.work_order_id for deadline in reached}
    assert "wo-coop" not in await overdue_orders(sessions)


async def test_sla_only_a_cooperating_order_is_met_by_its_closure(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_deadlines: Read,
) -> None:
    """Art. 17, 20: the lead asks to close like any order, and that request meets
    its clock; a closure event alone does not, whatever it says was handled."""
    await deliver(make_dispatched(created_at=CREATED))
    await send_on_in_parallel(deliver, make_dispatched)
    handled_at = datetime(2026, 12, 14, 15, 0, tzinfo=SHANGHAI)

    await deliver(
        closed_with_lead(handled_at=handled_at, at=handled_at).model_copy(
            update={"work_order_id": "wo-lead", "appeal_closed": True}
        )
    )

    handling = (await read_deadlines("wo-lead"))["handling"]
    assert (handling.status, handling.met_at) == ("pending", None)


# Ownership disputes (Art. 24).


def test_sla_dispute_events_are_left_to_the_consumer_loop_to_skip(
    context: SlaContext,
) -> None:
    """Art. 24: escalating a dispute stops no clock, and a decision moves the order
    only through the events of a return; sla has no handler for either."""
    handled = WorkOrderEvents(context).handlers()

    assert WorkOrderDisputeEscalated.event_type not in handled
    assert WorkOrderDisputeDecided.event_type not in handled
    assert WorkOrderReturnDecided.event_type in handled


async def test_sla_a_dispute_moving_the_order_ends_its_clocks_and_starts_the_owners(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_deadlines: Read,
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
    calendar: WorkingCalendar,
) -> None:
    """Art. 13, 24: what dispatch stages for a decision naming another owner (an
    approved return and the owner's new order, timed from its dispatch) cancels
    the held order's clocks and its urgings and starts the new order's."""
    await deliver(make_dispatched(created_at=CREATED))
    await urge(sessions, context, HALF)
    decided_at = HALF + timedelta(hours=2)

    await deliver(
        WorkOrderReturnDecided(
            work_order_id="wo-1",
            appeal_id="appeal-of-wo-1",
            unit_id=UNIT,
            approved=True,
            reason="ownership dispute d-1 (Art. 24): 由水务局办理",
            decided_at=decided_at,
            decided_by="operator-1",
            redispatched_to="wo-2",
        )
    )
    await deliver(
        make_dispatched(
            "wo-2",
            created_at=CREATED,
            dispatched_at=decided_at,
            clock_from="dispatched",
        )
    )

    held, owner = await read_deadlines("wo-1"), await read_deadlines("wo-2")
    assert {clock.status for clock in held.values()} == {"cancelled"}
    assert held["handling"].next_urge_at is None
    assert owner["handling"].status == "pending"
    assert owner["handling"].starts_at == decided_at
    assert owner["handling"].due_at == calendar.add_working_days(decided_at, 7).at
    urged = await urge(sessions, context, DUE)
    assert "wo-1" not in {deadline.work_order_id for deadline in urged}
