"""Taking in an appeal: normalise it, decide whether it is filed, store it and say so
on the bus, exactly once per channel reference. Who may read an appeal, and how much
of it; disclosing a citizen's contact, on the record (Art. 41)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import PurePosixPath

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import ids, pii, redaction
from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Scope
from minsheng_common.errors import InvalidInput
from minsheng_common.events import AppealReceived, WorkOrderDispatched
from minsheng_common.reference import ReferenceData
from minsheng_common.timeutil import as_utc
from minsheng_intake import (
    address,
    announce,
    filing,
    grading,
    normalise,
    repository,
    verification,
)
from minsheng_intake.context import IntakeContext, citizen_name
from minsheng_intake.errors import (
    AppealNotFound,
    AttachmentNotAllowed,
    ChannelMismatch,
    NoConsent,
    PersonalDataErased,
    ReceivedAtOutOfRange,
    TooLong,
    UnknownCategory,
    UnknownChannel,
)
from minsheng_intake.intake_rules import IntakeRuleEdition
from minsheng_intake.models import Appeal, AppealUnit, ContactDisclosure
from minsheng_intake.schemas import AppealIn, ContactIn

__all__ = ["IntakeContext", "citizen_name"]

log = logging.getLogger(__name__)

_ATTEMPTS = 3
# How far ahead of our clock a channel's clock may run before its times are refused.
CLOCK_SKEW = timedelta(minutes=10)
EARLIEST_RECEIPT = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Submission:
    appeal: Appeal
    created: bool


async def submit(
    *,
    session: AsyncSession,
    context: IntakeContext,
    incoming: AppealIn,
    principal: Principal,
) -> Submission:
    """File or reject an appeal; the same channel reference again returns the first
    result and changes nothing. A channel submits only in its own name; the center
    for any channel."""
    _check_submitter(principal, incoming)
    _check_known(context.reference, incoming)
    _check_attachments(incoming, context.attachment_types)
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

        edition = context.rule_book().in_force(received_at)
        active_grading = await grading.rules_in_force(session, edition, received_at)
        appeal, decision, name = _build(
            context, incoming, channel_ref, received_at, edition, active_grading
        )
        try:
            session.add(appeal)
            await _stage_events(session, context, appeal, name)
            await session.commit()
        except IntegrityError:
            # Another request with the same reference won the race, or the tracking
            # code collided: look again, and retry with a new code if needed.
            await session.rollback()
            continue
        log.info(
            "appeal %s from %s (reference %s): %s%s",
            appeal.id,
            appeal.channel,
            # Some channels build their reference from the caller's number.
            redaction.redact_identifier(appeal.channel_ref),
            appeal.status,
            f" ({decision.reason})" if decision.reason else "",
        )
        return Submission(appeal, created=True)
    raise RuntimeError("could not store the appeal after several attempts")


def _check_submitter(principal: Principal, incoming: AppealIn) -> None:
    if principal.is_center or principal.channel_id == incoming.channel:
        return
    raise ChannelMismatch(
        f"this key submits for channel '{principal.channel_id}', "
        f"not '{incoming.channel}'",
        field="channel",
    )


def _check_known(reference: ReferenceData, incoming: AppealIn) -> None:
    if incoming.channel not in reference.channel_ids:
        raise UnknownChannel(f"unknown channel '{incoming.channel}'", field="channel")
    hint = incoming.category_hint
    if hint is not None and hint not in reference.category_ids:
        raise UnknownCategory(f"unknown category '{hint}'", field="category_hint")


def _check_attachments(incoming: AppealIn, allowed: frozenset[str]) -> None:
    """Attachments are references to files of the kinds a unit can open: photos,
    documents, recordings and videos; anything else is refused by its ending."""
    for number, url in enumerate(incoming.attachments):
        name = PurePosixPath(url.path or "").name
        ending = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if ending not in allowed:
            raise AttachmentNotAllowed(
                f"attachment {number + 1} is not a file of an accepted kind "
                f"({', '.join(sorted(allowed))})",
                field=f"attachments.{number}",
            )


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
    context: IntakeContext,
    incoming: AppealIn,
    channel_ref: str,
    received_at: datetime,
    edition: IntakeRuleEdition,
    active_grading: grading.ActiveRules,
) -> tuple[Appeal, filing.FilingDecision, str | None]:
    """The appeal to store, its filing decision and the citizen's name in clear (to
    mask it in what leaves intake)."""
    title = normalise.text(incoming.title)
    content = normalise.text(incoming.content)
    address_text = normalise.text(incoming.address) or None
    _check_length("title", title, context.max_title_chars)
    _check_length("content", content, context.max_content_chars)

    contact, contact_error = _read_contact(
        incoming.contact, context.reference.district.phone_area_code
    )
    text = f"{title}\n{content}"
    place = context.gazetteer.locate(address=address_text, text=text)
    parsed = address.parse(
        gazetteer=context.gazetteer,
        address=address_text,
        text=text,
        coordinates=incoming.coordinates is not None,
        place=place,
    )
    facts = filing.Facts(
        appeal_type=incoming.type,
        title=title,
        content=content,
        has_contact=incoming.contact is not None,
        contact_error=contact_error,
        place=place,
        address=parsed,
        address_text=address_text,
    )
    decision = filing.decide(facts, edition.filing)
    # Integration point (repeats, Art. 11(3)5): a decision that would file may
    # become Reason.REPEAT here, with appeal.repeat_of set.
    held_for = None
    if decision.filed:
        held_for = verification.needs_verification(
            appeal_type=incoming.type, text=text, rules=edition.verification
        )
    grade = grading.grade(text, active_grading)

    name = normalise.text(incoming.name) or None
    now = context.clock.now()
    status = "rejected"
    if decision.filed:
        status = verification.PENDING if held_for else "filed"
    appeal = Appeal(
        id=ids.new_id(),
        tracking_code=ids.tracking_code(context.tracking_prefix, now),
        channel=incoming.channel,
        channel_ref=channel_ref,
        appeal_type=incoming.type,
        category_id=incoming.category_hint,
        title=title,
        content=content,
        address=address_text,
        subdistrict_id=place.subdistrict_id,
        community=place.community,
        place_found_in=place.found_in,
        address_parts=parsed.as_json(),
        latitude=incoming.coordinates.latitude if incoming.coordinates else None,
        longitude=incoming.coordinates.longitude if incoming.coordinates else None,
        attachments=[str(url) for url in incoming.attachments],
        consent_to_disclose=incoming.consent_to_disclose,
        received_at=received_at,
        received_zone_assumed=incoming.received_at.tzinfo is None,
        status=status,
        reason_code=decision.reason.value if decision.reason else None,
        reason_article=decision.article,
        # The evidence may quote the texts: the citizen's name is masked in it too.
        reason_detail=redaction.redact_optional(decision.detail, name=name),
        reason_evidence=_masked_evidence(decision, name),
        advice=edition.advice_for(decision.reason.value) if decision.reason else None,
        rules_edition=edition.id,
        held_reason="verification" if held_for else None,
        held_at=now if held_for else None,
        level=grade.level if decision.filed else None,
        grade_basis=grade.basis,
        decided_at=now,
        # A rejected appeal is closed at rejection. A filed one closes when its work
        # order closes. TODO(closure events arrive with the dispatch issue): set
        # closed_at for filed appeals from the work order's closure event.
        closed_at=None if decision.filed else now,
    )
    if held_for:
        log.info("appeal %s held for on-site verification (%s)", appeal.id, held_for)
    if not decision.filed and grade.level == 1:
        log.warning(
            "appeal %s is not filed (%s) but reads as level 1: %s",
            appeal.id,
            appeal.reason_code,
            grade.basis,
        )
    if name is not None:
        appeal.name_encrypted = context.vault.encrypt(name)
    if contact is not None:
        appeal.contact_kind = contact.kind
        appeal.contact_encrypted = context.vault.encrypt(contact.value)
        appeal.contact_hash = pii.keyed_hash(context.hash_key, contact.lookup_key())
        appeal.contact_masked = pii.mask(contact.value)
    return appeal, decision, name


def _masked_evidence(
    decision: filing.FilingDecision, name: str | None
) -> dict[str, str] | None:
    if decision.evidence is None:
        return None
    return {
        "field": decision.evidence.field,
        "found": redaction.redact(decision.evidence.found, name=name),
    }


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
    session: AsyncSession, context: IntakeContext, appeal: Appeal, name: str | None
) -> None:
    """appeal.received, then the decision: filed (and graded), held, or not
    filed."""
    await context.outbox.stage(
        session,
        AppealReceived(
            appeal_id=appeal.id,
            tracking_code=appeal.tracking_code,
            channel=appeal.channel,
            # The store keeps the reference as given (the idempotency key); the
            # event carries it masked, as some channels build it from a number.
            channel_ref=redaction.redact_identifier(appeal.channel_ref),
            appeal_type=appeal.appeal_type,
            category_hint=appeal.category_id,
            received_at=appeal.received_at,
        ),
        occurred_at=appeal.decided_at,
    )
    if appeal.status == "filed":
        await announce.filed(session, context, appeal, name=name, at=appeal.decided_at)
    elif appeal.status == "rejected":
        await announce.rejected(session, context, appeal, at=appeal.decided_at)
    else:
        await announce.held(session, context, appeal, at=appeal.decided_at)


class Sight(StrEnum):
    """How much of an appeal a caller sees."""

    FULL = "full"
    """The center: every field intake holds, texts redacted, the contact masked;
    the originals only through a recorded disclosure."""
    UNIT = "unit"
    """A unit holding a work order for it: texts redacted, the contact masked."""
    STATUS = "status"
    """The channel that submitted it: its status, no personal data, no content."""


async def get(*, session: AsyncSession, appeal_id: str) -> Appeal:
    appeal = await repository.get(session, appeal_id)
    if appeal is None:
        raise _not_found(appeal_id)
    return appeal


async def read(
    *, session: AsyncSession, appeal_id: str, principal: Principal
) -> tuple[Appeal, Sight]:
    """The appeal and how much of it the caller sees. An appeal that is not the
    caller's to see answers exactly as a missing one does."""
    appeal = await repository.get(session, appeal_id)
    if appeal is not None:
        if principal.can(Scope.APPEALS_READ):
            return appeal, Sight.FULL
        if principal.can(Scope.APPEALS_READ_UNIT) and await _held_by_unit(
            session, appeal_id, principal
        ):
            return appeal, Sight.UNIT
        if (
            principal.can(Scope.APPEALS_READ_OWN)
            and principal.channel_id == appeal.channel
        ):
            return appeal, Sight.STATUS
    raise _not_found(appeal_id)


# A disclosure's reason says something: this many letters or Chinese characters
# at least, not dots or digits.
SHORTEST_REASON = 4


@dataclass(frozen=True)
class Disclosure:
    """What a disclosure answers: the contact, name and texts as the citizen gave
    them."""

    appeal: Appeal
    contact: normalise.Contact | None
    name: str | None
    at: datetime


async def disclose(
    *,
    session: AsyncSession,
    context: IntakeContext,
    appeal_id: str,
    principal: Principal,
    reason: str,
) -> Disclosure:
    """The citizen's contact, name and original texts in clear, recorded in the
    same transaction (who, when, which appeal, why). The center may always see them;
    a unit only for an appeal it holds, and only if the citizen consented (Art.
    41)."""
    reason = normalise.text(reason)
    if sum(character.isalpha() for character in reason) < SHORTEST_REASON:
        raise InvalidInput(
            f"say in words why the contact is needed (at least {SHORTEST_REASON} "
            "letters or Chinese characters)",
            field="reason",
        )
    appeal = await repository.get(session, appeal_id)
    if appeal is None:
        raise _not_found(appeal_id)
    if not principal.is_center:
        if not await _held_by_unit(session, appeal_id, principal):
            raise _not_found(appeal_id)
        if not appeal.consent_to_disclose:
            log.warning(
                "contact of appeal %s refused to %s: no consent",
                appeal.id,
                principal.label(),
            )
            raise NoConsent(
                "the citizen did not consent to disclosing the contact",
                field="appeal_id",
            )
    if appeal.anonymised_at is not None:
        raise PersonalDataErased(
            "the personal data of this appeal was anonymised after its retention "
            "period",
            field="appeal_id",
        )

    contact = None
    if appeal.contact_kind and appeal.contact_encrypted:
        contact = normalise.Contact(
            kind=appeal.contact_kind,
            value=context.vault.decrypt(appeal.contact_encrypted),
        )
    name = citizen_name(context, appeal)
    now = context.clock.now()

    session.add(
        ContactDisclosure(
            id=ids.new_id(),
            appeal_id=appeal.id,
            who=principal.label(),
            role=principal.role.value,
            unit_id=principal.unit_id,
            reason=reason,
            at=now,
        )
    )
    await session.commit()
    log.warning(
        "contact of appeal %s disclosed to %s: %s",
        appeal.id,
        principal.label(),
        # The reason is a clerk's free text; it may itself quote the contact.
        redaction.redact(reason, name=name),
    )
    return Disclosure(appeal=appeal, contact=contact, name=name, at=now)


async def disclosures(
    *, session: AsyncSession, appeal_id: str
) -> list[ContactDisclosure]:
    """Every disclosure of an appeal's contact, oldest first."""
    await get(session=session, appeal_id=appeal_id)
    return await repository.disclosures(session, appeal_id)


async def record_dispatch(
    *, session: AsyncSession, dispatched: WorkOrderDispatched
) -> None:
    """Remember that a unit holds a work order for an appeal, so the unit may read
    it (redacted). A later order of the same appeal for the same unit replaces the
    earlier one's id."""
    held = await repository.appeal_unit(
        session, dispatched.appeal_id, dispatched.unit_id
    )
    if held is None:
        session.add(
            AppealUnit(
                appeal_id=dispatched.appeal_id,
                unit_id=dispatched.unit_id,
                work_order_id=dispatched.work_order_id,
                dispatched_at=dispatched.dispatched_at,
            )
        )
        log.info(
            "appeal %s held by unit %s (work order %s)",
            dispatched.appeal_id,
            dispatched.unit_id,
            dispatched.work_order_id,
        )
    elif dispatched.dispatched_at > held.dispatched_at:
        held.work_order_id = dispatched.work_order_id
        held.dispatched_at = dispatched.dispatched_at


async def _held_by_unit(
    session: AsyncSession, appeal_id: str, principal: Principal
) -> bool:
    if principal.unit_id is None:
        return False
    held = await repository.appeal_unit(session, appeal_id, principal.unit_id)
    return held is not None


def _not_found(appeal_id: str) -> AppealNotFound:
    # One body for a missing appeal and for one the caller may not see.
    return AppealNotFound(f"no appeal {appeal_id}", field="appeal_id")
