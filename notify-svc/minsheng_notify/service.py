"""Notices asked for, and the citizens they go to: what notify decides when an event
arrives or a clerk asks.

Intake's decisions reach the citizen too (issue 4, rules §7): a filed appeal gets its
tracking code, a rejected one its reason and where to turn instead, a consultation
answered at once the answer. Each is one notice per appeal and kind, however
often its event is delivered: its request id is "<kind>:<appeal id>".
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import ids, pii, redaction
from minsheng_common.bus.outbox import Outbox
from minsheng_common.clock import Clock
from minsheng_common.events import (
    AcceptanceNoticeRequested,
    AppealAnswered,
    AppealFiled,
    AppealRejected,
    HandlingNoticeRequested,
    NoticeFailed,
    WorkOrderMerged,
)
from minsheng_notify import rendering, repository
from minsheng_notify.errors import FilterRequired, NoticeNotFound
from minsheng_notify.models import MergedAppeal, Notice, NoticeAttempt, Recipient
from minsheng_notify.quiet_hours import QuietHours
from minsheng_notify.rendering import NoticeTexts
from minsheng_notify.senders import SenderChoice

log = logging.getLogger(__name__)

NO_CONTACT = "no_contact"
NO_CHANNEL = "none"


@dataclass(frozen=True)
class SendPolicy:
    """How hard notify tries: attempts, the wait between them, and how long a notice
    waits for a recipient it does not know yet."""

    max_attempts: int
    backoff: timedelta
    backoff_max: timedelta
    recipient_wait: timedelta
    batch_size: int
    poll_interval: timedelta
    quiet_hours: QuietHours = field(default_factory=QuietHours)

    def wait_after(self, attempts: int) -> timedelta:
        """The pause after the `attempts`-th failed try: doubled each time, capped."""
        return min(self.backoff * 2 ** max(attempts - 1, 0), self.backoff_max)


@dataclass(frozen=True)
class NotifyContext:
    """What notify's rules need besides the store."""

    vault: pii.PiiVault
    outbox: Outbox
    clock: Clock
    texts: NoticeTexts
    senders: SenderChoice
    policy: SendPolicy


async def record_recipient(
    *, session: AsyncSession, context: NotifyContext, filed: AppealFiled
) -> Recipient:
    """Keep who to tell about a filed appeal, and the appeal's level; the contacts
    (the first, and the second to fall back to) stay encrypted as received (the
    citizen's name is not kept).

    A second appeal.filed for the same appeal replaces what was kept, unless the
    contact was erased after the retention period.
    """
    recipient = await repository.recipient(session, filed.appeal_id)
    if recipient is not None and recipient.contact_erased_at is not None:
        # A replayed filing must not bring back a contact erased for retention.
        log.info(
            "appeal %s: recipient's contact was erased on %s; the filing is not "
            "kept again",
            filed.appeal_id,
            recipient.contact_erased_at.isoformat(),
        )
        return recipient
    recipient = await _keep_recipient(
        session,
        context,
        recipient,
        appeal_id=filed.appeal_id,
        tracking_code=filed.tracking_code,
        channel=filed.channel,
        contact_kind=filed.contact_kind,
        contact_encrypted=filed.contact_encrypted,
        decided_at=filed.filed_at,
    )
    recipient.level = filed.level
    # A second contact of the same kind adds no other channel to fall back to.
    fallback = (
        filed.second_contact_kind is not None
        and filed.second_contact_encrypted is not None
        and filed.second_contact_kind != filed.contact_kind
    )
    recipient.second_contact_kind = filed.second_contact_kind if fallback else None
    recipient.second_contact_encrypted = (
        filed.second_contact_encrypted if fallback else None
    )
    await session.flush()
    return recipient


async def record_level(
    *, session: AsyncSession, appeal_id: str, level: int
) -> Recipient | None:
    """Keep an appeal's new level (Art. 9), which decides whether its citizen's SMS
    waits out the quiet hours; None when the recipient is not known yet (its
    appeal.filed carries the level)."""
    recipient = await repository.recipient(session, appeal_id)
    if recipient is None or recipient.level == level:
        return recipient
    recipient.level = level
    await session.flush()

    log.info("appeal %s: recipient's level now %d", appeal_id, level)
    return recipient


async def _keep_recipient(
    session: AsyncSession,
    context: NotifyContext,
    recipient: Recipient | None,
    *,
    appeal_id: str,
    tracking_code: str,
    channel: str,
    contact_kind: str,
    contact_encrypted: str,
    decided_at: datetime,
) -> Recipient:
    # `filed_at` is when intake decided: filed, not filed or answered at once; the
    # retention period runs from it.
    if recipient is None:
        recipient = Recipient(appeal_id=appeal_id)
        session.add(recipient)
    recipient.tracking_code = tracking_code
    recipient.channel = channel
    recipient.contact_kind = contact_kind
    recipient.contact_encrypted = contact_encrypted
    recipient.filed_at = decided_at
    recipient.updated_at = context.clock.now()
    await session.flush()

    log.info("appeal %s: recipient kept (%s, via %s)", appeal_id, contact_kind, channel)
    return recipient


async def notify_filed(
    *, session: AsyncSession, context: NotifyContext, filed: AppealFiled
) -> Notice | None:
    """Keep the recipient of a filed appeal and queue the notice with its tracking
    code (立案, Art. 11); None when the contact was erased already (a replay)."""
    recipient = await record_recipient(session=session, context=context, filed=filed)
    if recipient.contact_encrypted is None:
        return None

    body = context.texts.filed(
        tracking_code=filed.tracking_code, contact_kind=filed.contact_kind
    )
    return await _queue(
        session,
        context,
        kind=rendering.FILED,
        appeal_id=filed.appeal_id,
        body=body,
        contact_encrypted=filed.contact_encrypted,
    )


async def notify_rejected(
    *, session: AsyncSession, context: NotifyContext, rejected: AppealRejected
) -> Notice:
    """Queue the notice that the appeal is not filed (不予立案, Art. 11), with the
    reason and where to turn instead; the event carries the recipient.

    An appeal rejected without a contact (often the very reason) cannot be told:
    its notice is kept failed at once with reason `no_contact`, so its notices say
    why the citizen was not told, and notice.failed tells the center.
    """
    earlier = (
        await repository.recipient(session, rejected.repeat_of)
        if rejected.repeat_of
        else None
    )
    body = context.texts.rejected(
        tracking_code=rejected.tracking_code,
        reason_code=rejected.reason_code,
        detail=rejected.detail,
        advice=rejected.advice,
        earlier_code=earlier.tracking_code if earlier else None,
    )
    return await _queue_to_event_contact(
        session,
        context,
        kind=rendering.REJECTED,
        appeal_id=rejected.appeal_id,
        tracking_code=rejected.tracking_code,
        channel=rejected.channel,
        contact_kind=rejected.contact_kind,
        contact_encrypted=rejected.contact_encrypted,
        decided_at=rejected.rejected_at,
        body=body,
    )


async def notify_answered(
    *, session: AsyncSession, context: NotifyContext, answered: AppealAnswered
) -> Notice:
    """Queue the instant answer to a consultation as a notice (秒回, Art. 44); the
    event carries the recipient. Without a contact the notice is kept failed with
    reason `no_contact`, as for a rejection."""
    body = context.texts.instant_answer(
        tracking_code=answered.tracking_code, answer=answered.answer
    )
    return await _queue_to_event_contact(
        session,
        context,
        kind=rendering.INSTANT_ANSWER,
        appeal_id=answered.appeal_id,
        tracking_code=answered.tracking_code,
        channel=answered.channel,
        contact_kind=answered.contact_kind,
        contact_encrypted=answered.contact_encrypted,
        decided_at=answered.answered_at,
        body=body,
    )


async def _queue_to_event_contact(
    session: AsyncSession,
    context: NotifyContext,
    *,
    kind: str,
    appeal_id: str,
    tracking_code: str,
    channel: str,
    contact_kind: str | None,
    contact_encrypted: str | None,
    decided_at: datetime,
    body: str,
) -> Notice:
    existing = await repository.notice_by_request(session, request_id(kind, appeal_id))
    if existing is not None:
        log.debug(
            "appeal %s: %s notice already queued as notice %s",
            appeal_id,
            kind,
            existing.id,
        )
        return existing

    if contact_kind is None or contact_encrypted is None:
        return await _fail_without_contact(
            session, context, kind=kind, appeal_id=appeal_id, body=body
        )

    # appeal.filed is the authority on a filed appeal's recipient; these events
    # only supply one that is not kept yet, and never one erased for retention.
    recipient = await repository.recipient(session, appeal_id)
    if recipient is None:
        await _keep_recipient(
            session,
            context,
            None,
            appeal_id=appeal_id,
            tracking_code=tracking_code,
            channel=channel,
            contact_kind=contact_kind,
            contact_encrypted=contact_encrypted,
            decided_at=decided_at,
        )
    return await _queue(
        session,
        context,
        kind=kind,
        appeal_id=appeal_id,
        body=body,
        contact_encrypted=contact_encrypted,
    )


def request_id(kind: str, appeal_id: str) -> str:
    """The request id of the one notice of `kind` an appeal gets from intake's
    decisions: the same on every delivery of the event."""
    return f"{kind}:{appeal_id}"


async def _queue(
    session: AsyncSession,
    context: NotifyContext,
    *,
    kind: str,
    appeal_id: str,
    body: str,
    contact_encrypted: str,
) -> Notice:
    key = request_id(kind, appeal_id)
    existing = await repository.notice_by_request(session, key)
    if existing is not None:
        log.debug(
            "appeal %s: %s notice already queued as notice %s",
            appeal_id,
            kind,
            existing.id,
        )
        return existing

    now = context.clock.now()
    notice = Notice(
        id=ids.new_id(),
        request_id=key,
        appeal_id=appeal_id,
        work_order_id=None,
        unit_id=None,
        kind=kind,
        body=rendering.scrub(
            kind, _masked(context, appeal_id, body, contact_encrypted)
        ),
        status=repository.PENDING,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(notice)
    await session.flush()

    log.info("appeal %s: %s notice %s queued", appeal_id, kind, notice.id)
    return notice


async def _fail_without_contact(
    session: AsyncSession,
    context: NotifyContext,
    *,
    kind: str,
    appeal_id: str,
    body: str,
) -> Notice:
    now = context.clock.now()
    detail = f"{NO_CONTACT}: the appeal carries no contact to send the notice to"
    notice = Notice(
        id=ids.new_id(),
        request_id=request_id(kind, appeal_id),
        appeal_id=appeal_id,
        work_order_id=None,
        unit_id=None,
        kind=kind,
        body=rendering.scrub(kind, body),
        status=repository.FAILED,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
        failed_at=now,
        last_error=detail,
    )
    session.add(notice)
    session.add(
        NoticeAttempt(notice_id=notice.id, at=now, outcome=NO_CONTACT, detail=detail)
    )
    await session.flush()

    await context.outbox.stage(
        session,
        NoticeFailed(
            notice_id=notice.id,
            request_id=notice.request_id,
            appeal_id=appeal_id,
            work_order_id=None,
            kind=kind,
            channel=NO_CHANNEL,
            failed_at=now,
            reason=NO_CONTACT,
            attempts=0,
        ),
        occurred_at=now,
    )
    log.info(
        "appeal %s: %s notice %s not sent: the appeal has no contact",
        appeal_id,
        kind,
        notice.id,
    )
    return notice


def _masked(
    context: NotifyContext, appeal_id: str, body: str, contact_encrypted: str
) -> str:
    # The body may quote the citizen (an answer echoing the question, a detail):
    # mask the contact in it. The sender masks it again in any case.
    try:
        contact = context.vault.decrypt(contact_encrypted)
    except pii.PiiKeyError:
        log.warning(
            "appeal %s: the recipient's contact cannot be opened with any key",
            appeal_id,
        )
        return body
    return rendering.without_contact(body, contact)


async def request_acceptance_notice(
    *,
    session: AsyncSession,
    context: NotifyContext,
    request: AcceptanceNoticeRequested,
) -> Notice:
    """Queue the acceptance notice a unit asked for (受理告知, Art. 28).

    The same `request_id` again returns the notice already queued and changes
    nothing. The notice waits until its recipient is known.
    """
    existing = await repository.notice_by_request(session, request.request_id)
    if existing is not None:
        log.debug(
            "work order %s: acceptance notice request %s already queued as notice %s",
            request.work_order_id,
            request.request_id,
            existing.id,
        )
        return existing

    now = context.clock.now()
    body = context.texts.acceptance(
        tracking_code=request.tracking_code,
        unit_id=request.unit_id,
        accepted=request.accepted,
        message=request.message,
    )
    body = await _without_known_contact(session, context, request.appeal_id, body)
    # Any other personal data the unit's words carry (an ID number, another phone,
    # an email) is masked too: dispatch did so already; masked again here (Art. 41).
    body = redaction.redact(body)
    notice = Notice(
        id=ids.new_id(),
        request_id=request.request_id,
        appeal_id=request.appeal_id,
        work_order_id=request.work_order_id,
        unit_id=request.unit_id,
        kind=rendering.ACCEPTANCE,
        body=body,
        status=repository.PENDING,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(notice)
    await session.flush()

    log.info(
        "appeal %s, work order %s: acceptance notice %s queued for unit %s",
        request.appeal_id,
        request.work_order_id,
        notice.id,
        request.unit_id,
    )
    return notice


async def _without_known_contact(
    session: AsyncSession, context: NotifyContext, appeal_id: str, body: str
) -> str:
    # The unit's words may repeat the citizen's contact; mask it now if the
    # recipient is known. The sender masks it again in any case, so a recipient
    # arriving later, or a contact that cannot be opened here, changes nothing.
    recipient = await repository.recipient(session, appeal_id)
    if recipient is None or recipient.contact_encrypted is None:
        return body
    try:
        contact = context.vault.decrypt(recipient.contact_encrypted)
    except pii.PiiKeyError:
        log.warning(
            "appeal %s: the recipient's contact cannot be opened with any key",
            appeal_id,
        )
        return body
    return rendering.without_contact(body, contact)


async def record_merged(
    *, session: AsyncSession, merged: WorkOrderMerged
) -> list[MergedAppeal]:
    """Keep the appeals merged into a work order (并案, Art. 18), so its handling
    notice reaches every one of their citizens; appeals merged earlier into the
    orders that end now come along. Returns the appeals newly kept."""
    known = {
        row.appeal_id
        for row in await repository.merged_appeals(session, [merged.work_order_id])
    }
    inherited = [
        row.appeal_id
        for row in await repository.merged_appeals(
            session, merged.merged_work_order_ids
        )
    ]
    added: list[MergedAppeal] = []
    for appeal_id in [*merged.merged_appeal_ids, *inherited]:
        if appeal_id == merged.appeal_id or appeal_id in known:
            continue
        known.add(appeal_id)
        row = MergedAppeal(
            work_order_id=merged.work_order_id,
            appeal_id=appeal_id,
            merged_at=merged.merged_at,
        )
        session.add(row)
        added.append(row)
    await session.flush()

    log.info(
        "work order %s (appeal %s): %d merged appeal(s) kept, to be told its result",
        merged.work_order_id,
        merged.appeal_id,
        len(added),
    )
    return added


async def request_handling_notice(
    *,
    session: AsyncSession,
    context: NotifyContext,
    request: HandlingNoticeRequested,
) -> list[Notice]:
    """Queue the handling notice a unit asked for (办理告知, Art. 29): one to the
    order's own citizen, and one to the citizen of every appeal merged into the
    order (Art. 18), each under that appeal's own tracking code.

    The notices carry the work order, so dispatch sees them sent (notice.sent). The
    order's own notice has the request's id; a merged appeal's has
    "<request id>:<appeal id>". The same request again queues nothing new.
    """
    appeal_ids = [request.appeal_id] + [
        row.appeal_id
        for row in await repository.merged_appeals(session, [request.work_order_id])
    ]
    notices = []
    for appeal_id in appeal_ids:
        notices.append(
            await _queue_handling(session, context, request, appeal_id=appeal_id)
        )
    return notices


async def _queue_handling(
    session: AsyncSession,
    context: NotifyContext,
    request: HandlingNoticeRequested,
    *,
    appeal_id: str,
) -> Notice:
    own = appeal_id == request.appeal_id
    key = request.request_id if own else f"{request.request_id}:{appeal_id}"
    existing = await repository.notice_by_request(session, key)
    if existing is not None:
        log.debug(
            "work order %s: handling notice request %s already queued as notice %s",
            request.work_order_id,
            key,
            existing.id,
        )
        return existing

    recipient = await repository.recipient(session, appeal_id)
    tracking_code = request.tracking_code
    if not own:
        if recipient is not None:
            tracking_code = recipient.tracking_code
        else:
            log.warning(
                "work order %s: merged appeal %s has no recipient yet; its handling "
                "notice names the surviving order's tracking code",
                request.work_order_id,
                appeal_id,
            )
    body = context.texts.handling(
        tracking_code=tracking_code, unit_id=request.unit_id, message=request.message
    )
    body = await _without_known_contact(session, context, appeal_id, body)
    # Personal data in the unit's words is masked as in the acceptance notice
    # (Art. 41).
    body = redaction.redact(body)
    now = context.clock.now()
    notice = Notice(
        id=ids.new_id(),
        request_id=key,
        appeal_id=appeal_id,
        work_order_id=request.work_order_id,
        unit_id=request.unit_id,
        kind=rendering.HANDLING,
        body=body,
        status=repository.PENDING,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(notice)
    await session.flush()

    log.info(
        "appeal %s, work order %s: handling notice %s queued for unit %s%s",
        appeal_id,
        request.work_order_id,
        notice.id,
        request.unit_id,
        "" if own else " (merged appeal)",
    )
    return notice


@dataclass(frozen=True)
class NoticeRecord:
    """A notice with every attempt made to deliver it."""

    notice: Notice
    attempts: list[NoticeAttempt]


async def get_notice(
    *, session: AsyncSession, notice_id: str, unit_id: str | None
) -> NoticeRecord:
    """One notice of `unit_id` (of any unit when None); another unit's notice is
    answered exactly as a missing one."""
    notice = await repository.notice(session, notice_id)
    if notice is None or (unit_id is not None and notice.unit_id != unit_id):
        raise NoticeNotFound(f"no notice {notice_id}", field="notice_id")
    attempts = await repository.attempts(session, [notice.id])
    return NoticeRecord(notice, attempts[notice.id])


async def list_notices(
    *,
    session: AsyncSession,
    appeal_id: str | None,
    work_order_id: str | None,
    unit_id: str | None,
) -> Sequence[NoticeRecord]:
    """The notices of an appeal or a work order (at least one must be named), only
    `unit_id`'s when given."""
    if appeal_id is None and work_order_id is None:
        raise FilterRequired("name an appeal_id or a work_order_id", field="appeal_id")
    notices = await repository.notices(
        session, appeal_id=appeal_id, work_order_id=work_order_id, unit_id=unit_id
    )
    attempts = await repository.attempts(session, [notice.id for notice in notices])
    return [NoticeRecord(notice, attempts[notice.id]) for notice in notices]
