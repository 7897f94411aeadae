"""Delivering queued notices: pick what is due, hand it to its sender, keep the
evidence (Art. 36) and say on the bus how it went.

Each notice is sent inside its own transaction, which holds the notice's row lock
while the sender works and commits the outcome, the attempt and the event together.
A crash after the sender took the message but before the commit sends it once more
on the next pass; senders are idempotent by notice id, so the citizen still gets one
message.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common import pii
from minsheng_common.db import is_connection_error
from minsheng_common.errors import MinshengError
from minsheng_common.events import NoticeFailed, NoticeSent
from minsheng_common.runtime import ServiceRuntime
from minsheng_notify import rendering, repository
from minsheng_notify.models import Notice, NoticeAttempt
from minsheng_notify.senders import OutgoingNotice, SendResult
from minsheng_notify.service import NO_CHANNEL, NO_CONTACT, NotifyContext

log = logging.getLogger(__name__)

CONTEXT_KEY = "notify_context"

RECIPIENT_UNKNOWN = "recipient_unknown"
CONTACT_ERASED = "contact_erased"
ATTEMPTS_EXHAUSTED = "attempts_exhausted"


class Outcome(StrEnum):
    """What one attempt came to; also the `outcome` of its evidence row."""

    SENT = "sent"
    RETRYING = "retrying"
    FAILED = "failed"
    RECIPIENT_UNKNOWN = RECIPIENT_UNKNOWN
    # Decided when the notice is asked for, never by a sender: no contact at all.
    NO_CONTACT = NO_CONTACT


@dataclass
class SendReport:
    """What one pass over the queue did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def count(self, outcome: Outcome) -> None:
        if outcome is Outcome.SENT:
            self.sent += 1
        elif outcome is Outcome.RETRYING:
            self.retrying += 1
        else:
            self.failed += 1


async def send_pending(runtime: ServiceRuntime) -> None:
    """The background loop: send what is due, then wait a moment, until stopped."""
    context: NotifyContext = runtime.extras[CONTEXT_KEY]
    interval = context.policy.poll_interval.total_seconds()
    while True:
        try:
            await send_due(sessions=runtime.sessions, context=context)
        except Exception as error:
            if not is_connection_error(error):
                raise
            log.error("store unreachable while sending notices: %r; retrying", error)
        await asyncio.sleep(interval)


async def send_due(
    *, sessions: async_sessionmaker[AsyncSession], context: NotifyContext
) -> SendReport:
    """One pass: send up to a batch of due notices whose recipient is known, then
    fail the notices whose recipient never came."""
    report = SendReport()
    for _ in range(context.policy.batch_size):
        outcome = await _send_next(sessions, context)
        if outcome is None:
            break
        report.count(outcome)

    report.failed += await _fail_unaddressed(sessions, context)
    return report


async def _send_next(
    sessions: async_sessionmaker[AsyncSession], context: NotifyContext
) -> Outcome | None:
    async with sessions() as session, session.begin():
        claimed = await repository.claim_due(session, now=context.clock.now())
        if claimed is None:
            return None
        notice, recipient = claimed
        sender = context.senders.for_contact(recipient.contact_kind)
        if recipient.contact_encrypted is None:
            return await _record_failure(
                session,
                context,
                notice,
                channel=sender.channel,
                code=CONTACT_ERASED,
                detail="the citizen's contact was erased after the retention period",
                retriable=False,
            )

        try:
            message = _message(
                context, notice, recipient.contact_kind, recipient.contact_encrypted
            )
            notice.recipient_masked = pii.mask(message.contact)
            notice.body = message.body
            result = await sender.send(message)
        except MinshengError as error:
            return await _record_failure(
                session,
                context,
                notice,
                channel=sender.channel,
                code=error.code,
                detail=error.message,
                retriable=error.retriable,
            )
        except Exception as error:
            # A fault inside a sender must not stop every other notice: it counts as
            # a failed attempt and is retried like one. Only the error's type is
            # logged: its text or traceback may carry the contact.
            log.error(
                "appeal %s: notice %s: sender %s failed unexpectedly (%s)",
                notice.appeal_id,
                notice.id,
                sender.channel,
                type(error).__name__,
            )
            return await _record_failure(
                session,
                context,
                notice,
                channel=sender.channel,
                code="sender_error",
                detail=f"unexpected {type(error).__name__} in the sender",
                retriable=True,
            )

        await _record_sent(session, context, notice, sender.channel, result)
        return Outcome.SENT


def _message(
    context: NotifyContext, notice: Notice, contact_kind: str, encrypted: str
) -> OutgoingNotice:
    """The message as the sender gets it; the only place the contact is opened.

    The body never carries the contact: a unit's words that repeat it have it
    masked, in the message and in the notice kept as evidence, and any other
    personal data in them masked again (Art. 41).
    """
    contact = context.vault.decrypt(encrypted)
    return OutgoingNotice(
        notice_id=notice.id,
        appeal_id=notice.appeal_id,
        kind=notice.kind,
        contact_kind=contact_kind,
        contact=contact,
        body=rendering.scrub(
            notice.kind, rendering.without_contact(notice.body, contact)
        ),
        at=context.clock.now(),
    )


async def _record_sent(
    session: AsyncSession,
    context: NotifyContext,
    notice: Notice,
    channel: str,
    result: SendResult,
) -> None:
    now = context.clock.now()
    notice.attempts += 1
    notice.status = repository.SENT
    notice.sent_at = now
    notice.channel = channel
    notice.provider_ref = result.provider_ref
    notice.last_error = None
    _keep_attempt(session, notice, Outcome.SENT, channel, now, result.provider_ref)

    await context.outbox.stage(
        session,
        NoticeSent(
            notice_id=notice.id,
            request_id=notice.request_id,
            appeal_id=notice.appeal_id,
            work_order_id=notice.work_order_id,
            kind=notice.kind,
            channel=channel,
            recipient_masked=notice.recipient_masked or "",
            sent_at=now,
            provider_ref=result.provider_ref,
            attempts=notice.attempts,
        ),
        occurred_at=now,
    )
    log.info(
        "appeal %s, work order %s: notice %s sent via %s (attempt %d)",
        notice.appeal_id,
        notice.work_order_id,
        notice.id,
        channel,
        notice.attempts,
    )


async def _record_failure(
    session: AsyncSession,
    context: NotifyContext,
    notice: Notice,
    *,
    channel: str,
    code: str,
    detail: str,
    retriable: bool,
) -> Outcome:
    now = context.clock.now()
    notice.attempts += 1
    notice.channel = channel
    notice.last_error = f"{code}: {detail}"
    _keep_attempt(
        session, notice, Outcome.FAILED, channel, now, detail=notice.last_error
    )

    policy = context.policy
    if retriable and notice.attempts < policy.max_attempts:
        notice.next_attempt_at = now + policy.wait_after(notice.attempts)
        log.error(
            "appeal %s: notice %s via %s failed (attempt %d of %d, %s); retrying at %s",
            notice.appeal_id,
            notice.id,
            channel,
            notice.attempts,
            policy.max_attempts,
            code,
            notice.next_attempt_at.isoformat(),
        )
        return Outcome.RETRYING

    reason = ATTEMPTS_EXHAUSTED if retriable else code
    await _fail(session, context, notice, reason=reason, at=now)
    return Outcome.FAILED


async def _fail_unaddressed(
    sessions: async_sessionmaker[AsyncSession], context: NotifyContext
) -> int:
    """Fail the notices that waited longer than allowed for a recipient."""
    async with sessions() as session, session.begin():
        now = context.clock.now()
        waited = context.policy.recipient_wait
        stale = await repository.claim_unaddressed(
            session, created_before=now - waited, limit=context.policy.batch_size
        )
        for notice in stale:
            notice.last_error = (
                f"{RECIPIENT_UNKNOWN}: no filed appeal arrived within {waited}"
            )
            _keep_attempt(
                session,
                notice,
                Outcome.RECIPIENT_UNKNOWN,
                None,
                now,
                detail=notice.last_error,
            )
            await _fail(session, context, notice, reason=RECIPIENT_UNKNOWN, at=now)
    return len(stale)


async def _fail(
    session: AsyncSession,
    context: NotifyContext,
    notice: Notice,
    *,
    reason: str,
    at: datetime,
) -> None:
    notice.status = repository.FAILED
    notice.failed_at = at
    await context.outbox.stage(
        session,
        NoticeFailed(
            notice_id=notice.id,
            request_id=notice.request_id,
            appeal_id=notice.appeal_id,
            work_order_id=notice.work_order_id,
            kind=notice.kind,
            channel=notice.channel or NO_CHANNEL,
            failed_at=at,
            reason=reason,
            attempts=notice.attempts,
        ),
        occurred_at=at,
    )
    log.warning(
        "appeal %s, work order %s: notice %s failed for good (%s) after %d attempts",
        notice.appeal_id,
        notice.work_order_id,
        notice.id,
        reason,
        notice.attempts,
    )


def _keep_attempt(
    session: AsyncSession,
    notice: Notice,
    outcome: Outcome,
    channel: str | None,
    at: datetime,
    provider_ref: str | None = None,
    *,
    detail: str | None = None,
) -> None:
    session.add(
        NoticeAttempt(
            notice_id=notice.id,
            at=at,
            outcome=outcome.value,
            channel=channel,
            provider_ref=provider_ref,
            detail=detail,
        )
    )
