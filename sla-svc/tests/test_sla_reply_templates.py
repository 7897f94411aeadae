"""The reply-template clock (Art. 43) on SQLite and PostgreSQL: intake's request after
a unit's third closure of a kind starts it on that third order, 3 working days
counted from the closure day as rules.md §11 counts every period that starts on a
day; the templates arriving meet it, late or in time; templates seen before their
request start and meet it at once; the same request twice starts one clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common.events import (
    EventData,
    ReplyTemplateReceived,
    ReplyTemplateRequested,
    seal,
)
from minsheng_common.timeutil import SHANGHAI
from minsheng_sla import service
from minsheng_sla.consumers import AppealEvents
from minsheng_sla.service import SlaContext

Read = Callable[..., Awaitable[Any]]

UNIT = "pingshan-urban-management"
THIRD = "wo-3"


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def requested(closed_at: datetime) -> ReplyTemplateRequested:
    return ReplyTemplateRequested(
        request_id="template-request-1",
        unit_id=UNIT,
        category_id="city-sanitation",
        work_order_id=THIRD,
        appeal_id=f"appeal-of-{THIRD}",
        closed_work_order_ids=["wo-1", "wo-2", THIRD],
        closed_at=closed_at,
        requested_at=closed_at,
    )


def received(closed_at: datetime, at: datetime) -> ReplyTemplateReceived:
    return ReplyTemplateReceived(
        request_id="template-request-1",
        unit_id=UNIT,
        category_id="city-sanitation",
        work_order_id=THIRD,
        appeal_id=f"appeal-of-{THIRD}",
        closed_at=closed_at,
        received_at=at,
        received_by=f"unit:clerk-7@{UNIT}",
    )


async def apply(
    sessions: async_sessionmaker[AsyncSession], context: SlaContext, data: EventData
) -> None:
    """Apply one of intake's events as sla's consumer of the appeals topic does."""
    handlers = AppealEvents(context).handlers()
    envelope = seal(data, producer="intake", occurred_at=context.clock.now())
    async with sessions() as session, session.begin():
        await handlers[envelope.type](session, envelope, data)


async def test_art_43_the_third_closure_starts_a_clock_of_3_working_days(
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
    read_deadlines: Read,
    read_staged: Read,
) -> None:
    """Closed Thursday 2026-12-03: day 1 is Friday, day 2 Monday, day 3 Tuesday
    2026-12-08, due when working hours end."""
    closed_at = local("2026-12-03 16:00")

    await apply(sessions, context, requested(closed_at))

    clock = (await read_deadlines(THIRD))["reply_template"]
    assert clock.due_at == local("2026-12-08 18:00")
    assert clock.starts_at == closed_at
    assert (clock.article, clock.period) == ("Art. 43", "3 working days")
    assert (clock.unit_id, clock.appeal_id) == (UNIT, f"appeal-of-{THIRD}")
    assert clock.status == "pending"
    [announced] = await read_staged("deadline.set")
    assert announced["data"]["kind"] == "reply_template"
    assert announced["data"]["deadline_id"] == clock.id


async def test_art_43_day_1_is_the_first_working_day_after_the_closure_day(
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
    read_deadlines: Read,
) -> None:
    """Closed on Wednesday 2026-09-30, before the National Day holiday (1-7
    October); Saturday 10 October is a make-up working day: day 1 is 8 October,
    day 3 is 10 October (rules.md §11)."""
    await apply(sessions, context, requested(local("2026-09-30 17:00")))

    clock = (await read_deadlines(THIRD))["reply_template"]
    assert clock.due_at == local("2026-10-10 18:00")


async def test_art_43_a_closure_on_a_day_off_counts_from_the_next_working_day(
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
    read_deadlines: Read,
) -> None:
    """Closed on Saturday 2026-12-05: day 1 is Monday, day 3 Wednesday."""
    await apply(sessions, context, requested(local("2026-12-05 11:00")))

    clock = (await read_deadlines(THIRD))["reply_template"]
    assert clock.due_at == local("2026-12-09 18:00")


async def test_art_43_templates_in_time_meet_the_clock(
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
    read_deadlines: Read,
    read_staged: Read,
) -> None:
    closed_at = local("2026-12-03 16:00")
    await apply(sessions, context, requested(closed_at))

    await apply(sessions, context, received(closed_at, local("2026-12-07 10:00")))

    clock = (await read_deadlines(THIRD))["reply_template"]
    assert (clock.status, clock.met_at) == ("met", local("2026-12-07 10:00"))
    [met] = await read_staged("deadline.met")
    assert met["data"]["kind"] == "reply_template"
    assert met["data"]["late"] is False


async def test_art_43_templates_after_the_clock_ran_out_meet_it_late(
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
    read_deadlines: Read,
    read_staged: Read,
) -> None:
    """Optional templates sent late are still recorded: the clock reads met, late,
    and keeps when it ran out."""
    closed_at = local("2026-12-03 16:00")
    await apply(sessions, context, requested(closed_at))
    async with sessions() as session, session.begin():
        reached = await service.reach_due(
            session=session,
            outbox=context.outbox,
            now=local("2026-12-09 09:00"),
            limit=100,
        )

    await apply(sessions, context, received(closed_at, local("2026-12-09 10:00")))

    assert [row.kind for row in reached] == ["reply_template"]
    clock = (await read_deadlines(THIRD))["reply_template"]
    assert clock.status == "met"
    assert clock.reached_at == local("2026-12-09 09:00")
    [met] = await read_staged("deadline.met")
    assert met["data"]["late"] is True
    assert [e["data"]["kind"] for e in await read_staged("deadline.urged")] == []


async def test_art_43_templates_seen_before_their_request_start_and_meet_the_clock(
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
    read_deadlines: Read,
) -> None:
    closed_at = local("2026-12-03 16:00")

    await apply(sessions, context, received(closed_at, local("2026-12-04 10:00")))
    await apply(sessions, context, requested(closed_at))

    clock = (await read_deadlines(THIRD))["reply_template"]
    assert clock.due_at == local("2026-12-08 18:00")
    assert (clock.status, clock.met_at) == ("met", local("2026-12-04 10:00"))


async def test_art_43_the_same_request_twice_starts_one_clock(
    sessions: async_sessionmaker[AsyncSession],
    context: SlaContext,
    read_deadlines: Read,
    read_staged: Read,
) -> None:
    closed_at = local("2026-12-03 16:00")

    await apply(sessions, context, requested(closed_at))
    await apply(sessions, context, requested(closed_at))

    assert list(await read_deadlines(THIRD)) == ["reply_template"]
    assert len(await read_staged("deadline.set")) == 1
