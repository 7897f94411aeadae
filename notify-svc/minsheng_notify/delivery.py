"""Queueing a message for delivery: how every kind of message, to a citizen or to an
official, enters notify's queue, to be sent by the loop in `sending`.

At most one message per (event, recipient, kind): the caller names the message by a
request id made with `delivery_key`, and the same id again returns the message
already queued, however often its event arrives. Once queued, a message gets the
same delivery as every other: the route of senders with fallback, retries with
backoff, quiet hours for citizens' SMS, receipts, and the evidence of every attempt
(Art. 36).

A citizen's message goes to the recipient of its appeal (`appeal.filed`); an
official's carries its own addresses, tried in the order given (e.g. government
WeChat, then SMS). An address of kind `telephone` is for staff to call: a message
with nothing else waits (`manual`) for the call record
(POST /v1/notices/{id}/call-record). A message to an official with no address at
all fails at once, so the center sees who was not told.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import ids, pii
from minsheng_common.events import NoticeFailed, NoticeSent
from minsheng_notify import rendering, repository
from minsheng_notify.models import Notice, NoticeAttempt
from minsheng_notify.senders import TELEPHONE
from minsheng_notify.service import NO_CHANNEL, NO_CONTACT, NotifyContext

log = logging.getLogger(__name__)

_REQUEST_ID_LIMIT = 100


class Audience(StrEnum):
    """Who a message is for. Only citizens' messages are announced on the bus
    (notice.sent, notice.failed): dispatch, SLA and analytics count those (Art. 28,
    29, 33)."""

    CITIZEN = "citizen"
    UNIT = "unit"
    AGENCY = "agency"
    LEADER = "leader"


@dataclass(frozen=True)
class Address:
    """One way to reach an official: a kind of contact (phone, email,
    gov_wechat_user, oa, telephone, …) and its value, encrypted with the notify
    vault like a citizen's contact."""

    kind: str
    encrypted: str = field(repr=False)

    @classmethod
    def seal(cls, vault: pii.PiiVault, kind: str, value: str) -> Address:
        """An address made from its value in clear."""
        return cls(kind=kind, encrypted=vault.encrypt(value))


def delivery_key(*, event_id: str, recipient: str, kind: str) -> str:
    """The request id of the one message of `kind` to `recipient` that `event_id`
    causes: the same on every delivery of the event. Long keys are hashed to fit."""
    key = f"{kind}:{event_id}:{recipient}"
    if len(key) <= _REQUEST_ID_LIMIT:
        return key
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return f"{kind[:30]}:{digest}"


async def queue_message(
    *,
    session: AsyncSession,
    context: NotifyContext,
    request_id: str,
    kind: str,
    body: str,
    audience: Audience = Audience.CITIZEN,
    appeal_id: str | None = None,
    work_order_id: str | None = None,
    unit_id: str | None = None,
    to: Sequence[Address] = (),
    level: int | None = None,
    not_before: datetime | None = None,
) -> Notice:
    """Queue one message, once per `request_id` (see `delivery_key`).

    A citizen's message without `to` goes to the recipient of `appeal_id` and waits
    for it if it is not known yet. `level` 1 lets a citizen's SMS through the quiet
    hours (by default the appeal's level decides). `not_before` holds the message
    until then. `unit_id` is the unit that may see it (GET /v1/notices).
    """
    existing = await repository.notice_by_request(session, request_id)
    if existing is not None:
        log.debug(
            "request %s: %s message already queued as notice %s",
            request_id,
            kind,
            existing.id,
        )
        return existing
    if audience is Audience.CITIZEN and not to and appeal_id is None:
        raise ValueError("a citizen's message needs its appeal or an address")

    now = context.clock.now()
    automatic = [address for address in to if address.kind != TELEPHONE]
    notice = Notice(
        id=ids.new_id(),
        request_id=request_id,
        appeal_id=appeal_id,
        work_order_id=work_order_id,
        unit_id=unit_id,
        kind=kind,
        body=rendering.scrub(kind, body),
        status=repository.PENDING if automatic or not to else repository.MANUAL,
        attempts=0,
        created_at=now,
        next_attempt_at=max(now, not_before) if not_before else now,
        audience=audience.value,
        addresses=_addresses_json(to) if to else None,
        level=level,
    )
    session.add(notice)
    await session.flush()

    if audience is not Audience.CITIZEN and not to:
        await fail_without_address(session, context, notice)
        return notice
    log.info(
        "notice %s (%s to a %s, appeal %s, work order %s) queued%s",
        notice.id,
        kind,
        audience.value,
        appeal_id,
        work_order_id,
        " for a staff call" if notice.status == repository.MANUAL else "",
    )
    return notice


def addresses_of(notice: Notice) -> list[Address]:
    """The addresses a message carries itself, in order; empty for a citizen's
    message sent to its appeal's recipient."""
    if not notice.addresses:
        return []
    return [
        Address(kind=str(item["kind"]), encrypted=str(item["encrypted"]))
        for item in json.loads(notice.addresses)
    ]


def _addresses_json(to: Sequence[Address]) -> str:
    return json.dumps([{"kind": a.kind, "encrypted": a.encrypted} for a in to])


def announces(notice: Notice) -> bool:
    """Whether the notice's outcome goes on the bus: a citizen's, about an appeal."""
    return notice.audience == Audience.CITIZEN.value and notice.appeal_id is not None


async def fail_without_address(
    session: AsyncSession, context: NotifyContext, notice: Notice
) -> None:
    """Keep a message that has nowhere to go failed at once, with its reason."""
    now = context.clock.now()
    detail = f"{NO_CONTACT}: the message has no address to send it to"
    notice.status = repository.FAILED
    notice.failed_at = now
    notice.last_error = detail
    session.add(
        NoticeAttempt(notice_id=notice.id, at=now, outcome=NO_CONTACT, detail=detail)
    )
    await session.flush()

    if announces(notice):
        await stage_failed(context, session, notice, reason=NO_CONTACT, at=now)
    log.warning(
        "notice %s (%s to a %s, work order %s) not sent: no address",
        notice.id,
        notice.kind,
        notice.audience,
        notice.work_order_id,
    )


async def stage_sent(
    context: NotifyContext, session: AsyncSession, notice: Notice, *, at: datetime
) -> None:
    """Say on the bus that a citizen's notice left (notice.sent)."""
    if not announces(notice) or notice.appeal_id is None:
        return
    await context.outbox.stage(
        session,
        NoticeSent(
            notice_id=notice.id,
            request_id=notice.request_id,
            appeal_id=notice.appeal_id,
            work_order_id=notice.work_order_id,
            kind=notice.kind,
            channel=notice.channel or NO_CHANNEL,
            recipient_masked=notice.recipient_masked or "",
            sent_at=at,
            provider_ref=notice.provider_ref or "",
            attempts=notice.attempts,
        ),
        occurred_at=at,
    )


async def stage_failed(
    context: NotifyContext,
    session: AsyncSession,
    notice: Notice,
    *,
    reason: str,
    at: datetime,
) -> None:
    """Say on the bus that a citizen's notice could not be delivered
    (notice.failed)."""
    if not announces(notice) or notice.appeal_id is None:
        return
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
