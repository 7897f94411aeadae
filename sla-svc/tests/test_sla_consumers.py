"""The work-order handlers, applied as the consumer loop applies them, on SQLite and
PostgreSQL: clocks started on dispatch (Art. 13, 15), stopped by signing and by the
acceptance notice (Art. 28), each exactly once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common.events import EventData
from minsheng_common.timeutil import SHANGHAI
from minsheng_common.working_calendar import WorkingCalendar
from minsheng_sla import service
from minsheng_sla.errors import NoRuleEdition
from minsheng_sla.service import SlaContext

Deliver = Callable[[EventData], Awaitable[None]]
Read = Callable[..., Awaitable[Any]]

CREATED = datetime(2026, 12, 4, 16, 30, tzinfo=SHANGHAI)
DISPATCHED = datetime(2026, 12, 4, 17, 0, tzinfo=SHANGHAI)
SIGN_OFF_DUE = datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)


async def test_sla_dispatch_sets_sign_off_and_handling_as_the_calendar_counts(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_deadlines: Read,
    read_staged: Read,
    calendar: WorkingCalendar,
) -> None:
    await deliver(make_dispatched(created_at=CREATED, dispatched_at=DISPATCHED))

    clocks = await read_deadlines()
    assert set(clocks) == {"sign_off", "handling"}
    sign_off, handling = clocks["sign_off"], clocks["handling"]
    assert sign_off.due_at == SIGN_OFF_DUE
    assert (
        sign_off.due_at == calendar.add_working_hours(DISPATCHED, timedelta(hours=2)).at
    )
    assert sign_off.starts_at == DISPATCHED
    assert handling.due_at == calendar.add_working_days(CREATED, 7).at
    assert handling.due_at == datetime(2026, 12, 15, 18, 0, tzinfo=SHANGHAI)
    assert handling.starts_at == CREATED
    for clock in (sign_off, handling):
        assert clock.status == "pending"
        assert clock.rules_edition == "measures-v4"
        assert not clock.provisional
    assert (sign_off.article, sign_off.period) == ("Art. 13", "2 working hours")
    assert (handling.article, handling.period) == ("Art. 15", "7 working days")

    announced = {event["data"]["kind"]: event for event in await read_staged()}
    assert set(announced) == {"sign_off", "handling"}
    for kind, event in announced.items():
        assert event["type"] == "deadline.set"
        assert event["key"] == "appeal-of-wo-1"
        assert event["data"]["deadline_id"] == clocks[kind].id
        assert event["data"]["provisional"] is False
        assert datetime.fromisoformat(event["data"]["due_at"]) == clocks[kind].due_at


async def test_sla_a_second_dispatch_of_the_same_order_creates_nothing(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_deadlines: Read,
    read_staged: Read,
) -> None:
    await deliver(make_dispatched(created_at=CREATED, dispatched_at=DISPATCHED))
    first = {kind: clock.id for kind, clock in (await read_deadlines()).items()}

    # A different event id (re-sent by dispatch), so the inbox would not catch it.
    later = DISPATCHED + timedelta(hours=1)
    await deliver(make_dispatched(created_at=CREATED, dispatched_at=later))

    again = await read_deadlines()
    assert {kind: clock.id for kind, clock in again.items()} == first
    assert again["sign_off"].due_at == SIGN_OFF_DUE
    assert len(await read_staged("deadline.set")) == 2


async def test_sla_a_complaint_reaching_into_2027_is_provisional_and_set(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_deadlines: Read,
    read_staged: Read,
) -> None:
    created = datetime(2026, 12, 28, 10, 0, tzinfo=SHANGHAI)

    await deliver(make_dispatched(created_at=created))

    clocks = await read_deadlines()
    assert clocks["handling"].provisional
    assert clocks["handling"].due_at == datetime(2027, 1, 7, 18, 0, tzinfo=SHANGHAI)
    assert not clocks["sign_off"].provisional
    handling_set = [
        event
        for event in await read_staged("deadline.set")
        if event["data"]["kind"] == "handling"
    ]
    assert [event["data"]["provisional"] for event in handling_set] == [True]


async def test_sla_signed_before_due_meets_sign_off_in_time_and_starts_the_notice_clock(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    make_signed: Callable[..., Any],
    read_deadlines: Read,
    read_staged: Read,
    calendar: WorkingCalendar,
) -> None:
    signed_at = datetime(2026, 12, 4, 17, 40, tzinfo=SHANGHAI)
    await deliver(make_dispatched(created_at=CREATED, dispatched_at=DISPATCHED))

    await deliver(make_signed(at=signed_at))

    clocks = await read_deadlines()
    assert clocks["sign_off"].status == "met"
    assert clocks["sign_off"].met_at == signed_at
    notice = clocks["acceptance_notice"]
    assert notice.status == "pending"
    assert notice.starts_at == signed_at
    assert notice.due_at == calendar.add_working_days(signed_at, 1).at
    assert notice.due_at == datetime(2026, 12, 7, 18, 0, tzinfo=SHANGHAI)
    assert (notice.article, notice.period) == ("Art. 28", "1 working day")
    [met] = await read_staged("deadline.met")
    assert met["data"]["kind"] == "sign_off"
    assert met["data"]["late"] is False
    assert [e["data"]["kind"] for e in await read_staged("deadline.set")] == [
        "sign_off",
        "handling",
        "acceptance_notice",
    ]


async def test_sla_signed_after_due_meets_sign_off_late(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    make_signed: Callable[..., Any],
    read_deadlines: Read,
    read_staged: Read,
) -> None:
    await deliver(make_dispatched(created_at=CREATED, dispatched_at=DISPATCHED))

    await deliver(make_signed(at=SIGN_OFF_DUE + timedelta(minutes=1)))

    assert (await read_deadlines())["sign_off"].status == "met"
    [met] = await read_staged("deadline.met")
    assert met["data"]["late"] is True


@pytest.mark.parametrize("watcher_first", [True, False])
async def test_sla_a_default_signature_records_reached_and_announces_no_meeting(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    make_signed: Callable[..., Any],
    read_deadlines: Read,
    read_staged: Read,
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
    watcher_first: bool,
) -> None:
    await deliver(make_dispatched(created_at=CREATED, dispatched_at=DISPATCHED))
    if watcher_first:
        async with sessions() as session, session.begin():
            await service.reach_due(
                session=session, outbox=context.outbox, now=SIGN_OFF_DUE, limit=10
            )

    await deliver(make_signed(at=SIGN_OFF_DUE, mode="auto"))

    clocks = await read_deadlines()
    assert clocks["sign_off"].status == "reached"
    assert clocks["sign_off"].reached_at == SIGN_OFF_DUE
    assert clocks["sign_off"].met_at is None
    assert clocks["acceptance_notice"].starts_at == SIGN_OFF_DUE
    assert await read_staged("deadline.met") == []
    reached = await read_staged("deadline.reached")
    assert len(reached) == (1 if watcher_first else 0)


async def test_sla_the_same_signature_twice_starts_one_notice_clock(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    make_signed: Callable[..., Any],
    read_deadlines: Read,
    read_staged: Read,
) -> None:
    signed_at = datetime(2026, 12, 4, 17, 40, tzinfo=SHANGHAI)
    await deliver(make_dispatched(created_at=CREATED, dispatched_at=DISPATCHED))

    await deliver(make_signed(at=signed_at))
    await deliver(make_signed(at=signed_at))

    assert len(await read_deadlines()) == 3
    assert len(await read_staged("deadline.met")) == 1
    assert len(await read_staged("deadline.set")) == 3


async def test_sla_the_acceptance_notice_request_meets_its_clock_once(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    make_signed: Callable[..., Any],
    make_notice_request: Callable[..., Any],
    read_deadlines: Read,
    read_staged: Read,
) -> None:
    signed_at = datetime(2026, 12, 4, 17, 40, tzinfo=SHANGHAI)
    requested_at = datetime(2026, 12, 7, 9, 15, tzinfo=SHANGHAI)
    await deliver(make_dispatched(created_at=CREATED, dispatched_at=DISPATCHED))
    await deliver(make_signed(at=signed_at))

    await deliver(make_notice_request(at=requested_at))
    await deliver(make_notice_request(at=requested_at + timedelta(hours=1)))

    notice = (await read_deadlines())["acceptance_notice"]
    assert notice.status == "met"
    assert notice.met_at == requested_at
    met = [e["data"] for e in await read_staged("deadline.met")]
    assert [(m["kind"], m["late"]) for m in met] == [
        ("sign_off", False),
        ("acceptance_notice", False),
    ]


async def test_sla_a_notice_request_without_a_signature_changes_nothing(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    make_notice_request: Callable[..., Any],
    read_deadlines: Read,
    read_staged: Read,
) -> None:
    await deliver(make_dispatched(created_at=CREATED, dispatched_at=DISPATCHED))

    await deliver(make_notice_request(at=DISPATCHED + timedelta(minutes=5)))

    assert set(await read_deadlines()) == {"sign_off", "handling"}
    assert await read_staged("deadline.met") == []


async def test_sla_an_order_created_before_every_edition_is_refused_and_stores_nothing(
    deliver: Deliver,
    make_dispatched: Callable[..., Any],
    read_deadlines: Read,
    read_staged: Read,
) -> None:
    old = datetime(2019, 5, 6, 10, 0, tzinfo=SHANGHAI)
    event = make_dispatched(created_at=CREATED).model_copy(
        update={"created_at": old, "rules_edition": "measures-v3"}
    )

    with pytest.raises(NoRuleEdition):
        await deliver(event)

    assert await read_deadlines() == {}
    assert await read_staged() == []
