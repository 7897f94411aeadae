"""Delivering queued notices: pick what is due, hand it to the sender whose turn it
is, keep the evidence of the attempt (Art. 36) and say on the bus how it went.

A notice goes along its recipient's route (see `senders`): each sender is tried up
to `NOTIFY_SEND_MAX_ATTEMPTS` times with a doubling wait in between; when it keeps
failing, or refuses the message for good, the next sender of the route takes over
at once (SMS → email for a citizen who gave both, a channel's adapter → SMS). When
the route is used up the notice fails (notice.failed). A citizen's SMS that falls
due in the quiet hours waits until they end, unless the appeal is level 1.

Each notice is sent inside its own transaction, which holds the notice's row lock
while the sender works and commits the outcome, the attempt and the event together.
A crash after the sender took the message but before the commit sends it once more
on the next pass; senders are idempotent by notice id, so the recipient still gets
one message.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common import pii
from minsheng_common.db import is_connection_error
from minsheng_common.errors import MinshengError
from minsheng_common.runtime import ServiceRuntime
from minsheng_common.timeutil import format_local
from minsheng_notify import delivery, rendering, repository
from minsheng_notify.models import Notice, NoticeAttempt, Recipient
from minsheng_notify.senders import (
    REPLY_PREFIX,
    SMS,
    OutgoingNotice,
    Route,
    SendResult,
)
from minsheng_notify.service import NO_CONTACT, NotifyContext

log = logging.getLogger(__name__)

CONTEXT_KEY = "notify_context"

RECIPIENT_UNKNOWN = "recipient_unknown"
CONTACT_ERASED = "contact_erased"
ATTEMPTS_EXHAUSTED = "attempts_exhausted"

SUBJECTS: dict[str, str] = {
    rendering.ACCEPTANCE: "诉求受理告知",
    rendering.HANDLING: "诉求办理结果告知",
    rendering.FILED: "诉求立案告知",
    rendering.REJECTED: "诉求不予立案告知",
    rendering.INSTANT_ANSWER: "诉求答复",
}
"""An email's subject by the kind of notice; other kinds get the default."""


class Outcome(StrEnum):
    """What one attempt came to; also the `outcome` of its evidence row."""

    SENT = "sent"
    RETRYING = "retrying"
    FAILED = "failed"
    HELD = "held"
    """An SMS due in the quiet hours, kept until they end; nothing was sent."""
    RECIPIENT_UNKNOWN = RECIPIENT_UNKNOWN
    # Decided when the notice is asked for, never by a sender: no contact at all.
    NO_CONTACT = NO_CONTACT


@dataclass
class SendReport:
    """What one pass over the queue did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    held: int = 0

    def count(self, outcome: Outcome) -> None:
        if outcome is Outcome.SENT:
            self.sent += 1
        elif outcome is Outcome.RETRYING:
            self.retrying += 1
        elif outcome is Outcome.HELD:
            self.held += 1
        else:
            self.failed += 1


@dataclass(frozen=True)
class Target:
    """Where a notice goes: the channel its citizen came through (None for an
    official), the kinds of contact in order with their encrypted values (None once
    erased), and the level that decides the quiet hours."""

    channel: str | None
    kinds: list[str]
    contacts: list[str | None]
    level: int | None


def content_sha256(text: str) -> str:
    """The SHA-256 (hex) of a message's text as it was handed over, the evidence
    that what was sent is what is kept."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
    """One pass: send up to a batch of due notices that can be addressed, then fail
    the notices whose recipient never came."""
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
        target = _target(notice, recipient)
        route = context.senders.route(
            channel=target.channel, contact_kinds=target.kinds
        )
        if not route:
            return await _wait_for_call(session, notice)

        step = route[min(notice.route_step, len(route) - 1)]
        encrypted = target.contacts[step.contact]
        if encrypted is None:
            return await _record_failure(
                session,
                context,
                notice,
                route=[],
                channel=step.sender.channel,
                code=CONTACT_ERASED,
                detail="the citizen's contact was erased after the retention period",
                retriable=False,
            )

        if _quiet_for(notice, target, step):
            now = context.clock.now()
            until = context.policy.quiet_hours.held_until(now)
            if until is not None:
                return _hold(session, notice, step, now=now, until=until)

        return await _attempt(
            session, context, notice, route, step, target.kinds[step.contact], encrypted
        )


def _target(notice: Notice, recipient: Recipient | None) -> Target:
    own = delivery.addresses_of(notice)
    if own or recipient is None:
        return Target(
            channel=None,
            kinds=[address.kind for address in own],
            contacts=[address.encrypted for address in own],
            level=notice.level,
        )
    kinds = [recipient.contact_kind]
    contacts = [recipient.contact_encrypted]
    if recipient.second_contact_kind is not None:
        kinds.append(recipient.second_contact_kind)
        contacts.append(recipient.second_contact_encrypted)
    return Target(
        channel=recipient.channel,
        kinds=kinds,
        contacts=contacts,
        level=notice.level if notice.level is not None else recipient.level,
    )


def _quiet_for(notice: Notice, target: Target, step: Route) -> bool:
    """Quiet hours hold a citizen's SMS, unless the appeal is level 1 (Art. 9)."""
    return (
        notice.audience == delivery.Audience.CITIZEN.value
        and step.sender.channel == SMS
        and target.level != 1
    )


def _hold(
    session: AsyncSession,
    notice: Notice,
    step: Route,
    *,
    now: datetime,
    until: datetime,
) -> Outcome:
    notice.next_attempt_at = until
    _keep_attempt(
        session,
        notice,
        Outcome.HELD,
        step.sender.channel,
        at=now,
        detail=f"quiet hours: held until {format_local(until)}",
    )
    log.info(
        "appeal %s: notice %s held in the quiet hours until %s",
        notice.appeal_id,
        notice.id,
        until.isoformat(),
    )
    return Outcome.HELD


async def _wait_for_call(session: AsyncSession, notice: Notice) -> Outcome:
    # Only telephone numbers: nothing to send, staff call and record the call.
    notice.status = repository.MANUAL
    await session.flush()
    log.info("notice %s waits for a staff call: it has only telephones", notice.id)
    return Outcome.HELD


async def _attempt(
    session: AsyncSession,
    context: NotifyContext,
    notice: Notice,
    route: list[Route],
    step: Route,
    contact_kind: str,
    encrypted: str,
) -> Outcome:
    sender = step.sender
    try:
        message = _message(context, notice, contact_kind, encrypted)
    except MinshengError as error:
        return await _record_failure(
            session,
            context,
            notice,
            route=route,
            channel=sender.channel,
            code=error.code,
            detail=error.message,
            retriable=error.retriable,
        )
    notice.recipient_masked = pii.mask(message.contact)
    notice.body = message.body
    evidence = _Evidence(notice.recipient_masked, content_sha256(message.body))

    try:
        result = await sender.send(message)
    except MinshengError as error:
        return await _record_failure(
            session,
            context,
            notice,
            route=route,
            channel=sender.channel,
            code=error.code,
            detail=error.message,
            retriable=error.retriable,
            evidence=evidence,
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
            route=route,
            channel=sender.channel,
            code="sender_error",
            detail=f"unexpected {type(error).__name__} in the sender",
            retriable=True,
            evidence=evidence,
        )

    await _record_sent(session, context, notice, sender.channel, result, evidence)
    return Outcome.SENT


@dataclass(frozen=True)
class _Evidence:
    recipient_masked: str
    content_sha256: str


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
        subject=SUBJECTS.get(notice.kind, OutgoingNotice.subject),
    )


async def _record_sent(
    session: AsyncSession,
    context: NotifyContext,
    notice: Notice,
    channel: str,
    result: SendResult,
    evidence: _Evidence,
) -> None:
    now = context.clock.now()
    notice.attempts += 1
    notice.channel_attempts += 1
    notice.status = repository.SENT
    notice.sent_at = now
    notice.channel = channel
    notice.provider_ref = result.provider_ref
    notice.delivery_status = repository.ACCEPTED
    notice.receipt_at = None
    notice.last_error = None
    _keep_attempt(
        session,
        notice,
        Outcome.SENT,
        channel,
        provider_ref=result.provider_ref,
        detail=result.detail,
        evidence=evidence,
        delivery_status=repository.ACCEPTED,
        at=now,
    )

    await delivery.stage_sent(context, session, notice, at=now)
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
    route: list[Route],
    channel: str,
    code: str,
    detail: str,
    retriable: bool,
    evidence: _Evidence | None = None,
) -> Outcome:
    now = context.clock.now()
    notice.attempts += 1
    notice.channel_attempts += 1
    notice.channel = channel
    notice.last_error = f"{code}: {detail}"
    _keep_attempt(
        session,
        notice,
        Outcome.FAILED,
        channel,
        detail=notice.last_error,
        evidence=evidence,
        at=now,
    )

    policy = context.policy
    if retriable and notice.channel_attempts < policy.max_attempts:
        notice.next_attempt_at = now + policy.wait_after(notice.channel_attempts)
        log.error(
            "appeal %s: notice %s via %s failed (attempt %d of %d, %s); retrying at %s",
            notice.appeal_id,
            notice.id,
            channel,
            notice.channel_attempts,
            policy.max_attempts,
            code,
            notice.next_attempt_at.isoformat(),
        )
        return Outcome.RETRYING

    if notice.route_step + 1 < len(route):
        return _fall_back(notice, route, code=code, at=now)

    reason = ATTEMPTS_EXHAUSTED if retriable else code
    await _fail(session, context, notice, reason=reason, at=now)
    return Outcome.FAILED


def _fall_back(
    notice: Notice, route: list[Route], *, code: str, at: datetime
) -> Outcome:
    """Move to the next sender of the route, at once and with fresh attempts."""
    failed = route[notice.route_step].sender.channel
    notice.route_step += 1
    notice.channel_attempts = 0
    notice.next_attempt_at = at
    log.warning(
        "appeal %s: notice %s could not go via %s (%s); falling back to %s",
        notice.appeal_id,
        notice.id,
        failed,
        code,
        route[notice.route_step].sender.channel,
    )
    return Outcome.RETRYING


async def fall_back_after_receipt(
    session: AsyncSession,
    context: NotifyContext,
    notice: Notice,
    *,
    provider: str,
    at: datetime,
) -> bool:
    """A citizen's answer a channel's own adapter took, then could not deliver (a
    WeChat account outside its 48-hour reply window, a forum post gone), goes on
    to the next sender of the route, as a refusal at handover would; True when it
    will be sent again. Only the adapters' receipts move a notice back: a
    gateway's undelivered receipt is the end of its message."""
    if not provider.startswith(REPLY_PREFIX):
        return False
    if notice.status != repository.SENT or notice.channel != provider:
        return False
    recipient = (
        await session.get(Recipient, notice.appeal_id) if notice.appeal_id else None
    )
    target = _target(notice, recipient)
    route = context.senders.route(channel=target.channel, contact_kinds=target.kinds)
    if notice.route_step + 1 >= len(route):
        return False

    notice.status = repository.PENDING
    _fall_back(notice, route, code="undelivered", at=at)
    return True


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
                detail=notice.last_error,
                at=now,
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
    await delivery.stage_failed(context, session, notice, reason=reason, at=at)
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
    *,
    at: datetime,
    provider_ref: str | None = None,
    detail: str | None = None,
    evidence: _Evidence | None = None,
    delivery_status: str | None = None,
) -> None:
    session.add(
        NoticeAttempt(
            notice_id=notice.id,
            at=at,
            outcome=outcome.value,
            channel=channel,
            provider_ref=provider_ref,
            detail=detail,
            recipient_masked=evidence.recipient_masked if evidence else None,
            content_sha256=evidence.content_sha256 if evidence else None,
            delivery_status=delivery_status,
        )
    )
