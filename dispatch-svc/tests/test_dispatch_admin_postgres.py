"""The administration's store on PostgreSQL: the migration with its seeded fallback
rules, rules added and closed with history, a unit with open orders kept, projects
routing appeals, and two operators racing for one queued appeal."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Role
from minsheng_common.clock import FixedClock
from minsheng_common.events import AppealFiled, Envelope
from minsheng_common.rules import load_rule_book
from minsheng_dispatch import routing
from minsheng_dispatch.admin import context as admin_context
from minsheng_dispatch.admin import lookup, projects, queue, registry, table
from minsheng_dispatch.admin.context import AdminContext
from minsheng_dispatch.admin.errors import AlreadyDispatched, UnitHasOpenOrders
from minsheng_dispatch.admin.history import Subject
from minsheng_dispatch.admin.models import RegistryChange, RoutingRuleDetail
from minsheng_dispatch.admin.schemas import (
    ProjectIn,
    QueueDispatchIn,
    RoutingRuleIn,
)
from minsheng_dispatch.consumers import DispatchHandlers

NOW = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
SUPERVISOR = Principal(subject="li", role=Role.SUPERVISOR)
OPERATORS = [Principal(subject=name, role=Role.OPERATOR) for name in ("wang", "zhao")]


@pytest.fixture
async def pg_sessions(
    create_database: Callable[[str], str], store_factory: Callable[[str], Any]
) -> AsyncIterator[Any]:
    url = await asyncio.to_thread(create_database, "dispatch_admin")
    engine, sessions = await store_factory(url)
    yield sessions
    await engine.dispose()


@pytest.fixture
def admin(clock: FixedClock) -> AdminContext:
    return admin_context.build(
        clock=clock, rule_book=load_rule_book(), fallback_unit_id="center"
    )


async def route_of(sessions: Any, appeal: AppealFiled) -> routing.Route:
    async with sessions() as session:
        return await lookup.route_appeal(
            session, appeal=appeal, at=NOW, fallback_unit="center"
        )


async def test_dispatch_admin_postgres_seeds_fallbacks_and_keeps_rule_history(
    pg_sessions: Any,
    admin: AdminContext,
    appeal_filed: Callable[..., AppealFiled],
) -> None:
    async with pg_sessions() as session:
        fallbacks = list(
            await session.scalars(
                select(RoutingRuleDetail).where(RoutingRuleDetail.kind == "fallback")
            )
        )
        added, _ = await table.add_rule(
            session=session,
            context=admin,
            principal=SUPERVISOR,
            incoming=RoutingRuleIn(
                category_id="transport",
                unit_id="jjdd",
                subdistrict_id="kengzi-jd",
                community="秀新社区",
                reason="交警负责",
            ),
        )
    routed = await route_of(
        pg_sessions, appeal_filed(category_id="transport", community="秀新社区")
    )
    async with pg_sessions() as session:
        await table.retire_rule(
            session=session,
            context=admin,
            principal=SUPERVISOR,
            rule_id=added.rule.id,
            reason="调整",
        )
        changes = list(
            await session.scalars(
                select(RegistryChange.change).where(
                    RegistryChange.subject_id == str(added.rule.id)
                )
            )
        )

    assert len(fallbacks) == 1  # city-sanitation's default unit
    assert (routed.unit_id, routed.reason) == ("jjdd", routing.Reason.COMMUNITY)
    assert changes == ["added", "retired"]


async def test_dispatch_admin_postgres_unit_with_open_order_is_kept(
    pg_sessions: Any,
    admin: AdminContext,
    handlers: DispatchHandlers,
    wrap: Callable[..., Envelope],
    appeal_filed: Callable[..., AppealFiled],
) -> None:
    appeal = appeal_filed()
    async with pg_sessions() as session, session.begin():
        await handlers.on_appeal_filed(session, wrap(appeal), appeal)

    async with pg_sessions() as session:
        open_orders = await lookup.open_orders(session, "cgj")
        with pytest.raises(UnitHasOpenOrders):
            await registry.retire_unit(
                session=session,
                context=admin,
                principal=SUPERVISOR,
                unit_id="cgj",
                reason="撤并",
            )
        retired = await lookup.retired(session, Subject.UNIT)

    assert open_orders == 1
    assert retired == frozenset()


async def test_dispatch_admin_postgres_project_routes_its_road(
    pg_sessions: Any,
    admin: AdminContext,
    appeal_filed: Callable[..., AppealFiled],
) -> None:
    async with pg_sessions() as session:
        project = await projects.register(
            session=session,
            context=admin,
            principal=SUPERVISOR,
            incoming=ProjectIn(
                name="坪山大道改造",
                kind="road",
                builder="某公司",
                starts_on=date(2026, 3, 9),
                ends_on=date(2026, 12, 31),
                subdistrict_id="pingshan-jd",
                road="坪山大道",
                person_in_charge="张工",
                contact="13800138000",
                unit_id="jtj",
                urgent=True,
                urgent_reason="抢修",
            ),
        )

    route = await route_of(
        pg_sessions, appeal_filed(address="坪山大道1号", content="施工噪音")
    )

    assert (route.unit_id, route.project_id) == ("jtj", project.id)


async def test_dispatch_admin_postgres_two_operators_one_queued_appeal(
    pg_sessions: Any,
    admin: AdminContext,
    appeal_filed: Callable[..., AppealFiled],
) -> None:
    appeal = appeal_filed(appeal_id="appeal-q", category_id=None, subdistrict_id=None)
    route = await route_of(pg_sessions, appeal)
    async with pg_sessions() as session, session.begin():
        await queue.enqueue(session, appeal=appeal, route=route, at=NOW)
    made: list[str] = []

    async def fake(
        *,
        session: AsyncSession,
        appeal: AppealFiled,
        route: routing.Route,
        actor: str,
    ) -> str | None:
        made.append(actor)
        return f"wo-{appeal.appeal_id}"

    async def choose(principal: Principal, unit_id: str) -> Any:
        async with pg_sessions() as session:
            try:
                return await queue.dispatch(
                    session=session,
                    context=admin,
                    dispatcher=fake,
                    principal=principal,
                    appeal_id="appeal-q",
                    incoming=QueueDispatchIn(unit_id=unit_id, reason="选择"),
                )
            except AlreadyDispatched as error:
                return error

    results = await asyncio.gather(
        choose(OPERATORS[0], "swj"), choose(OPERATORS[1], "cgj")
    )
    async with pg_sessions() as session:
        rows, total = await queue.entries(
            session, state="dispatched", limit=10, offset=0
        )

    assert not route.certain
    assert sum(isinstance(result, AlreadyDispatched) for result in results) == 1
    assert len(made) == 1
    assert total == 1
    (entry,) = rows
    assert entry.work_order_id == "wo-appeal-q"
    assert entry.dispatch_seconds == (NOW - appeal.filed_at).total_seconds()
    assert entry.resolved_at is not None
    assert abs(entry.resolved_at - NOW) < timedelta(seconds=1)
