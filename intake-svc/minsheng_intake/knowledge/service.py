"""Keeping the knowledge base (Art. 43): entries per unit and category with validity
dates, every change kept as a version; searching it; answering a consultation at
once from it (秒回, Art. 44); and the one-time answer rate.

Who keeps what: a unit creates, changes and retires its own unit's entries; a center
supervisor (Scope.ROUTING_MANAGE) any unit's. Another unit's entry answers a change
exactly as a missing one does. Entries are answers meant for citizens and hold no
personal data, so every unit and the center may read and search all of them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import ids
from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Scope
from minsheng_common.reference import ReferenceData
from minsheng_common.timeutil import as_utc
from minsheng_intake import normalise
from minsheng_intake.knowledge import repository, search
from minsheng_intake.knowledge.errors import (
    EmptyText,
    EntryNotFound,
    EntryRetired,
    InvalidPeriod,
    InvalidValidity,
    QueryWithoutTerms,
    TooLong,
    UnitMismatch,
    UnitRequired,
    UnknownCategory,
    UnknownUnit,
    VersionConflict,
)
from minsheng_intake.knowledge.models import (
    InstantAnswerRecord,
    KnowledgeEntry,
    KnowledgeEntryVersion,
)
from minsheng_intake.knowledge.schemas import (
    ANSWER_CHARS,
    KEYWORD_CHARS,
    QUESTION_CHARS,
    AnswerRate,
    EntryIn,
    EntryUpdate,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KnowledgeParams:
    """The rule parameters of the knowledge base. These are the defaults; the rule
    edition in force fills them."""

    instant_answer_threshold: float = 0.6
    """Art. 44: a consultation is answered at once when it asks an entry's question
    with at least this confidence (0 to 1, see `search`)."""
    one_time_answer_target: float = 0.9
    """Art. 43: the share of consultations to be answered at once."""


@dataclass(frozen=True)
class InstantAnswer:
    """The entry that answers a consultation at once, and how sure the match is."""

    entry_id: str
    entry_version: int
    unit_id: str
    category_id: str
    question: str
    answer: str
    confidence: float


@dataclass(frozen=True)
class _Wording:
    """An entry's checked and normalised content."""

    unit_id: str
    category_id: str
    question: str
    answer: str
    keywords: list[str]
    valid_from: datetime
    valid_to: datetime | None


async def create(
    *,
    session: AsyncSession,
    reference: ReferenceData,
    principal: Principal,
    incoming: EntryIn,
    now: datetime,
) -> KnowledgeEntry:
    """Add an entry to the base, as version 1. A unit keeps entries in its own name
    only; the center names the unit."""
    unit_id = incoming.unit_id or principal.unit_id
    if unit_id is None:
        raise UnitRequired("name the unit that keeps the entry", field="unit_id")
    _check_unit(reference, unit_id, field="unit_id")
    _check_keeper(principal, unit_id)
    wording = _wording(
        reference,
        unit_id=unit_id,
        category_id=incoming.category_id,
        question=incoming.question,
        answer=incoming.answer,
        keywords=incoming.keywords,
        valid_from=_moment(incoming.valid_from) or now,
        valid_to=_moment(incoming.valid_to),
    )

    entry = KnowledgeEntry(
        id=ids.new_id(),
        created_by=principal.label(),
        created_at=now,
        updated_at=now,
        version=1,
    )
    _apply(entry, wording)
    session.add(entry)
    session.add(_version(entry, action="created", by=principal, at=now, note=None))
    await session.commit()
    log.info(
        "knowledge entry %s created for unit %s (category %s) by %s",
        entry.id,
        entry.unit_id,
        entry.category_id,
        principal.label(),
    )
    return entry


async def update(
    *,
    session: AsyncSession,
    reference: ReferenceData,
    principal: Principal,
    entry_id: str,
    change: EntryUpdate,
    now: datetime,
) -> KnowledgeEntry:
    """Replace an entry's wording; the previous one stays in its history. A change
    that changes nothing keeps the version as it is."""
    entry = await _kept_by(session, principal, entry_id)
    if entry.retired_at is not None:
        raise EntryRetired(f"knowledge entry {entry_id} is retired", field="entry_id")
    if change.version is not None and change.version != entry.version:
        raise VersionConflict(
            f"knowledge entry {entry_id} is at version {entry.version}, not "
            f"{change.version}; read it again",
            field="version",
        )
    unit_id = change.unit_id or entry.unit_id
    if unit_id != entry.unit_id:
        _check_unit(reference, unit_id, field="unit_id")
        _check_keeper(principal, unit_id)
    wording = _wording(
        reference,
        unit_id=unit_id,
        category_id=change.category_id,
        question=change.question,
        answer=change.answer,
        keywords=change.keywords,
        valid_from=_moment(change.valid_from) or entry.valid_from,
        valid_to=_moment(change.valid_to),
    )
    if wording == _current_wording(entry):
        return entry

    _apply(entry, wording)
    entry.version += 1
    entry.updated_at = now
    session.add(
        _version(entry, action="updated", by=principal, at=now, note=change.note)
    )
    await _commit_version(session, entry_id)
    log.info(
        "knowledge entry %s updated to version %d by %s",
        entry_id,
        entry.version,
        principal.label(),
    )
    return entry


async def retire(
    *,
    session: AsyncSession,
    principal: Principal,
    entry_id: str,
    note: str | None,
    now: datetime,
) -> KnowledgeEntry:
    """Take an entry out of use from now on: it is no longer found by searches
    or given as an instant answer, and stays readable with its history."""
    entry = await _kept_by(session, principal, entry_id)
    if entry.retired_at is not None:
        raise EntryRetired(
            f"knowledge entry {entry_id} is already retired", field="entry_id"
        )

    entry.retired_at = now
    entry.version += 1
    entry.updated_at = now
    session.add(_version(entry, action="retired", by=principal, at=now, note=note))
    await _commit_version(session, entry_id)
    log.info("knowledge entry %s retired by %s", entry_id, principal.label())
    return entry


async def get(*, session: AsyncSession, entry_id: str) -> KnowledgeEntry:
    entry = await repository.get(session, entry_id)
    if entry is None:
        raise _not_found(entry_id)
    return entry


async def history(
    *, session: AsyncSession, entry_id: str
) -> list[KnowledgeEntryVersion]:
    """Every version of an entry, oldest first."""
    await get(session=session, entry_id=entry_id)
    return await repository.versions(session, entry_id)


@dataclass(frozen=True)
class Hit:
    entry: KnowledgeEntry
    score: float | None


async def find(
    *,
    session: AsyncSession,
    reference: ReferenceData,
    query: str | None,
    unit_id: str | None,
    category_id: str | None,
    at: datetime,
    limit: int,
    offset: int,
) -> tuple[list[Hit], int]:
    """The entries that hold at `at`, best match first when words are given (most
    recently changed first otherwise), and how many there are in all."""
    if unit_id is not None:
        _check_unit(reference, unit_id, field="unit_id")
    if category_id is not None:
        _check_category(reference, category_id)
    entries = await repository.valid_at(
        session, at, unit_id=unit_id, category_id=category_id
    )

    query = normalise.text(query)
    if not query:
        entries.sort(key=lambda entry: (-entry.updated_at.timestamp(), entry.id))
        hits = [Hit(entry, None) for entry in entries]
        return hits[offset : offset + limit], len(hits)

    asked = search.vector(search.terms(query))
    if not asked:
        raise QueryWithoutTerms(
            "the search has no word to look for, only words of asking", field="q"
        )
    scored = [
        Hit(entry, round(search.relevance(asked, _document(entry)), 4))
        for entry in entries
    ]
    hits = [hit for hit in scored if hit.score]
    hits.sort(
        key=lambda hit: (
            -(hit.score or 0),
            -hit.entry.updated_at.timestamp(),
            hit.entry.id,
        )
    )
    return hits[offset : offset + limit], len(hits)


async def instant_answer(
    session: AsyncSession,
    *,
    title: str,
    content: str,
    category_id: str | None,
    at: datetime,
    params: KnowledgeParams,
) -> InstantAnswer | None:
    """The entry that answers a consultation at once (秒回, Art. 44): the entry
    holding at `at` whose question the consultation asks most surely, if at least
    as surely as the threshold; None otherwise (the consultation goes the normal
    way). A known category narrows the search to its entries."""
    asked = search.vector(search.terms(f"{title}\n{content}"))
    if not asked:
        return None
    entries = await repository.valid_at(session, at, category_id=category_id)
    best = _best(asked, entries)
    if best is None:
        return None

    entry, confidence = best
    if confidence < params.instant_answer_threshold:
        log.debug(
            "best knowledge entry %s below the threshold (%.2f < %.2f)",
            entry.id,
            confidence,
            params.instant_answer_threshold,
        )
        return None
    return InstantAnswer(
        entry_id=entry.id,
        entry_version=entry.version,
        unit_id=entry.unit_id,
        category_id=entry.category_id,
        question=entry.question,
        answer=entry.answer,
        confidence=round(confidence, 4),
    )


async def record_answer(
    session: AsyncSession,
    *,
    appeal_id: str,
    answer: InstantAnswer,
    at: datetime,
) -> InstantAnswerRecord:
    """Record that a consultation was answered at once, in the caller's transaction
    (not committed here); the same appeal again keeps the first record."""
    existing = await repository.instant_answer(session, appeal_id)
    if existing is not None:
        return existing
    record = InstantAnswerRecord(
        appeal_id=appeal_id,
        entry_id=answer.entry_id,
        entry_version=answer.entry_version,
        confidence=answer.confidence,
        answered_at=at,
    )
    session.add(record)
    log.info(
        "appeal %s answered at once by knowledge entry %s version %d (confidence %.2f)",
        appeal_id,
        answer.entry_id,
        answer.entry_version,
        answer.confidence,
    )
    return record


async def answer_given(
    session: AsyncSession, *, appeal_id: str
) -> InstantAnswer | None:
    """The answer a consultation was given at once, as its entry read then (the
    version recorded), or None if it was not answered at once."""
    record = await repository.instant_answer(session, appeal_id)
    if record is None:
        return None
    version = await repository.version(session, record.entry_id, record.entry_version)
    if version is None:
        return None
    return InstantAnswer(
        entry_id=record.entry_id,
        entry_version=record.entry_version,
        unit_id=version.unit_id,
        category_id=version.category_id,
        question=version.question,
        answer=version.answer,
        confidence=record.confidence,
    )


async def answer_rate(
    *,
    session: AsyncSession,
    start: datetime,
    end: datetime,
    params: KnowledgeParams,
) -> AnswerRate:
    """The one-time answer rate (一次性答复率, Art. 43) of the consultations received
    in [start, end): those answered at once over all of them, whatever their
    filing decision (a consultation refused is one not answered at once)."""
    start, end = as_utc(start), as_utc(end)
    if end <= start:
        raise InvalidPeriod("the period must end after it starts", field="to")
    consultations, answered = await repository.consultation_counts(session, start, end)
    rate = answered / consultations if consultations else None
    target = params.one_time_answer_target
    return AnswerRate(
        period_from=start,
        period_to=end,
        consultations=consultations,
        answered_at_once=answered,
        rate=round(rate, 4) if rate is not None else None,
        target=target,
        meets_target=rate >= target if rate is not None else None,
    )


def _best(
    asked: search.Vector, entries: Sequence[KnowledgeEntry]
) -> tuple[KnowledgeEntry, float] | None:
    """The entry whose question `asked` matches most surely; among equals, the
    most recently changed (then by id, so the choice never wavers)."""
    best: tuple[float, float, str, KnowledgeEntry] | None = None
    for entry in entries:
        confidence = search.confidence(asked, _document(entry))
        if confidence <= 0:
            continue
        key = (confidence, entry.updated_at.timestamp(), entry.id, entry)
        if best is None or key[:3] > best[:3]:
            best = key
    return (best[3], best[0]) if best else None


def _document(entry: KnowledgeEntry) -> search.Document:
    return search.document(entry.question, tuple(entry.keywords), entry.answer)


def _check_keeper(principal: Principal, unit_id: str) -> None:
    """A unit keeps its own entries; a supervisor any unit's."""
    if _may_keep(principal, unit_id):
        return
    raise UnitMismatch(
        f"this key keeps entries of unit '{principal.unit_id}', not '{unit_id}'",
        field="unit_id",
    )


def _may_keep(principal: Principal, unit_id: str) -> bool:
    if principal.can(Scope.ROUTING_MANAGE):
        return True
    return principal.can(Scope.WORK_ORDERS_UNIT) and principal.unit_id == unit_id


async def _kept_by(
    session: AsyncSession, principal: Principal, entry_id: str
) -> KnowledgeEntry:
    """The entry, if the caller keeps it; another unit's answers as a missing one."""
    entry = await repository.get(session, entry_id)
    if entry is None or not _may_keep(principal, entry.unit_id):
        raise _not_found(entry_id)
    return entry


def _check_unit(reference: ReferenceData, unit_id: str, *, field: str) -> None:
    if all(unit.id != unit_id for unit in reference.units):
        raise UnknownUnit(f"unknown unit '{unit_id}'", field=field)


def _check_category(reference: ReferenceData, category_id: str) -> None:
    if category_id not in reference.category_ids:
        raise UnknownCategory(f"unknown category '{category_id}'", field="category_id")


def _wording(
    reference: ReferenceData,
    *,
    unit_id: str,
    category_id: str,
    question: str,
    answer: str,
    keywords: Sequence[str],
    valid_from: datetime,
    valid_to: datetime | None,
) -> _Wording:
    """The entry's content checked and normalised; bad input raises and changes
    nothing."""
    _check_category(reference, category_id)
    if valid_to is not None and valid_to <= valid_from:
        raise InvalidValidity("valid_to must come after valid_from", field="valid_to")
    return _Wording(
        unit_id=unit_id,
        category_id=category_id,
        question=_text("question", question, QUESTION_CHARS),
        answer=_text("answer", answer, ANSWER_CHARS),
        keywords=_keywords(keywords),
        valid_from=valid_from,
        valid_to=valid_to,
    )


def _text(field: str, value: str, limit: int) -> str:
    text = normalise.text(value)
    if not text:
        raise EmptyText(f"{field} is empty", field=field)
    if len(text) > limit:
        raise TooLong(
            f"{field} has {len(text)} characters; at most {limit} are accepted",
            field=field,
        )
    return text


def _keywords(given: Sequence[str]) -> list[str]:
    """Keywords trimmed, empty ones dropped, repeats (ignoring case) dropped."""
    kept: list[str] = []
    seen: set[str] = set()
    for number, value in enumerate(given):
        keyword = normalise.text(value)
        if len(keyword) > KEYWORD_CHARS:
            raise TooLong(
                f"keyword {number + 1} has {len(keyword)} characters; at most "
                f"{KEYWORD_CHARS} are accepted",
                field=f"keywords.{number}",
            )
        if keyword and keyword.lower() not in seen:
            seen.add(keyword.lower())
            kept.append(keyword)
    return kept


def _moment(given: datetime | None) -> datetime | None:
    """A time in UTC; a naive time is read as Asia/Shanghai."""
    return as_utc(given) if given is not None else None


def _apply(entry: KnowledgeEntry, wording: _Wording) -> None:
    entry.unit_id = wording.unit_id
    entry.category_id = wording.category_id
    entry.question = wording.question
    entry.answer = wording.answer
    entry.keywords = list(wording.keywords)
    entry.valid_from = wording.valid_from
    entry.valid_to = wording.valid_to


def _current_wording(entry: KnowledgeEntry) -> _Wording:
    return _Wording(
        unit_id=entry.unit_id,
        category_id=entry.category_id,
        question=entry.question,
        answer=entry.answer,
        keywords=list(entry.keywords),
        valid_from=entry.valid_from,
        valid_to=entry.valid_to,
    )


def _version(
    entry: KnowledgeEntry,
    *,
    action: str,
    by: Principal,
    at: datetime,
    note: str | None,
) -> KnowledgeEntryVersion:
    """The entry as it stands now, as a row of its history."""
    return KnowledgeEntryVersion(
        entry_id=entry.id,
        version=entry.version,
        action=action,
        unit_id=entry.unit_id,
        category_id=entry.category_id,
        question=entry.question,
        answer=entry.answer,
        keywords=list(entry.keywords),
        valid_from=entry.valid_from,
        valid_to=entry.valid_to,
        retired_at=entry.retired_at,
        changed_by=by.label(),
        changed_at=at,
        note=normalise.text(note) or None,
    )


async def _commit_version(session: AsyncSession, entry_id: str) -> None:
    try:
        await session.commit()
    except IntegrityError:
        # Another change of the same version was kept first (the history allows
        # one row per version); this one is refused and changes nothing.
        await session.rollback()
        raise VersionConflict(
            f"knowledge entry {entry_id} was changed at the same time; read it again",
            field="entry_id",
        ) from None


def _not_found(entry_id: str) -> EntryNotFound:
    # One body for a missing entry and for another unit's entry on a change.
    return EntryNotFound(f"no knowledge entry {entry_id}", field="entry_id")
