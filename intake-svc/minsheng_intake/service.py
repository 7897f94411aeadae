"""Taking in an appeal: normalise it, decide whether it is filed, store it and say so
on the bus, exactly once per channel reference."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import ids, pii
from minsheng_common.bus.outbox import Outbox
from minsheng_common.clock import Clock
from minsheng_common.errors import InvalidInput
from minsheng_common.events import AppealFiled, AppealReceived, AppealRejected
from minsheng_common.reference import ReferenceData
from minsheng_common.timeutil import as_utc
from minsheng_intake import filing, normalise, repository
from minsheng_intake.errors import (
    AppealNotFound,
    ReceivedAtOutOfRange,
    TooLong,
    UnknownCategory,
    UnknownChannel,
)
from minsheng_intake.models import Appeal
from minsheng_intake.places import Gazetteer
from minsheng_intake.schemas import AppealIn, ContactIn

log = logging.getLogger(__name__)

_ATTEMPTS = 3
# How far ahead of our clock a channel's clock may run before its times are refused.
CLOCK_SKEW = timedelta(minutes=10)
EARLIEST_RECEIPT = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class IntakeContext:
    """What the intake rules need besides the store."""

    reference: ReferenceData
    gazetteer: Gazetteer
    vault: pii.PiiVault
    hash_key: str
    outbox: Outbox
    clock: Clock
    tracking_prefix: str
    max_title_chars: int
    max_content_chars: int


@dataclass(frozen=True)
class Submission:
    appeal: Appeal
    created: bool


async def submit(
    *, session: AsyncSession, context: IntakeContext, incoming: AppealIn
) -> Submission:
    """File or reject an appeal; the same channel reference again returns the first
    result and changes nothing."""
    _check_known(context.reference, incoming)
    channel_ref = normalise.reference(incoming.channel_ref)
    if not channel_ref:
        raise InvalidInput("the channel reference is empty", field="channel_ref")
    received_at = _check_received_at(incoming.received_at, context.clock.now())

    for _attempt in range(_ATTEMPTS):
        existing = await repository.by_channel_ref(
            session, incoming.channel, channel_ref
        )
        if existing is not None:
            return Submission(existing, created=False)

        appeal, decision = _build(context, incoming, channel_ref, received_at)
        try:
            session.add(appeal)
            await _stage_events(session, context, appeal)
            await session.commit()
        except IntegrityError:
            # Another request with the same reference won the race, or the tracking
            # code collided: look again, and retry with a new code if needed.
            await session.rollback()
            continue
        log.info(
            "appeal %s from %s %s: %s%s",
            appeal.id,
            appeal.channel,
            appeal.channel_ref,
            appeal.status,
            f" ({decision.reason})" if decision.reason else "",
        )
        return Submission(appeal, created=True)
    raise RuntimeError("could not store the appeal after several attempts")


def _check_known(reference: ReferenceData, incoming: AppealIn) -> None:
    if incoming.channel not in reference.channel_ids:
        raise UnknownChannel(f"unknown channel '{incoming.channel}'", field="channel")
    hint = incoming.category_hint
    if hint is not None and hint not in reference.category_ids:
        raise UnknownCategory(f"unknown category '{hint}'", field="category_hint")


def _check_received_at(given: datetime, now: datetime) -> datetime:
    """The receipt time in UTC, refused when it cannot be true: in the future beyond
    a small allowance for the channel's clock, or before the platform's era."""
    try:
        received_at = as_utc(given)
    except OverflowError:
        received_at = EARLIEST_RECEIPT - timedelta(days=1)
    if received_at > now + CLOCK_SKEW:
        raise ReceivedAtOutOfRange(
            "received_at is in the future; check the channel's clock",
            field="received_at",
        )
    if received_at < EARLIEST_RECEIPT:
        raise ReceivedAtOutOfRange(
            f"received_at is before {EARLIEST_RECEIPT:%Y-%m-%d}", field="received_at"
        )
    return received_at


def _build(
    context: IntakeContext, incoming: AppealIn, channel_ref: str, received_at: datetime
) -> tuple[Appeal, filing.FilingDecision]:
    title = normalise.text(incoming.title)
    content = normalise.text(incoming.content)
    address = normalise.text(incoming.address) or None
    _check_length("title", title, context.max_title_chars)
    _check_length("content", content, context.max_content_chars)

    contact, contact_error = _read_contact(
        incoming.contact, context.reference.district.phone_area_code
    )
    place = context.gazetteer.locate(address=address, text=f"{title}\n{content}")
    decision = filing.decide(
        has_contact=incoming.contact is not None,
        contact_error=contact_error,
        content=content if normalise.has_substance(content) else "",
        place=place,
    )

    now = context.clock.now()
    appeal = Appeal(
        id=ids.new_id(),
        tracking_code=ids.tracking_code(context.tracking_prefix, now),
        channel=incoming.channel,
        channel_ref=channel_ref,
        appeal_type=incoming.type,
        category_id=incoming.category_hint,
        title=title,
        content=content,
        address=address,
        subdistrict_id=place.subdistrict_id,
        community=place.community,
        place_found_in=place.found_in,
        latitude=incoming.coordinates.latitude if incoming.coordinates else None,
        longitude=incoming.coordinates.longitude if incoming.coordinates else None,
        attachments=[str(url) for url in incoming.attachments],
        consent_to_disclose=incoming.consent_to_disclose,
        received_at=received_at,
        received_zone_assumed=incoming.received_at.tzinfo is None,
        status="filed" if decision.filed else "rejected",
        reason_code=decision.reason.value if decision.reason else None,
        reason_article=decision.article,
        reason_detail=decision.detail,
        decided_at=now,
    )
    if contact is not None:
        appeal.contact_kind = contact.kind
        appeal.contact_encrypted = context.vault.encrypt(contact.value)
        appeal.contact_hash = pii.keyed_hash(context.hash_key, contact.lookup_key())
        appeal.contact_masked = pii.mask(contact.value)
    return appeal, decision


def _check_length(field: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise TooLong(
            f"{field} has {len(value)} characters; at most {limit} are accepted",
            field=field,
        )


def _read_contact(
    given: ContactIn | None, area_code: str | None
) -> tuple[normalise.Contact | None, str | None]:
    if given is None:
        return None, None
    try:
        return normalise.contact(given.kind, given.value, area_code=area_code), None
    except normalise.InvalidContact as error:
        return None, str(error)


async def _stage_events(
    session: AsyncSession, context: IntakeContext, appeal: Appeal
) -> None:
    await context.outbox.stage(
        session,
        AppealReceived(
            appeal_id=appeal.id,
            tracking_code=appeal.tracking_code,
            channel=appeal.channel,
            channel_ref=appeal.channel_ref,
            appeal_type=appeal.appeal_type,
            category_hint=appeal.category_id,
            received_at=appeal.received_at,
        ),
        occurred_at=appeal.decided_at,
    )
    # A filed appeal always has a contact: filing requires one (Art. 11(2)1).
    if appeal.status == "filed" and appeal.contact_kind and appeal.contact_encrypted:
        decided: AppealFiled | AppealRejected = AppealFiled(
            appeal_id=appeal.id,
            tracking_code=appeal.tracking_code,
            channel=appeal.channel,
            appeal_type=appeal.appeal_type,
            category_id=appeal.category_id,
            subdistrict_id=appeal.subdistrict_id,
            community=appeal.community,
            title=appeal.title,
            content=appeal.content,
            address=appeal.address,
            received_at=appeal.received_at,
            filed_at=appeal.decided_at,
            contact_kind=appeal.contact_kind,
            contact_encrypted=appeal.contact_encrypted,
            attachments=appeal.attachments,
        )
    else:
        decided = AppealRejected(
            appeal_id=appeal.id,
            tracking_code=appeal.tracking_code,
            channel=appeal.channel,
            appeal_type=appeal.appeal_type,
            reason_code=appeal.reason_code or "",
            article=appeal.reason_article or "",
            detail=appeal.reason_detail or "",
            received_at=appeal.received_at,
            rejected_at=appeal.decided_at,
            contact_kind=appeal.contact_kind,
            contact_encrypted=appeal.contact_encrypted,
        )
    await context.outbox.stage(session, decided, occurred_at=appeal.decided_at)


async def get(*, session: AsyncSession, appeal_id: str) -> Appeal:
    appeal = await repository.get(session, appeal_id)
    if appeal is None:
        raise AppealNotFound(f"no appeal {appeal_id}", field="appeal_id")
    return appeal
