"""Handling an order: progress notes (办理进展) and the handling notice to the
citizen (办理告知, Art. 29)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import ids, redaction
from minsheng_common.auth.principal import Principal
from minsheng_common.events import (
    HandlingNoticeRequested,
    NoticeSent,
    WorkOrderProgressAdded,
)
from minsheng_dispatch import repository, service
from minsheng_dispatch.errors import HandlingNoticeAlreadyRequested
from minsheng_dispatch.lifecycle import common, states
from minsheng_dispatch.lifecycle.states import Step
from minsheng_dispatch.models import WorkOrder
from minsheng_dispatch.schemas import HandlingNoticeIn, ProgressIn
from minsheng_dispatch.service import SYSTEM, DispatchContext
from minsheng_dispatch.special import roles

log = logging.getLogger(__name__)

HANDLING_NOTICE_KIND = "handling"
"""The kind notify gives a handling notice in notice.sent."""


@dataclass(frozen=True)
class HandlingNotice:
    """A handling notice handed to the platform to send for the unit."""

    request_id: str
    work_order_id: str
    appeal_id: str
    unit_id: str
    message: str
    requested_by: str
    requested_at: datetime


async def add_progress(
    *,
    session: AsyncSession,
    context: DispatchContext,
    principal: Principal,
    work_order_id: str,
    incoming: ProgressIn,
) -> WorkOrder:
    """The caller's unit notes how the handling goes; the first note puts a signed
    order in progress. Commits."""
    note = redaction.redact(incoming.note)
    order = await common.units_order(session, principal, work_order_id)
    states.check(order, Step.ADD_PROGRESS)
    now = context.clock.now()
    actor = principal.label()
    order = await common.transition(
        session,
        context,
        order,
        Step.ADD_PROGRESS,
        action="progress_added",
        actor=actor,
        at=now,
        values={
            "status": repository.IN_PROGRESS,
            "progress_started_at": func.coalesce(WorkOrder.progress_started_at, now),
        },
        detail={"note": note},
        events=[
            WorkOrderProgressAdded(
                work_order_id=order.id,
                appeal_id=order.appeal_id,
                unit_id=order.unit_id,
                note=note,
                added_at=now,
                added_by=actor,
            )
        ],
    )
    await session.commit()
    log.info(
        "work order %s for appeal %s: unit %s added a progress note",
        order.id,
        order.appeal_id,
        order.unit_id,
    )
    return order


async def request_handling_notice(
    *,
    session: AsyncSession,
    context: DispatchContext,
    principal: Principal,
    work_order_id: str,
    incoming: HandlingNoticeIn,
) -> HandlingNotice:
    """The caller's unit's handling notice to the citizen (Art. 29), once per round
    (again after a closure was sent back); personal data masked in it (Art. 41).
    Commits."""
    order = await common.units_order(session, principal, work_order_id)
    notice = await stage_handling_notice(
        session,
        context,
        order,
        message=redaction.redact(incoming.message),
        actor=principal.label(),
    )
    await session.commit()
    return notice


async def stage_handling_notice(
    session: AsyncSession,
    context: DispatchContext,
    order: WorkOrder,
    *,
    message: str,
    actor: str,
) -> HandlingNotice:
    """Record the handling notice and stage its event, in the caller's
    transaction. A cooperating unit of a parallel group does not reply: its lead
    does (Art. 20)."""
    states.check(order, Step.HANDLING_NOTICE)
    roles.check_may_reply(order)
    now = context.clock.now()
    result = await session.execute(
        update(WorkOrder)
        .where(
            WorkOrder.id == order.id,
            WorkOrder.status.in_(states.ALLOWED[Step.HANDLING_NOTICE]),
            WorkOrder.handling_notice_requested_at.is_(None),
        )
        .values(handling_notice_requested_at=now)
        .execution_options(synchronize_session=False)
    )
    if int(getattr(result, "rowcount", 0)) != 1:
        current = await service.reloaded(session, order.id)
        states.check(current, Step.HANDLING_NOTICE)
        raise HandlingNoticeAlreadyRequested(
            f"work order {order.id} already has its handling notice in this round; "
            "another is possible after the center sends a closure back (Art. 29)"
        )

    notice = HandlingNotice(
        request_id=ids.new_id(),
        work_order_id=order.id,
        appeal_id=order.appeal_id,
        unit_id=order.unit_id,
        message=message,
        requested_by=actor,
        requested_at=now,
    )
    await repository.add_action(
        session,
        order.id,
        action="handling_notice_requested",
        actor=actor,
        at=now,
        detail={
            "request_id": notice.request_id,
            "round": order.round,
            "message_sha256": common.fingerprint(message),
        },
    )
    await context.outbox.stage(
        session,
        HandlingNoticeRequested(
            request_id=notice.request_id,
            work_order_id=order.id,
            appeal_id=order.appeal_id,
            unit_id=order.unit_id,
            tracking_code=order.tracking_code,
            message=message,
            requested_at=now,
            requested_by=actor,
        ),
        occurred_at=now,
    )
    log.info(
        "work order %s for appeal %s: unit %s asked for the handling notice %s",
        order.id,
        order.appeal_id,
        order.unit_id,
        notice.request_id,
    )
    return notice


async def note_handling_notice_sent(
    *, session: AsyncSession, notice: NoticeSent
) -> bool:
    """Record that the platform sent the order's handling notice (from notify's
    notice.sent), which the closure review waits for (Art. 17, 29). Only a notice
    asked for in the order's current round counts. Runs in the caller's
    transaction."""
    if notice.kind != HANDLING_NOTICE_KIND or notice.work_order_id is None:
        return False
    order = await repository.get(session, notice.work_order_id)
    if order is None:
        log.info(
            "notice %s: handling notice of unknown work order %s; ignored",
            notice.notice_id,
            notice.work_order_id,
        )
        return False
    if not await _asked_in_round(session, order, notice.request_id):
        log.info(
            "work order %s: notice %s answers no handling notice of round %d; ignored",
            order.id,
            notice.notice_id,
            order.round,
        )
        return False
    if order.handling_notice_sent_at is not None:
        return False

    await session.execute(
        update(WorkOrder)
        .where(
            WorkOrder.id == order.id,
            WorkOrder.handling_notice_sent_at.is_(None),
        )
        .values(handling_notice_sent_at=notice.sent_at)
        .execution_options(synchronize_session=False)
    )
    await repository.add_action(
        session,
        order.id,
        action="handling_notice_sent",
        actor=SYSTEM,
        at=notice.sent_at,
        detail={
            "notice_id": notice.notice_id,
            "request_id": notice.request_id,
            "channel": notice.channel,
        },
    )
    log.info(
        "work order %s for appeal %s: handling notice %s sent at %s",
        order.id,
        order.appeal_id,
        notice.notice_id,
        notice.sent_at.isoformat(),
    )
    return True


async def _asked_in_round(
    session: AsyncSession, order: WorkOrder, request_id: str
) -> bool:
    for action in await repository.actions(session, order.id):
        if (
            action.action == "handling_notice_requested"
            and action.detail.get("request_id") == request_id
            and action.detail.get("round", 1) == order.round
        ):
            return True
    return False
