"""Which unit holds which appeal, learnt from work_order.dispatched, and the store's
migration to revision 0002."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from sqlalchemy import JSON, Boolean, String, Text, column, insert, select, table

from minsheng_common import migrations
from minsheng_common.db import UTCDateTime, make_engine
from minsheng_common.events import WorkOrderDispatched, seal
from minsheng_common.runtime import ServiceRuntime
from minsheng_common.settings import async_url
from minsheng_intake import consumers
from minsheng_intake.app import MIGRATIONS
from minsheng_intake.models import Appeal, AppealUnit

NOW = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)


def dispatched(work_order_id: str, unit_id: str, at: datetime) -> WorkOrderDispatched:
    return WorkOrderDispatched(
        work_order_id=work_order_id,
        appeal_id="appeal-1",
        tracking_code="MS-1",
        unit_id=unit_id,
        appeal_type="complaint",
        filed_at=NOW,
        created_at=NOW,
        dispatched_at=at,
        route_basis="category",
        rules_edition="2024",
    )


async def deliver(app: FastAPI, data: WorkOrderDispatched) -> None:
    runtime: ServiceRuntime = app.state.runtime
    async with runtime.sessions() as session:
        envelope = seal(data, producer="dispatch", occurred_at=data.dispatched_at)
        await consumers.on_work_order_dispatched(session, envelope, data)
        await session.commit()


async def holders(app: FastAPI) -> list[tuple[str, str, str]]:
    runtime: ServiceRuntime = app.state.runtime
    async with runtime.sessions() as session:
        rows = await session.execute(
            select(
                AppealUnit.appeal_id, AppealUnit.unit_id, AppealUnit.work_order_id
            ).order_by(AppealUnit.unit_id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_intake_consumes_work_orders_and_warnings_one_group_per_topic(
    app: FastAPI,
) -> None:
    holders, alerts = consumers.specs(app.state.context)

    assert holders.topics == ["work-orders"]
    assert set(holders.handlers) == {
        "work_order.dispatched",
        "work_order.closed",
        "work_order.reopened",
        "work_order.merged",
    }
    assert alerts.topics == ["alerts"]
    assert set(alerts.handlers) == {"warning.raised"}


async def test_a_dispatched_order_makes_its_unit_a_holder(app: FastAPI) -> None:
    await deliver(app, dispatched("wo-1", "cgj", NOW))
    await deliver(app, dispatched("wo-2", "jtj", NOW))

    assert await holders(app) == [
        ("appeal-1", "cgj", "wo-1"),
        ("appeal-1", "jtj", "wo-2"),
    ]


async def test_the_same_unit_again_keeps_one_row_with_the_latest_order(
    app: FastAPI,
) -> None:
    await deliver(app, dispatched("wo-2", "cgj", NOW + timedelta(hours=1)))
    await deliver(app, dispatched("wo-1", "cgj", NOW))
    await deliver(app, dispatched("wo-2", "cgj", NOW + timedelta(hours=1)))

    assert await holders(app) == [("appeal-1", "cgj", "wo-2")]


# The appeals table as revision 0001 left it (the columns a row needs).
APPEALS_0001 = table(
    "appeals",
    column("id", String),
    column("tracking_code", String),
    column("channel", String),
    column("channel_ref", String),
    column("appeal_type", String),
    column("title", Text),
    column("content", Text),
    column("attachments", JSON),
    column("consent_to_disclose", Boolean),
    column("received_at", UTCDateTime()),
    column("received_zone_assumed", Boolean),
    column("status", String),
    column("decided_at", UTCDateTime()),
)


def test_migration_0002_closes_rejected_appeals_at_their_decision(
    store_url: str,
) -> None:
    url = async_url(store_url)
    migrations.upgrade(MIGRATIONS, url, "0001")
    asyncio.run(_insert_appeals(url))

    migrations.upgrade(MIGRATIONS, url)

    assert asyncio.run(_closed_at(url)) == {"filed": None, "rejected": NOW}


async def _insert_appeals(url: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            for status in ("filed", "rejected"):
                await connection.execute(
                    insert(APPEALS_0001).values(
                        id=status,
                        tracking_code=status,
                        channel="wechat",
                        channel_ref=status,
                        appeal_type="complaint",
                        title="",
                        content="",
                        attachments=[],
                        consent_to_disclose=False,
                        received_at=NOW - timedelta(hours=1),
                        received_zone_assumed=False,
                        status=status,
                        decided_at=NOW,
                    )
                )
    finally:
        await engine.dispose()


async def _closed_at(url: str) -> dict[str, datetime | None]:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(select(Appeal.id, Appeal.closed_at))
            return {row[0]: row[1] for row in rows}
    finally:
        await engine.dispose()
