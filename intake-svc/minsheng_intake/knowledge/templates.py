"""Reply templates (Art. 43): after a unit closes the third order of the same kind
(the category of its appeal), intake asks it for a handling-notice and a
handling-feedback template, and keeps them in the knowledge base when they come.

The unit "may" send them (可) within 3 working days of that third closure; sla runs
the clock from `knowledge.reply_template_requested` and meets it on
`knowledge.reply_template_received`. A unit is asked once per category: the
templates serve every later appeal of that kind, and a unit that chose not to send
them is not asked again at every further closure.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import ids
from minsheng_common.auth.principal import Principal
from minsheng_common.bus.outbox import Outbox
from minsheng_common.events import (
    ReplyTemplateReceived,
    ReplyTemplateRequested,
    WorkOrderClosed,
)
from minsheng_intake import normalise
from minsheng_intake.intake_rules import IntakeRuleBook
from minsheng_intake.knowledge.errors import (
    EmptyText,
    TemplateRequestNotFound,
    TemplatesAlreadyReceived,
    TooLong,
)
from minsheng_intake.knowledge.models import ReplyTemplateRequest, UnitClosure
from minsheng_intake.knowledge.schemas import TEMPLATE_CHARS, ReplyTemplatesIn
from minsheng_intake.models import Appeal

log = logging.getLogger(__name__)

REQUESTED = "requested"
RECEIVED = "received"


async def count_closure(
    session: AsyncSession,
    *,
    outbox: Outbox,
    rules: IntakeRuleBook,
    closed: WorkOrderClosed,
    now: datetime,
) -> ReplyTemplateRequest | None:
    """Count a unit's closed order under its appeal's category, in the caller's
    transaction; when the unit has closed as many orders of that category as the
    edition in force says (three), ask it for templates
    (`knowledge.reply_template_requested`, staged in the same transaction). An order
    closed again after reopening counts once; an appeal intake does not know, or
    without a category, is not counted."""
    appeal = await session.get(Appeal, closed.appeal_id)
    if appeal is None or appeal.category_id is None:
        log.info(
            "work order %s of unit %s closed; appeal %s has no category here, not "
            "counted for reply templates",
            closed.work_order_id,
            closed.unit_id,
            closed.appeal_id,
        )
        return None
    category_id = appeal.category_id
    await _one_at_a_time(session, closed.unit_id, category_id)

    if await session.get(UnitClosure, closed.work_order_id) is not None:
        log.info(
            "work order %s closed again; counted once for reply templates",
            closed.work_order_id,
        )
        return None
    session.add(
        UnitClosure(
            work_order_id=closed.work_order_id,
            appeal_id=closed.appeal_id,
            unit_id=closed.unit_id,
            category_id=category_id,
            closed_at=closed.closed_at,
        )
    )
    await session.flush()
    if await _request_for(session, closed.unit_id, category_id) is not None:
        return None

    needed = rules.in_force(closed.closed_at).thresholds.reply_template_after_closures
    closures = await _first_closures(session, closed.unit_id, category_id, needed)
    if len(closures) < needed:
        return None
    return await _ask(session, outbox, closures, now=now)


async def _ask(
    session: AsyncSession,
    outbox: Outbox,
    closures: list[UnitClosure],
    *,
    now: datetime,
) -> ReplyTemplateRequest:
    """Ask for the templates; the clock runs from the last of `closures` (the third
    by closure time, whatever order the events arrived in)."""
    third = closures[-1]
    request = ReplyTemplateRequest(
        id=ids.new_id(),
        unit_id=third.unit_id,
        category_id=third.category_id,
        work_order_id=third.work_order_id,
        appeal_id=third.appeal_id,
        closed_work_order_ids=[closure.work_order_id for closure in closures],
        closed_at=third.closed_at,
        requested_at=now,
    )
    session.add(request)
    await outbox.stage(
        session,
        ReplyTemplateRequested(
            request_id=request.id,
            unit_id=request.unit_id,
            category_id=request.category_id,
            work_order_id=request.work_order_id,
            appeal_id=request.appeal_id,
            closed_work_order_ids=list(request.closed_work_order_ids),
            closed_at=request.closed_at,
            requested_at=now,
        ),
        occurred_at=now,
    )
    log.info(
        "unit %s closed %d orders of category %s (the last, work order %s): reply "
        "templates requested (%s)",
        request.unit_id,
        len(closures),
        request.category_id,
        request.work_order_id,
        request.id,
    )
    return request


async def receive(
    session: AsyncSession,
    *,
    outbox: Outbox,
    principal: Principal,
    request_id: str,
    incoming: ReplyTemplatesIn,
    now: datetime,
) -> ReplyTemplateRequest:
    """Keep the templates a unit sends for its own request and say so
    (`knowledge.reply_template_received`), in one transaction. Another unit's
    request answers as a missing one; templates already sent answer 409."""
    request = await session.get(ReplyTemplateRequest, request_id)
    if request is None or request.unit_id != principal.unit_id:
        raise _not_found(request_id)
    notice = _template("handling_notice_template", incoming.handling_notice_template)
    feedback = _template(
        "handling_feedback_template", incoming.handling_feedback_template
    )

    # Only the first sending is kept: the condition makes a second one, even a
    # concurrent one, change nothing.
    result = await session.execute(
        update(ReplyTemplateRequest)
        .where(
            ReplyTemplateRequest.id == request_id,
            ReplyTemplateRequest.received_at.is_(None),
        )
        .values(
            handling_notice_template=notice,
            handling_feedback_template=feedback,
            received_at=now,
            received_by=principal.label(),
        )
        .execution_options(synchronize_session=False)
    )
    # An UPDATE answers with a CursorResult, which has a row count; the stubs only
    # promise the general Result.
    if not result.rowcount:  # type: ignore[attr-defined]
        await session.rollback()
        raise TemplatesAlreadyReceived(
            f"the templates of request {request_id} were already sent",
            field="request_id",
        )
    await outbox.stage(
        session,
        ReplyTemplateReceived(
            request_id=request.id,
            unit_id=request.unit_id,
            category_id=request.category_id,
            work_order_id=request.work_order_id,
            appeal_id=request.appeal_id,
            closed_at=request.closed_at,
            received_at=now,
            received_by=principal.label(),
        ),
        occurred_at=now,
    )
    await session.commit()
    await session.refresh(request)
    log.info(
        "reply templates of request %s (unit %s, category %s) received from %s",
        request.id,
        request.unit_id,
        request.category_id,
        principal.label(),
    )
    return request


async def get(
    session: AsyncSession, *, principal: Principal, request_id: str
) -> ReplyTemplateRequest:
    """One request with its templates: the center sees every unit's, a unit its
    own (another unit's answers as a missing one)."""
    request = await session.get(ReplyTemplateRequest, request_id)
    if request is None or not _sees(principal, request.unit_id):
        raise _not_found(request_id)
    return request


async def find(
    session: AsyncSession,
    *,
    principal: Principal,
    unit_id: str | None,
    category_id: str | None,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[list[ReplyTemplateRequest], int]:
    """Requests, most recent first, with how many match in all; a unit gets only
    its own whatever `unit_id` it asks for."""
    if principal.unit_id is not None and not principal.is_center:
        if unit_id not in (None, principal.unit_id):
            return [], 0
        unit_id = principal.unit_id
    query = select(ReplyTemplateRequest)
    if unit_id is not None:
        query = query.where(ReplyTemplateRequest.unit_id == unit_id)
    if category_id is not None:
        query = query.where(ReplyTemplateRequest.category_id == category_id)
    if status == REQUESTED:
        query = query.where(ReplyTemplateRequest.received_at.is_(None))
    elif status == RECEIVED:
        query = query.where(ReplyTemplateRequest.received_at.is_not(None))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(
            ReplyTemplateRequest.requested_at.desc(), ReplyTemplateRequest.id
        )
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


def _sees(principal: Principal, unit_id: str) -> bool:
    return principal.is_center or principal.unit_id == unit_id


def _template(field: str, value: str) -> str:
    cleaned = normalise.text(value)
    if not cleaned:
        raise EmptyText(f"{field} is empty", field=field)
    if len(cleaned) > TEMPLATE_CHARS:
        raise TooLong(
            f"{field} has {len(cleaned)} characters; at most {TEMPLATE_CHARS} are "
            "accepted",
            field=field,
        )
    return cleaned


async def _request_for(
    session: AsyncSession, unit_id: str, category_id: str
) -> ReplyTemplateRequest | None:
    return await session.scalar(
        select(ReplyTemplateRequest).where(
            ReplyTemplateRequest.unit_id == unit_id,
            ReplyTemplateRequest.category_id == category_id,
        )
    )


async def _first_closures(
    session: AsyncSession, unit_id: str, category_id: str, count: int
) -> list[UnitClosure]:
    rows = await session.scalars(
        select(UnitClosure)
        .where(UnitClosure.unit_id == unit_id, UnitClosure.category_id == category_id)
        .order_by(UnitClosure.closed_at, UnitClosure.work_order_id)
        .limit(count)
    )
    return list(rows)


async def _one_at_a_time(session: AsyncSession, unit_id: str, category_id: str) -> None:
    """On PostgreSQL, count one unit's closures of one category one transaction at a
    time (a lock held to the end of the caller's transaction), so two closures
    arriving together both see each other and the third asks exactly once. SQLite
    writes one transaction at a time anyway."""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.blake2b(
        f"minsheng-intake-reply-templates:{unit_id}:{category_id}".encode(),
        digest_size=8,
    ).digest()
    key = int.from_bytes(digest, "big", signed=True)
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _not_found(request_id: str) -> TemplateRequestNotFound:
    # One body for a missing request and for another unit's.
    return TemplateRequestNotFound(
        f"no request for reply templates {request_id}", field="request_id"
    )
