"""Notify's store on PostgreSQL: the migration, the handlers, sending, and two senders
working at once without taking the same notice (FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from minsheng_notify import service
from minsheng_notify.models import Notice


@pytest.fixture
def postgres_url(create_database: Callable[[str], str]) -> str:
    return create_database("notify")


async def test_notify_store_on_postgres_sends_once(
    make_harness: Any, postgres_url: str
) -> None:
    notify = await make_harness(url=postgres_url)
    await notify.request_acceptance("a-1", request_id="req-1")
    await notify.request_acceptance("a-1", request_id="req-1")
    await notify.file_appeal("a-1")

    report = await notify.send()
    again = await notify.send()

    notice = await notify.notice("a-1")
    assert (report.sent, again.sent) == (1, 0)
    assert notice.status == "sent"
    assert notice.sent_at == notify.start
    assert notice.sent_at.tzinfo is not None
    assert [path.name for path in notify.mailbox.iterdir()] == [f"{notice.id}.json"]
    (event,) = await notify.events("notice.sent")
    assert event["request_id"] == "req-1"
    async with notify.sessions() as session:
        (record,) = await service.list_notices(
            session=session, appeal_id=None, work_order_id="wo-1", unit_id=None
        )
    assert [attempt.outcome for attempt in record.attempts] == ["sent"]


async def test_notify_postgres_skips_a_notice_another_sender_holds(
    make_harness: Any, postgres_url: str
) -> None:
    notify = await make_harness(url=postgres_url)
    await notify.file_appeal("a-1")
    await notify.file_appeal("a-2")
    await notify.request_acceptance("a-1")
    notify.clock.advance(timedelta(seconds=1))
    await notify.request_acceptance("a-2")

    async with notify.sessions() as other, other.begin():
        # Another replica is sending a-1's notice: its row is locked.
        await other.execute(
            select(Notice).where(Notice.appeal_id == "a-1").with_for_update()
        )
        # Without SKIP LOCKED this pass would wait on the lock until the timeout.
        async with asyncio.timeout(5):
            while_held = await notify.send()
        held = await notify.notice("a-1")

    after = await notify.send()

    assert while_held.sent == 1
    assert held.status == "pending"
    assert (await notify.notice("a-2")).status == "sent"
    assert after.sent == 1
    assert (await notify.notice("a-1")).status == "sent"


async def test_notify_postgres_fails_unaddressed_notice(
    make_harness: Any, postgres_url: str
) -> None:
    notify = await make_harness(url=postgres_url)
    await notify.request_acceptance("a-1")

    notify.clock.advance(timedelta(hours=1))
    report = await notify.send()

    assert report.failed == 1
    (event,) = await notify.events("notice.failed")
    assert event["reason"] == "recipient_unknown"
