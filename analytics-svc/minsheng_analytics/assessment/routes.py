"""The API of the unit assessment (考核, Art. 32–35).

Who may call what:

- scores and rankings: callers with analytics:read (center roles, leaders,
  dashboards); a unit (work-orders:unit) reads its own score, its history and its
  appeals, and another unit's answers 404 as if it did not exist;
- appeals against a deduction: a unit, for its own score only;
- decisions on appeals, commendations, fallbacks and publishing a period's scores:
  the center (work-orders:operate).

Every POST is idempotent by its natural key: sent again with the same body it
answers 200 with what was recorded the first time (201 when it recorded something);
the same key with other values is a 409.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from fastapi.types import DecoratedCallable
from pydantic import BaseModel

from minsheng_analytics.assessment import periods, service
from minsheng_analytics.assessment.errors import (
    AppealNotFound,
    InvalidPeriod,
    UnitNotAssessed,
)
from minsheng_analytics.assessment.plan import AssessmentPlan, PlanEdition
from minsheng_analytics.assessment.schemas import (
    UNIT_ID,
    AppealIn,
    AppealOut,
    AppealPage,
    AssessmentOut,
    AwardOut,
    CommendationIn,
    DecisionIn,
    FallbackIn,
    HistoryOut,
    PublishedOut,
    UnitScoreOut,
)
from minsheng_analytics.deps import Context, Session
from minsheng_common.auth.api import require
from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Scope

router = APIRouter(prefix="/v1/assessment", tags=["assessment"])


def _assessor(request: Request, context: Context) -> service.Assessor:
    plan: AssessmentPlan = request.app.state.assessment_plan
    return service.Assessor(context=context, plan=plan)


Assessor = Annotated[service.Assessor, Depends(_assessor)]
Reader = Annotated[Principal, Depends(require(Scope.ANALYTICS_READ))]
"""Center roles, leaders and dashboards: every unit's scores."""
ScoreReader = Annotated[
    Principal, Depends(require(Scope.ANALYTICS_READ, Scope.WORK_ORDERS_UNIT))
]
"""A reader of analytics, or a unit reading its own score."""
UnitClerk = Annotated[Principal, Depends(require(Scope.WORK_ORDERS_UNIT))]
"""A unit acting on its own score."""
Center = Annotated[Principal, Depends(require(Scope.WORK_ORDERS_OPERATE))]
"""A center operator or supervisor."""

UnitPath = Annotated[str, Path(pattern=UNIT_ID, description="the unit's id")]
PeriodPath = Annotated[str, Path(description=f"the period: {periods.FORMATS}")]

MAX_OFFSET = 1_000_000
"""Far past any list of appeals, and within what every store can count."""

_REPLAYED: dict[int | str, dict[str, Any]] = {
    200: {"description": "The same request again: what was recorded"}
}


def _own_unit(principal: Principal) -> str | None:
    """The one unit whose assessment the caller may see, or None for every unit."""
    if principal.can(Scope.ANALYTICS_READ):
        return None
    return principal.unit_id or ""


def _check_visible(principal: Principal, unit_id: str) -> None:
    own = _own_unit(principal)
    if own is not None and own != unit_id:
        # Another unit's score answers as a missing one, as its orders do.
        raise UnitNotAssessed(f"unit {unit_id} is not assessed", field="unit")


def _recording_post(
    path: str, response_model: type[BaseModel]
) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """A POST that records something: 201, or 200 when sent again (`_answer`)."""
    return router.post(
        path,
        response_model=response_model,
        status_code=status.HTTP_201_CREATED,
        responses=_REPLAYED,
    )


def _answer(body: object, created: bool) -> JSONResponse:
    code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return JSONResponse(jsonable_encoder(body), status_code=code)


def _period(
    assessor: service.Assessor,
    key: str | None,
    first: date | None,
    end: date | None,
) -> periods.Period:
    if key is not None:
        if first is not None or end is not None:
            raise InvalidPeriod("give either `period` or `from`/`to`", field="period")
        return periods.parse(key)
    if first is not None and end is not None:
        return periods.span(first, end, field="to")
    if first is not None or end is not None:
        raise InvalidPeriod(
            "`from` and `to` go together", field="to" if first else "from"
        )
    today = periods.today(assessor.now())
    return periods.parse(f"{today.year:04d}-{today.month:02d}")


@router.get("", response_model=AssessmentOut)
async def get_assessment(
    _reader: Reader,
    session: Session,
    assessor: Assessor,
    period: Annotated[
        str | None,
        Query(description=f"{periods.FORMATS}; the current month if absent"),
    ] = None,
    start: Annotated[
        date | None,
        Query(alias="from", description="instead of `period`: the first day"),
    ] = None,
    end: Annotated[
        date | None,
        Query(alias="to", description="with `from`: the day after the last"),
    ] = None,
    unit: Annotated[
        str | None, Query(pattern=UNIT_ID, description="only this unit's line")
    ] = None,
) -> AssessmentOut:
    """The scores and ranking of the units for a period (考核, Art. 32–34): base
    score, points deducted by the plan's indicators (Art. 33), bonus points (Art.
    34), total and rank, best first. A period is scored by the plan edition in
    force on its first day, over the work orders of the appeals received in it
    (Shanghai days). Needs analytics:read."""
    chosen = _period(assessor, period, start, end)
    return await service.ranking(
        session=session, assessor=assessor, period=chosen, unit_id=unit
    )


@router.get("/plan", response_model=PlanEdition)
async def get_plan(
    _reader: ScoreReader,
    assessor: Assessor,
    period: Annotated[
        str | None,
        Query(description=f"{periods.FORMATS}; the current month if absent"),
    ] = None,
) -> PlanEdition:
    """The assessment plan (考核方案) a period is scored by: base score, every
    deduction with its indicator, weight or points and article, the bonuses and
    their caps, the appeal period (Art. 33–35). For readers of analytics and
    units."""
    return assessor.edition(_period(assessor, period, None, None))


@router.get("/appeals", response_model=AppealPage)
async def list_appeals(
    principal: ScoreReader,
    session: Session,
    unit: Annotated[str | None, Query(pattern=UNIT_ID)] = None,
    period: Annotated[str | None, Query(description=periods.FORMATS)] = None,
    appeal_status: Annotated[
        Literal["pending", "accepted", "refused"] | None, Query(alias="status")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> AppealPage:
    """Appeals against deductions (申诉, Art. 35), oldest first: the center's queue
    with `status=pending`. A unit sees only its own."""
    own = _own_unit(principal)
    if own is not None:
        if unit is not None and unit != own:
            raise UnitNotAssessed(f"unit {unit} is not assessed", field="unit")
        unit = own
    return await service.list_appeals(
        session=session,
        unit_id=unit,
        period=periods.parse(period) if period is not None else None,
        status=appeal_status,
        limit=limit,
        offset=offset,
    )


@router.get("/appeals/{appeal_id}", response_model=AppealOut)
async def get_appeal(
    appeal_id: str, principal: ScoreReader, session: Session
) -> AppealOut:
    """One appeal and the center's decision. A unit sees only its own (404)."""
    found = await service.appeal(session=session, appeal_id=appeal_id)
    own = _own_unit(principal)
    if own is not None and own != found.unit_id:
        raise AppealNotFound(f"no appeal {appeal_id}", field="appeal_id")
    return await service.appeal_out(session=session, found=found)


@_recording_post("/appeals/{appeal_id}/decision", AppealOut)
async def decide_appeal(
    appeal_id: str,
    incoming: DecisionIn,
    principal: Center,
    session: Session,
    assessor: Assessor,
) -> JSONResponse:
    """The center accepts or refuses an appeal, with its reason (Art. 35).
    Accepted, the appealed orders leave the deduction's indicator for the unit in
    every period: the score of the month, and of the quarter, half-year and year
    holding it, is computed again and kept as a new version where it changed;
    refused, the score stands. 404 `appeal_not_found`; 409
    `appeal_already_decided` for a decided appeal unless the same decision is sent
    again (200). For the center (work-orders:operate)."""
    out, created = await service.decide(
        session=session,
        assessor=assessor,
        appeal_id=appeal_id,
        incoming=incoming,
        principal=principal,
    )
    return _answer(out, created)


@_recording_post("/commendations", AwardOut)
async def post_commendation(
    incoming: CommendationIn,
    principal: Center,
    session: Session,
    assessor: Assessor,
) -> JSONResponse:
    """Record a commendation of a unit (表扬, Art. 34) with its level and reason;
    it earns the level's points in every period holding its day, up to the cap.
    422 `unknown_unit`, `unknown_bonus_kind`, `awarded_in_future`; 409
    `bonus_exists` for the same unit, day and document number (or reason) with
    other values. For the center (work-orders:operate)."""
    out, created = await service.commend(
        session=session, assessor=assessor, incoming=incoming, principal=principal
    )
    return _answer(out, created)


@_recording_post("/fallbacks", AwardOut)
async def post_fallback(
    incoming: FallbackIn,
    principal: Center,
    session: Session,
    assessor: Assessor,
) -> JSONResponse:
    """Record a hard event the unit took on as fallback (兜底, Art. 21, 34): the
    work order and the kind of fallback. It earns points in every period holding
    its day, up to the cap. 422 `unknown_unit`, `unknown_work_order`,
    `unknown_bonus_kind`; 409 `work_order_of_another_unit`, `bonus_exists`. For
    the center (work-orders:operate)."""
    out, created = await service.record_fallback(
        session=session, assessor=assessor, incoming=incoming, principal=principal
    )
    return _answer(out, created)


@router.post("/{period}/versions", response_model=PublishedOut)
async def publish_period(
    period: PeriodPath,
    principal: Center,
    session: Session,
    assessor: Assessor,
) -> PublishedOut:
    """Keep every unit's score of a month, quarter, half-year or year as a version
    (the assessment notice, 考核通报, Art. 40), once the period has ended; a score
    unchanged since its newest version keeps that version. 422
    `period_not_assessed` for a span of days; 409 `period_not_over` for a period
    not ended yet. For the center (work-orders:operate)."""
    return await service.publish(
        session=session,
        assessor=assessor,
        period=periods.parse(period),
        principal=principal,
    )


@router.get("/{unit_id}/{period}", response_model=UnitScoreOut)
async def get_unit_score(
    unit_id: UnitPath,
    period: PeriodPath,
    principal: ScoreReader,
    session: Session,
    assessor: Assessor,
) -> UnitScoreOut:
    """A unit's score for a period: every deduction with its article, indicator,
    counts and the work orders behind it (and which an appeal names), every bonus
    with what earned it, the total, the rank and until when it may be appealed.
    A unit reads only its own (another answers 404 `unit_not_assessed`)."""
    _check_visible(principal, unit_id)
    return await service.unit_score(
        session=session,
        assessor=assessor,
        period=periods.parse(period),
        unit_id=unit_id,
    )


@router.get("/{unit_id}/{period}/history", response_model=HistoryOut)
async def get_history(
    unit_id: UnitPath,
    period: PeriodPath,
    principal: ScoreReader,
    session: Session,
    assessor: Assessor,
) -> HistoryOut:
    """Every kept version of the unit's score for the period, oldest first, with
    what fixed it (publication, an appeal filed or decided, a bonus), and every
    appeal of the period with its decision. A unit reads only its own; 404
    `unit_not_assessed` for a unit the period does not score, as for its score."""
    _check_visible(principal, unit_id)
    return await service.history(
        session=session,
        assessor=assessor,
        period=periods.parse(period),
        unit_id=unit_id,
    )


@_recording_post("/{unit_id}/{period}/appeals", AppealOut)
async def post_appeal(
    unit_id: UnitPath,
    period: PeriodPath,
    incoming: AppealIn,
    principal: UnitClerk,
    session: Session,
    assessor: Assessor,
) -> JSONResponse:
    """Appeal a deduction (申诉, Art. 35): a unit contests, for its own score of a
    month, the work orders of one deduction it says were not its doing (overdue,
    low satisfaction, notice not delivered), with the reason and evidence
    (notify's notice ids or evidence export). The score it contests is kept as a
    version. Accepted, the orders leave the deduction in every period, and the
    quarter, half-year and year holding the month get a new version too.

    Within the month's appeal period (`appeal_until` of the score: the plan's
    `appeal_days` days after the month). A month's score follows its orders after
    that period too: an order whose deadline is reached, or whose return visit is
    answered, later adds its deduction then, and may be appealed until the end of
    the `appeal_days`-th day after the day it changed (`appeal_until` of the
    order). 404 for another unit's score; 422 `unknown_deduction`,
    `order_not_deducted`, `evidence_not_of_appeal`, `period_not_assessed` (a
    span), `period_not_appealed` (a quarter, half-year or year); 409
    `nothing_deducted`, `order_already_appealed`, `appeal_period_over`,
    `appeal_exists`."""
    if principal.unit_id != unit_id:
        raise UnitNotAssessed(f"unit {unit_id} is not assessed", field="unit")
    out, created = await service.file_appeal(
        session=session,
        assessor=assessor,
        period=periods.parse(period),
        unit_id=unit_id,
        incoming=incoming,
        principal=principal,
    )
    return _answer(out, created)
