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
from minsheng_common.events import (
    AppealReceived,
    WorkOrderDispatched,
    WorkOrderMerged,
)
from minsheng_common.reference import ReferenceData
from minsheng_common.timeutil import as_utc
from minsheng_intake import (
    address,
    alert_grading,
    announce,
    filing,
    grading,
    locks,
    normalise,
    repository,
    rule_params,
    verification,
)
from minsheng_intake.classification import appeal_type, suggester
from minsheng_intake.classification import service as triage
from minsheng_intake.classification.suggester import Suggestion
from minsheng_intake.context import IntakeContext, citizen_name
from minsheng_intake.errors import (
    AppealNotFound,
    AttachmentNotAllowed,
    ChannelMismatch,
    InvalidSecondContact,
    NoConsent,
    PersonalDataErased,
    ReceivedAtOutOfRange,
    TooLong,
    UnknownCategory,
    UnknownChannel,
)
from minsheng_intake.intake_rules import IntakeRuleEdition
from minsheng_intake.knowledge import service as knowledge
from minsheng_intake.models import Appeal, AppealUnit, ContactDisclosure
from minsheng_intake.sameness import clusters, repeats, similarity
from minsheng_intake.sameness import places as problem_places
from minsheng_intake.schemas import AppealIn, ContactIn

__all__ = ["IntakeContext", "citizen_name"]

log = logging.getLogger(__name__)

_ATTEMPTS = 3
PENDING_CLASSIFICATION = "pending_classification"
ANSWERED = "answered"
TAKEN = frozenset({"filed", verification.PENDING, PENDING_CLASSIFICATION})
"""States of an appeal the filing checks accept: filed, or held before it is."""
ANSWERABLE = frozenset({"filed", PENDING_CLASSIFICATION})
"""States in which a consultation may be answered at once instead of filed."""
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
    """Decide an appeal and store it with its events, in one transaction: the
    filing checks (type read from the text when not given), then for one that
    passes its category (suggested, or held for an operator), repeats (not filed,
    linked), an instant answer for a consultation (answered, not filed), and the
    event cluster of a filed or held one. The same channel reference again returns
    the first result and changes nothing. A channel submits only in its own name;
    the center for any channel."""
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
        params = rule_params.of(edition)
        active_grading = await grading.rules_in_force(session, edition, received_at)
        built = _build(
            context, incoming, channel_ref, received_at, edition, params, active_grading
        )
        appeal, name = built.appeal, built.name
        suggestion = await _suggest_category(context, incoming, appeal, params)
        await _reject_repeat(session, context, built, edition, params)
        answer = await _answer_at_once(session, appeal, params)
        try:
            session.add(appeal)
            if appeal.status == PENDING_CLASSIFICATION and suggestion is not None:
                await triage.queue_for_triage(
                    session, appeal=appeal, suggestion=suggestion, at=appeal.decided_at
                )
            if answer is not None:
                await knowledge.record_answer(
                    session, appeal_id=appeal.id, answer=answer, at=appeal.decided_at
                )
            if appeal.status in TAKEN and built.problem is not None:
                appeal.cluster_id = await clusters.assign_cluster(
                    session,
                    appeal_id=appeal.id,
                    problem=built.problem,
                    received_at=appeal.received_at,
                    params=params.sameness,
                )
                # A cluster a hotspot warning raised files its new reports at
                # level 2 (Art. 9).
                await alert_grading.grade_joining(session, appeal)
            await _stage_events(session, context, appeal, name, answer)
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
            f" ({appeal.reason_code})" if appeal.reason_code else "",
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


@dataclass(frozen=True)
class Built:
    """The appeal to store with its filing decision, the citizen's name in clear
    (to mask it in what leaves intake), and the problem it states (for repeats and
    clusters; only when the decision files it)."""

    appeal: Appeal
    decision: filing.FilingDecision
    name: str | None
    problem: similarity.Problem | None


def _build(
    context: IntakeContext,
    incoming: AppealIn,
    channel_ref: str,
    received_at: datetime,
    edition: IntakeRuleEdition,
    params: rule_params.EditionParams,
    active_grading: grading.ActiveRules,
) -> Built:
    """The appeal to store, its filing decision by the checks of Art. 11 in order,
    its hold for on-site verification and its grade."""
    title = normalise.text(incoming.title)
    content = normalise.text(incoming.content)
    address_text = normalise.text(incoming.address) or None
    _check_length("title", title, context.max_title_chars)
    _check_length("content", content, context.max_content_chars)

    # The channel's type, else the one the text reads as (Art. 2).
    kind = incoming.type or appeal_type.infer_type(title, content, params.type_rules)
    area_code = context.reference.district.phone_area_code
    contact, contact_error = _read_contact(incoming.contact, area_code)
    second_contact = _read_second_contact(incoming, area_code)
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
        appeal_type=kind,
        title=title,
        content=content,
        has_contact=incoming.contact is not None,
        contact_error=contact_error,
        place=place,
        address=parsed,
        address_text=address_text,
    )
    decision = filing.decide(facts, edition.filing)
    held_for = None
    if decision.filed:
        held_for = verification.needs_verification(
            appeal_type=kind, text=text, rules=edition.verification
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
        appeal_type=kind,
        type_inferred=incoming.type is None,
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
        # A rejected appeal is closed at rejection. A filed one closes when its
        # work orders close (sameness.openness follows work_order.closed).
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
    if second_contact is not None:
        appeal.second_contact_kind = second_contact.kind
        appeal.second_contact_encrypted = context.vault.encrypt(second_contact.value)
        appeal.second_contact_masked = pii.mask(second_contact.value)
    problem = None
    if decision.filed:
        problem = similarity.describe(
            title=title,
            content=content,
            subdistrict_id=place.subdistrict_id,
            community=place.community,
            address=address_text,
            parts=problem_places.parts_from_parsed(appeal.address_parts),
            place_names=context.place_names,
            name=name,
            vocabulary=params.vocabulary,
        )
    return Built(appeal=appeal, decision=decision, name=name, problem=problem)


async def _suggest_category(
    context: IntakeContext,
    incoming: AppealIn,
    appeal: Appeal,
    params: rule_params.EditionParams,
) -> Suggestion | None:
    """For an appeal to be filed that came without a category: the suggester's
    category when it is confident enough (Art. 8); otherwise the suggestion, and an
    appeal that would be filed now waits for an operator (`pending_classification`).
    One held for on-site verification keeps no category rather than wait twice."""
    if incoming.category_hint is not None or appeal.status not in TAKEN:
        return None
    model = await suggester.ready(context.reference.categories)
    suggestion = model.suggest(appeal.title, appeal.content)
    if not triage.needs_operator(suggestion, params.classification):
        appeal.category_id = suggestion.category_id
        return suggestion
    if appeal.status == "filed":
        appeal.status = PENDING_CLASSIFICATION
        appeal.held_reason = "classification"
        appeal.held_at = appeal.decided_at
    return suggestion


async def _reject_repeat(
    session: AsyncSession,
    context: IntakeContext,
    built: Built,
    edition: IntakeRuleEdition,
    params: rule_params.EditionParams,
) -> None:
    """Not filed as a repeat (Art. 11(3)5) when the same person, through the same
    channel, already has an appeal taken about the same problem: the same day
    (`repeat_same_day`: the event is filed once), or within the working-day window
    while it is still being handled (`repeat`). Linked to the earlier appeal."""
    appeal = built.appeal
    if appeal.status not in TAKEN or built.problem is None:
        return
    if appeal.contact_hash is not None:
        # Sent several times at once, each would find none of the others: the
        # same person's submissions take turns to the end of their transaction.
        await locks.one_person_at_a_time(session, appeal.contact_hash)

    finding = await repeats.find_repeat(
        session,
        contact_hash=appeal.contact_hash,
        channel=appeal.channel,
        problem=built.problem,
        received_at=appeal.received_at,
        calendar=context.calendar,
        params=params.sameness,
        describe=lambda earlier: similarity.problem_of(
            earlier, place_names=context.place_names, vocabulary=params.vocabulary
        ),
    )
    if finding is None:
        return
    reason = filing.Reason(finding.reason)
    advice = edition.advice_for(reason.value)
    announce.mark_rejected(
        appeal,
        filing.not_filed(
            reason, "contact, channel, content, address", finding.evidence
        ),
        advice=f"{advice}（原诉求受理编号 {finding.repeat_of_tracking_code}）"
        if advice
        else finding.advice,
        at=appeal.decided_at,
        name=built.name,
        repeat_of=finding.repeat_of,
    )
    appeal.reason_evidence = {
        **(appeal.reason_evidence or {}),
        "repeat_of": finding.repeat_of,
        "similarity": f"{finding.similarity:.2f}",
        "window_ends_at": finding.window_ends_at.isoformat()
        if finding.window_ends_at
        else "",
    }
    appeal.held_reason = None
    appeal.held_at = None


async def _answer_at_once(
    session: AsyncSession, appeal: Appeal, params: rule_params.EditionParams
) -> knowledge.InstantAnswer | None:
    """A consultation that would be filed and asks a knowledge entry's question
    surely enough is answered at once (秒回, Art. 44): closed by the answer, not
    filed to a unit. Its category (the channel's, or a confident suggestion)
    narrows the search."""
    if appeal.appeal_type != "consultation" or appeal.status not in ANSWERABLE:
        return None
    answer = await knowledge.instant_answer(
        session,
        title=appeal.title,
        content=appeal.content,
        category_id=appeal.category_id,
        at=appeal.decided_at,
        params=params.knowledge,
    )
    if answer is None:
        return None
    appeal.status = ANSWERED
    appeal.held_reason = None
    appeal.held_at = None
    appeal.level = None
    appeal.closed_at = appeal.decided_at
    return answer


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


def _read_second_contact(
    incoming: AppealIn, area_code: str | None
) -> normalise.Contact | None:
    """The second contact, normalised; refused (422) when it cannot serve as the
    fallback: given without a first contact, of the first one's kind (notify would
    have no other channel to try), or not a usable number or address."""
    given = incoming.second_contact
    if given is None:
        return None
    if incoming.contact is None:
        raise InvalidSecondContact(
            "a second contact needs a first one (contact)", field="second_contact"
        )
    if given.kind == incoming.contact.kind:
        raise InvalidSecondContact(
            f"the second contact must be of another kind than the first ({given.kind})",
            field="second_contact.kind",
        )
    try:
        return normalise.contact(given.kind, given.value, area_code=area_code)
    except normalise.InvalidContact as error:
        raise InvalidSecondContact(
            f"the second contact is unusable: {error}", field="second_contact.value"
        ) from None


async def _stage_events(
    session: AsyncSession,
    context: IntakeContext,
    appeal: Appeal,
    name: str | None,
    answer: knowledge.InstantAnswer | None,
) -> None:
    """appeal.received, then the decision: filed (and graded), held, not filed, or
    answered at once. An answered consultation is not also filed: no unit gets it,
    and the citizen gets one notice, the answer."""
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
    elif appeal.status == ANSWERED and answer is not None:
        await announce.answered(session, context, appeal, answer, at=appeal.decided_at)
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
    earlier one's id. The appeals merged into the order are the unit's too (Art.
    18); an order of a merged appeal dispatched before its merger had ended, and
    gives its unit nothing when it arrives late."""
    merger = await repository.merger_of(session, dispatched.appeal_id)
    if (
        merger is not None
        and merger.into_work_order_id != dispatched.work_order_id
        and dispatched.dispatched_at <= merger.merged_at
    ):
        log.info(
            "work order %s of appeal %s ended when it was merged into work order "
            "%s: unit %s does not hold the appeal",
            dispatched.work_order_id,
            dispatched.appeal_id,
            merger.into_work_order_id,
            dispatched.unit_id,
        )
        return

    followers = await repository.merged_into_order(session, dispatched.work_order_id)
    for appeal_id in [dispatched.appeal_id, *followers]:
        await _hold(
            session,
            appeal_id=appeal_id,
            unit_id=dispatched.unit_id,
            work_order_id=dispatched.work_order_id,
            at=dispatched.dispatched_at,
        )


async def record_merger(*, session: AsyncSession, merged: WorkOrderMerged) -> None:
    """Orders about one event became one (并案, Art. 18): the unit holding the
    surviving order holds the merged appeals from now on, and the units of the
    merged orders, which ended, hold nothing by them any more."""
    ended = [
        work_order_id
        for work_order_id in dict.fromkeys(merged.merged_work_order_ids)
        if work_order_id != merged.work_order_id
    ]
    for held in await repository.holders_by_order(session, ended):
        log.info(
            "appeal %s no longer held by unit %s: its work order %s was merged into "
            "work order %s",
            held.appeal_id,
            held.unit_id,
            held.work_order_id,
            merged.work_order_id,
        )
        await session.delete(held)
    # The rows go before the surviving unit's are written: the same unit may hold
    # a merged appeal again, under the surviving order.
    await session.flush()

    surviving = await repository.holders_by_order(session, [merged.work_order_id])
    if not surviving:
        # Its dispatch is not known yet: when it comes, it brings the merged
        # appeals along (record_dispatch).
        log.warning(
            "work order %s took others in before intake learnt its unit; the "
            "merged appeals wait for its dispatch",
            merged.work_order_id,
        )
        return
    for appeal_id in dict.fromkeys(merged.merged_appeal_ids):
        if appeal_id == merged.appeal_id:
            continue
        for holder in surviving:
            await _hold(
                session,
                appeal_id=appeal_id,
                unit_id=holder.unit_id,
                work_order_id=merged.work_order_id,
                at=merged.merged_at,
            )


async def _hold(
    session: AsyncSession,
    *,
    appeal_id: str,
    unit_id: str,
    work_order_id: str,
    at: datetime,
) -> None:
    held = await repository.appeal_unit(session, appeal_id, unit_id)
    if held is None:
        session.add(
            AppealUnit(
                appeal_id=appeal_id,
                unit_id=unit_id,
                work_order_id=work_order_id,
                dispatched_at=at,
            )
        )
        log.info(
            "appeal %s held by unit %s (work order %s)",
            appeal_id,
            unit_id,
            work_order_id,
        )
    elif at > held.dispatched_at:
        held.work_order_id = work_order_id
        held.dispatched_at = at


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
