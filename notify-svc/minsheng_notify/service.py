"""Notices asked for, and the citizens they go to: what notify decides when an event
arrives or a clerk asks."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import ids, pii, redaction
from minsheng_common.bus.outbox import Outbox
from minsheng_common.clock import Clock
from minsheng_common.events import AcceptanceNoticeRequested, AppealFiled
from minsheng_notify import rendering, repository
from minsheng_notify.errors import FilterRequired, NoticeNotFound
from minsheng_notify.models import Notice, NoticeAttempt, Recipient
from minsheng_notify.rendering import NoticeTexts
from minsheng_notify.senders import SenderChoice

log = logging.getLogger(__name__)


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
    """Keep who to tell about a filed appeal; the contact stays encrypted as received
    (the citizen's name is not kept).

    A second appeal.filed for the same appeal replaces what was kept, unless the
    contact was erased after the retention period.
    """
    now = context.clock.now()
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
    if recipient is None:
        recipient = Recipient(appeal_id=filed.appeal_id)
        session.add(recipient)
    recipient.tracking_code = filed.tracking_code
    recipient.channel = filed.channel
    recipient.contact_kind = filed.contact_kind
    recipient.contact_encrypted = filed.contact_encrypted
    recipient.filed_at = filed.filed_at
    recipient.updated_at = now
    await session.flush()

    log.info(
        "appeal %s: recipient kept (%s, via %s)",
        filed.appeal_id,
        filed.contact_kind,
        filed.channel,
    )
    return recipient


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
