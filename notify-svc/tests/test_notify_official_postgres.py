"""The official messages, the morning report and the return visits on PostgreSQL:
the migration matches the tables, alerts and urging are queued and sent once, two
replicas compiling the morning report at the same moment send it once, and a
survey answered by SMS raises its reopening candidate."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, func, select

from minsheng_common.events import (
    AppealFiled,
    DeadlineUrged,
    WorkOrderClosed,
)
from minsheng_notify import morning_report, official_models, return_visits
from minsheng_notify.models import Base

EIGHT = datetime(2026, 12, 4, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai


@pytest.fixture
def postgres_url(create_database: Callable[[str], str]) -> str:
    return create_database("notify_official")


def filed(officials: Any, *, level: int = 1) -> AppealFiled:
    notify = officials.notify
    return AppealFiled(
        appeal_id="a-1",
        tracking_code="MS20261203000001",
        channel="hotline-12345",
        appeal_type="complaint",
        category_id="safety",
        subdistrict_id="longtian-jd",
        title="小区围墙出现裂缝并倾斜",
        content="小区围墙出现裂缝并倾斜",
        received_at=EIGHT - timedelta(hours=12),
        filed_at=EIGHT - timedelta(hours=12),
        contact_kind="phone",
        contact_encrypted=notify.vault.encrypt("13800138000"),
        level=level,  # type: ignore[arg-type]
    )


OFFICIAL_TABLES = frozenset(
    {
        "appeal_summaries",
        "work_order_units",
        "raised_warnings",
        "warning_appeals",
        "overdue_items",
        "reminder_letters",
        "morning_reports",
        "surveys",
        "survey_replies",
    }
)


def _official_differences(connection: Connection) -> list[Any]:
    def official(
        item: Any, name: str | None, kind: str, reflected: bool, compare_to: Any
    ) -> bool:
        table = name if kind == "table" else getattr(item.table, "name", None)
        return table in OFFICIAL_TABLES

    context = MigrationContext.configure(connection, opts={"include_object": official})
    return list(compare_metadata(context, Base.metadata))


async def test_notify_official_migration_matches_the_models_on_sqlite(
    make_officials: Any,
) -> None:
    officials = await make_officials()

    async with officials.notify.engine.connect() as connection:
        differences = await connection.run_sync(_official_differences)

    assert set(Base.metadata.tables) >= OFFICIAL_TABLES
    assert differences == []


async def test_notify_official_migration_matches_the_models_on_postgres(
    make_officials: Any, postgres_url: str
) -> None:
    officials = await make_officials(url=postgres_url)

    async with officials.notify.engine.connect() as connection:
        differences = await connection.run_sync(_official_differences)

    assert differences == []


async def test_notify_level_1_alert_and_urging_on_postgres_are_sent_once(
    make_officials: Any, postgres_url: str
) -> None:
    officials = await make_officials(url=postgres_url)
    await officials.apply(filed(officials))
    await officials.apply(filed(officials))
    urged = DeadlineUrged(
        deadline_id="d-1",
        work_order_id="wo-1",
        appeal_id="a-1",
        unit_id="cgj",
        kind="handling",
        step="overdue",
        level=3,
        due_at=EIGHT,
        urged_at=EIGHT,
    )
    await officials.apply(urged)
    await officials.apply(urged)

    await officials.notify.send()
    again = await officials.notify.send()

    letters = await officials.messages("level_1_alert")
    (urging,) = await officials.messages("urging")
    assert len(letters) == 3
    assert {m.status for m in [*letters, urging]} == {"sent"}
    assert again.sent == 0
    assert len(list(officials.oa_folder.iterdir())) == 4
    assert {m.status for m in await officials.messages("telephone_letter")} == {
        "manual"
    }


async def test_notify_morning_report_on_postgres_is_compiled_once_by_two_replicas(
    make_officials: Any, postgres_url: str
) -> None:
    officials = await make_officials(url=postgres_url)
    await officials.apply(filed(officials))
    officials.notify.clock.advance(EIGHT - officials.notify.clock.now())

    results = await asyncio.gather(
        *(
            morning_report.run_due(
                sessions=officials.notify.sessions, context=officials.context
            )
            for _ in range(2)
        )
    )

    compiled = [report for report in results if report is not None]
    assert len(compiled) == 1
    assert compiled[0].level_1_count == 1
    assert len(await officials.messages("morning_report")) == 4
    async with officials.notify.sessions() as session:
        reports = await session.scalar(
            select(func.count()).select_from(official_models.MorningReport)
        )
    assert reports == 1


async def test_notify_survey_on_postgres_answered_by_sms_is_a_candidate(
    make_officials: Any, postgres_url: str
) -> None:
    officials = await make_officials(url=postgres_url)
    await officials.notify.file_appeal("a-1")
    await officials.apply(
        WorkOrderClosed(
            work_order_id="wo-1",
            appeal_id="a-1",
            unit_id="cgj",
            outcome="overdue",
            handled_at=EIGHT,
            closed_at=EIGHT,
            closed_by="operator-1",
        )
    )

    async with officials.notify.sessions() as session:
        outcome = await return_visits.answer_by_sms(
            session=session,
            context=officials.context,
            reply=return_visits.SmsReply(
                message_id="mo-1",
                phone="13800138000",
                text="不满意，问题没解决",
                provider_ref=None,
            ),
        )
    async with officials.notify.sessions() as session:
        candidates = await return_visits.reopen_candidates(
            session=session, include_reopened=False, unit_id="cgj", limit=5, offset=0
        )

    assert outcome.survey.satisfied is False
    assert [c.work_order_id for c in candidates] == ["wo-1"]
    (event,) = await officials.notify.events("return_visit.answered")
    assert event["solved"] is False
