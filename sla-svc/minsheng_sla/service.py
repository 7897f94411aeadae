"""Starting, meeting and reaching the clocks on work orders.

Every function works inside the caller's transaction and stages its events in the
same one; consumers and the watcher own the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
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
    DeadlineUrged,
    EventData,
    HandlingNoticeRequested,
    NoticeSent,
    ReplyTemplateReceived,
    ReplyTemplateRequested,
    WorkOrderClosed,
    WorkOrderClosureRejected,
    WorkOrderClosureRequested,
    WorkOrderDispatched,
    WorkOrderExtensionDecided,
    WorkOrderMerged,
    WorkOrderOpinionSubmitted,
    WorkOrderReplaced,
    WorkOrderReturnDecided,
    WorkOrderSigned,
)
from minsheng_common.events.catalogue import UrgingStep
from minsheng_common.rules import RuleBook, RuleEdition
from minsheng_sla import periods, repository, supervision
from minsheng_sla.errors import NoRuleEdition, WorkOrderNotFound
from minsheng_sla.models import (
    CANCELLED,
    MET,
    PENDING,
    REACHED,
    Deadline,
    DeadlineChange,
)

# The step each urging level names (Art. 39).
URGING_STEP_OF_LEVEL: dict[int, UrgingStep] = {
    1: "half",
    2: "two_thirds",
    periods.OVERDUE_LEVEL: "overdue",
}

# notify's kind for the handling notice (办理告知, Art. 29).
HANDLING_NOTICE_KIND = "handling"

# dispatch's role for a cooperating unit's order in a parallel group (Art. 20).
COOPERATING_ROLE = "cooperating"

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
    work order; a clock that already runs is left alone.

    The handling clock starts where dispatch says (`clock_from`): at creation for
    ordinary orders, at dispatch for split and parallel ones (Art. 19, 22). Every
    round of a reopened order (重办) is a work order of its own, so it gets fresh
    clocks here like any other. A cooperating order (协同单位, Art. 20) is
    remembered as one: it closes with its lead, not on a request of its own.
    """
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
            dispatched_at=dispatched.dispatched_at,
            clock_from=dispatched.clock_from,
        ),
    ]
    if dispatched.round > 1:
        log.info(
            "work order %s (appeal %s) is round %d of a reopened appeal; its clocks "
            "start afresh",
            dispatched.work_order_id,
            dispatched.appeal_id,
            dispatched.round,
        )
    for plan in plans:
        await _start(session, context, order, plan)
    if dispatched.role == COOPERATING_ROLE:
        await _remember_cooperating(session, dispatched)


async def _remember_cooperating(
    session: AsyncSession, dispatched: WorkOrderDispatched
) -> None:
    added = await repository.add_cooperating(
        session,
        dispatched.work_order_id,
        parallel_group_id=dispatched.parallel_group_id,
    )
    if added:
        log.info(
            "work order %s (unit %s) cooperates in parallel group %s (Art. 20)",
            dispatched.work_order_id,
            dispatched.unit_id,
            dispatched.parallel_group_id,
        )


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


async def extend_handling(
    *,
    session: AsyncSession,
    context: SlaContext,
    event_id: str,
    decided: WorkOrderExtensionDecided,
) -> DeadlineChange | None:
    """Move the handling clock by an approved extension (延期, Art. 16): the new due
    time is `working_days` working days after the day of the current one. The change
    is kept with the event that decided it and announced as a new deadline.set (the
    newest one stands); the same decision never moves the clock twice.

    A clock already reached whose new due time is still ahead runs again. A refused
    extension, or one of zero days, changes nothing.
    """
    if not decided.approved or decided.working_days < 1:
        log.info(
            "work order %s: extension %s; handling deadline unchanged",
            decided.work_order_id,
            "refused" if not decided.approved else "of 0 working days",
        )
        return None
    if await repository.change_by_event(session, event_id) is not None:
        log.info(
            "work order %s: extension of event %s already applied; nothing new",
            decided.work_order_id,
            event_id,
        )
        return None
    deadline = await repository.by_kind(
        session, decided.work_order_id, "handling", for_update=True
    )
    if deadline is None or deadline.status == CANCELLED:
        log.warning(
            "work order %s (appeal %s): extension approved, but sla has no running "
            "handling deadline for it",
            decided.work_order_id,
            decided.appeal_id,
        )
        return None

    edition = _edition_by_id(context, deadline)
    extension = periods.extended(
        calendar=context.calendar,
        edition=edition,
        starts_at=deadline.starts_at,
        due_at=deadline.due_at,
        working_days=decided.working_days,
    )
    moved = extension.due
    if extension.capped:
        log.warning(
            "work order %s: an extension of %d working days would pass the total of "
            "%d working days (Art. 16); handling deadline %s capped at %s",
            decided.work_order_id,
            decided.working_days,
            edition.total_max_working_days,
            deadline.id,
            moved.at.isoformat(),
        )
    change = DeadlineChange(
        deadline_id=deadline.id,
        from_due_at=deadline.due_at,
        to_due_at=moved.at,
        working_days=decided.working_days,
        reason=decided.reason,
        event_id=event_id,
        changed_at=decided.decided_at,
    )
    session.add(change)
    deadline.due_at = moved.at
    deadline.provisional = deadline.provisional or moved.provisional
    deadline.article = periods.EXTENDED_HANDLING_ARTICLE
    if deadline.status == REACHED and moved.at > context.clock.now():
        deadline.status = PENDING
        deadline.reached_at = None
    replan_urgings(deadline, calendar=context.calendar, edition=edition)
    await session.flush()

    await _announce(session, context, deadline)
    log.info(
        "work order %s (unit %s): handling deadline %s extended by %d working "
        "days, from %s to %s",
        deadline.work_order_id,
        deadline.unit_id,
        deadline.id,
        decided.working_days,
        change.from_due_at.isoformat(),
        change.to_due_at.isoformat(),
    )
    return change


async def record_handling_notice_requested(
    *, session: AsyncSession, requested: HandlingNoticeRequested
) -> None:
    """Note that the unit asked to tell the citizen the result (Art. 29); its clock
    starts with the closure request and stops when the notice is sent."""
    notice = await repository.handling_notice(session, requested.work_order_id)
    if notice.requested_at is None or requested.requested_at < notice.requested_at:
        notice.requested_at = requested.requested_at
    log.info(
        "work order %s (appeal %s): handling notice %s requested",
        requested.work_order_id,
        requested.appeal_id,
        requested.request_id,
    )


async def record_closure_requested(
    *,
    session: AsyncSession,
    context: SlaContext,
    requested: WorkOrderClosureRequested,
) -> None:
    """The unit says it handled the order (Art. 17): the handling clock is met at
    `handled_at` (late when after its due time), and the handling-notice clock starts
    from `handled_at` (Art. 29). A handling notice sent already meets it at once, at
    the time it was sent."""
    order = Order(
        work_order_id=requested.work_order_id,
        appeal_id=requested.appeal_id,
        unit_id=requested.unit_id,
    )
    # The notice row first, as `record_notice_sent` takes it: see there.
    notice = await repository.handling_notice(session, requested.work_order_id)
    handling = await repository.by_kind(
        session, requested.work_order_id, "handling", for_update=True
    )
    if handling is None:
        log.warning(
            "work order %s (appeal %s): closure requested but sla has no handling "
            "deadline for it",
            requested.work_order_id,
            requested.appeal_id,
        )
    elif handling.status == CANCELLED:
        log.warning(
            "work order %s (appeal %s): closure requested for an order that ended "
            "(returned or merged); no clock changes",
            requested.work_order_id,
            requested.appeal_id,
        )
        return
    else:
        await _meet(session, context, handling, met_at=requested.handled_at)

    edition = await _edition_of(
        session, context, requested.work_order_id, requested.handled_at
    )
    plan = periods.handling_notice(
        calendar=context.calendar, edition=edition, handled_at=requested.handled_at
    )
    await _start(session, context, order, plan)
    if notice.sent_at is not None:
        started = await repository.by_kind(
            session, requested.work_order_id, "handling_notice", for_update=True
        )
        if started is not None:
            await _meet(session, context, started, met_at=notice.sent_at)


async def record_closure_rejected(
    *,
    session: AsyncSession,
    context: SlaContext,
    rejected: WorkOrderClosureRejected,
) -> None:
    """The center sent the closure back (Art. 17): the handling clock the request met
    runs again (reached again at once if its due time has passed) and is announced
    again with deadline.set. A clock not met is left alone."""
    handling = await repository.by_kind(
        session, rejected.work_order_id, "handling", for_update=True
    )
    if handling is None or handling.status != MET:
        log.info(
            "work order %s: closure rejected; the handling deadline is not met, "
            "nothing to undo",
            rejected.work_order_id,
        )
        return

    # A clock that had run out before the request met it reads reached again: the
    # watcher announced that already and must not announce it twice.
    handling.status = REACHED if handling.reached_at is not None else PENDING
    handling.met_at = None
    handling.late_working_seconds = None
    await session.flush()
    await _announce(session, context, handling)
    log.info(
        "work order %s (unit %s): closure rejected; handling deadline %s %s again",
        handling.work_order_id,
        handling.unit_id,
        handling.id,
        handling.status,
    )


async def record_closed(
    *, session: AsyncSession, context: SlaContext, closed: WorkOrderClosed
) -> None:
    """The center closed the order (Art. 17). A staged closure (阶段性办结) starts
    the clock of its check, due when working hours end on the check date; reaching
    it is dispatch's to judge. A later closure of the same order (on time or overdue)
    meets that check.

    A cooperating order (Art. 20) closes with its lead, without a closure request
    of its own: when the center waived its opinion, nothing met its handling clock
    yet, and the closure meets it at `handled_at` (when the opinion was waived). One
    its opinion met already counts nothing again."""
    order = Order(
        work_order_id=closed.work_order_id,
        appeal_id=closed.appeal_id,
        unit_id=closed.unit_id,
    )
    if await repository.is_cooperating(session, closed.work_order_id):
        await _meet_with_lead(session, context, closed)

    if closed.outcome == "staged":
        if closed.check_date is None:
            log.warning(
                "work order %s (appeal %s): staged closure without a check date; "
                "no check clock started",
                closed.work_order_id,
                closed.appeal_id,
            )
            return
        edition = await _edition_of(
            session, context, closed.work_order_id, closed.closed_at
        )
        plan = periods.staged_check(
            calendar=context.calendar,
            edition=edition,
            closed_at=closed.closed_at,
            check_date=closed.check_date,
        )
        await _start(session, context, order, plan)
        return

    check = await repository.by_kind(
        session, closed.work_order_id, "staged_check", for_update=True
    )
    if check is not None:
        await _meet(session, context, check, met_at=closed.closed_at)


async def _meet_with_lead(
    session: AsyncSession, context: SlaContext, closed: WorkOrderClosed
) -> None:
    handling = await repository.by_kind(
        session, closed.work_order_id, "handling", for_update=True
    )
    if handling is None or handling.status not in (PENDING, REACHED):
        return
    log.info(
        "work order %s (appeal %s): cooperating order closed with its lead while "
        "its handling deadline %s was %s (opinion waived); met at %s",
        closed.work_order_id,
        closed.appeal_id,
        handling.id,
        handling.status,
        closed.handled_at.isoformat(),
    )
    await _meet(session, context, handling, met_at=closed.handled_at)


async def record_return_decided(
    *, session: AsyncSession, decided: WorkOrderReturnDecided
) -> list[Deadline]:
    """An approved return (退件, Art. 13) ends the order: its pending clocks are
    cancelled (the new order gets its own on dispatch). A refused one changes
    nothing."""
    if not decided.approved:
        return []
    return await _cancel(
        session, [decided.work_order_id], at=decided.decided_at, why="returned"
    )


async def record_merged(
    *, session: AsyncSession, merged: WorkOrderMerged
) -> list[Deadline]:
    """Merged orders (并案, Art. 18) end: their pending clocks are cancelled; the
    surviving order's clocks run on."""
    ended = [
        work_order_id
        for work_order_id in merged.merged_work_order_ids
        if work_order_id != merged.work_order_id
    ]
    return await _cancel(
        session,
        ended,
        at=merged.merged_at,
        why=f"merged into work order {merged.work_order_id}",
    )


async def record_replaced(
    *, session: AsyncSession, replaced: WorkOrderReplaced
) -> list[Deadline]:
    """An order split (拆分, Art. 19) or sent to several units in parallel (并行,
    Art. 20, 22) ends unfinished: its pending clocks are cancelled, not missed, and
    its urgings stop. Each order that replaces it brings clocks of its own, from its
    own dispatch, with its work_order.dispatched. A clock that ran out before keeps
    its outcome."""
    return await _cancel(
        session,
        [replaced.work_order_id],
        at=replaced.replaced_at,
        why=f"replaced ({replaced.kind}) by work orders "
        f"{', '.join(replaced.replacement_ids)}",
    )


async def record_opinion_submitted(
    *,
    session: AsyncSession,
    context: SlaContext,
    submitted: WorkOrderOpinionSubmitted,
) -> None:
    """A cooperating unit (协同单位) gave the lead its opinion (Art. 20): that is all
    its order asks of it, so the order's handling clock, timed from its own
    dispatch (Art. 22), is met then, late when after its due time. The order closes
    later with its lead; that closure finds the clock met and counts nothing
    again."""
    handling = await repository.by_kind(
        session, submitted.work_order_id, "handling", for_update=True
    )
    if handling is None:
        log.warning(
            "work order %s (appeal %s): opinion submitted but sla has no handling "
            "deadline for it",
            submitted.work_order_id,
            submitted.appeal_id,
        )
        return
    if handling.status == CANCELLED:
        log.warning(
            "work order %s (appeal %s): opinion submitted for an order that ended; "
            "no clock changes",
            submitted.work_order_id,
            submitted.appeal_id,
        )
        return

    _compare_opinion_timing(handling, submitted)
    await _meet(session, context, handling, met_at=submitted.submitted_at)


def _compare_opinion_timing(
    handling: Deadline, submitted: WorkOrderOpinionSubmitted
) -> None:
    # Dispatch judges the opinion against its own copy of the due time; sla's clock
    # is the one assessed, so a difference is only worth a person's look.
    on_time = submitted.submitted_at <= handling.due_at
    if on_time == submitted.on_time:
        return
    log.warning(
        "work order %s: dispatch counts the opinion %s (due %s), sla's handling "
        "deadline %s counts it %s (due %s); sla's count stands",
        submitted.work_order_id,
        "on time" if submitted.on_time else "late",
        submitted.due_at.isoformat() if submitted.due_at else "unknown",
        handling.id,
        "on time" if on_time else "late",
        handling.due_at.isoformat(),
    )


async def record_notice_sent(
    *, session: AsyncSession, context: SlaContext, sent: NoticeSent
) -> None:
    """A handling notice reached its citizen (notice.sent of kind "handling"): the
    handling-notice clock is met at the time it was sent (Art. 29). Other notices,
    and a notice sent before the closure request started the clock, are noted only;
    the closure request meets the clock with it later."""
    if sent.kind != HANDLING_NOTICE_KIND or sent.work_order_id is None:
        return
    notice = await repository.handling_notice(session, sent.work_order_id)
    if notice.sent_at is None or sent.sent_at < notice.sent_at:
        notice.sent_at = sent.sent_at
        notice.notice_id = sent.notice_id

    deadline = await repository.by_kind(
        session, sent.work_order_id, "handling_notice", for_update=True
    )
    if deadline is None:
        log.info(
            "work order %s: handling notice %s sent before the closure request; "
            "it will meet the clock when that starts",
            sent.work_order_id,
            sent.notice_id,
        )
        return
    await _meet(session, context, deadline, met_at=notice.sent_at)


async def start_reply_template(
    *,
    session: AsyncSession,
    context: SlaContext,
    requested: ReplyTemplateRequested,
) -> None:
    """A unit closed its third order of the same kind and was asked for reply
    templates (Art. 43): start their clock on that third order, due when working
    hours end on the 3rd working day after the closure day (rules.md §11). The
    templates are optional (可): the clock records whether they came in time."""
    order = Order(
        work_order_id=requested.work_order_id,
        appeal_id=requested.appeal_id,
        unit_id=requested.unit_id,
    )
    await _start_reply_template(session, context, order, closed_at=requested.closed_at)


async def record_reply_template_received(
    *,
    session: AsyncSession,
    context: SlaContext,
    received: ReplyTemplateReceived,
) -> None:
    """The unit sent its reply templates (Art. 43): their clock is met at the time
    they arrived, late when after its due time. A clock not started yet (its request
    not seen here) is started from the closure first."""
    deadline = await repository.by_kind(
        session, received.work_order_id, "reply_template", for_update=True
    )
    if deadline is None:
        log.warning(
            "work order %s (unit %s): reply templates %s arrived before their "
            "request; the clock starts from the closure now",
            received.work_order_id,
            received.unit_id,
            received.request_id,
        )
        order = Order(
            work_order_id=received.work_order_id,
            appeal_id=received.appeal_id,
            unit_id=received.unit_id,
        )
        await _start_reply_template(
            session, context, order, closed_at=received.closed_at
        )
        deadline = await repository.by_kind(
            session, received.work_order_id, "reply_template", for_update=True
        )
    if deadline is not None:
        await _meet(session, context, deadline, met_at=received.received_at)


async def _start_reply_template(
    session: AsyncSession, context: SlaContext, order: Order, *, closed_at: datetime
) -> None:
    # The edition in force at the closure, where this clock starts: it is the
    # unit's third closure, not a period of the order's own handling.
    edition = periods.edition_for(context.rules, closed_at)
    plan = periods.reply_template(
        calendar=context.calendar, edition=edition, closed_at=closed_at
    )
    await _start(session, context, order, plan)


async def reach_due(
    *, session: AsyncSession, outbox: Outbox, now: datetime, limit: int
) -> list[repository.ClaimedClock]:
    """Mark up to `limit` pending clocks due by `now` as reached and say so on the
    bus (deadline.reached), in the caller's transaction. A clock that is urged
    (Art. 39) is urged as overdue with it, at the highest level, once."""
    reached = await repository.claim_due(session, now=now, limit=limit)
    overdue = {
        deadline.id
        for deadline in reached
        if deadline.kind in periods.URGED_KINDS
        and deadline.urged_level < periods.OVERDUE_LEVEL
    }
    await repository.mark_overdue_urged(session, sorted(overdue))

    events: list[EventData] = []
    for deadline in reached:
        events.append(
            DeadlineReached(
                deadline_id=deadline.id,
                work_order_id=deadline.work_order_id,
                appeal_id=deadline.appeal_id,
                unit_id=deadline.unit_id,
                kind=deadline.kind,
                due_at=deadline.due_at,
                reached_at=now,
            )
        )
        log.info(
            "work order %s (unit %s): %s deadline %s reached, due %s",
            deadline.work_order_id,
            deadline.unit_id,
            deadline.kind,
            deadline.id,
            deadline.due_at.isoformat(),
        )
        if deadline.id in overdue:
            events.append(_urging(deadline, level=periods.OVERDUE_LEVEL, now=now))
    # One statement for the whole batch: a round trip per event would bound how
    # many clocks a watcher can reach a second.
    await outbox.stage_all(session, events, occurred_at=now)
    return reached


async def urge_due(
    *, session: AsyncSession, outbox: Outbox, now: datetime, limit: int
) -> list[repository.ClaimedClock]:
    """Urge (催办, Art. 39) up to `limit` units whose clocks passed half or two thirds
    of their working time by `now` and have not run out, in the caller's
    transaction: deadline.urged at level 1 (half) or 2 (two thirds), each step
    once. A clock that ran out before its point was sent is not urged at a fraction:
    reaching it urges it as overdue."""
    claimed = await repository.claim_urgings(session, now=now, limit=limit)
    urged = [deadline for deadline in claimed if deadline.due_at > now]
    events = [
        _urging(deadline, level=deadline.urged_level, now=now) for deadline in urged
    ]
    await outbox.stage_all(session, events, occurred_at=now)
    return urged


def replan_urgings(
    deadline: Deadline,
    *,
    calendar: working_calendar.WorkingCalendar,
    edition: RuleEdition,
) -> None:
    """Place a clock's urging points (Art. 39) for its current due time, as when
    its due time moves (an extension, a calendar year loaded). Steps already sent
    stay sent: the next one waits for its new point, and none waits once the clock
    has run out or its steps are all sent."""
    points = periods.urging_points(
        calendar=calendar,
        edition=edition,
        kind=deadline.kind,
        starts_at=deadline.starts_at,
        due_at=deadline.due_at,
    )
    columns = urging_columns(points, urged_level=deadline.urged_level)
    if deadline.status != PENDING:
        columns["next_urge_at"] = None
    for name, value in columns.items():
        setattr(deadline, name, value)


def urging_columns(
    points: Sequence[periods.UrgingPoint], *, urged_level: int = 0
) -> dict[str, datetime | None]:
    """The stored urging points of a clock and the next one to send after
    `urged_level`."""
    at = {point.step: point.at for point in points}
    waiting = [point.at for point in points if point.level > urged_level]
    return {
        "urge_half_at": at.get("half"),
        "urge_two_thirds_at": at.get("two_thirds"),
        "next_urge_at": min(waiting) if waiting else None,
    }


async def changes_of(
    *, session: AsyncSession, deadlines: list[Deadline]
) -> dict[str, list[DeadlineChange]]:
    """How each clock's due time was moved, oldest change first, by clock id."""
    return await repository.changes_of(session, [deadline.id for deadline in deadlines])


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


async def overdue(
    *,
    session: AsyncSession,
    visible_unit: str | None,
    unit_id: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Deadline], int]:
    """Orders overdue and still not handled (Art. 40), longest overdue first, with
    how many in all; a unit (`visible_unit`) gets only its own, whatever `unit_id`
    it asks for."""
    if visible_unit is not None and unit_id not in (None, visible_unit):
        return [], 0
    return await repository.overdue(
        session,
        kinds=supervision.SUPERVISED_KINDS,
        unit_id=visible_unit or unit_id,
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
            "urged_level": 0,
            **urging_columns(plan.urgings),
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


async def _announce(
    session: AsyncSession, context: SlaContext, deadline: Deadline
) -> None:
    """Say a clock's current due time again (deadline.set with the same id)."""
    await context.outbox.stage(
        session,
        DeadlineSet(
            deadline_id=deadline.id,
            work_order_id=deadline.work_order_id,
            appeal_id=deadline.appeal_id,
            unit_id=deadline.unit_id,
            kind=deadline.kind,
            starts_at=deadline.starts_at,
            due_at=deadline.due_at,
            provisional=deadline.provisional,
            article=deadline.article,
            period=deadline.period,
            rules_edition=deadline.rules_edition,
        ),
    )


async def _cancel(
    session: AsyncSession, work_order_ids: list[str], *, at: datetime, why: str
) -> list[Deadline]:
    cancelled = await repository.cancel_pending(session, work_order_ids, at=at)
    for deadline in cancelled:
        log.info(
            "work order %s (unit %s): %s deadline %s cancelled: %s",
            deadline.work_order_id,
            deadline.unit_id,
            deadline.kind,
            deadline.id,
            why,
        )
    return cancelled


async def _meet(
    session: AsyncSession, context: SlaContext, deadline: Deadline, *, met_at: datetime
) -> None:
    if deadline.status in (MET, CANCELLED):
        log.info(
            "work order %s: %s deadline already %s; nothing new",
            deadline.work_order_id,
            deadline.kind,
            deadline.status,
        )
        return

    late = met_at > deadline.due_at
    deadline.status = MET
    deadline.met_at = met_at
    # The outcome is kept as counted now: a calendar corrected later does not
    # change by how much a step was late.
    deadline.late_working_seconds = (
        int(
            context.calendar.working_time_between(
                deadline.due_at, met_at
            ).total_seconds()
        )
        if late
        else None
    )
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
        return _edition_by_id(context, deadline)
    return periods.edition_for(context.rules, fallback)


def _urging(
    deadline: Deadline | repository.ClaimedClock, *, level: int, now: datetime
) -> DeadlineUrged:
    step = URGING_STEP_OF_LEVEL[level]
    log.info(
        "work order %s (unit %s): urged at level %d (%s) on %s deadline %s, due %s "
        "(Art. 39)",
        deadline.work_order_id,
        deadline.unit_id,
        level,
        step,
        deadline.kind,
        deadline.id,
        deadline.due_at.isoformat(),
    )
    return DeadlineUrged(
        deadline_id=deadline.id,
        work_order_id=deadline.work_order_id,
        appeal_id=deadline.appeal_id,
        unit_id=deadline.unit_id,
        kind=deadline.kind,
        step=step,
        level=level,
        due_at=deadline.due_at,
        urged_at=now,
    )


def _edition_by_id(context: SlaContext, deadline: Deadline) -> RuleEdition:
    """The edition a clock follows (the one in force when its order was created)."""
    try:
        return context.rules.by_id(deadline.rules_edition)
    except KeyError:
        raise NoRuleEdition(
            f"work order {deadline.work_order_id} follows rules edition "
            f"{deadline.rules_edition}, which the rule book no longer has",
            field="rules_edition",
        ) from None
