"""The unit assessment's decisions: score a period, keep a version of a score when
something fixes it, record bonuses, file appeals and decide them (Art. 32–35).

A score is computed from the projection when asked, by the plan edition in force on
the period's first day, over the work orders of the appeals received in the period
(the KPI window). A version is kept when an appeal is filed (the score it contests),
when it is decided, when a bonus is recorded, and when the center publishes the
period once it has ended; a version that would equal the newest one is not kept again.

Appeals are filed on a month's score (Art. 35): each order belongs to one month, and
the month's appeal period is the one that applies to it. An accepted appeal takes its
orders out of the deduction's indicator in every period, so its decision keeps a new
version of the month and of the quarter, half-year and year that hold it.

A month's score is computed from the projection as it is now: an order whose
deadline is reached, or whose return visit is answered, after the month's appeal
period still changes it. Such an order may be appealed until the end of the plan's
`appeal_days`-th day after the day its facts last changed (its own `appeal_until`),
so that no deduction is beyond appeal from the moment it appears.

POSTs are idempotent by natural keys: the same appeal (unit, period, deduction,
orders), the same commendation (unit, day, document number or reason), the same
fallback (unit, order) or the same decision sent again answers with what was
recorded (200 instead of 201), also when the two arrive at the same moment; the
same key with other values is a 409.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_analytics import repository as projection
from minsheng_analytics.assessment import periods, scoring
from minsheng_analytics.assessment import repository as store
from minsheng_analytics.assessment.errors import (
    AlreadyAppealed,
    AppealDecided,
    AppealExists,
    AppealNotFound,
    AppealPeriodOver,
    AwardExists,
    AwardInFuture,
    EvidenceMismatch,
    NoPlanInForce,
    NotDeducted,
    NothingDeducted,
    PeriodNotAppealed,
    PeriodNotAssessed,
    PeriodNotOver,
    ScoreBusy,
    UnitNotAssessed,
    UnknownDeduction,
    UnknownLevel,
    UnknownUnit,
    UnknownWorkOrder,
    WorkOrderOfAnotherUnit,
)
from minsheng_analytics.assessment.models import (
    ACCEPTED,
    COMMENDATION,
    FALLBACK,
    PENDING,
    AssessmentAppeal,
    AssessmentAppealOrder,
    AssessmentAward,
    AssessmentScore,
)
from minsheng_analytics.assessment.periods import Period
from minsheng_analytics.assessment.plan import (
    AssessmentPlan,
    CountDeduction,
    Deduction,
    PlanEdition,
    RateDeduction,
)
from minsheng_analytics.assessment.schemas import (
    AppealIn,
    AppealOut,
    AppealPage,
    AssessmentOut,
    AwardOut,
    BonusOut,
    CommendationIn,
    DecisionIn,
    DeductedOrder,
    DeductionOut,
    EditionOut,
    FallbackIn,
    HistoryOut,
    PeriodOut,
    PublishedLine,
    PublishedOut,
    ScoreLine,
    UnitScoreOut,
    VersionOut,
)
from minsheng_analytics.service import AnalyticsContext
from minsheng_common.auth.principal import Principal
from minsheng_common.ids import new_id

log = logging.getLogger(__name__)

_Keyed = TypeVar("_Keyed", AssessmentAppeal, AssessmentAward)

PUBLISHED = "published"
APPEAL_FILED = "appeal_filed"


@dataclass(frozen=True)
class Assessor:
    """What scoring needs besides the store: the reference data and clock of
    analytics, and the assessment plan."""

    context: AnalyticsContext
    plan: AssessmentPlan

    def now(self) -> datetime:
        return self.context.clock.now()

    def edition(self, period: Period) -> PlanEdition:
        """The edition in force on the period's first day."""
        edition = self.plan.in_force(period.first_day)
        if edition is None:
            first = self.plan.editions[0].effective_from
            raise NoPlanInForce(
                f"no assessment plan was in force on {period.first_day} (the first "
                f"took effect on {first})",
                field="period",
            )
        return edition

    def assessed(self, edition: PlanEdition) -> dict[str, str]:
        """The units of the reference data the edition assesses, id → name."""
        kinds = set(edition.assessed_unit_kinds)
        return {u.id: u.name for u in self.context.reference.units if u.kind in kinds}

    def unit_ids(self, edition: PlanEdition, seen: Sequence[str]) -> list[str]:
        """The units ranked: those the edition assesses, and any unit with orders
        that the reference data does not know (its work is not hidden)."""
        known = {unit.id for unit in self.context.reference.units}
        return sorted(set(self.assessed(edition)) | {u for u in seen if u not in known})


# Reading scores.


@dataclass(frozen=True)
class _Scored:
    edition: PlanEdition
    scores: list[scoring.UnitScore]

    def of(self, unit_id: str) -> scoring.UnitScore | None:
        return next((s for s in self.scores if s.unit_id == unit_id), None)


async def _score(session: AsyncSession, assessor: Assessor, period: Period) -> _Scored:
    edition = assessor.edition(period)
    window = projection.Window(start=period.start, end=period.end)
    tallies = await store.unit_tallies(session, window, edition)
    awards = await store.awards(session, period.first_day, period.end_day)
    scores = scoring.score_units(
        edition=edition,
        unit_ids=assessor.unit_ids(edition, list(tallies)),
        tallies=tallies,
        volumes={unit: tally.get(store.VOLUME, 0) for unit, tally in tallies.items()},
        awards=awards,
    )
    return _Scored(edition=edition, scores=scores)


async def ranking(
    *,
    session: AsyncSession,
    assessor: Assessor,
    period: Period,
    unit_id: str | None = None,
) -> AssessmentOut:
    """The period's scores, best first; only `unit_id`'s line when given."""
    scored = await _score(session, assessor, period)
    if unit_id is not None and scored.of(unit_id) is None:
        raise UnitNotAssessed(f"unit {unit_id} is not assessed", field="unit")
    names = assessor.assessed(scored.edition)
    top = scored.edition.bonuses.top_volume.ranks
    return AssessmentOut(
        period=period_out(period),
        edition=_edition_out(scored.edition),
        as_of=await projection.as_of(session),
        units=len(scored.scores),
        items=[
            ScoreLine(
                rank=score.rank,
                unit_id=score.unit_id,
                unit_name=names.get(score.unit_id, score.unit_id),
                total=float(score.total),
                base=float(score.base),
                deducted=float(score.deducted),
                bonus=float(score.bonus),
                volume=score.volume,
                volume_rank=score.volume_rank,
                top_volume=score.volume_rank is not None and score.volume_rank <= top,
            )
            for score in scored.scores
            if unit_id is None or score.unit_id == unit_id
        ],
    )


async def unit_score(
    *,
    session: AsyncSession,
    assessor: Assessor,
    period: Period,
    unit_id: str,
    scored: _Scored | None = None,
) -> UnitScoreOut:
    """The unit's score with every deduction, its orders, and every bonus; from
    `scored` when the period's scores were computed already."""
    scored = scored or await _score(session, assessor, period)
    score = scored.of(unit_id)
    if score is None:
        raise UnitNotAssessed(f"unit {unit_id} is not assessed", field="unit")
    deductions = [
        await _deduction_out(session, period, scored.edition.appeal_days, unit_id, item)
        for item in score.deductions
    ]
    latest = await store.latest_version(session, unit_id, period.key)
    out = UnitScoreOut(
        unit_id=unit_id,
        unit_name=assessor.assessed(scored.edition).get(unit_id, unit_id),
        period=period_out(period),
        edition=_edition_out(scored.edition),
        as_of=await projection.as_of(session),
        rank=score.rank,
        units=score.units,
        base=float(score.base),
        deducted=float(score.deducted),
        bonus=float(score.bonus),
        bonus_before_cap=float(score.bonus_before_cap),
        bonus_cap=float(score.bonus_cap),
        total=float(score.total),
        volume=score.volume,
        volume_rank=score.volume_rank,
        deductions=deductions,
        bonuses=[_bonus_out(bonus) for bonus in score.bonuses],
        appeal_until=(
            periods.appeal_deadline(period, scored.edition.appeal_days)
            if period.appealed
            else None
        ),
    )
    if latest is not None:
        out.latest_version = latest.version
        out.latest_version_current = latest.fingerprint == fingerprint(out)
    return out


async def _deduction_out(
    session: AsyncSession,
    period: Period,
    appeal_days: int,
    unit_id: str,
    item: scoring.DeductionScore,
) -> DeductionOut:
    rule = item.rule
    window = projection.Window(start=period.start, end=period.end)
    orders = await store.deducted_orders(session, window, unit_id, rule)
    appealed = await store.appealed(
        session, unit_id, rule.indicator, [row.work_order_id for row in orders]
    )

    def line(row: store.DeductedRow) -> DeductedOrder:
        appeal_id, status = appealed.get(row.work_order_id, (None, None))
        return DeductedOrder(
            work_order_id=row.work_order_id,
            appeal_id=appeal_id,
            appeal_status=status,
            appeal_until=(
                periods.order_appeal_deadline(period, appeal_days, row.changed_at)
                if period.appealed
                else None
            ),
        )

    rate = item.rate
    return DeductionOut(
        key=rule.key,
        label=rule.label,
        article=rule.article,
        indicator=rule.indicator,
        kind=rule.kind,
        weight=float(rule.weight) if isinstance(rule, RateDeduction) else None,
        better=rule.better if isinstance(rule, RateDeduction) else None,
        target=float(rule.goal) if isinstance(rule, RateDeduction) else None,
        points_per_order=(
            float(rule.points_per_order) if isinstance(rule, CountDeduction) else None
        ),
        cap=float(rule.cap) if isinstance(rule, CountDeduction) else None,
        numerator=item.numerator,
        denominator=item.denominator,
        rate=round(float(rate), 4) if rate is not None else None,
        count=item.count,
        points=float(item.points),
        orders=[line(row) for row in orders if not row.excluded],
        excluded_orders=[line(row) for row in orders if row.excluded],
    )


def _bonus_out(bonus: scoring.BonusScore) -> BonusOut:
    return BonusOut.model_validate(
        {
            "key": bonus.key,
            "article": bonus.article,
            "points": float(bonus.points),
            "awards": [AwardOut.model_validate(award) for award in bonus.awards],
            "volume_rank": bonus.volume_rank,
        }
    )


def period_out(period: Period) -> PeriodOut:
    return PeriodOut(
        key=period.key,
        kind=period.kind,
        first_day=period.first_day,
        last_day=period.end_day - timedelta(days=1),
        start=period.start,
        end=period.end,
    )


def _edition_out(edition: PlanEdition) -> EditionOut:
    return EditionOut(
        id=edition.id, title=edition.title, effective_from=edition.effective_from
    )


def fingerprint(score: UnitScoreOut) -> str:
    """A digest of what the score says about the unit: its numbers, the orders
    behind each deduction and the awards, without the time it was computed, its
    rank among others or the appeals pending on it."""
    content = {
        "edition": score.edition.id,
        "numbers": [score.base, score.deducted, score.bonus, score.total],
        "volume": [score.volume, score.volume_rank],
        "deductions": [
            [
                item.key,
                item.points,
                item.numerator,
                item.denominator,
                item.count,
                [order.work_order_id for order in item.orders],
                [order.work_order_id for order in item.excluded_orders],
            ]
            for item in score.deductions
        ],
        "bonuses": [
            [bonus.key, bonus.points, [award.award_id for award in bonus.awards]]
            for bonus in score.bonuses
        ],
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# Keeping versions.


async def record_version(
    *,
    session: AsyncSession,
    assessor: Assessor,
    period: Period,
    unit_id: str,
    trigger: str,
    trigger_ref: str | None,
    by: str,
    scored: _Scored | None = None,
) -> tuple[AssessmentScore, bool]:
    """Keep the unit's score as it stands now, in the caller's transaction, unless
    it equals the newest version kept; that version and whether it is new."""
    score = await unit_score(
        session=session,
        assessor=assessor,
        period=period,
        unit_id=unit_id,
        scored=scored,
    )
    digest = fingerprint(score)
    latest = await store.latest_version(session, unit_id, period.key)
    if latest is not None and latest.fingerprint == digest:
        return latest, False

    version = (latest.version if latest is not None else 0) + 1
    score.latest_version = version
    score.latest_version_current = True
    row = AssessmentScore(
        unit_id=unit_id,
        period_key=period.key,
        version=version,
        edition_id=score.edition.id,
        total=score.total,
        deductions=score.deducted,
        bonuses=score.bonus,
        fingerprint=digest,
        trigger=trigger,
        trigger_ref=trigger_ref,
        recorded_at=assessor.now(),
        recorded_by=by,
        score=score.model_dump(mode="json"),
    )
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        raise ScoreBusy(
            f"the score of unit {unit_id} for {period.key} changed at the same "
            "moment; send the request again",
            field="period",
        ) from None
    log.info(
        "score of unit %s for %s: version %d (%s %s), total %s",
        unit_id,
        period.key,
        version,
        trigger,
        trigger_ref or "-",
        score.total,
    )
    return row, True


async def publish(
    *, session: AsyncSession, assessor: Assessor, period: Period, principal: Principal
) -> PublishedOut:
    """Keep every assessed unit's score of the period as a version (the assessment
    notice, 考核通报, Art. 40), once the period has ended."""
    _require_assessed(period)
    if assessor.now() < period.end:
        raise PeriodNotOver(
            f"{period.key} ends at {period.end.isoformat()}; its scores are "
            "published once it has ended",
            field="period",
        )
    scored = await _score(session, assessor, period)
    lines: list[PublishedLine] = []
    for score in sorted(scored.scores, key=lambda s: s.unit_id):
        row, new = await record_version(
            session=session,
            assessor=assessor,
            period=period,
            unit_id=score.unit_id,
            trigger=PUBLISHED,
            trigger_ref=None,
            by=principal.label(),
            scored=scored,
        )
        lines.append(PublishedLine(unit_id=score.unit_id, version=row.version, new=new))
    await session.commit()
    log.info(
        "scores of %s published by %s: %d new versions",
        period.key,
        principal.label(),
        sum(1 for line in lines if line.new),
    )
    return PublishedOut(period=period_out(period), items=lines)


async def history(
    *, session: AsyncSession, assessor: Assessor, period: Period, unit_id: str
) -> HistoryOut:
    """Every kept version of the unit's score for the period and every appeal; 404
    for a unit the period does not score, as its score answers."""
    _check_unit(assessor, period, unit_id)
    rows = await store.versions(session, unit_id, period.key)
    appeals, _ = await store.appeals(session, unit_id=unit_id, period_key=period.key)
    if (
        not rows
        and not appeals
        and unit_id not in assessor.assessed(assessor.edition(period))
        and not await store.has_rows(
            session, projection.Window(start=period.start, end=period.end), unit_id
        )
    ):
        raise UnitNotAssessed(f"unit {unit_id} is not assessed", field="unit")
    return HistoryOut(
        unit_id=unit_id,
        period=period_out(period),
        versions=[
            VersionOut(
                version=row.version,
                recorded_at=row.recorded_at,
                recorded_by=row.recorded_by,
                trigger=row.trigger,
                trigger_ref=row.trigger_ref,
                total=row.total,
                score=UnitScoreOut.model_validate(row.score),
            )
            for row in rows
        ],
        appeals=await _appeals_out(session, appeals),
    )


def _check_unit(assessor: Assessor, period: Period, unit_id: str) -> None:
    """Refuse a unit that is neither assessed nor known only from its orders."""
    edition = assessor.edition(period)
    known = {unit.id for unit in assessor.context.reference.units}
    if unit_id in known and unit_id not in assessor.assessed(edition):
        raise UnitNotAssessed(f"unit {unit_id} is not assessed", field="unit")


def _require_assessed(period: Period) -> None:
    if not period.assessed:
        raise PeriodNotAssessed(
            f"{period.key} is a span of days; scores are kept for a month, quarter, "
            "half-year or year, and appealed for a month",
            field="period",
        )


def _require_appealed(period: Period) -> None:
    _require_assessed(period)
    if not period.appealed:
        raise PeriodNotAppealed(
            f"{period.key} is a {period.kind}; deductions are appealed on the score "
            "of the month the orders belong to, within that month's appeal period, "
            "and the longer periods follow the decision (Art. 35)",
            field="period",
        )


# Appeals (申诉, Art. 35).


def _appeal_key(unit_id: str, period: Period, incoming: AppealIn) -> str:
    orders = ",".join(sorted(set(incoming.work_order_ids)))
    return _digest("appeal", unit_id, period.key, incoming.deduction, orders)


def _digest(*parts: str) -> str:
    text = "\x1f".join(parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


async def _flush_new(
    session: AsyncSession,
    by_key: Callable[[], Awaitable[_Keyed | None]],
    *,
    clash: Exception | None = None,
) -> _Keyed | None:
    """Store a new row kept by its natural key: None once stored. The same request
    sent twice at once is one row: the flush that clashes on the key rolls back and
    answers with the row stored first. A clash with no such row raises `clash`, or
    the store's own error without one."""
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        found = await by_key()
        if found is not None:
            return found
        if clash is None:
            raise
        raise clash from None
    return None


async def file_appeal(
    *,
    session: AsyncSession,
    assessor: Assessor,
    period: Period,
    unit_id: str,
    incoming: AppealIn,
    principal: Principal,
) -> tuple[AppealOut, bool]:
    """File the unit's appeal against one deduction of a month, keeping the score
    it contests as a version; the appeal and whether it is new."""
    _require_appealed(period)
    evidence = [item.model_dump(exclude_none=True) for item in incoming.evidence]
    natural_key = _appeal_key(unit_id, period, incoming)
    found = await store.appeal_by_key(session, natural_key)
    if found is not None:
        return await _replayed_appeal(session, found, incoming, evidence, period)

    edition = assessor.edition(period)
    now = assessor.now()
    rule = edition.deduction(incoming.deduction)
    if rule is None:
        keys = ", ".join(d.key for d in edition.deductions)
        raise UnknownDeduction(
            f"the plan for {period.key} has no deduction {incoming.deduction}; it "
            f"has {keys}",
            field="deduction",
        )
    score = await unit_score(
        session=session, assessor=assessor, period=period, unit_id=unit_id
    )
    deduction = next(d for d in score.deductions if d.key == rule.key)
    _check_orders(incoming.work_order_ids, deduction)
    _check_in_time(incoming.work_order_ids, deduction, period, score, now)
    await _check_not_appealed(session, unit_id, rule, incoming.work_order_ids)
    await _check_evidence(session, incoming)

    appeal = AssessmentAppeal(
        appeal_id=new_id(),
        natural_key=natural_key,
        unit_id=unit_id,
        period_key=period.key,
        deduction=rule.key,
        indicator=rule.indicator,
        article=rule.article,
        reason=incoming.reason,
        evidence=evidence,
        status=PENDING,
        filed_at=now,
        filed_by=principal.label(),
        contested_version=0,
        contested_points=deduction.points,
    )
    session.add(appeal)
    session.add_all(
        AssessmentAppealOrder(
            appeal_id=appeal.appeal_id,
            work_order_id=work_order_id,
            unit_id=unit_id,
            indicator=rule.indicator,
        )
        for work_order_id in sorted(set(incoming.work_order_ids))
    )
    # Another appeal naming one of the orders at the same moment stands alone.
    found = await _flush_new(
        session,
        lambda: store.appeal_by_key(session, natural_key),
        clash=AlreadyAppealed(
            "another appeal named one of these orders at the same moment; read the "
            "score again",
            field="work_order_ids",
        ),
    )
    if found is not None:
        return await _replayed_appeal(session, found, incoming, evidence, period)
    version, _ = await record_version(
        session=session,
        assessor=assessor,
        period=period,
        unit_id=unit_id,
        trigger=APPEAL_FILED,
        trigger_ref=appeal.appeal_id,
        by=principal.label(),
    )
    appeal.contested_version = version.version
    await session.commit()
    log.info(
        "appeal %s of unit %s against %s of %s filed: %d orders, %s points",
        appeal.appeal_id,
        unit_id,
        rule.key,
        period.key,
        len(set(incoming.work_order_ids)),
        deduction.points,
    )
    return (await _appeals_out(session, [appeal]))[0], True


async def _replayed_appeal(
    session: AsyncSession,
    found: AssessmentAppeal,
    incoming: AppealIn,
    evidence: list[dict[str, Any]],
    period: Period,
) -> tuple[AppealOut, bool]:
    """The appeal recorded before under the same key, if it is the same appeal."""
    if (found.reason, found.evidence) != (incoming.reason, evidence):
        raise AppealExists(
            f"appeal {found.appeal_id} already contests these orders of "
            f"{incoming.deduction} for {period.key}, with another reason or "
            "evidence; its decision stands (Art. 35)",
            field="work_order_ids",
        )
    return (await _appeals_out(session, [found]))[0], False


def _check_in_time(
    work_order_ids: Sequence[str],
    deduction: DeductionOut,
    period: Period,
    score: UnitScoreOut,
    now: datetime,
) -> None:
    """Every order named is within its appeal period: the month's, or its own when
    it changed after the month's ended (Art. 35). The field at fault is the period
    when its appeal period is the one that ran out, else the order."""
    until = {order.work_order_id: order.appeal_until for order in deduction.orders}
    for index, work_order_id in enumerate(work_order_ids):
        deadline = until.get(work_order_id) or score.appeal_until
        if deadline is not None and now >= deadline:
            own = deadline != score.appeal_until
            raise AppealPeriodOver(
                f"work order {work_order_id} could be appealed on {deduction.key} "
                f"of {period.key} until {deadline.isoformat()} (Art. 35: within "
                "the appeal period the center sets; an order that changed after "
                "the month's appeal period has as many days from its change)",
                field=f"work_order_ids[{index}]" if own else "period",
            )


def _check_orders(work_order_ids: Sequence[str], deduction: DeductionOut) -> None:
    if deduction.points <= 0:
        raise NothingDeducted(
            f"{deduction.key} costs the unit no points in this period; there is "
            "nothing to appeal",
            field="deduction",
        )
    listed = {order.work_order_id for order in deduction.orders}
    for index, work_order_id in enumerate(work_order_ids):
        if work_order_id not in listed:
            raise NotDeducted(
                f"work order {work_order_id} is not among the orders {deduction.key} "
                "counts against the unit in this period",
                field=f"work_order_ids[{index}]",
            )


async def _check_not_appealed(
    session: AsyncSession, unit_id: str, rule: Deduction, work_order_ids: Sequence[str]
) -> None:
    appealed = await store.appealed(session, unit_id, rule.indicator, work_order_ids)
    for index, work_order_id in enumerate(work_order_ids):
        if work_order_id in appealed:
            appeal_id, status = appealed[work_order_id]
            raise AlreadyAppealed(
                f"work order {work_order_id} is already appealed on {rule.key} "
                f"(appeal {appeal_id}, {status}); an order is appealed once per "
                "deduction and the center's decision stands (Art. 35)",
                field=f"work_order_ids[{index}]",
            )


async def _check_evidence(session: AsyncSession, incoming: AppealIn) -> None:
    """Evidence that names a notice or an export must be of an appealed order; a
    notice analytics has not seen yet is taken as given."""
    orders = set(incoming.work_order_ids)
    notices = await store.notice_orders(
        session, {item.ref for item in incoming.evidence if item.kind == "notice"}
    )
    for index, item in enumerate(incoming.evidence):
        if item.kind == "evidence_export" and item.ref not in orders:
            raise EvidenceMismatch(
                f"an evidence export names its work order; {item.ref} is not one "
                "of the appealed orders",
                field=f"evidence[{index}].ref",
            )
        if item.kind == "notice" and item.ref in notices:
            order = notices[item.ref]
            if order is not None and order not in orders:
                raise EvidenceMismatch(
                    f"notice {item.ref} belongs to work order {order}, not to one "
                    "of the appealed orders",
                    field=f"evidence[{index}].ref",
                )


async def decide(
    *,
    session: AsyncSession,
    assessor: Assessor,
    appeal_id: str,
    incoming: DecisionIn,
    principal: Principal,
) -> tuple[AppealOut, bool]:
    """The center accepts or refuses an appeal (Art. 35). Accepted, its orders
    leave the deduction's indicator for the unit and the score of the month, and
    of the quarter, half-year and year holding it, is computed again and kept as
    a new version where it changed; the appeal and whether the decision is new."""
    appeal = await store.appeal(session, appeal_id, lock=True)
    if appeal is None:
        raise AppealNotFound(f"no appeal {appeal_id}", field="appeal_id")
    if appeal.status != PENDING:
        if (appeal.status, appeal.decision_reason) != (
            incoming.outcome,
            incoming.reason,
        ):
            raise AppealDecided(
                f"appeal {appeal_id} was {appeal.status} on "
                f"{appeal.decided_at.isoformat() if appeal.decided_at else '?'}; "
                "the center's decision stands (Art. 35)",
                field="outcome",
            )
        return (await _appeals_out(session, [appeal]))[0], False

    appeal.status = incoming.outcome
    appeal.decision_reason = incoming.reason
    appeal.decided_at = assessor.now()
    appeal.decided_by = principal.label()
    if incoming.outcome == ACCEPTED:
        await session.execute(
            update(AssessmentAppealOrder)
            .where(AssessmentAppealOrder.appeal_id == appeal_id)
            .values(excluded=True)
        )
    await session.flush()
    period = periods.parse(appeal.period_key)
    affected = [period]
    if incoming.outcome == ACCEPTED and period.appealed:
        # The orders leave the indicator in every period: the quarter, half-year
        # and year holding the month change with it.
        affected += [
            longer
            for longer in periods.containing(period.first_day)[1:]
            if assessor.plan.in_force(longer.first_day) is not None
        ]
    kept: list[str] = []
    for changed in affected:
        version, new = await record_version(
            session=session,
            assessor=assessor,
            period=changed,
            unit_id=appeal.unit_id,
            trigger=f"appeal_{incoming.outcome}",
            trigger_ref=appeal_id,
            by=principal.label(),
        )
        if changed == period:
            appeal.resulting_version = version.version
        if new:
            kept.append(f"{changed.key} v{version.version}")
    await session.commit()
    log.info(
        "appeal %s of unit %s %s by %s: score version %s; new versions: %s",
        appeal_id,
        appeal.unit_id,
        incoming.outcome,
        principal.label(),
        appeal.resulting_version,
        ", ".join(kept) or "none",
    )
    return (await _appeals_out(session, [appeal]))[0], True


async def appeal(*, session: AsyncSession, appeal_id: str) -> AssessmentAppeal:
    found = await store.appeal(session, appeal_id)
    if found is None:
        raise AppealNotFound(f"no appeal {appeal_id}", field="appeal_id")
    return found


async def appeal_out(*, session: AsyncSession, found: AssessmentAppeal) -> AppealOut:
    return (await _appeals_out(session, [found]))[0]


async def list_appeals(
    *,
    session: AsyncSession,
    unit_id: str | None,
    period: Period | None,
    status: str | None,
    limit: int,
    offset: int,
) -> AppealPage:
    found, total = await store.appeals(
        session,
        unit_id=unit_id,
        period_key=period.key if period is not None else None,
        status=status,
        limit=limit,
        offset=offset,
    )
    return AppealPage(items=await _appeals_out(session, found), total=total)


async def _appeals_out(
    session: AsyncSession, appeals: Sequence[AssessmentAppeal]
) -> list[AppealOut]:
    orders = await store.appeal_orders(session, [a.appeal_id for a in appeals])
    return [
        AppealOut.model_validate(
            {
                "appeal_id": a.appeal_id,
                "unit_id": a.unit_id,
                "period": a.period_key,
                "deduction": a.deduction,
                "indicator": a.indicator,
                "article": a.article,
                "work_order_ids": orders[a.appeal_id],
                "reason": a.reason,
                "evidence": a.evidence,
                "status": a.status,
                "filed_at": a.filed_at,
                "filed_by": a.filed_by,
                "contested_version": a.contested_version,
                "contested_points": a.contested_points,
                "decided_at": a.decided_at,
                "decided_by": a.decided_by,
                "decision_reason": a.decision_reason,
                "resulting_version": a.resulting_version,
            }
        )
        for a in appeals
    ]


# Bonuses (Art. 34).


async def commend(
    *,
    session: AsyncSession,
    assessor: Assessor,
    incoming: CommendationIn,
    principal: Principal,
) -> tuple[AwardOut, bool]:
    """Record a commendation of a unit; the commendation and whether it is new."""
    day = _bonus_day(assessor, incoming)
    reference = incoming.reference or incoming.reason
    bonus = _Bonus(
        kind=COMMENDATION,
        unit_id=incoming.unit_id,
        day=day,
        natural_key=_digest(COMMENDATION, incoming.unit_id, day.isoformat(), reference),
        values={
            "level": incoming.level,
            "reason": incoming.reason,
            "reference": incoming.reference,
            "work_order_id": None,
        },
    )
    return await _award(session, assessor, bonus, principal)


async def record_fallback(
    *,
    session: AsyncSession,
    assessor: Assessor,
    incoming: FallbackIn,
    principal: Principal,
) -> tuple[AwardOut, bool]:
    """Record that a unit took on a hard event as fallback (兜底, Art. 21); the
    record and whether it is new."""
    key = _digest(FALLBACK, incoming.unit_id, incoming.work_order_id)
    bonus = _Bonus(
        kind=FALLBACK,
        unit_id=incoming.unit_id,
        day=_bonus_day(assessor, incoming),
        natural_key=key,
        values={
            "level": incoming.kind,
            "reason": incoming.reason,
            "reference": None,
            "work_order_id": incoming.work_order_id,
        },
    )
    if await store.award_by_key(session, key) is None:
        # A replay is answered as before even if the work order has moved since.
        owner = await store.work_order_unit(session, incoming.work_order_id)
        if owner is None:
            raise UnknownWorkOrder(
                f"analytics has seen no work order {incoming.work_order_id} "
                "dispatched; record the fallback once its dispatch has arrived",
                field="work_order_id",
            )
        if owner != incoming.unit_id:
            raise WorkOrderOfAnotherUnit(
                f"work order {incoming.work_order_id} is unit {owner}'s, not "
                f"{incoming.unit_id}'s",
                field="work_order_id",
            )
    return await _award(session, assessor, bonus, principal)


@dataclass(frozen=True)
class _Bonus:
    """A bonus about to be recorded: its kind, unit, day, the key that makes a
    repeat of it the same record, and the columns that say what it is."""

    kind: str
    unit_id: str
    day: date
    natural_key: str
    values: Mapping[str, Any]


async def _award(
    session: AsyncSession,
    assessor: Assessor,
    bonus: _Bonus,
    principal: Principal,
) -> tuple[AwardOut, bool]:
    """Record a bonus once and re-score the periods it falls in; a repeat with
    the same values answers the first record."""
    kind, unit_id, day = bonus.kind, bonus.unit_id, bonus.day
    found = await store.award_by_key(session, bonus.natural_key)
    if found is not None:
        return _replayed_award(found, bonus), False

    award = AssessmentAward(
        award_id=new_id(),
        natural_key=bonus.natural_key,
        kind=kind,
        unit_id=unit_id,
        awarded_on=day,
        recorded_at=assessor.now(),
        recorded_by=principal.label(),
        **bonus.values,
    )
    session.add(award)
    found = await _flush_new(
        session, lambda: store.award_by_key(session, bonus.natural_key)
    )
    if found is not None:
        return _replayed_award(found, bonus), False
    for period in periods.containing(day):
        if assessor.plan.in_force(period.first_day) is None:
            continue
        await record_version(
            session=session,
            assessor=assessor,
            period=period,
            unit_id=unit_id,
            trigger=kind,
            trigger_ref=award.award_id,
            by=principal.label(),
        )
    await session.commit()
    log.info(
        "%s %s of unit %s on %s recorded by %s",
        kind,
        award.award_id,
        unit_id,
        day,
        principal.label(),
    )
    return AwardOut.model_validate(award), True


def _replayed_award(found: AssessmentAward, bonus: _Bonus) -> AwardOut:
    """The bonus recorded before under the same key, if it is the same bonus."""
    same = found.awarded_on == bonus.day and all(
        getattr(found, name) == value for name, value in bonus.values.items()
    )
    if not same:
        raise AwardExists(
            f"this {bonus.kind} of unit {found.unit_id} was recorded before as "
            f"{found.award_id} with other values",
            field="unit_id",
        )
    return AwardOut.model_validate(found)


def _bonus_day(assessor: Assessor, incoming: CommendationIn | FallbackIn) -> date:
    """The day a bonus is given (today if none), on which the plan in force must
    assess the unit and list the bonus's level (a commendation's level, a
    fallback's kind)."""
    today = periods.today(assessor.now())
    given = incoming.awarded_on
    day = today if given is None else given
    if day > today:
        raise AwardInFuture(
            f"{given} is after today ({today}); a bonus is recorded once given",
            field="awarded_on",
        )
    edition = assessor.plan.in_force(day)
    if edition is None:
        raise NoPlanInForce(
            f"no assessment plan was in force on {day}", field="awarded_on"
        )
    if incoming.unit_id not in assessor.assessed(edition):
        raise UnknownUnit(
            f"unit {incoming.unit_id} is not among the units assessed",
            field="unit_id",
        )
    if isinstance(incoming, CommendationIn):
        level, listed = incoming.level, list(edition.bonuses.commendation.levels)
        what, field = "commendation level", "level"
    else:
        level, listed = incoming.kind, edition.bonuses.fallback.kinds
        what, field = "fallback kind", "kind"
    if level not in listed:
        raise UnknownLevel(
            f"the plan in force on {day} has no {what} {level}; it has "
            f"{', '.join(listed)}",
            field=field,
        )
    return day
