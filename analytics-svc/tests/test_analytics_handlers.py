"""Each handler puts what its event says into the projection, and nothing else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_analytics import consumers
from minsheng_analytics.models import (
    AcceptanceRequestFact,
    AppealFact,
    Base,
    NoticeFact,
    WorkOrderFact,
)
from minsheng_common.events import EVENT_TYPES
from minsheng_common.rules import load_rule_book


async def fact(
    sessions: async_sessionmaker[AsyncSession], model: type[Base], key: str
) -> Any:
    async with sessions() as session:
        return await session.get(model, key)


def test_analytics_every_catalogue_event_type_has_a_handler() -> None:
    handled = set(consumers.handlers(load_rule_book()))

    assert handled == {event.event_type for event in EVENT_TYPES}


async def test_analytics_appeal_received_records_the_appeal(
    projector: Any, sessions: Any, story: Callable[..., Any]
) -> None:
    appeal = story("a-1", channel="wechat", appeal_type="consultation", received=5)

    await projector.apply(appeal.appeal_received())

    row = await fact(sessions, AppealFact, "a-1")
    assert row.channel == "wechat"
    assert row.appeal_type == "consultation"
    assert row.tracking_code == appeal.tracking_code
    assert row.received_at == appeal.at(5)
    assert row.category_id == "city-sanitation"
    assert row.decision is None
    assert row.last_event_at == appeal.at(6)


async def test_analytics_appeal_filed_records_the_decision_without_the_contact(
    projector: Any, sessions: Any, story: Callable[..., Any]
) -> None:
    appeal = story("a-1")

    await projector.apply(appeal.appeal_filed())

    row = await fact(sessions, AppealFact, "a-1")
    assert row.decision == "filed"
    assert row.filed_at == appeal.at(1)
    assert row.subdistrict_id == "kengzi-jd"
    assert row.title == appeal.title
    assert row.received_at == appeal.at(0)
    async with sessions() as session:
        for model in (AppealFact, WorkOrderFact, AcceptanceRequestFact, NoticeFact):
            for stored in (await session.scalars(select(model))).all():
                values = [getattr(stored, c.key) for c in model.__table__.columns]
                assert "gAAAA-ciphertext-of-the-contact" not in map(str, values)


async def test_analytics_appeal_rejected_records_the_reason(
    projector: Any, sessions: Any, story: Callable[..., Any]
) -> None:
    appeal = story("a-1")

    await projector.apply(appeal.appeal_rejected("no_place_in_district"))

    row = await fact(sessions, AppealFact, "a-1")
    assert row.decision == "rejected"
    assert row.reason_code == "no_place_in_district"
    assert row.reason_article == "Art. 11(2)1"
    assert row.rejected_at == appeal.at(1)


async def test_analytics_dispatch_records_the_unit_and_the_dispatch_time(
    projector: Any, sessions: Any, story: Callable[..., Any]
) -> None:
    quick, slow = story("a-1"), story("a-2", unit_id="swj")

    await projector.apply(quick.dispatched(after_filing=59))
    await projector.apply(slow.dispatched(after_filing=61))

    row = await fact(sessions, WorkOrderFact, quick.work_order_id)
    assert (row.appeal_id, row.unit_id, row.status) == ("a-1", "cgj", "dispatched")
    assert row.dispatch_seconds == 59 * 60
    assert row.dispatch_within_limit is True
    assert row.rules_edition == "measures-v4"
    late = await fact(sessions, WorkOrderFact, slow.work_order_id)
    assert late.dispatch_seconds == 61 * 60
    assert late.dispatch_within_limit is False


async def test_analytics_signed_records_the_time_and_the_mode(
    projector: Any, sessions: Any, story: Callable[..., Any]
) -> None:
    appeal = story("a-1")

    await projector.apply(appeal.signed(minutes=140, mode="auto"))

    row = await fact(sessions, WorkOrderFact, appeal.work_order_id)
    assert row.status == "signed"
    assert row.sign_mode == "auto"
    assert row.signed_at == appeal.at(140)
    assert row.unit_id == "cgj"


async def test_analytics_acceptance_request_records_the_request_time(
    projector: Any, sessions: Any, story: Callable[..., Any]
) -> None:
    appeal = story("a-1")

    await projector.apply(appeal.acceptance_requested(minutes=50))

    row = await fact(sessions, WorkOrderFact, appeal.work_order_id)
    assert row.acceptance_notice_requested_at == appeal.at(50)
    assert row.acceptance_notice_sent_at is None
    request = await fact(sessions, AcceptanceRequestFact, "rq-1-a-1")
    assert request.work_order_id == appeal.work_order_id
    assert request.accepted is True


async def test_analytics_deadline_set_records_the_due_time_and_provisional_flag(
    projector: Any, sessions: Any, story: Callable[..., Any]
) -> None:
    appeal = story("a-1")
    handling_due = appeal.at(60 * 24 * 7)

    await projector.apply(appeal.deadline_set("sign_off"))
    await projector.apply(appeal.deadline_set("handling", due=handling_due))

    row = await fact(sessions, WorkOrderFact, appeal.work_order_id)
    assert row.sign_off_deadline_at == appeal.sign_off_due()
    assert row.sign_off_provisional is False
    assert row.handling_deadline_at == handling_due
    assert row.sign_off_reached is False


async def test_analytics_a_newer_deadline_set_replaces_the_older_one(
    projector: Any, sessions: Any, story: Callable[..., Any]
) -> None:
    appeal = story("a-1")
    first = appeal.deadline_set("handling", due=appeal.at(1000), occurred=appeal.at(5))
    recomputed = appeal.deadline_set(
        "handling", due=appeal.at(2000), occurred=appeal.at(9)
    )

    await projector.apply(recomputed)
    await projector.apply(first)

    row = await fact(sessions, WorkOrderFact, appeal.work_order_id)
    assert row.handling_deadline_at == appeal.at(2000)


async def test_analytics_deadline_reached_turns_the_flag_on(
    projector: Any, sessions: Any, story: Callable[..., Any]
) -> None:
    appeal = story("a-1")

    await projector.apply(appeal.deadline_reached("sign_off"))

    row = await fact(sessions, WorkOrderFact, appeal.work_order_id)
    assert row.sign_off_reached is True
    assert row.sign_off_deadline_at == appeal.sign_off_due()


async def test_analytics_deadline_met_records_when_and_whether_late(
    projector: Any, sessions: Any, story: Callable[..., Any]
) -> None:
    appeal = story("a-1")

    await projector.apply(appeal.deadline_met(minutes=200))

    row = await fact(sessions, WorkOrderFact, appeal.work_order_id)
    assert row.sign_off_met_at == appeal.at(200)
    assert row.sign_off_met_late is True


async def test_analytics_notice_sent_marks_the_acceptance_notice_sent(
    projector: Any, sessions: Any, story: Callable[..., Any]
) -> None:
    appeal = story("a-1")
    await projector.apply(appeal.acceptance_requested(minutes=50))

    await projector.apply(appeal.notice_sent(minutes=51))

    notice = await fact(sessions, NoticeFact, "nt-1-a-1")
    assert (notice.status, notice.channel, notice.attempts) == ("sent", "sms", 1)
    assert notice.sent_at == appeal.at(51)
    row = await fact(sessions, WorkOrderFact, appeal.work_order_id)
    assert row.acceptance_notice_sent_at == appeal.at(51)


async def test_analytics_notice_failed_is_recorded_and_sends_nothing(
    projector: Any, sessions: Any, story: Callable[..., Any]
) -> None:
    appeal = story("a-1")
    await projector.apply(appeal.acceptance_requested(minutes=50))

    await projector.apply(appeal.notice_failed(minutes=80))

    notice = await fact(sessions, NoticeFact, "nt-1-a-1")
    assert notice.status == "failed"
    assert notice.failure_reason == "gateway refused"
    assert notice.attempts == 5
    row = await fact(sessions, WorkOrderFact, appeal.work_order_id)
    assert row.acceptance_notice_sent_at is None
