"""The triage queue on the store (SQLite and PostgreSQL): an appeal whose category
suggestion is not confident enough waits for an operator (Art. 8); the operator's
category, name, time and reason are recorded once, and the appeal takes the
category."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI

from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import SCOPES, Role
from minsheng_common.runtime import ServiceRuntime
from minsheng_intake.classification import service
from minsheng_intake.classification.errors import (
    AlreadyClassified,
    NotWaiting,
    ReasonMissing,
)
from minsheng_intake.classification.models import AppealTriage
from minsheng_intake.classification.suggester import Suggestion
from minsheng_intake.errors import UnknownCategory
from minsheng_intake.models import Appeal

Submit = Callable[..., Awaitable[dict[str, Any]]]

QUEUED_AT = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
WEAK = Suggestion(
    category_id="planning-construction",
    confidence=0.31,
    ranked=[("planning-construction", 0.31), ("city-sanitation", 0.27)],
)
OPERATOR = Principal(
    subject="key:wang", role=Role.OPERATOR, scopes=SCOPES[Role.OPERATOR]
)


async def queue(
    app: FastAPI, appeal_id: str, at: datetime, suggestion: Suggestion = WEAK
) -> None:
    runtime: ServiceRuntime = app.state.runtime
    async with runtime.sessions() as session:
        appeal = await session.get(Appeal, appeal_id)
        assert appeal is not None
        await service.queue_for_triage(
            session, appeal=appeal, suggestion=suggestion, at=at
        )
        await session.commit()


async def entry(app: FastAPI, appeal_id: str) -> AppealTriage | None:
    runtime: ServiceRuntime = app.state.runtime
    async with runtime.sessions() as session:
        return await session.get(AppealTriage, appeal_id)


async def resolve(
    app: FastAPI, appeal_id: str, category_id: str = "city-sanitation"
) -> service.Resolution:
    runtime: ServiceRuntime = app.state.runtime
    async with runtime.sessions() as session:
        resolution = await service.resolve(
            session,
            appeal_id=appeal_id,
            category_id=category_id,
            principal=OPERATOR,
            reason="垃圾清运属市容环卫",
            at=QUEUED_AT + timedelta(hours=1),
        )
        await session.commit()
        return resolution


@pytest.mark.parametrize(
    ("category_id", "confidence", "waits"),
    [
        ("transport", 0.49, True),
        ("transport", 0.5, False),
        ("transport", 0.93, False),
        (None, 0.0, True),
    ],
)
def test_a_suggestion_below_the_threshold_needs_an_operator(
    category_id: str | None, confidence: float, waits: bool
) -> None:
    suggestion = Suggestion(category_id=category_id, confidence=confidence)

    assert service.needs_operator(suggestion) is waits


async def test_a_queued_appeal_keeps_the_suggestion_and_waits(
    app: FastAPI, submit: Submit
) -> None:
    appeal = await submit()

    await queue(app, appeal["id"], QUEUED_AT)

    queued = await entry(app, appeal["id"])
    assert queued is not None
    assert queued.suggested_category_id == "planning-construction"
    assert queued.confidence == pytest.approx(0.31)
    assert queued.ranked == [
        {"category_id": "planning-construction", "confidence": 0.31},
        {"category_id": "city-sanitation", "confidence": 0.27},
    ]
    assert queued.queued_at == QUEUED_AT
    assert queued.resolved_at is None


async def test_waiting_appeals_come_oldest_first_and_resolved_ones_leave(
    app: FastAPI, submit: Submit
) -> None:
    later = await submit(channel_ref="later")
    earlier = await submit(channel_ref="earlier")
    resolved = await submit(channel_ref="resolved")
    await queue(app, later["id"], QUEUED_AT + timedelta(minutes=5))
    await queue(app, earlier["id"], QUEUED_AT)
    await queue(app, resolved["id"], QUEUED_AT - timedelta(minutes=5))
    await resolve(app, resolved["id"])

    runtime: ServiceRuntime = app.state.runtime
    async with runtime.sessions() as session:
        rows, total = await service.waiting(session, limit=10, offset=0)

    assert [appeal.id for _entry, appeal in rows] == [earlier["id"], later["id"]]
    assert total == 2


async def test_resolving_records_who_when_why_and_sets_the_appeals_category(
    app: FastAPI, submit: Submit
) -> None:
    appeal = await submit(category_hint=None)
    await queue(app, appeal["id"], QUEUED_AT)

    resolution = await resolve(app, appeal["id"])

    assert resolution.appeal.id == appeal["id"]
    assert resolution.appeal.category_id == "city-sanitation"
    resolved = await entry(app, appeal["id"])
    assert resolved is not None
    assert resolved.category_id == "city-sanitation"
    assert resolved.resolved_by == OPERATOR.label()
    assert resolved.resolved_at == QUEUED_AT + timedelta(hours=1)
    assert resolved.reason == "垃圾清运属市容环卫"
    runtime: ServiceRuntime = app.state.runtime
    async with runtime.sessions() as session:
        stored = await session.get(Appeal, appeal["id"])
        assert stored is not None
        assert stored.category_id == "city-sanitation"


async def test_an_appeal_classified_once_is_classified_already(
    app: FastAPI, submit: Submit
) -> None:
    appeal = await submit()
    await queue(app, appeal["id"], QUEUED_AT)
    await resolve(app, appeal["id"], "city-sanitation")

    with pytest.raises(AlreadyClassified):
        await resolve(app, appeal["id"], "transport")

    resolved = await entry(app, appeal["id"])
    assert resolved is not None
    assert resolved.category_id == "city-sanitation"


async def test_of_two_operators_classifying_at_once_exactly_one_wins(
    app: FastAPI, submit: Submit
) -> None:
    appeal = await submit()
    await queue(app, appeal["id"], QUEUED_AT)

    outcomes = await asyncio.gather(
        resolve(app, appeal["id"], "city-sanitation"),
        resolve(app, appeal["id"], "transport"),
        return_exceptions=True,
    )

    won = [outcome for outcome in outcomes if isinstance(outcome, service.Resolution)]
    lost = [outcome for outcome in outcomes if isinstance(outcome, AlreadyClassified)]
    assert len(won) == 1
    assert len(lost) == 1
    resolved = await entry(app, appeal["id"])
    assert resolved is not None
    assert resolved.category_id == won[0].appeal.category_id


async def test_an_appeal_never_queued_or_missing_is_not_waiting(
    app: FastAPI, submit: Submit
) -> None:
    appeal = await submit()

    for appeal_id in (appeal["id"], "no-such-appeal"):
        with pytest.raises(NotWaiting):
            await resolve(app, appeal_id)


async def test_queued_again_an_appeal_waits_again_with_the_new_suggestion(
    app: FastAPI, submit: Submit
) -> None:
    appeal = await submit()
    await queue(app, appeal["id"], QUEUED_AT)
    await resolve(app, appeal["id"])
    again = Suggestion(category_id="transport", confidence=0.2, ranked=[])

    await queue(app, appeal["id"], QUEUED_AT + timedelta(days=1), again)

    queued = await entry(app, appeal["id"])
    assert queued is not None
    assert queued.resolved_at is None
    assert queued.category_id is None
    assert queued.suggested_category_id == "transport"


async def test_classifying_refuses_an_unknown_category_or_no_reason_and_changes_nothing(
    app: FastAPI, submit: Submit
) -> None:
    appeal = await submit()
    await queue(app, appeal["id"], QUEUED_AT)
    runtime: ServiceRuntime = app.state.runtime

    for category_id, reason, error in [
        ("no-such-category", "理由", UnknownCategory),
        ("transport", " 。。", ReasonMissing),
    ]:
        async with runtime.sessions() as session:
            with pytest.raises(error):
                await service.classify(
                    session,
                    context=app.state.context,
                    appeal_id=appeal["id"],
                    category_id=category_id,
                    reason=reason,
                    principal=OPERATOR,
                    at=QUEUED_AT,
                )

    waiting = await entry(app, appeal["id"])
    assert waiting is not None
    assert waiting.resolved_at is None


def test_the_held_event_says_the_appeal_waits_for_classification() -> None:
    appeal = Appeal(id="a-1", tracking_code="PS-1", channel="wechat")

    held = service.held_event(appeal, QUEUED_AT)

    assert held.reason == "classification"
    assert (held.appeal_id, held.tracking_code, held.channel) == (
        "a-1",
        "PS-1",
        "wechat",
    )
    assert held.held_at == QUEUED_AT
