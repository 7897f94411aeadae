"""Event handlers that build the projection, one per event type of the catalogue.

Events of one appeal travel on several topics (appeals, work-orders, deadlines,
notices), so they may arrive in any order: `work_order.signed` before
`work_order.dispatched`, `notice.sent` before the acceptance request it answers. Each
handler therefore only fills what its own event knows, by rules that give the same row
whatever the order:

- fields every event of a row repeats (tracking code, channel, unit) fill an empty
  column and never overwrite;
- the authoritative event of a field overwrites it (`appeal.filed` for the category,
  `work_order.dispatched` for the unit and type);
- times of things that happen once keep the earliest value (signed, requested, sent);
- a deadline keeps the value from the newest `deadline.set` (sla may recompute it,
  and moves the handling deadline for an extension);
- flags only ever turn on (reached);
- counters (progress notes, extensions, closure rejections, merged appeals) add one
  per event, which the inbox applies once;
- among decisions that may be taken again (a return decided, a closure request, a
  closure, a merger), the latest by its own time stands; a staged closure and a
  final one at the same instant leave the final one;
- a decision is taken once: `appeal.held` marks an appeal still undecided, and a
  filing or a rejection replaces it whenever it arrives;
- an appeal's level is the filing's until a grading arrives; among gradings the
  latest `graded_at` wins (on a tie, the more urgent level).

Handlers never commit: the consumer loop owns the transaction and the inbox row, which
is what makes a duplicate count once. What happens around the orders (warnings,
disputes, overdue lists, reply templates, return visits, calendar alerts) is
projected in `oversight`, by the same rules.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_analytics import folding, oversight, repository, rollups
from minsheng_analytics.models import (
    CLOCK_KINDS,
    AcceptanceRequestFact,
    AppealFact,
    NoticeFact,
    WorkOrderFact,
)
from minsheng_common.bus.consumer import Handler
from minsheng_common.events import (
    AcceptanceNoticeRequested,
    AppealAnswered,
    AppealFiled,
    AppealGraded,
    AppealHeld,
    AppealReceived,
    AppealRejected,
    DeadlineMet,
    DeadlineReached,
    DeadlineSet,
    DeadlineUrged,
    Envelope,
    HandlingNoticeRequested,
    NoticeFailed,
    NoticeSent,
    WorkOrderClosed,
    WorkOrderClosureRejected,
    WorkOrderClosureRequested,
    WorkOrderDispatched,
    WorkOrderExtensionDecided,
    WorkOrderExtensionRequested,
    WorkOrderMerged,
    WorkOrderOpinionSubmitted,
    WorkOrderProgressAdded,
    WorkOrderReopened,
    WorkOrderReplaced,
    WorkOrderReturnDecided,
    WorkOrderReturnRequested,
    WorkOrderSigned,
)
from minsheng_common.events.catalogue import UrgingStep
from minsheng_common.rules import RuleBook, RuleEdition

log = logging.getLogger(__name__)

# The dashboard lists titles; a longer one is cut for the table, never stored whole.
_TITLE_CHARS = 200

# notify's kind for the handling notice (办理告知, Art. 29).
_HANDLING_NOTICE = "handling"

URGED_COLUMNS: dict[UrgingStep, str] = {
    "half": "urged_half_at",
    "two_thirds": "urged_two_thirds_at",
    "overdue": "urged_overdue_at",
}
"""The work order column that keeps the first urging of each step (Art. 39)."""


async def on_appeal_received(
    session: AsyncSession, envelope: Envelope, data: AppealReceived
) -> None:
    """An appeal arrived: count it as received (受理)."""
    appeal = await repository.locked(session, AppealFact, data.appeal_id)
    _fill_appeal(appeal, data.tracking_code, data.channel, data.appeal_type)
    appeal.received_at = appeal.received_at or data.received_at
    # The hint is only a guess until filing settles the category.
    if appeal.decision != "filed":
        appeal.category_id = data.category_hint
    folding.touch(appeal, envelope)
    log.debug("appeal %s received (event %s)", data.appeal_id, envelope.event_id)


async def on_appeal_filed(
    session: AsyncSession, envelope: Envelope, data: AppealFiled
) -> None:
    """The appeal was filed (立案). Its encrypted contact is not kept."""
    appeal = await repository.locked(session, AppealFact, data.appeal_id)
    _fill_appeal(appeal, data.tracking_code, data.channel, data.appeal_type)
    appeal.received_at = appeal.received_at or data.received_at
    appeal.decision = "filed"
    appeal.category_id = data.category_id
    appeal.subdistrict_id = data.subdistrict_id
    appeal.title = data.title[:_TITLE_CHARS]
    appeal.filed_at = data.filed_at
    appeal.cluster_id = data.cluster_id
    # The level intake gave at filing stands until a grading event says otherwise.
    if appeal.level_graded_at is None:
        appeal.level = data.level
    folding.touch(appeal, envelope)
    log.debug("appeal %s filed (event %s)", data.appeal_id, envelope.event_id)


async def on_appeal_rejected(
    session: AsyncSession, envelope: Envelope, data: AppealRejected
) -> None:
    """The appeal was not filed (不予立案), with its reason code."""
    appeal = await repository.locked(session, AppealFact, data.appeal_id)
    _fill_appeal(appeal, data.tracking_code, data.channel, data.appeal_type)
    appeal.received_at = appeal.received_at or data.received_at
    # An appeal is decided once; should both decisions ever arrive, "filed" stands
    # whatever the order, because a work order may already exist for it.
    if appeal.decision != "filed":
        appeal.decision = "rejected"
    appeal.reason_code = data.reason_code
    appeal.reason_article = data.article
    appeal.rejected_at = data.rejected_at
    folding.touch(appeal, envelope)
    log.debug(
        "appeal %s rejected: %s (event %s)",
        data.appeal_id,
        data.reason_code,
        envelope.event_id,
    )


async def on_appeal_held(
    session: AsyncSession, envelope: Envelope, data: AppealHeld
) -> None:
    """The appeal waits for on-site verification (待核实, Art. 11) or for an operator
    to classify it (待分类) before its filing decision."""
    appeal = await repository.locked(session, AppealFact, data.appeal_id)
    appeal.tracking_code = appeal.tracking_code or data.tracking_code
    appeal.channel = appeal.channel or data.channel
    # Held is no decision: a filing or rejection, earlier or later, stands over it.
    if appeal.decision is None:
        appeal.decision = "held"
    if appeal.held_at is None or (data.held_at, data.reason) > (
        appeal.held_at,
        appeal.held_reason or "",
    ):
        appeal.held_at = data.held_at
        appeal.held_reason = data.reason
    folding.touch(appeal, envelope)
    log.debug(
        "appeal %s held for %s (event %s)",
        data.appeal_id,
        data.reason,
        envelope.event_id,
    )


async def on_appeal_graded(
    session: AsyncSession, envelope: Envelope, data: AppealGraded
) -> None:
    """The appeal was graded or regraded (Art. 9): the latest grading stands."""
    appeal = await repository.locked(session, AppealFact, data.appeal_id)
    appeal.tracking_code = appeal.tracking_code or data.tracking_code
    # Level 1 is the most urgent, so on equal times -level orders it last, and it
    # wins whichever of the two arrives first.
    current = appeal.level_graded_at
    if current is None or (data.graded_at, -data.level) > (
        current,
        -(appeal.level or 3),
    ):
        appeal.level = data.level
        appeal.level_graded_at = data.graded_at
    folding.touch(appeal, envelope)
    log.debug(
        "appeal %s graded level %d (event %s)",
        data.appeal_id,
        data.level,
        envelope.event_id,
    )


async def on_appeal_answered(
    session: AsyncSession, envelope: Envelope, data: AppealAnswered
) -> None:
    """A consultation answered at once from the knowledge base (秒回, Art. 44). The
    answer and the contact are not kept."""
    appeal = await repository.locked(session, AppealFact, data.appeal_id)
    # Only consultations are answered at once, so the type is known from this event.
    _fill_appeal(appeal, data.tracking_code, data.channel, "consultation")
    if appeal.answered_at is None or data.answered_at < appeal.answered_at:
        appeal.answered_at = data.answered_at
    folding.touch(appeal, envelope)
    log.debug(
        "appeal %s answered at once from entry %s (event %s)",
        data.appeal_id,
        data.knowledge_entry_id,
        envelope.event_id,
    )


async def on_work_order_dispatched(
    session: AsyncSession,
    envelope: Envelope,
    data: WorkOrderDispatched,
    *,
    rule_book: RuleBook,
) -> None:
    """A work order went to its unit (分拨); judge the dispatch time (Art. 12) by the
    rule edition the order was created under."""
    order = await repository.locked(session, WorkOrderFact, data.work_order_id)
    order.appeal_id = data.appeal_id
    order.unit_id = data.unit_id
    order.appeal_type = data.appeal_type
    order.created_at = data.created_at
    order.dispatched_at = data.dispatched_at
    order.rules_edition = data.rules_edition
    order.round = data.round
    order.role = data.role
    order.parallel_group_id = data.parallel_group_id
    order.split_from = data.split_from
    order.clock_from = data.clock_from

    elapsed = data.dispatched_at - data.filed_at
    edition = _edition(rule_book, data)
    order.dispatch_seconds = max(0, int(elapsed.total_seconds()))
    order.dispatch_within_limit = elapsed <= edition.dispatch_within

    _set_status(order)
    folding.touch(order, envelope)
    log.debug(
        "work order %s of appeal %s dispatched to unit %s (event %s)",
        data.work_order_id,
        data.appeal_id,
        data.unit_id,
        envelope.event_id,
    )


async def on_work_order_signed(
    session: AsyncSession, envelope: Envelope, data: WorkOrderSigned
) -> None:
    """The unit signed (签收), or the order was signed by default (默认签收)."""
    order = await repository.locked(session, WorkOrderFact, data.work_order_id)
    folding.fill_order(order, data.appeal_id, data.unit_id)
    # Only one sign can win in dispatch; if two ever arrive, the earliest stands.
    if order.signed_at is None or (data.signed_at, data.mode) < (
        order.signed_at,
        order.sign_mode or "",
    ):
        order.signed_at = data.signed_at
        order.sign_mode = data.mode
    _set_status(order)
    folding.touch(order, envelope)
    log.debug(
        "work order %s signed (%s) by unit %s (event %s)",
        data.work_order_id,
        data.mode,
        data.unit_id,
        envelope.event_id,
    )


async def on_acceptance_notice_requested(
    session: AsyncSession, envelope: Envelope, data: AcceptanceNoticeRequested
) -> None:
    """The unit asked for the acceptance notice (受理告知, Art. 28)."""
    # Lock the request before the order, as `on_notice_sent` does, so a notice sent
    # concurrently for this request is seen by one of the two transactions.
    request = await repository.locked(session, AcceptanceRequestFact, data.request_id)
    request.work_order_id = data.work_order_id
    request.appeal_id = data.appeal_id
    request.unit_id = data.unit_id
    request.accepted = data.accepted
    request.requested_at = data.requested_at
    folding.touch(request, envelope)

    order = await repository.locked(session, WorkOrderFact, data.work_order_id)
    folding.fill_order(order, data.appeal_id, data.unit_id)
    await _refresh_acceptance(session, order)
    folding.touch(order, envelope)
    log.debug(
        "work order %s: acceptance notice %s requested (event %s)",
        data.work_order_id,
        data.request_id,
        envelope.event_id,
    )


async def on_return_requested(
    session: AsyncSession, envelope: Envelope, data: WorkOrderReturnRequested
) -> None:
    """The unit asked to give the order back (申请退件, Art. 13)."""
    order = await repository.locked(session, WorkOrderFact, data.work_order_id)
    folding.fill_order(order, data.appeal_id, data.unit_id)
    order.return_requested_at = folding.earliest(
        order.return_requested_at, data.requested_at
    )
    _set_status(order)
    folding.touch(order, envelope)
    log.debug(
        "work order %s: return requested by unit %s (event %s)",
        data.work_order_id,
        data.unit_id,
        envelope.event_id,
    )


async def on_return_decided(
    session: AsyncSession, envelope: Envelope, data: WorkOrderReturnDecided
) -> None:
    """The center approved the return (退件; the order ends) or refused it."""
    order = await repository.locked(session, WorkOrderFact, data.work_order_id)
    folding.fill_order(order, data.appeal_id, data.unit_id)
    current = order.return_decided_at
    # The latest decision stands; at the same instant an approval outranks a refusal.
    if current is None or (data.decided_at, data.approved) > (
        current,
        bool(order.return_approved),
    ):
        order.return_decided_at = data.decided_at
        order.return_approved = data.approved
        order.redispatched_to = data.redispatched_to
    _set_status(order)
    folding.touch(order, envelope)
    log.debug(
        "work order %s: return %s (event %s)",
        data.work_order_id,
        "approved" if data.approved else "refused",
        envelope.event_id,
    )


async def on_progress_added(
    session: AsyncSession, envelope: Envelope, data: WorkOrderProgressAdded
) -> None:
    """The unit recorded progress; the note itself is not kept."""
    order = await repository.locked(session, WorkOrderFact, data.work_order_id)
    folding.fill_order(order, data.appeal_id, data.unit_id)
    order.progress_notes = (order.progress_notes or 0) + 1
    order.last_progress_at = folding.latest(order.last_progress_at, data.added_at)
    folding.touch(order, envelope)
    log.debug(
        "work order %s: progress added (event %s)",
        data.work_order_id,
        envelope.event_id,
    )


async def on_extension_requested(
    session: AsyncSession, envelope: Envelope, data: WorkOrderExtensionRequested
) -> None:
    """The unit asked for more time (延期, Art. 16)."""
    order = await repository.locked(session, WorkOrderFact, data.work_order_id)
    folding.fill_order(order, data.appeal_id, data.unit_id)
    order.extension_requested_at = folding.earliest(
        order.extension_requested_at, data.requested_at
    )
    folding.touch(order, envelope)
    log.debug(
        "work order %s: extension of %d working days requested (event %s)",
        data.work_order_id,
        data.working_days,
        envelope.event_id,
    )


async def on_extension_decided(
    session: AsyncSession, envelope: Envelope, data: WorkOrderExtensionDecided
) -> None:
    """The center approved an extension (its working days add up) or refused it;
    sla's deadline.set carries the moved due time."""
    order = await repository.locked(session, WorkOrderFact, data.work_order_id)
    folding.fill_order(order, data.appeal_id, data.unit_id)
    if data.approved:
        order.extensions_approved = (order.extensions_approved or 0) + 1
        order.extension_working_days = (
            order.extension_working_days or 0
        ) + data.working_days
    else:
        order.extensions_refused = (order.extensions_refused or 0) + 1
    folding.touch(order, envelope)
    log.debug(
        "work order %s: extension %s (event %s)",
        data.work_order_id,
        "approved" if data.approved else "refused",
        envelope.event_id,
    )


async def on_handling_notice_requested(
    session: AsyncSession, envelope: Envelope, data: HandlingNoticeRequested
) -> None:
    """The unit asked to tell the citizen the result (办理告知, Art. 29); the message
    is not kept."""
    order = await repository.locked(session, WorkOrderFact, data.work_order_id)
    folding.fill_order(order, data.appeal_id, data.unit_id)
    order.handling_notice_requested_at = folding.earliest(
        order.handling_notice_requested_at, data.requested_at
    )
    folding.touch(order, envelope)
    log.debug(
        "work order %s: handling notice %s requested (event %s)",
        data.work_order_id,
        data.request_id,
        envelope.event_id,
    )


async def on_closure_requested(
    session: AsyncSession, envelope: Envelope, data: WorkOrderClosureRequested
) -> None:
    """The unit asked the center to close the order (Art. 17); the latest request
    and its handling time stand."""
    order = await repository.locked(session, WorkOrderFact, data.work_order_id)
    folding.fill_order(order, data.appeal_id, data.unit_id)
    if order.closure_requested_at is None or data.requested_at > (
        order.closure_requested_at
    ):
        order.closure_requested_at = data.requested_at
        order.handled_at = data.handled_at
    _set_status(order)
    folding.touch(order, envelope)
    log.debug(
        "work order %s: closure requested (event %s)",
        data.work_order_id,
        envelope.event_id,
    )


async def on_closure_rejected(
    session: AsyncSession, envelope: Envelope, data: WorkOrderClosureRejected
) -> None:
    """The center sent the closure request back to the unit (Art. 17)."""
    order = await repository.locked(session, WorkOrderFact, data.work_order_id)
    folding.fill_order(order, data.appeal_id, data.unit_id)
    order.closure_rejections = (order.closure_rejections or 0) + 1
    order.closure_rejected_at = folding.latest(
        order.closure_rejected_at, data.rejected_at
    )
    _set_status(order)
    folding.touch(order, envelope)
    log.debug(
        "work order %s: closure rejected (event %s)",
        data.work_order_id,
        envelope.event_id,
    )


async def on_closed(
    session: AsyncSession, envelope: Envelope, data: WorkOrderClosed
) -> None:
    """The center closed the order on time, overdue or staged (办结, Art. 17). A
    staged closure closed again later (verified, or overdue) takes the new
    outcome."""
    order = await repository.locked(session, WorkOrderFact, data.work_order_id)
    folding.fill_order(order, data.appeal_id, data.unit_id)
    final = data.outcome != "staged"
    current = order.closed_at
    if current is None or (data.closed_at, final) > (
        current,
        order.closure_outcome != "staged",
    ):
        order.closed_at = data.closed_at
        order.closure_outcome = data.outcome
        order.check_date = data.check_date
    # The request's handling time stands; this one fills it if the request is unseen.
    if order.closure_requested_at is None:
        order.handled_at = data.handled_at
    _set_status(order)
    folding.touch(order, envelope)
    log.debug(
        "work order %s closed %s (event %s)",
        data.work_order_id,
        data.outcome,
        envelope.event_id,
    )


async def on_reopened(
    session: AsyncSession, envelope: Envelope, data: WorkOrderReopened
) -> None:
    """The order was reopened (重办, round `round`); the new round's own
    work_order.dispatched carries its round number."""
    order = await repository.locked(session, WorkOrderFact, data.work_order_id)
    folding.fill_order(order, data.appeal_id, data.unit_id)
    order.reopened_at = folding.earliest(order.reopened_at, data.reopened_at)
    folding.touch(order, envelope)
    log.debug(
        "work order %s reopened, round %d (event %s)",
        data.work_order_id,
        data.round,
        envelope.event_id,
    )


async def on_merged(
    session: AsyncSession, envelope: Envelope, data: WorkOrderMerged
) -> None:
    """Orders merged into one (并案, Art. 18): the merged ones end, the surviving one
    counts the appeals it took in."""
    ended = sorted(set(data.merged_work_order_ids) - {data.work_order_id})
    # Rows are locked in id order, so two mergers touching the same orders queue
    # rather than deadlock.
    for work_order_id in sorted([*ended, data.work_order_id]):
        order = await repository.locked(session, WorkOrderFact, work_order_id)
        if work_order_id == data.work_order_id:
            order.appeal_id = order.appeal_id or data.appeal_id
            absorbed = set(data.merged_appeal_ids) - {data.appeal_id}
            order.absorbed_appeals = (order.absorbed_appeals or 0) + len(absorbed)
        elif order.merged_at is None or data.merged_at > order.merged_at:
            order.merged_into = data.work_order_id
            order.merged_at = data.merged_at
        _set_status(order)
        folding.touch(order, envelope)
    log.debug(
        "work orders %s merged into %s (event %s)",
        ", ".join(ended),
        data.work_order_id,
        envelope.event_id,
    )


async def on_deadline_set(
    session: AsyncSession, envelope: Envelope, data: DeadlineSet
) -> None:
    """sla started a clock; a later `deadline.set` of the same kind replaces it."""
    order = await repository.locked(session, WorkOrderFact, data.work_order_id)
    folding.fill_order(order, data.appeal_id, data.unit_id)
    if _kept(data.kind, data.work_order_id, envelope):
        version = getattr(order, f"{data.kind}_deadline_version")
        if version is None or envelope.occurred_at > version:
            setattr(order, f"{data.kind}_deadline_at", data.due_at)
            setattr(order, f"{data.kind}_provisional", data.provisional)
            setattr(order, f"{data.kind}_deadline_version", envelope.occurred_at)
    folding.touch(order, envelope)
    log.debug(
        "work order %s: %s deadline %s (event %s)",
        data.work_order_id,
        data.kind,
        data.due_at.isoformat(),
        envelope.event_id,
    )


async def on_deadline_reached(
    session: AsyncSession, envelope: Envelope, data: DeadlineReached
) -> None:
    """A clock ran out before what it measures happened."""
    order = await repository.locked(session, WorkOrderFact, data.work_order_id)
    folding.fill_order(order, data.appeal_id, data.unit_id)
    if _kept(data.kind, data.work_order_id, envelope):
        _fill_due(order, data.kind, data.due_at)
        setattr(order, f"{data.kind}_reached", True)
    folding.touch(order, envelope)
    log.debug(
        "work order %s: %s deadline reached (event %s)",
        data.work_order_id,
        data.kind,
        envelope.event_id,
    )


async def on_deadline_met(
    session: AsyncSession, envelope: Envelope, data: DeadlineMet
) -> None:
    """What a clock measures happened, on time or late."""
    order = await repository.locked(session, WorkOrderFact, data.work_order_id)
    folding.fill_order(order, data.appeal_id, data.unit_id)
    if _kept(data.kind, data.work_order_id, envelope):
        _fill_due(order, data.kind, data.due_at)
        met_at = getattr(order, f"{data.kind}_met_at")
        if met_at is None or data.met_at < met_at:
            setattr(order, f"{data.kind}_met_at", data.met_at)
            setattr(order, f"{data.kind}_met_late", data.late)
    folding.touch(order, envelope)
    log.debug(
        "work order %s: %s deadline met%s (event %s)",
        data.work_order_id,
        data.kind,
        " late" if data.late else "",
        envelope.event_id,
    )


async def on_deadline_urged(
    session: AsyncSession, envelope: Envelope, data: DeadlineUrged
) -> None:
    """sla urged the unit (催办, Art. 39) when half or two thirds of a clock's working
    time had passed, or when it ran out: the first urging of each step stands."""
    order = await repository.locked(session, WorkOrderFact, data.work_order_id)
    folding.fill_order(order, data.appeal_id, data.unit_id)
    column = URGED_COLUMNS[data.step]
    setattr(order, column, folding.earliest(getattr(order, column), data.urged_at))
    folding.touch(order, envelope)
    log.debug(
        "work order %s: unit %s urged at level %d (%s) on its %s deadline (event %s)",
        data.work_order_id,
        data.unit_id,
        data.level,
        data.step,
        data.kind,
        envelope.event_id,
    )


async def on_replaced(
    session: AsyncSession, envelope: Envelope, data: WorkOrderReplaced
) -> None:
    """The center ended the order and sent its event on as split orders (拆分,
    Art. 19) or parallel ones (并行, Art. 20): it ends without its unit handling it,
    and each new order counts on its own from its own dispatch."""
    order = await repository.locked(session, WorkOrderFact, data.work_order_id)
    folding.fill_order(order, data.appeal_id, data.unit_id)
    # An order is ended once; should two replacements ever arrive, the first stands.
    if order.replaced_at is None or data.replaced_at < order.replaced_at:
        order.replaced_at = data.replaced_at
        order.replaced_kind = data.kind
        order.replacements = len(set(data.replacement_ids))
    _set_status(order)
    folding.touch(order, envelope)
    log.debug(
        "work order %s replaced (%s) by %s (event %s)",
        data.work_order_id,
        data.kind,
        ", ".join(data.replacement_ids),
        envelope.event_id,
    )


async def on_opinion_submitted(
    session: AsyncSession, envelope: Envelope, data: WorkOrderOpinionSubmitted
) -> None:
    """A cooperating unit (协同单位) gave the lead unit its opinion (Art. 20, 22); the
    first opinion and whether it came within the order's own period stand. The
    opinion itself is not kept."""
    order = await repository.locked(session, WorkOrderFact, data.work_order_id)
    folding.fill_order(order, data.appeal_id, data.unit_id)
    # The group comes from work_order.dispatched, which is authoritative for it.
    current = order.opinion_submitted_at
    if current is None or data.submitted_at < current:
        order.opinion_submitted_at = data.submitted_at
        order.opinion_on_time = data.on_time
    folding.touch(order, envelope)
    log.debug(
        "work order %s: opinion of unit %s submitted%s (event %s)",
        data.work_order_id,
        data.unit_id,
        "" if data.on_time else " late",
        envelope.event_id,
    )


async def on_notice_sent(
    session: AsyncSession, envelope: Envelope, data: NoticeSent
) -> None:
    """A notice left for the citizen (Art. 36 evidence; the recipient is not kept)."""
    notice = await repository.locked(session, NoticeFact, data.notice_id)
    _fill_notice(notice, data.request_id, data.appeal_id, data.work_order_id)
    notice.kind = data.kind
    notice.channel = data.channel
    if notice.sent_at is None or data.sent_at < notice.sent_at:
        notice.sent_at = data.sent_at
        notice.provider_ref = data.provider_ref
    notice.attempts = max(notice.attempts or 0, data.attempts)
    notice.status = "sent"
    folding.touch(notice, envelope)

    if data.kind == _HANDLING_NOTICE and data.work_order_id is not None:
        # A handling notice (Art. 29), also one sent to a merged appeal's citizen,
        # belongs to its work order; the order's time is left alone as below.
        order = await repository.locked(session, WorkOrderFact, data.work_order_id)
        order.handling_notice_sent_at = folding.earliest(
            order.handling_notice_sent_at, data.sent_at
        )
        log.debug(
            "handling notice %s for work order %s sent (event %s)",
            data.notice_id,
            data.work_order_id,
            envelope.event_id,
        )
        return

    # The request row may not exist yet: it is created empty here and locked, so the
    # acceptance request, arriving later or concurrently, finds this notice.
    request = await repository.locked(session, AcceptanceRequestFact, data.request_id)
    if request.work_order_id is not None:
        # The order's `last_event_at` is left alone: the notice row keeps this
        # event's time, and touching the order only when the request came first
        # would make the row depend on the order of arrival.
        order = await repository.locked(session, WorkOrderFact, request.work_order_id)
        await _refresh_acceptance(session, order)
    log.debug(
        "notice %s for appeal %s sent (event %s)",
        data.notice_id,
        data.appeal_id,
        envelope.event_id,
    )


async def on_notice_failed(
    session: AsyncSession, envelope: Envelope, data: NoticeFailed
) -> None:
    """A notice could not be delivered after every retry."""
    notice = await repository.locked(session, NoticeFact, data.notice_id)
    _fill_notice(notice, data.request_id, data.appeal_id, data.work_order_id)
    notice.kind = data.kind
    notice.channel = data.channel
    if notice.failed_at is None or data.failed_at < notice.failed_at:
        notice.failed_at = data.failed_at
        notice.failure_reason = data.reason
    notice.attempts = max(notice.attempts or 0, data.attempts)
    notice.status = "sent" if notice.sent_at is not None else "failed"
    folding.touch(notice, envelope)
    log.debug(
        "notice %s for appeal %s failed (event %s)",
        data.notice_id,
        data.appeal_id,
        envelope.event_id,
    )


def handlers(rule_book: RuleBook) -> dict[str, Handler]:
    """Every event type of the catalogue and the handler that projects it, each
    followed by the refresh of the indicator rollups in the same transaction."""
    return rollups.maintained(_projecting(rule_book))


def _projecting(rule_book: RuleBook) -> dict[str, Handler]:
    dispatched: Any = functools.partial(on_work_order_dispatched, rule_book=rule_book)
    return {
        AppealReceived.event_type: on_appeal_received,
        AppealFiled.event_type: on_appeal_filed,
        AppealRejected.event_type: on_appeal_rejected,
        AppealHeld.event_type: on_appeal_held,
        AppealGraded.event_type: on_appeal_graded,
        AppealAnswered.event_type: on_appeal_answered,
        WorkOrderDispatched.event_type: dispatched,
        WorkOrderSigned.event_type: on_work_order_signed,
        AcceptanceNoticeRequested.event_type: on_acceptance_notice_requested,
        DeadlineSet.event_type: on_deadline_set,
        DeadlineReached.event_type: on_deadline_reached,
        DeadlineMet.event_type: on_deadline_met,
        NoticeSent.event_type: on_notice_sent,
        NoticeFailed.event_type: on_notice_failed,
        WorkOrderReturnRequested.event_type: on_return_requested,
        WorkOrderReturnDecided.event_type: on_return_decided,
        WorkOrderProgressAdded.event_type: on_progress_added,
        WorkOrderExtensionRequested.event_type: on_extension_requested,
        WorkOrderExtensionDecided.event_type: on_extension_decided,
        HandlingNoticeRequested.event_type: on_handling_notice_requested,
        WorkOrderClosureRequested.event_type: on_closure_requested,
        WorkOrderClosed.event_type: on_closed,
        WorkOrderClosureRejected.event_type: on_closure_rejected,
        WorkOrderReopened.event_type: on_reopened,
        WorkOrderMerged.event_type: on_merged,
        WorkOrderReplaced.event_type: on_replaced,
        WorkOrderOpinionSubmitted.event_type: on_opinion_submitted,
        DeadlineUrged.event_type: on_deadline_urged,
        **oversight.handlers(),
    }


def _fill_appeal(
    appeal: AppealFact, tracking_code: str, channel: str, appeal_type: str
) -> None:
    appeal.tracking_code = appeal.tracking_code or tracking_code
    appeal.channel = appeal.channel or channel
    appeal.appeal_type = appeal.appeal_type or appeal_type


def _kept(kind: str, work_order_id: str, envelope: Envelope) -> bool:
    """True when the order has columns for clocks of `kind`. A kind the catalogue
    gained before the projection did is left out rather than failing the event,
    which would be retried and then dead-lettered for good."""
    if kind in CLOCK_KINDS:
        return True
    log.warning(
        "work order %s: analytics keeps no %s clock; event %s leaves it out",
        work_order_id,
        kind,
        envelope.event_id,
    )
    return False


def _fill_due(order: WorkOrderFact, kind: str, due_at: datetime) -> None:
    if getattr(order, f"{kind}_deadline_at") is None:
        setattr(order, f"{kind}_deadline_at", due_at)


def _fill_notice(
    notice: NoticeFact, request_id: str, appeal_id: str, work_order_id: str | None
) -> None:
    notice.request_id = notice.request_id or request_id
    notice.appeal_id = notice.appeal_id or appeal_id
    notice.work_order_id = notice.work_order_id or work_order_id


def _set_status(order: WorkOrderFact) -> None:
    # Derived from the columns alone, so every order of arrival gives one status.
    if order.merged_into is not None:
        order.status = "merged"
    elif order.return_approved:
        order.status = "returned"
    elif order.replaced_at is not None:
        order.status = "replaced"
    elif order.closed_at is not None:
        order.status = "closed"
    elif order.closure_requested_at is not None and (
        order.closure_rejected_at is None
        or order.closure_requested_at > order.closure_rejected_at
    ):
        order.status = "closure_requested"
    elif order.signed_at is not None:
        order.status = "signed"
    elif order.return_requested_at is not None and order.return_decided_at is None:
        order.status = "return_requested"
    elif order.dispatched_at is not None:
        order.status = "dispatched"


async def _refresh_acceptance(session: AsyncSession, order: WorkOrderFact) -> None:
    requested, sent = await repository.acceptance_times(session, order.work_order_id)
    order.acceptance_notice_requested_at = requested
    order.acceptance_notice_sent_at = sent


def _edition(rule_book: RuleBook, data: WorkOrderDispatched) -> RuleEdition:
    try:
        return rule_book.by_id(data.rules_edition)
    except KeyError:
        log.warning(
            "work order %s names unknown rules edition %s; judging it by the edition "
            "in force when it was created",
            data.work_order_id,
            data.rules_edition,
        )
        return rule_book.in_force(data.created_at)
