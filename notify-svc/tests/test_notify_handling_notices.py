"""The handling notice (办理告知, Art. 29): asked for by the unit, sent to the order's
citizen and to every citizen of an appeal merged into the order (并案, Art. 18), each
under their own tracking code, masked like every notice, and announced with its work
order so dispatch sees it sent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from minsheng_common.events import HandlingNoticeRequested, WorkOrderMerged
from minsheng_notify.models import MergedAppeal, Notice

UNIT = "cgj"
UNIT_NAME = "区城市管理和综合执法局"
CODES = {
    "a-1": "MS20261204000001",
    "a-2": "MS20261204000002",
    "a-3": "MS20261204000003",
}
CONTACTS = {"a-1": "13800138001", "a-2": "13800138002", "a-3": "13800138003"}


def handling_request(
    *,
    request_id: str = "hn-1",
    work_order_id: str = "wo-1",
    appeal_id: str = "a-1",
    message: str = "已安排清运，垃圾已清理完毕",
    notify: Any,
) -> HandlingNoticeRequested:
    return HandlingNoticeRequested(
        request_id=request_id,
        work_order_id=work_order_id,
        appeal_id=appeal_id,
        unit_id=UNIT,
        tracking_code=CODES.get(appeal_id, "MS20261204000123"),
        message=message,
        requested_at=notify.clock.now(),
        requested_by="clerk-1",
    )


def merger(
    notify: Any,
    *,
    into: str = "wo-1",
    appeal_id: str = "a-1",
    orders: list[str],
    appeals: list[str],
) -> WorkOrderMerged:
    return WorkOrderMerged(
        work_order_id=into,
        appeal_id=appeal_id,
        merged_work_order_ids=orders,
        merged_appeal_ids=appeals,
        merged_at=notify.clock.now(),
        merged_by="operator-1",
    )


async def file_all(notify: Any, *appeal_ids: str) -> None:
    for appeal_id in appeal_ids:
        await notify.file_appeal(
            appeal_id, contact=CONTACTS[appeal_id], tracking_code=CODES[appeal_id]
        )


async def all_notices(notify: Any) -> list[Notice]:
    async with notify.sessions() as session:
        result = await session.scalars(
            select(Notice)
            .where(Notice.kind == "handling")
            .order_by(Notice.appeal_id, Notice.id)
        )
        return list(result)


async def test_notify_a_handling_notice_is_queued_in_the_units_words(
    make_harness: Any,
) -> None:
    notify = await make_harness()
    await file_all(notify, "a-1")

    await notify.apply(
        handling_request(notify=notify),
        notify.consumers.on_handling_notice_requested,
    )

    notice = await notify.notice("a-1", "handling")
    assert notice.status == "pending"
    assert (notice.request_id, notice.work_order_id, notice.unit_id) == (
        "hn-1",
        "wo-1",
        UNIT,
    )
    assert notice.body == (
        f"【民生诉求】您的诉求（编号{CODES['a-1']}）已由{UNIT_NAME}办理："
        "已安排清运，垃圾已清理完毕。"
    )


async def test_notify_a_sent_handling_notice_names_its_work_order(
    make_harness: Any, flaky_sender: Any
) -> None:
    sender = flaky_sender(failures=0)
    notify = await make_harness(sender=sender)
    await file_all(notify, "a-1")
    await notify.apply(
        handling_request(notify=notify),
        notify.consumers.on_handling_notice_requested,
    )

    report = await notify.send()

    assert report.sent == 1
    [sent] = await notify.events("notice.sent")
    assert (sent["kind"], sent["work_order_id"], sent["request_id"]) == (
        "handling",
        "wo-1",
        "hn-1",
    )
    assert [message.contact for message in sender.calls] == [CONTACTS["a-1"]]


async def test_notify_masks_personal_data_in_the_handling_notice(
    make_harness: Any, flaky_sender: Any
) -> None:
    sender = flaky_sender(failures=0)
    notify = await make_harness(sender=sender)
    await file_all(notify, "a-1")
    message = (
        f"已回电{CONTACTS['a-1']}，并告知身份证440306199001011234的业主，"
        "可发邮件至zxs@163.com"
    )

    await notify.apply(
        handling_request(notify=notify, message=message),
        notify.consumers.on_handling_notice_requested,
    )
    await notify.send()

    kept = (await notify.notice("a-1", "handling")).body
    for body in (kept, sender.calls[0].body):
        for personal in (CONTACTS["a-1"], "440306199001011234", "zxs@163.com"):
            assert personal not in body
        assert "138****8001" in body
        assert CODES["a-1"] in body


async def test_notify_the_same_handling_request_twice_queues_one_notice(
    make_harness: Any,
) -> None:
    notify = await make_harness()
    await file_all(notify, "a-1")

    await notify.apply(
        handling_request(notify=notify),
        notify.consumers.on_handling_notice_requested,
    )
    notify.clock.advance(timedelta(minutes=1))
    await notify.apply(
        handling_request(notify=notify, message="另一段话"),
        notify.consumers.on_handling_notice_requested,
    )

    [notice] = await all_notices(notify)
    assert "另一段话" not in notice.body


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest) -> str | None:
    """A fresh PostgreSQL database, or None for the harness's SQLite file."""
    if request.param == "sqlite":
        return None
    create_database: Callable[[str], str] = request.getfixturevalue("create_database")
    return create_database("notify")


async def test_notify_every_citizen_of_a_merged_appeal_gets_the_handling_notice(
    make_harness: Any, flaky_sender: Any, store_url: str | None
) -> None:
    sender = flaky_sender(failures=0)
    notify = await make_harness(url=store_url, sender=sender)
    await file_all(notify, "a-1", "a-2", "a-3")
    await notify.apply(
        merger(notify, orders=["wo-2", "wo-3"], appeals=["a-2", "a-3"]),
        notify.consumers.on_work_order_merged,
    )

    await notify.apply(
        handling_request(notify=notify),
        notify.consumers.on_handling_notice_requested,
    )
    report = await notify.send()

    notices = await all_notices(notify)
    assert [n.appeal_id for n in notices] == ["a-1", "a-2", "a-3"]
    assert [n.request_id for n in notices] == ["hn-1", "hn-1:a-2", "hn-1:a-3"]
    assert {n.work_order_id for n in notices} == {"wo-1"}
    for notice in notices:
        assert f"编号{CODES[notice.appeal_id]}）已由{UNIT_NAME}办理" in notice.body
    assert report.sent == 3
    assert sorted(message.contact for message in sender.calls) == sorted(
        CONTACTS.values()
    )
    sent = await notify.events("notice.sent")
    assert sorted(event["appeal_id"] for event in sent) == ["a-1", "a-2", "a-3"]
    assert {event["work_order_id"] for event in sent} == {"wo-1"}
    assert {event["kind"] for event in sent} == {"handling"}


async def test_notify_appeals_merged_earlier_come_along_with_their_order(
    make_harness: Any,
) -> None:
    notify = await make_harness()
    await file_all(notify, "a-1", "a-2", "a-3")
    # wo-2 absorbed a-3 first; then wo-2 itself is merged into wo-1.
    await notify.apply(
        merger(notify, into="wo-2", appeal_id="a-2", orders=["wo-3"], appeals=["a-3"]),
        notify.consumers.on_work_order_merged,
    )
    await notify.apply(
        merger(notify, orders=["wo-2"], appeals=["a-2"]),
        notify.consumers.on_work_order_merged,
    )

    await notify.apply(
        handling_request(notify=notify),
        notify.consumers.on_handling_notice_requested,
    )

    assert [n.appeal_id for n in await all_notices(notify)] == ["a-1", "a-2", "a-3"]


async def test_notify_a_merger_delivered_twice_keeps_each_appeal_once(
    make_harness: Any,
) -> None:
    notify = await make_harness()
    event = merger(notify, orders=["wo-2"], appeals=["a-2", "a-1"])

    await notify.apply(event, notify.consumers.on_work_order_merged)
    await notify.apply(event, notify.consumers.on_work_order_merged)

    async with notify.sessions() as session:
        rows = (await session.scalars(select(MergedAppeal))).all()
    # The surviving order's own appeal is never "merged into" it.
    assert [(row.work_order_id, row.appeal_id) for row in rows] == [("wo-1", "a-2")]


async def test_notify_a_merged_appeals_notice_waits_for_its_recipient(
    make_harness: Any,
) -> None:
    notify = await make_harness()
    await file_all(notify, "a-1")
    await notify.apply(
        merger(notify, orders=["wo-2"], appeals=["a-2"]),
        notify.consumers.on_work_order_merged,
    )
    await notify.apply(
        handling_request(notify=notify),
        notify.consumers.on_handling_notice_requested,
    )

    first = await notify.send()
    await file_all(notify, "a-2")
    second = await notify.send()

    assert (first.sent, second.sent) == (1, 1)
    assert (await notify.notice("a-2", "handling")).status == "sent"
