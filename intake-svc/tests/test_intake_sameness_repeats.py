"""Repeats (Art. 11(3)5) on the store, SQLite and PostgreSQL: the same person,
channel and problem within 3 working days while the earlier appeal is still being
handled, or on the same day; the handling state learned from work-order events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common import ids
from minsheng_common.db import make_engine, make_sessions
from minsheng_common.events import WorkOrderDispatched, seal
from minsheng_common.migrations import upgrade_async
from minsheng_common.settings import async_url
from minsheng_common.working_calendar import WorkingCalendar, default_calendar
from minsheng_intake.app import MIGRATIONS
from minsheng_intake.models import Appeal
from minsheng_intake.sameness import consumers, openness, repeats
from minsheng_intake.sameness.repeats import RepeatFinding
from minsheng_intake.sameness.similarity import describe

SHANGHAI = ZoneInfo("Asia/Shanghai")
PERSON = "hash-of-13800012345"
OTHER_PERSON = "hash-of-13900054321"
HOTLINE = "hotline-12345"
LAMP = "坑梓街道秀新社区丹梓大道18号门口的路灯不亮"
LAMP_REWORDED = "丹梓大道18号的路灯坏了，晚上很黑，走路不安全"
RUBBISH = "丹梓大道18号门口的垃圾桶满了，三天没人清理"


@pytest.fixture
async def sessions(store_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A migrated intake store (every revision head, ours included)."""
    url = async_url(store_url)
    await upgrade_async(MIGRATIONS, url)
    engine = make_engine(url)
    yield make_sessions(engine)
    await engine.dispose()


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return default_calendar()


def at(text: str) -> datetime:
    """A local time in Asia/Shanghai, e.g. "2026-09-30 10:00"."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


async def store(
    sessions: async_sessionmaker[AsyncSession],
    *,
    received: str,
    content: str = LAMP,
    contact_hash: str = PERSON,
    channel: str = HOTLINE,
    status: str = "filed",
) -> Appeal:
    """An earlier appeal as intake stored it."""
    received_at = at(received)
    appeal = Appeal(
        id=ids.new_id(),
        tracking_code=f"MS{ids.new_id()[:12]}",
        channel=channel,
        channel_ref=ids.new_id(),
        appeal_type="complaint",
        title="路灯",
        content=content,
        address=None,
        subdistrict_id="kengzi-jd",
        community="秀新社区",
        attachments=[],
        consent_to_disclose=False,
        contact_kind="phone",
        contact_hash=contact_hash,
        received_at=received_at,
        received_zone_assumed=False,
        status=status,
        decided_at=received_at,
        closed_at=received_at if status == "rejected" else None,
    )
    async with sessions() as session:
        session.add(appeal)
        await session.commit()
    return appeal


async def find(
    sessions: async_sessionmaker[AsyncSession],
    calendar: WorkingCalendar,
    *,
    received: str,
    content: str = LAMP_REWORDED,
    contact_hash: str = PERSON,
    channel: str = HOTLINE,
) -> RepeatFinding | None:
    problem = describe(
        title="路灯",
        content=content,
        subdistrict_id="kengzi-jd",
        community="秀新社区",
    )
    async with sessions() as session:
        return await repeats.find_repeat(
            session,
            contact_hash=contact_hash,
            channel=channel,
            problem=problem,
            received_at=at(received),
            calendar=calendar,
        )


async def test_a_repeat_across_national_day_counts_working_days_only(
    sessions: async_sessionmaker[AsyncSession], calendar: WorkingCalendar
) -> None:
    """Earlier appeal on Wed 2026-09-30. National Day: 10-01..10-07 off; 10-10
    (Saturday) is a make-up working day. Day 1 = 10-08, day 2 = 10-09, day 3 =
    10-10, so the window ends 2026-10-10 18:00 (rules.md §11): 10-08 is a repeat,
    10-12 is not."""
    earlier = await store(sessions, received="2026-09-30 10:00")

    on_the_8th = await find(sessions, calendar, received="2026-10-08 09:30")
    on_the_12th = await find(sessions, calendar, received="2026-10-12 09:30")

    assert on_the_8th is not None
    assert on_the_8th.reason == repeats.REPEAT == "repeat"
    assert on_the_8th.article == "Art. 11(3)5"
    assert on_the_8th.repeat_of == earlier.id
    assert on_the_8th.repeat_of_tracking_code == earlier.tracking_code
    assert on_the_8th.similarity >= 0.5
    assert on_the_8th.window_ends_at == at("2026-10-10 18:00")
    assert "2026-10-10 18:00" in on_the_8th.evidence
    assert earlier.tracking_code in on_the_8th.advice
    assert on_the_12th is None


async def test_the_window_ends_when_business_stops_on_the_third_working_day(
    sessions: async_sessionmaker[AsyncSession], calendar: WorkingCalendar
) -> None:
    await store(sessions, received="2026-09-30 10:00")

    last_minute = await find(sessions, calendar, received="2026-10-10 17:59")
    after_hours = await find(sessions, calendar, received="2026-10-10 18:01")

    assert last_minute is not None and last_minute.reason == repeats.REPEAT
    assert after_hours is None


async def test_an_appeal_on_a_holiday_counts_from_the_next_working_day(
    sessions: async_sessionmaker[AsyncSession], calendar: WorkingCalendar
) -> None:
    """Day 1 is the first working day after the day of the appeal, whatever kind of
    day that was: from 10-03 (holiday) the window also ends on 10-10."""
    await store(sessions, received="2026-10-03 20:00")

    finding = await find(sessions, calendar, received="2026-10-09 11:00")

    assert finding is not None
    assert finding.window_ends_at == at("2026-10-10 18:00")


async def test_the_same_day_again_is_filed_once(
    sessions: async_sessionmaker[AsyncSession], calendar: WorkingCalendar
) -> None:
    earlier = await store(sessions, received="2026-12-04 09:00")

    finding = await find(sessions, calendar, received="2026-12-04 16:30")

    assert finding is not None
    assert finding.reason == repeats.REPEAT_SAME_DAY == "repeat_same_day"
    assert finding.article == "Art. 11(3)5"
    assert finding.repeat_of == earlier.id
    assert finding.window_ends_at is None
    assert "same day" in finding.evidence


async def test_the_same_day_is_the_local_day(
    sessions: async_sessionmaker[AsyncSession], calendar: WorkingCalendar
) -> None:
    """23:30 and 00:30 Beijing time are the same UTC day but not the same day here:
    a working-day repeat, not a same-day one."""
    await store(sessions, received="2026-12-03 23:30")

    finding = await find(sessions, calendar, received="2026-12-04 00:30")

    assert (
        at("2026-12-03 23:30").astimezone(UTC).date()
        == at("2026-12-04 00:30").astimezone(UTC).date()
    )
    assert finding is not None
    assert finding.reason == repeats.REPEAT


async def test_a_closed_earlier_appeal_is_no_longer_repeated(
    sessions: async_sessionmaker[AsyncSession], calendar: WorkingCalendar
) -> None:
    """Closed by its work order: a new appeal the next day is filed; on the same
    day it is still filed only once."""
    earlier = await store(sessions, received="2026-12-01 09:00")
    async with sessions() as session:
        await consumers.on_work_order_closed(
            session, appeal_id=earlier.id, closed_at=at("2026-12-01 15:00")
        )
        await session.commit()

    next_day = await find(sessions, calendar, received="2026-12-02 10:00")
    same_day = await find(sessions, calendar, received="2026-12-01 17:00")

    assert next_day is None
    assert same_day is not None and same_day.reason == repeats.REPEAT_SAME_DAY


async def test_a_dispatched_earlier_appeal_is_still_being_handled(
    sessions: async_sessionmaker[AsyncSession], calendar: WorkingCalendar
) -> None:
    earlier = await store(sessions, received="2026-12-01 09:00")
    dispatched = WorkOrderDispatched(
        work_order_id="wo-1",
        appeal_id=earlier.id,
        tracking_code=earlier.tracking_code,
        unit_id="cgj",
        appeal_type="complaint",
        filed_at=at("2026-12-01 09:00"),
        created_at=at("2026-12-01 09:00"),
        dispatched_at=at("2026-12-01 09:20"),
        route_basis="test",
        rules_edition="measures-v4",
    )
    async with sessions() as session:
        await consumers.on_work_order_dispatched(
            session,
            seal(dispatched, producer="dispatch", occurred_at=dispatched.dispatched_at),
            dispatched,
        )
        await session.commit()
    async with sessions() as session:
        handling = await openness.states(session, [earlier.id])

    finding = await find(sessions, calendar, received="2026-12-02 10:00")

    assert handling == {earlier.id: openness.OPEN}
    assert finding is not None and finding.reason == repeats.REPEAT


async def test_the_latest_work_order_event_decides(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A re-dispatch after a closure opens the appeal again; a dispatch that
    happened before the closure, arriving late, does not."""
    appeal_id = ids.new_id()
    async with sessions() as session:
        await openness.mark_open(
            session, appeal_id=appeal_id, at=at("2026-12-01 10:00")
        )
        await openness.mark_closed(
            session, appeal_id=appeal_id, at=at("2026-12-02 10:00")
        )
        await openness.mark_open(
            session, appeal_id=appeal_id, at=at("2026-12-01 11:00")
        )
        await session.commit()
    async with sessions() as session:
        after_late_dispatch = await openness.states(session, [appeal_id])
        await openness.mark_open(
            session, appeal_id=appeal_id, at=at("2026-12-03 10:00")
        )
        await session.commit()
    async with sessions() as session:
        after_redispatch = await openness.states(session, [appeal_id])

    assert after_late_dispatch == {appeal_id: openness.CLOSED}
    assert after_redispatch == {appeal_id: openness.OPEN}


async def test_another_channel_is_not_a_repeat(
    sessions: async_sessionmaker[AsyncSession], calendar: WorkingCalendar
) -> None:
    await store(sessions, received="2026-12-01 09:00", channel="wechat")

    assert await find(sessions, calendar, received="2026-12-01 10:00") is None


async def test_another_person_is_not_a_repeat(
    sessions: async_sessionmaker[AsyncSession], calendar: WorkingCalendar
) -> None:
    await store(sessions, received="2026-12-01 09:00", contact_hash=OTHER_PERSON)

    assert await find(sessions, calendar, received="2026-12-01 10:00") is None


async def test_another_problem_of_the_same_person_is_not_a_repeat(
    sessions: async_sessionmaker[AsyncSession], calendar: WorkingCalendar
) -> None:
    await store(sessions, received="2026-12-01 09:00", content=RUBBISH)

    assert await find(sessions, calendar, received="2026-12-01 10:00") is None


async def test_a_rejected_earlier_appeal_does_not_stop_a_better_one(
    sessions: async_sessionmaker[AsyncSession], calendar: WorkingCalendar
) -> None:
    await store(sessions, received="2026-12-01 09:00", status="rejected")

    assert await find(sessions, calendar, received="2026-12-01 10:00") is None


async def test_a_later_appeal_is_not_what_an_earlier_one_repeats(
    sessions: async_sessionmaker[AsyncSession], calendar: WorkingCalendar
) -> None:
    """A channel may deliver late: an appeal received earlier than one already
    stored repeats nothing stored after it."""
    await store(sessions, received="2026-12-02 09:00")

    assert await find(sessions, calendar, received="2026-12-01 10:00") is None
