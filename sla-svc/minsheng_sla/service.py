"""Starting, meeting and reaching the clocks on work orders.

Every function works inside the caller's transaction and stages its events in the
same one; consumers and the watcher own the commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import ids, working_calendar
from minsheng_common.bus.outbox import Outbox
from minsheng_common.clock import Clock
from minsheng_common.events import (
    AcceptanceNoticeRequested,
    DeadlineMet,
    DeadlineReached,
    DeadlineSet,
    WorkOrderDispatched,
    WorkOrderSigned,
)
from minsheng_common.rules import RuleBook, RuleEdition
from minsheng_sla import periods, repository
from minsheng_sla.errors import NoRuleEdition, WorkOrderNotFound
from minsheng_sla.models import MET, PENDING, REACHED, Deadline

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SlaContext:
    """What the SLA rules need besides the store."""

    calendar: working_calendar.WorkingCalendar
    rules: RuleBook
    outbox: Outbox
    clock: Clock


@dataclass(frozen=True)
class Order:
    """The work order a clock belongs to, as the events name it."""

    work_order_id: str
    appeal_id: str
    unit_id: str


async def start_on_dispatch(
    *, session: AsyncSession, context: SlaContext, dispatched: WorkOrderDispatched
) -> None:
    """Start the sign-off (Art. 13) and handling (Art. 15) clocks of a dispatched
    work order; a clock that already runs is left alone."""
    edition = periods.edition_for(context.rules, dispatched.created_at)
    if edition.id != dispatched.rules_edition:
        log.warning(
            "work order %s: dispatch names rules edition %s, but %s was in force "
            "when it was created; its clocks follow %s",
            dispatched.work_order_id,
            dispatched.rules_edition,
            edition.id,
            edition.id,
        )
    order = Order(
        work_order_id=dispatched.work_order_id,
        appeal_id=dispatched.appeal_id,
        unit_id=dispatched.unit_id,
    )
    plans = [
        periods.sign_off(
            calendar=context.calendar,
            edition=edition,
            dispatched_at=dispatched.dispatched_at,
        ),
        periods.handling(
            calendar=context.calendar,
            edition=edition,
            created_at=dispatched.created_at,
            appeal_type=dispatched.appeal_type,
        ),
    ]
    for plan in plans:
        await _start(session, context, order, plan)


async def record_signed(
    *, session: AsyncSession, context: SlaContext, signed: WorkOrderSigned
) -> None:
    """Stop the sign-off clock and start the acceptance-notice clock (Art. 28).

    A manual signature meets the sign-off clock, late if after its due time. A
    default signature (默认签收) follows the clock running out, so it only makes sure
    the clock reads reached; it is not the unit meeting it.
    """
    order = Order(
        work_order_id=signed.work_order_id,
        appeal_id=signed.appeal_id,
        unit_id=signed.unit_id,
    )
    sign_off = await repository.by_kind(
        session, signed.work_order_id, "sign_off", for_update=True
    )
    if sign_off is None:
        log.warning(
            "work order %s (appeal %s) signed but sla has no sign-off clock for it",
            signed.work_order_id,
            signed.appeal_id,
        )
    elif signed.mode == "auto":
        _close_by_default(sign_off, signed.signed_at)
    else:
        await _meet(session, context, sign_off, met_at=signed.signed_at)

    edition = await _edition_of(
        session, context, signed.work_order_id, signed.signed_at
    )
    plan = periods.acceptance_notice(
        calendar=context.calendar, edition=edition, signed_at=signed.signed_at
    )
    await _start(session, context, order, plan)


async def record_acceptance_notice(
    *,
    session: AsyncSession,
    context: SlaContext,
    requested: AcceptanceNoticeRequested,
) -> None:
    """Meet the acceptance-notice clock: the unit asked for the notice (Art. 28)."""
    deadline = await repository.by_kind(
        session, requested.work_order_id, "acceptance_notice", for_update=True
    )
    if deadline is None:
        log.warning(
            "work order %s (appeal %s): acceptance notice %s requested before any "
            "signature reached sla; no clock to stop",
            requested.work_order_id,
            requested.appeal_id,
            requested.request_id,
        )
        return
    await _meet(session, context, deadline, met_at=requested.requested_at)


async def reach_due(
    *, session: AsyncSession, outbox: Outbox, now: datetime, limit: int
) -> list[Deadline]:
    """Mark up to `limit` pending clocks due by `now` as reached and say so on the
    bus (deadline.reached), in the caller's transaction."""
    reached = await repository.claim_due(session, now=now, limit=limit)
    for deadline in reached:
        await outbox.stage(
            session,
            DeadlineReached(
                deadline_id=deadline.id,
                work_order_id=deadline.work_order_id,
                appeal_id=deadline.appeal_id,
                unit_id=deadline.unit_id,
                kind=deadline.kind,
                due_at=deadline.due_at,
                reached_at=now,
            ),
            occurred_at=now,
        )
        log.info(
            "work order %s (unit %s): %s deadline %s reached, due %s",
            deadline.work_order_id,
            deadline.unit_id,
            deadline.kind,
            deadline.id,
            deadline.due_at.isoformat(),
        )
    return reached


async def deadlines_of(
    *, session: AsyncSession, work_order_id: str, unit_id: str | None
) -> list[Deadline]:
    """Every clock on a work order of `unit_id` (of any unit when None), or
    `WorkOrderNotFound` when none runs: another unit's work order is answered
    exactly as an unknown one."""
    deadlines = [
        deadline
        for deadline in await repository.for_work_order(session, work_order_id)
        if unit_id is None or deadline.unit_id == unit_id
    ]
    if not deadlines:
        raise WorkOrderNotFound(
            f"no deadlines for work order {work_order_id}: sla has not received its "
            "dispatch, or the id is wrong",
            field="work_order_id",
        )
    return deadlines


async def list_deadlines(
    *,
    session: AsyncSession,
    visible_unit: str | None,
    status: str | None,
    kind: str | None,
    unit_id: str | None,
    due_before: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[Deadline], int]:
    """Clocks matching the filters, soonest due first, with how many match in all;
    a unit (`visible_unit`) gets only its own, whatever `unit_id` it asks for."""
    if visible_unit is not None and unit_id not in (None, visible_unit):
        return [], 0
    return await repository.page(
        session,
        status=status,
        kind=kind,
        unit_id=visible_unit or unit_id,
        due_before=due_before,
        limit=limit,
        offset=offset,
    )


async def _start(
    session: AsyncSession, context: SlaContext, order: Order, plan: periods.Plan
) -> None:
    deadline_id = ids.new_id()
    added = await repository.insert_if_absent(
        session,
        {
            "id": deadline_id,
            "work_order_id": order.work_order_id,
            "appeal_id": order.appeal_id,
            "unit_id": order.unit_id,
            "kind": plan.kind,
            "starts_at": plan.starts_at,
            "due_at": plan.due.at,
            "provisional": plan.due.provisional,
            "article": plan.article,
            "period": plan.period,
            "rules_edition": plan.rules_edition,
            "status": PENDING,
        },
    )
    if not added:
        log.info(
            "work order %s: %s deadline already set; nothing new",
            order.work_order_id,
            plan.kind,
        )
        return

    await context.outbox.stage(
        session,
        DeadlineSet(
            deadline_id=deadline_id,
            work_order_id=order.work_order_id,
            appeal_id=order.appeal_id,
            unit_id=order.unit_id,
            kind=plan.kind,
            starts_at=plan.starts_at,
            due_at=plan.due.at,
            provisional=plan.due.provisional,
            article=plan.article,
            period=plan.period,
            rules_edition=plan.rules_edition,
        ),
    )
    log.info(
        "work order %s (unit %s): %s deadline %s set, %s from %s, due %s%s",
        order.work_order_id,
        order.unit_id,
        plan.kind,
        deadline_id,
        plan.period,
        plan.starts_at.isoformat(),
        plan.due.at.isoformat(),
        " (provisional calendar)" if plan.due.provisional else "",
    )


async def _meet(
    session: AsyncSession, context: SlaContext, deadline: Deadline, *, met_at: datetime
) -> None:
    if deadline.status == MET:
        log.info(
            "work order %s: %s deadline already met; nothing new",
            deadline.work_order_id,
            deadline.kind,
        )
        return

    late = met_at > deadline.due_at
    deadline.status = MET
    deadline.met_at = met_at
    await context.outbox.stage(
        session,
        DeadlineMet(
            deadline_id=deadline.id,
            work_order_id=deadline.work_order_id,
            appeal_id=deadline.appeal_id,
            unit_id=deadline.unit_id,
            kind=deadline.kind,
            due_at=deadline.due_at,
            met_at=met_at,
            late=late,
        ),
    )
    log.info(
        "work order %s (unit %s): %s deadline %s met%s",
        deadline.work_order_id,
        deadline.unit_id,
        deadline.kind,
        deadline.id,
        " late" if late else " in time",
    )


def _close_by_default(deadline: Deadline, signed_at: datetime) -> None:
    # The default signature answers deadline.reached, so the clock normally reads
    # reached already; if this event overtook the watcher, record the same outcome
    # without a second announcement.
    if deadline.status != PENDING:
        return
    deadline.status = REACHED
    deadline.reached_at = signed_at
    log.info(
        "work order %s: signed by default; sign-off deadline %s recorded as reached",
        deadline.work_order_id,
        deadline.id,
    )


async def _edition_of(
    session: AsyncSession, context: SlaContext, work_order_id: str, fallback: datetime
) -> RuleEdition:
    """The edition the work order's clocks already follow (the one in force when it
    was created); the edition in force at `fallback` if it has none yet."""
    for deadline in await repository.for_work_order(session, work_order_id):
        try:
            return context.rules.by_id(deadline.rules_edition)
        except KeyError:
            raise NoRuleEdition(
                f"work order {work_order_id} follows rules edition "
                f"{deadline.rules_edition}, which the rule book no longer has",
                field="rules_edition",
            ) from None
    return periods.edition_for(context.rules, fallback)
