"""Fixtures of dispatch's tests: a migrated and seeded store, dispatch's context on a
fixed clock, and builders of the events dispatch consumes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common import db, migrations
from minsheng_common.bus.outbox import Outbox
from minsheng_common.bus.tables import outbox as outbox_table
from minsheng_common.clock import FixedClock
from minsheng_common.events import (
    AppealFiled,
    DeadlineReached,
    DeadlineSet,
    Envelope,
    EventData,
    TopicNames,
    seal,
)
from minsheng_common.reference import load_reference
from minsheng_common.rules import load_rule_book
from minsheng_dispatch import seeding
from minsheng_dispatch.app import MIGRATIONS
from minsheng_dispatch.consumers import DispatchHandlers
from minsheng_dispatch.service import DispatchContext

# Monday 9 March 2026, 10:00 in Shanghai: a working day under the fourth edition.
NOW = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)

Sessions = async_sessionmaker[AsyncSession]


async def migrated_store(url: str) -> tuple[Any, Sessions]:
    """An engine and sessions on a store upgraded to head and seeded."""
    await asyncio.to_thread(migrations.upgrade, MIGRATIONS, url)
    engine = db.make_engine(url)
    sessions = db.make_sessions(engine)
    await seeding.seed(
        sessions,
        load_reference(),
        valid_from=seeding.seeded_valid_from(load_rule_book()),
    )
    return engine, sessions


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[Sessions]:
    """Sessions on a fresh SQLite store, migrated and seeded from the reference."""
    engine, made = await migrated_store(f"sqlite+aiosqlite:///{tmp_path / 'd.db'}")
    yield made
    await engine.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def context(clock: FixedClock) -> DispatchContext:
    return DispatchContext(
        rule_book=load_rule_book(),
        outbox=Outbox(producer="dispatch", topics=TopicNames(), clock=clock),
        clock=clock,
        fallback_unit_id="center",
    )


@pytest.fixture
def handlers(context: DispatchContext) -> DispatchHandlers:
    return DispatchHandlers(context)


def filed(**changes: Any) -> AppealFiled:
    """An appeal.filed body as intake emits it, with `changes` applied."""
    values: dict[str, Any] = {
        "appeal_id": "appeal-1",
        "tracking_code": "MS20260309000001",
        "channel": "hotline-12345",
        "appeal_type": "complaint",
        "category_id": "municipal-facilities",
        "subdistrict_id": "kengzi-jd",
        "community": "秀新社区",
        "title": "路灯不亮",
        "content": "坑梓街道秀新社区某路段路灯不亮，夜间出行不便。",
        "address": "坑梓街道秀新社区",
        "received_at": NOW - timedelta(minutes=20),
        "filed_at": NOW - timedelta(minutes=15),
        "contact_kind": "phone",
        "contact_encrypted": "gAAAA-not-readable-here",
    }
    values.update(changes)
    return AppealFiled(**values)


def sign_off_reached(work_order_id: str, **changes: Any) -> DeadlineReached:
    """A deadline.reached body for a sign-off deadline, as sla emits it."""
    values: dict[str, Any] = {
        "deadline_id": "deadline-1",
        "work_order_id": work_order_id,
        "appeal_id": "appeal-1",
        "unit_id": "cgj",
        "kind": "sign_off",
        "due_at": NOW + timedelta(hours=2),
        "reached_at": NOW + timedelta(hours=2),
    }
    values.update(changes)
    return DeadlineReached(**values)


def sign_off_set(work_order_id: str, **changes: Any) -> DeadlineSet:
    """A deadline.set body for a sign-off deadline, as sla emits it: 2 working hours
    after dispatch (Art. 13)."""
    values: dict[str, Any] = {
        "deadline_id": "deadline-1",
        "work_order_id": work_order_id,
        "appeal_id": "appeal-1",
        "unit_id": "cgj",
        "kind": "sign_off",
        "starts_at": NOW,
        "due_at": NOW + timedelta(hours=2),
        "provisional": False,
        "article": "Art. 13",
        "period": "PT2H",
        "rules_edition": "measures-v4",
    }
    values.update(changes)
    return DeadlineSet(**values)


def envelope(data: EventData, occurred_at: datetime = NOW) -> Envelope:
    return seal(data, producer="test", occurred_at=occurred_at)


@pytest.fixture
def appeal_filed() -> Callable[..., AppealFiled]:
    return filed


@pytest.fixture
def deadline_reached() -> Callable[..., DeadlineReached]:
    return sign_off_reached


@pytest.fixture
def deadline_set() -> Callable[..., DeadlineSet]:
    return sign_off_set


@pytest.fixture
def wrap() -> Callable[..., Envelope]:
    return envelope


async def staged_events(sessions: Sessions) -> list[tuple[str, dict[str, Any]]]:
    """(event type, body) of every event in the outbox, oldest first."""
    async with sessions() as session:
        rows = await session.execute(
            select(outbox_table.c.event_type, outbox_table.c.payload).order_by(
                outbox_table.c.id
            )
        )
        return [
            (event_type, Envelope.model_validate_json(payload).data)
            for event_type, payload in rows.all()
        ]


@pytest.fixture
def outbox_events() -> Callable[[Sessions], Any]:
    return staged_events


@pytest.fixture
def store_factory() -> Callable[[str], Any]:
    return migrated_store
