"""The projection on PostgreSQL: migrations, KPIs, order independence, and two
consumers touching the same rows at the same time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_analytics import repository, service
from minsheng_analytics.app import MIGRATIONS
from minsheng_analytics.models import AppealFact, WorkOrderFact
from minsheng_common import db, migrations
from minsheng_common.clock import FixedClock
from minsheng_common.reference import load_reference
from minsheng_common.rules import load_rule_book


@pytest.fixture
def pg_url(create_database: Callable[[str], str]) -> str:
    # A plain fixture: the factory runs its own event loop.
    return create_database("analytics")


@pytest.fixture
async def pg_sessions(pg_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A migrated PostgreSQL store of analytics."""
    url = pg_url
    await migrations.upgrade_async(MIGRATIONS, url)
    engine = db.make_engine(url)
    yield db.make_sessions(engine)
    await engine.dispose()


def analytics_context() -> service.AnalyticsContext:
    return service.AnalyticsContext(
        reference=load_reference(),
        rule_book=load_rule_book(),
        clock=FixedClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC)),
        refresh_seconds=10,
        recent=20,
    )


async def test_analytics_postgres_store_projects_and_counts(
    pg_sessions: Any, story: Callable[..., Any], projector: Any
) -> None:
    projector = type(projector)(pg_sessions)
    filed = story("a-1")
    auto = story("a-2", channel="wechat", unit_id="swj")
    rejected = story("a-3")
    steps = [
        *filed.full_life(),
        auto.appeal_received(),
        auto.appeal_filed(),
        auto.dispatched(after_filing=90),
        auto.deadline_reached("sign_off"),
        auto.signed(minutes=140, mode="auto"),
        rejected.appeal_received(),
        rejected.appeal_rejected("missing_contact"),
    ]
    # Reversed: every row is first created by a later event of its life.
    await projector.apply_all(list(reversed(steps)))

    async with pg_sessions() as session:
        report = await service.kpis(
            session=session, context=analytics_context(), within=repository.Window()
        )

    totals = report.totals
    assert (totals.received, totals.filed, totals.rejected) == (3, 2, 1)
    assert (totals.dispatched, totals.signed_manual, totals.signed_auto) == (2, 1, 1)
    assert totals.acceptance_notices_sent == 1
    assert report.rates.dispatch_within_limit.numerator == 1
    assert report.rates.sign_off_within_limit.numerator == 1
    assert report.rates.sign_off_within_limit.denominator == 2
    assert report.by_unit["swj"].signed_auto == 1
    assert report.by_rejection_reason == {"missing_contact": 1}
    assert report.as_of == max(occurred_at for _data, occurred_at in steps)


async def test_analytics_postgres_duplicate_is_applied_once(
    pg_sessions: Any, story: Callable[..., Any], projector: Any
) -> None:
    projector = type(projector)(pg_sessions)
    envelope = projector.envelope(story("a-1").appeal_received())

    applied = [await projector.apply(envelope) for _ in range(3)]

    assert applied == [True, False, False]
    async with pg_sessions() as session:
        assert await session.scalar(select(func.count()).select_from(AppealFact)) == 1


async def test_analytics_postgres_concurrent_request_and_notice_both_land(
    pg_sessions: Any, story: Callable[..., Any], projector: Any
) -> None:
    """The acceptance request (work-orders topic) and its notice (notices topic) are
    applied at the same moment by two consumers: the order still shows it sent."""
    first = type(projector)(pg_sessions)
    second = type(projector)(pg_sessions)
    appeals = [story(f"a-{number}") for number in range(8)]

    for appeal in appeals:
        await asyncio.gather(
            first.apply(appeal.acceptance_requested(minutes=50)),
            second.apply(appeal.notice_sent(minutes=51)),
        )

    async with pg_sessions() as session:
        sent = await session.scalars(select(WorkOrderFact.acceptance_notice_sent_at))
        assert list(sent) == [appeals[0].at(51)] * len(appeals)


async def test_analytics_postgres_concurrent_first_events_make_one_row(
    pg_sessions: Any, story: Callable[..., Any], projector: Any
) -> None:
    """Two topics bring the first two events of one work order at once."""
    first = type(projector)(pg_sessions)
    second = type(projector)(pg_sessions)
    appeal = story("a-1")

    results = await asyncio.gather(
        first.apply(appeal.dispatched()),
        second.apply(appeal.deadline_set("sign_off")),
    )

    assert results == [True, True]
    async with pg_sessions() as session:
        rows = (await session.scalars(select(WorkOrderFact))).all()
    assert len(rows) == 1
    assert rows[0].dispatched_at is not None
    assert rows[0].sign_off_deadline_at == appeal.sign_off_due()
