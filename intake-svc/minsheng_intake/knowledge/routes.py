"""The knowledge base's HTTP API (知识库, Art. 43)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status

from minsheng_common.timeutil import as_utc
from minsheng_intake.deps import Context, Session
from minsheng_intake.knowledge import service
from minsheng_intake.knowledge.deps import CenterReader, Keeper, Params, Reader
from minsheng_intake.knowledge.models import KnowledgeEntry, KnowledgeEntryVersion
from minsheng_intake.knowledge.schemas import (
    AnswerRate,
    EntryHistory,
    EntryIn,
    EntryOut,
    EntryUpdate,
    EntryVersionOut,
    KnowledgeHit,
    KnowledgePage,
    RetireIn,
)

router = APIRouter(prefix="/v1/knowledge", tags=["knowledge"])


@router.post("", response_model=EntryOut, status_code=status.HTTP_201_CREATED)
async def create_entry(
    incoming: EntryIn, session: Session, context: Context, principal: Keeper
) -> EntryOut:
    """Add a question and its answer to the knowledge base (知识库, Art. 43).

    A unit adds entries for its own unit (another unit's id answers 403
    `unit_mismatch`); a center supervisor names the unit. The category and unit
    must be in the reference data; the answer holds from `valid_from` (default:
    now) until `valid_to` (default: until changed).
    """
    entry = await service.create(
        session=session,
        reference=context.reference,
        principal=principal,
        incoming=incoming,
        now=context.clock.now(),
    )
    return present(entry)


@router.get("", response_model=KnowledgePage)
async def search_entries(
    session: Session,
    context: Context,
    principal: Reader,
    q: str | None = Query(
        default=None,
        max_length=200,
        description="words to look for in questions, keywords and answers, "
        "Chinese segmented by jieba",
    ),
    unit_id: str | None = Query(default=None, max_length=50),
    category_id: str | None = Query(default=None, max_length=50),
    valid_at: Annotated[
        datetime | None,
        Query(
            description="the moment the entries must hold at (default: now); a "
            "time without offset is read as Asia/Shanghai",
        ),
    ] = None,
    limit: int = Query(default=20, ge=1, le=100),
    offset: int = Query(default=0, ge=0),
) -> KnowledgePage:
    """Search the entries that hold at a moment, best match first (`score` 0 to 1:
    mostly the question and keywords, partly the answer). Without words, every
    entry that holds, most recently changed first. Any unit and the center may
    search every unit's entries."""
    at = as_utc(valid_at) if valid_at is not None else context.clock.now()
    hits, total = await service.find(
        session=session,
        reference=context.reference,
        query=q,
        unit_id=unit_id,
        category_id=category_id,
        at=at,
        limit=limit,
        offset=offset,
    )
    items = [
        KnowledgeHit(**present(hit.entry).model_dump(), score=hit.score) for hit in hits
    ]
    return KnowledgePage(items=items, total=total, valid_at=at)


@router.get("/answer-rate", response_model=AnswerRate)
async def one_time_answer_rate(
    session: Session,
    principal: CenterReader,
    params: Params,
    period_from: Annotated[
        datetime,
        Query(
            alias="from",
            description="start of the period, included; a time without offset is "
            "read as Asia/Shanghai",
        ),
    ],
    period_to: Annotated[
        datetime, Query(alias="to", description="end of the period, excluded")
    ],
) -> AnswerRate:
    """The one-time answer rate of consultations (一次性答复率, Art. 43; target
    90%): the consultations received in the period that were answered at once
    from the knowledge base (秒回, Art. 44), over every consultation received in
    the period, whatever its filing decision."""
    start = as_utc(period_from)
    return await service.answer_rate(
        session=session, start=start, end=period_to, params=params(start)
    )


@router.get("/{entry_id}", response_model=EntryOut)
async def get_entry(entry_id: str, session: Session, principal: Reader) -> EntryOut:
    """One entry in its current version, retired or not."""
    return present(await service.get(session=session, entry_id=entry_id))


@router.get("/{entry_id}/history", response_model=EntryHistory)
async def entry_history(
    entry_id: str, session: Session, principal: Reader
) -> EntryHistory:
    """Every version of an entry, oldest first: who changed what, when and why."""
    versions = await service.history(session=session, entry_id=entry_id)
    return EntryHistory(
        entry_id=entry_id, versions=[present_version(row) for row in versions]
    )


@router.put("/{entry_id}", response_model=EntryOut)
async def update_entry(
    entry_id: str,
    change: EntryUpdate,
    session: Session,
    context: Context,
    principal: Keeper,
) -> EntryOut:
    """Replace an entry's wording, validity or category; the previous version is
    kept in its history. A unit changes only its own unit's entries (another unit's
    answers 404, as a missing one); a retired entry answers 409 `entry_retired`.
    Give `version` to be refused (409 `version_conflict`) if someone changed the
    entry since you read it."""
    entry = await service.update(
        session=session,
        reference=context.reference,
        principal=principal,
        entry_id=entry_id,
        change=change,
        now=context.clock.now(),
    )
    return present(entry)


@router.post("/{entry_id}/retire", response_model=EntryOut)
async def retire_entry(
    entry_id: str,
    session: Session,
    context: Context,
    principal: Keeper,
    request: RetireIn | None = None,
) -> EntryOut:
    """Retire an entry from now on: no longer found by searches nor given as an
    instant answer; it stays readable with its history. A unit retires only its own
    unit's entries (another unit's answers 404, as a missing one)."""
    entry = await service.retire(
        session=session,
        principal=principal,
        entry_id=entry_id,
        note=request.note if request else None,
        now=context.clock.now(),
    )
    return present(entry)


def present(entry: KnowledgeEntry) -> EntryOut:
    return EntryOut(
        id=entry.id,
        unit_id=entry.unit_id,
        category_id=entry.category_id,
        question=entry.question,
        answer=entry.answer,
        keywords=list(entry.keywords),
        valid_from=entry.valid_from,
        valid_to=entry.valid_to,
        created_by=entry.created_by,
        created_at=entry.created_at,
        updated_at=entry.updated_at,
        retired_at=entry.retired_at,
        version=entry.version,
    )


def present_version(row: KnowledgeEntryVersion) -> EntryVersionOut:
    return EntryVersionOut(
        version=row.version,
        action=row.action,
        unit_id=row.unit_id,
        category_id=row.category_id,
        question=row.question,
        answer=row.answer,
        keywords=list(row.keywords),
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        retired_at=row.retired_at,
        changed_by=row.changed_by,
        changed_at=row.changed_at,
        note=row.note,
    )
