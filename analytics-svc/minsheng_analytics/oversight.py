"""Event handlers for what happens around the work orders: warnings (预警, Art. 23),
ownership disputes (Art. 24), the weekly overdue lists (督办, Art. 40), reply-template
requests (Art. 43), return visits (回访, Art. 30) and the alert that a year's holiday
schedule is missing.

They follow the rules of `consumers`, so every order of arrival gives the same rows:

- a warning is raised once: its values are the event's, its appeals a set;
- a dispute keeps the highest level it reached (center, bureau leadership, district
  leader's meeting) and its latest decision; the order counts its disputes from them;
- a unit's list of a week is sent once; should two arrive, the earliest stands;
- a reply-template request keeps its first request and first receipt, and the
  closure time the request gives;
- a return visit keeps its latest answer;
- a year's calendar alert keeps the latest alert and when the first was raised.

Person ids (who escalated, decided or sent templates) and free text (a dispute's
reason and decision) are left out: analytics counts, it does not keep the record.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_analytics import folding, repository
from minsheng_analytics.models import (
    CalendarAlertFact,
    DisputeFact,
    OverdueListFact,
    ReplyTemplateFact,
    ReturnVisitFact,
    WarningAppealFact,
    WarningFact,
    WorkOrderFact,
)
from minsheng_common.bus.consumer import Handler
from minsheng_common.events import (
    CalendarYearMissing,
    Envelope,
    OverdueSupervised,
    ReplyTemplateReceived,
    ReplyTemplateRequested,
    ReturnVisitAnswered,
    WarningRaised,
    WorkOrderDisputeDecided,
    WorkOrderDisputeEscalated,
)

log = logging.getLogger(__name__)

# The levels of Art. 24, lowest first.
_LEVELS = ("center", "bureau_leadership", repository.DISTRICT_MEETING)


async def on_warning_raised(
    session: AsyncSession, envelope: Envelope, data: WarningRaised
) -> None:
    """A warning was raised (预警, Art. 23) with the appeals that make it up."""
    warning = await repository.locked(session, WarningFact, data.warning_id)
    warning.kind = data.kind
    warning.cluster_id = data.cluster_id
    warning.subdistrict_id = data.subdistrict_id
    warning.count = data.count
    warning.window_hours = data.window_hours
    warning.raised_at = data.raised_at
    await repository.add_absent(
        session,
        WarningAppealFact,
        [
            {"warning_id": data.warning_id, "appeal_id": appeal_id}
            for appeal_id in sorted(set(data.appeal_ids))
        ],
    )
    folding.touch(warning, envelope)
    log.debug(
        "warning %s (%s) of cluster %s: %d appeals (event %s)",
        data.warning_id,
        data.kind,
        data.cluster_id,
        data.count,
        envelope.event_id,
    )


async def on_dispute_escalated(
    session: AsyncSession, envelope: Envelope, data: WorkOrderDisputeEscalated
) -> None:
    """Units dispute who owns the order (Art. 24): opened at the center, or gone up to
    the bureau's leadership or the district leader's meeting."""
    dispute = await repository.locked(session, DisputeFact, data.dispute_id)
    _fill_dispute(dispute, data.work_order_id, data.appeal_id, data.level)
    dispute.unit_ids = sorted(set(dispute.unit_ids or []) | set(data.unit_ids))
    dispute.escalated_at = folding.earliest(dispute.escalated_at, data.escalated_at)
    if data.level == repository.DISTRICT_MEETING:
        dispute.district_meeting_at = folding.earliest(
            dispute.district_meeting_at, data.escalated_at
        )
    folding.touch(dispute, envelope)

    await _count_disputes(session, envelope, data.work_order_id, data.appeal_id)
    log.debug(
        "work order %s: dispute %s at level %s (event %s)",
        data.work_order_id,
        data.dispute_id,
        data.level,
        envelope.event_id,
    )


async def on_dispute_decided(
    session: AsyncSession, envelope: Envelope, data: WorkOrderDisputeDecided
) -> None:
    """A level of Art. 24 named the unit that owns the order; the latest decision
    stands (on the same instant, the higher level's)."""
    dispute = await repository.locked(session, DisputeFact, data.dispute_id)
    _fill_dispute(dispute, data.work_order_id, data.appeal_id, data.level)
    current = dispute.decided_at
    if current is None or (data.decided_at, _rank(data.level)) > (
        current,
        _rank(dispute.decided_level),
    ):
        dispute.decided_at = data.decided_at
        dispute.decided_level = data.level
        dispute.owner_unit_id = data.owner_unit_id
    folding.touch(dispute, envelope)

    await _count_disputes(session, envelope, data.work_order_id, data.appeal_id)
    log.debug(
        "work order %s: dispute %s decided at level %s for unit %s (event %s)",
        data.work_order_id,
        data.dispute_id,
        data.level,
        data.owner_unit_id,
        envelope.event_id,
    )


async def on_overdue_listed(
    session: AsyncSession, envelope: Envelope, data: OverdueSupervised
) -> None:
    """A unit's weekly overdue list (督办, Art. 40): its orders past their due time
    on Monday morning, kept per unit and week."""
    listing = await repository.locked(
        session, OverdueListFact, (data.unit_id, data.week_of)
    )
    current = listing.listed_at
    if current is None or (data.listed_at, data.supervision_id) < (
        current,
        listing.supervision_id or "",
    ):
        listing.supervision_id = data.supervision_id
        listing.listed_at = data.listed_at
        listing.orders = await repository.replace_listed_orders(
            session, data.unit_id, data.week_of, _listed(data)
        )
    folding.touch(listing, envelope)
    log.debug(
        "unit %s: overdue list %s of week %s with %d orders (event %s)",
        data.unit_id,
        data.supervision_id,
        data.week_of.isoformat(),
        len(data.orders),
        envelope.event_id,
    )


async def on_reply_template_requested(
    session: AsyncSession, envelope: Envelope, data: ReplyTemplateRequested
) -> None:
    """A unit closed its third appeal of a kind and was asked for reply templates
    (Art. 43); sending them is optional, so nothing here counts against it."""
    request = await repository.locked(session, ReplyTemplateFact, data.request_id)
    _fill_request(request, data)
    # The request is where the closure is told; the receipt only repeats it.
    request.closed_at = data.closed_at
    request.requested_at = folding.earliest(request.requested_at, data.requested_at)
    folding.touch(request, envelope)
    log.debug(
        "unit %s asked for reply templates of category %s, request %s (event %s)",
        data.unit_id,
        data.category_id,
        data.request_id,
        envelope.event_id,
    )


async def on_reply_template_received(
    session: AsyncSession, envelope: Envelope, data: ReplyTemplateReceived
) -> None:
    """The unit sent the reply templates asked for (Art. 43); the templates and who
    sent them are not kept."""
    request = await repository.locked(session, ReplyTemplateFact, data.request_id)
    _fill_request(request, data)
    request.received_at = folding.earliest(request.received_at, data.received_at)
    folding.touch(request, envelope)
    log.debug(
        "unit %s sent reply templates of request %s (event %s)",
        data.unit_id,
        data.request_id,
        envelope.event_id,
    )


async def on_return_visit_answered(
    session: AsyncSession, envelope: Envelope, data: ReturnVisitAnswered
) -> None:
    """The citizen answered the return visit (回访, Art. 30): the ratings of speed,
    effect, service and system, and whether they were satisfied (Art. 31)."""
    visit = await repository.locked(session, ReturnVisitFact, data.survey_id)
    visit.work_order_id = visit.work_order_id or data.work_order_id
    visit.appeal_id = visit.appeal_id or data.appeal_id
    visit.unit_id = visit.unit_id or data.unit_id
    visit.channel = visit.channel or data.channel
    # Should a survey be answered twice, the later answer stands; on the same
    # instant the less satisfied one, so the unit is never credited by arrival order.
    current = visit.answered_at
    if current is None or (data.answered_at, not data.satisfied) > (
        current,
        not visit.satisfied,
    ):
        visit.answered_at = data.answered_at
        visit.speed = data.speed
        visit.effect = data.effect
        visit.service = data.service
        visit.system = data.system
        visit.satisfied = data.satisfied
        visit.solved = data.solved
    folding.touch(visit, envelope)
    log.debug(
        "work order %s: return visit %s answered, %s (event %s)",
        data.work_order_id,
        data.survey_id,
        "satisfied" if data.satisfied else "unsatisfied",
        envelope.event_id,
    )


async def on_calendar_year_missing(
    session: AsyncSession, envelope: Envelope, data: CalendarYearMissing
) -> None:
    """A year's official holiday schedule is still missing: deadlines reaching into it
    are provisional. The latest alert of each year stands."""
    alert = await repository.locked(session, CalendarAlertFact, data.year)
    alert.first_raised_at = folding.earliest(alert.first_raised_at, data.raised_at)
    current = alert.raised_at
    if current is None or (data.raised_at, data.provisional_deadlines) > (
        current,
        alert.provisional_deadlines or 0,
    ):
        alert.raised_at = data.raised_at
        alert.provisional_deadlines = data.provisional_deadlines
    folding.touch(alert, envelope)
    log.debug(
        "calendar %d missing, %d provisional deadlines (event %s)",
        data.year,
        data.provisional_deadlines,
        envelope.event_id,
    )


def handlers() -> dict[str, Handler]:
    """The event types projected here and their handlers."""
    return {
        WarningRaised.event_type: on_warning_raised,
        WorkOrderDisputeEscalated.event_type: on_dispute_escalated,
        WorkOrderDisputeDecided.event_type: on_dispute_decided,
        OverdueSupervised.event_type: on_overdue_listed,
        ReplyTemplateRequested.event_type: on_reply_template_requested,
        ReplyTemplateReceived.event_type: on_reply_template_received,
        ReturnVisitAnswered.event_type: on_return_visit_answered,
        CalendarYearMissing.event_type: on_calendar_year_missing,
    }


def _rank(level: str | None) -> int:
    return _LEVELS.index(level) if level in _LEVELS else -1


def _fill_dispute(
    dispute: DisputeFact, work_order_id: str, appeal_id: str, level: str
) -> None:
    dispute.work_order_id = dispute.work_order_id or work_order_id
    dispute.appeal_id = dispute.appeal_id or appeal_id
    # A decision at a level means the dispute got there, whatever arrives first.
    if _rank(level) > _rank(dispute.level):
        dispute.level = level


async def _count_disputes(
    session: AsyncSession, envelope: Envelope, work_order_id: str, appeal_id: str
) -> None:
    # Locked after its dispute, as every dispute handler does, so two of them queue.
    order = await repository.locked(session, WorkOrderFact, work_order_id)
    order.appeal_id = order.appeal_id or appeal_id
    disputes, to_meeting = await repository.dispute_counts(session, work_order_id)
    order.disputes = disputes
    order.disputes_to_district_meeting = to_meeting
    folding.touch(order, envelope)


def _listed(data: OverdueSupervised) -> list[dict[str, Any]]:
    return [
        {
            "work_order_id": order.work_order_id,
            "kind": order.kind,
            "appeal_id": order.appeal_id,
            "due_at": order.due_at,
        }
        for order in data.orders
    ]


def _fill_request(
    request: ReplyTemplateFact, data: ReplyTemplateRequested | ReplyTemplateReceived
) -> None:
    request.unit_id = request.unit_id or data.unit_id
    request.category_id = request.category_id or data.category_id
    request.work_order_id = request.work_order_id or data.work_order_id
    request.appeal_id = request.appeal_id or data.appeal_id
    request.closed_at = request.closed_at or data.closed_at
