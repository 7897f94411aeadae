"""Every clock sla keeps lands in the projection, whatever its kind, and a kind the
projection has no columns for is left out instead of failing the event; the
reply-template clock (Art. 43) is shown and enters no rate. On SQLite and
PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, get_args

import pytest

from minsheng_analytics import consumers, repository, service
from minsheng_analytics.models import CLOCK_KINDS, WorkOrderFact
from minsheng_common.clock import FixedClock
from minsheng_common.events import (
    DeadlineMet,
    DeadlineReached,
    DeadlineSet,
    WorkOrderClosed,
    seal,
)
from minsheng_common.events.catalogue import DeadlineKind, UrgingStep
from minsheng_common.reference import load_reference
from minsheng_common.rules import load_rule_book

KINDS: tuple[str, ...] = get_args(DeadlineKind)
CLOCK_COLUMNS = (
    "deadline_at",
    "provisional",
    "deadline_version",
    "reached",
    "met_at",
    "met_late",
)


async def order_row(sessions: Any, work_order_id: str) -> Any:
    async with sessions() as session:
        return await session.get(WorkOrderFact, work_order_id)


def context() -> service.AnalyticsContext:
    return service.AnalyticsContext(
        reference=load_reference(),
        rule_book=load_rule_book(),
        clock=FixedClock(datetime(2026, 3, 20, 8, 0, tzinfo=UTC)),
        refresh_seconds=10,
        recent=20,
    )


def test_analytics_every_deadline_kind_has_its_clock_columns() -> None:
    columns = set(WorkOrderFact.__table__.columns.keys())

    assert set(KINDS) <= set(CLOCK_KINDS)
    for kind in CLOCK_KINDS:
        assert {f"{kind}_{column}" for column in CLOCK_COLUMNS} <= columns, kind


def test_analytics_every_urging_step_has_its_column_art_39() -> None:
    columns = set(WorkOrderFact.__table__.columns.keys())

    assert set(consumers.URGED_COLUMNS) == set(get_args(UrgingStep))
    assert set(consumers.URGED_COLUMNS.values()) <= columns


@pytest.mark.parametrize("kind", KINDS)
async def test_analytics_a_clock_of_every_kind_is_set_reached_and_met(
    store_projector: Any, store: Any, story: Callable[..., Any], kind: str
) -> None:
    appeal = story("a-1")
    due = appeal.sign_off_due()

    await store_projector.apply_all(
        [
            appeal.deadline_set(kind, due=due),
            appeal.deadline_reached(kind),
            appeal.deadline_met(minutes=500, kind=kind),
        ]
    )

    row = await order_row(store, appeal.work_order_id)
    assert getattr(row, f"{kind}_deadline_at") == due
    assert getattr(row, f"{kind}_provisional") is False
    assert getattr(row, f"{kind}_reached") is True
    assert getattr(row, f"{kind}_met_at") == appeal.at(500)
    assert getattr(row, f"{kind}_met_late") is True
    for other in set(KINDS) - {kind}:
        assert getattr(row, f"{other}_deadline_at") is None, other
        assert getattr(row, f"{other}_reached") is False, other


async def test_analytics_a_clock_kind_without_columns_is_left_out_not_failed(
    sessions: Any, story: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    """A kind the catalogue gains before the projection does would otherwise fail
    the event, be retried and end dead-lettered."""
    appeal = story("a-1")
    set_data, occurred = appeal.deadline_set("handling")
    reached_data, _ = appeal.deadline_reached("handling")
    met_data, _ = appeal.deadline_met(minutes=500, kind="handling")
    envelope = seal(set_data, producer="test", occurred_at=occurred)
    new_kind = "project_registration"
    unknown = [
        (consumers.on_deadline_set, DeadlineSet, set_data),
        (consumers.on_deadline_reached, DeadlineReached, reached_data),
        (consumers.on_deadline_met, DeadlineMet, met_data),
    ]

    caplog.set_level(logging.WARNING, logger="minsheng_analytics.consumers")
    async with sessions() as session:
        for handler, model, data in unknown:
            values = {**data.model_dump(), "kind": new_kind}
            await handler(session, envelope, model.model_construct(**values))
        await session.commit()

    row = await order_row(sessions, appeal.work_order_id)
    assert (row.appeal_id, row.unit_id) == ("a-1", "cgj")
    assert row.last_event_at == occurred
    for kind in KINDS:
        assert getattr(row, f"{kind}_deadline_at") is None, kind
        assert getattr(row, f"{kind}_met_at") is None, kind
    warnings = [r for r in caplog.records if new_kind in r.getMessage()]
    assert len(warnings) == len(unknown)


async def test_analytics_reply_template_clocks_are_shown_not_penalised_art_43(
    store_projector: Any, store: Any, story: Callable[..., Any]
) -> None:
    """Sending templates is optional (Art. 43, 可): a clock run out or met late
    shows in the reply-template counts and in no rate."""
    on_time, late, missed = story("a-1"), story("a-2"), story("a-3", unit_id="swj")
    life = []
    for appeal in (on_time, late, missed):
        life += [appeal.appeal_received(), appeal.appeal_filed(), appeal.dispatched()]
        life.append(closed(appeal, minutes=60))
    without_templates = await kpis_after(store_projector, store, life)

    # Due two hours after dispatch, as the story's clocks are.
    templates = [
        on_time.deadline_set("reply_template"),
        on_time.deadline_met(minutes=100, kind="reply_template"),
        late.deadline_set("reply_template"),
        late.deadline_reached("reply_template"),
        late.deadline_met(minutes=500, kind="reply_template"),
        missed.deadline_set("reply_template"),
        missed.deadline_reached("reply_template"),
    ]
    with_templates = await kpis_after(store_projector, store, templates)

    assert with_templates.rates == without_templates.rates
    for unit in ("cgj", "swj"):
        assert (
            with_templates.by_unit[unit].rates == without_templates.by_unit[unit].rates
        )
    totals = with_templates.totals
    assert (
        totals.reply_templates_asked,
        totals.reply_templates_received,
        totals.reply_templates_in_time,
    ) == (3, 2, 1)
    assert with_templates.by_unit["swj"].reply_templates_asked == 1
    assert with_templates.by_unit["swj"].reply_templates_received == 0
    assert without_templates.totals.reply_templates_asked == 0


def closed(appeal: Any, *, minutes: float) -> Any:
    at = appeal.at(appeal.received + minutes)
    event = WorkOrderClosed(
        work_order_id=appeal.work_order_id,
        appeal_id=appeal.appeal_id,
        unit_id=appeal.unit_id,
        outcome="on_time",
        handled_at=at,
        closed_at=at,
        closed_by="operator",
    )
    return event, at


async def kpis_after(projector: Any, sessions: Any, steps: list[Any]) -> Any:
    await projector.apply_all(steps)
    async with sessions() as session:
        return await service.kpis(
            session=session, context=context(), within=repository.Window()
        )
