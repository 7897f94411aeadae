"""Intake's API for the filing rules: operators' search, on-site verification,
grades and the grading rules; and the citizen's own status read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from minsheng_intake import grading, search, service, status, verification
from minsheng_intake.deps import (
    CenterReader,
    Context,
    Operator,
    RulesManager,
    Session,
    StatusLimiter,
)
from minsheng_intake.models import GradeChange, GradingRuleVersion
from minsheng_intake.routes import present
from minsheng_intake.schemas import (
    AppealOut,
    AppealPage,
    CitizenStatus,
    GradeChangeOut,
    GradeIn,
    GradingRulesIn,
    GradingRulesOut,
    GradingRulesPage,
    VerificationIn,
)

router = APIRouter(prefix="/v1", tags=["filing"])


@router.get("/appeals/search", response_model=AppealPage)
async def search_appeals(
    session: Session,
    context: Context,
    principal: CenterReader,
    tracking_code: str | None = Query(default=None, max_length=64),
    phone: str | None = Query(
        default=None,
        max_length=40,
        description="the citizen's number as written; found through its keyed hash",
    ),
    place: str | None = Query(
        default=None,
        max_length=50,
        description="a subdistrict id or name, or a community",
    ),
    q: str | None = Query(
        default=None,
        max_length=100,
        description="words of the title, content or address",
    ),
    limit: int = Query(default=50, ge=1, le=200),
    offset: int = Query(default=0, ge=0),
) -> AppealPage:
    """Appeals by tracking code, by the citizen's phone number, by place or by
    words (every criterion given must match), newest first, each with its filing
    decision and reasons; personal data masked as everywhere. The number is
    normalised as intake does and matched by its keyed hash, never in clear."""
    rows, total = await search.search(
        session=session,
        context=context,
        criteria=search.Criteria(
            tracking_code=tracking_code, phone=phone, place=place, text=q
        ),
        limit=limit,
        offset=offset,
    )
    return AppealPage(items=[present(row, context) for row in rows], total=total)


@router.get("/appeals/{tracking_code}/status", response_model=CitizenStatus)
async def citizen_status(
    session: Session,
    context: Context,
    limiter: StatusLimiter,
    tracking_code: Annotated[str, Path(max_length=64)],
    last4: str = Query(
        min_length=4,
        max_length=4,
        description="the last four digits of the phone number left with the appeal "
        "(for another contact, its last four characters)",
    ),
) -> CitizenStatus:
    """Where an appeal stands, for the citizen, without an account: the state and
    the dated steps (received, filed or not filed with the reason and where to turn
    instead, dispatched to which unit). No personal data, no internal notes.

    Open to the public like an Open311 status read, but only with the last four
    digits of the contact; wrong digits answer 404 exactly as an unknown code, and
    after ten wrong tries within a minute a code answers 429 for the rest of it.
    """
    return await status.citizen_status(
        session=session,
        context=context,
        limiter=limiter,
        tracking_code=tracking_code,
        last4=last4,
    )


@router.post("/appeals/{appeal_id}/verification", response_model=AppealOut)
async def record_verification(
    appeal_id: str,
    finding: VerificationIn,
    session: Session,
    context: Context,
    principal: Operator,
) -> AppealOut:
    """The grid worker's on-site finding for an appeal held for verification (Art.
    11): `true` files it; `address_untrue`, `content_untrue` or `invented` rejects
    it with the verification reason (Art. 11(3)6). 409 when the appeal is not
    waiting for verification."""
    appeal = await verification.verify(
        session=session,
        context=context,
        appeal_id=appeal_id,
        outcome=finding.outcome,
        note=finding.note,
        principal=principal,
    )
    return present(appeal, context)


@router.post("/appeals/{appeal_id}/grade", response_model=AppealOut)
async def grade_appeal(
    appeal_id: str,
    request: GradeIn,
    session: Session,
    context: Context,
    principal: Operator,
) -> AppealOut:
    """Set an appeal's level (Art. 9) with the reason in words; recorded and
    announced (`appeal.graded`, basis "operator: <reason>"). Only a filed appeal or
    one held before its decision is graded (409 otherwise)."""
    appeal = await service.get(session=session, appeal_id=appeal_id)
    await grading.override(
        session=session,
        outbox=context.outbox,
        appeal=appeal,
        level=request.level,
        reason=request.reason,
        principal=principal,
        now=context.clock.now(),
    )
    return present(appeal, context)


@router.get("/appeals/{appeal_id}/grades", response_model=list[GradeChangeOut])
async def list_grades(
    appeal_id: str, session: Session, principal: CenterReader
) -> list[GradeChangeOut]:
    """Every grade the appeal was given, oldest first: by the rules, by operators."""
    await service.get(session=session, appeal_id=appeal_id)
    return [present_grade(row) for row in await grading.history(session, appeal_id)]


@router.get("/grading-rules", response_model=GradingRulesPage)
async def get_grading_rules(
    session: Session, context: Context, principal: CenterReader
) -> GradingRulesPage:
    """The grading keywords in force now, and every saved version, newest first."""
    now = context.clock.now()
    edition = context.rule_book().in_force(now)
    active = await grading.rules_in_force(session, edition, now)
    saved = await grading.versions(session)
    current = next(
        (present_rules(row) for row in saved if row.version == active.version),
        None,
    )
    if current is None:
        current = GradingRulesOut(
            version=None,
            source=active.source,
            level_1=active.keywords.level_1,
            level_2=active.keywords.level_2,
            hypothetical_markers=active.keywords.hypothetical_markers,
        )
    return GradingRulesPage(
        current=current, history=[present_rules(row) for row in saved]
    )


@router.put("/grading-rules", response_model=GradingRulesOut)
async def put_grading_rules(
    request: GradingRulesIn, session: Session, context: Context, principal: RulesManager
) -> GradingRulesOut:
    """Save a new version of the grading keywords (level 1, level 2, words of
    supposition); it grades appeals received from now on, and earlier versions
    stay in the history."""
    saved = await grading.save_rules(
        session=session,
        keywords=grading.keywords_from(
            level_1=request.level_1,
            level_2=request.level_2,
            hypothetical_markers=request.hypothetical_markers,
        ),
        note=request.note,
        principal=principal,
        now=context.clock.now(),
    )
    return present_rules(saved)


def present_rules(row: GradingRuleVersion) -> GradingRulesOut:
    return GradingRulesOut(
        version=row.version,
        source=f"version {row.version}",
        level_1=row.level_1,
        level_2=row.level_2,
        hypothetical_markers=row.hypothetical_markers,
        note=row.note,
        changed_by=row.changed_by,
        changed_at=row.changed_at,
    )


def present_grade(row: GradeChange) -> GradeChangeOut:
    return GradeChangeOut(
        appeal_id=row.appeal_id,
        level=grading.as_level(row.level),
        previous_level=(
            grading.as_level(row.previous_level)
            if row.previous_level is not None
            else None
        ),
        basis=row.basis,
        graded_by=row.graded_by,
        graded_at=row.graded_at,
    )
