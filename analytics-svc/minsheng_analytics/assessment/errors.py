"""The refusals of the unit assessment, each with its stable code; the message names
the article where one applies."""

from __future__ import annotations

from minsheng_common.errors import Conflict, InvalidInput, NotFound


class InvalidPeriod(InvalidInput):
    """The period is no year, half-year, quarter, month or span of days."""

    code = "invalid_period"


class NoPlanInForce(InvalidInput):
    """No edition of the assessment plan was in force on the period's first day."""

    code = "no_plan_in_force"


class UnitNotAssessed(NotFound):
    """The unit is not assessed (unknown, or of a kind the plan leaves out), or is
    another unit than the caller's: a unit sees only its own assessment."""

    code = "unit_not_assessed"


class UnknownUnit(InvalidInput):
    """A bonus names a unit that is not assessed."""

    code = "unknown_unit"


class PeriodNotAssessed(InvalidInput):
    """Appeals and score versions belong to calendar periods, not to a span of days."""

    code = "period_not_assessed"


class PeriodNotAppealed(InvalidInput):
    """Deductions are appealed on a month's score; a quarter, half-year or year
    follows the decisions on its months (Art. 35)."""

    code = "period_not_appealed"


class PeriodNotOver(Conflict):
    """A period's scores are published once it has ended (Art. 40)."""

    code = "period_not_over"


class UnknownDeduction(InvalidInput):
    """The plan in force for the period has no deduction of that key."""

    code = "unknown_deduction"


class NotDeducted(InvalidInput):
    """A work order named in an appeal is not among those the deduction counts."""

    code = "order_not_deducted"


class EvidenceMismatch(InvalidInput):
    """Evidence that belongs to another work order than the appealed ones."""

    code = "evidence_not_of_appeal"


class NothingDeducted(Conflict):
    """The deduction costs the unit no points in the period: nothing to appeal."""

    code = "nothing_deducted"


class AppealPeriodOver(Conflict):
    """Deductions are appealed within the appeal period the center sets (Art. 35)."""

    code = "appeal_period_over"


class AlreadyAppealed(Conflict):
    """A work order is appealed once per deduction; the center's decision stands."""

    code = "order_already_appealed"


class AppealExists(Conflict):
    """The same appeal was filed before with another reason or other evidence."""

    code = "appeal_exists"


class AppealNotFound(NotFound):
    code = "appeal_not_found"


class AppealDecided(Conflict):
    """The center decided the appeal already, otherwise (Art. 35)."""

    code = "appeal_already_decided"


class UnknownLevel(InvalidInput):
    """A commendation level or fallback kind the plan in force does not know."""

    code = "unknown_bonus_kind"


class AwardInFuture(InvalidInput):
    code = "awarded_in_future"


class AwardExists(Conflict):
    """The same bonus was recorded before with other values."""

    code = "bonus_exists"


class UnknownWorkOrder(InvalidInput):
    """A fallback names a work order analytics has not seen dispatched."""

    code = "unknown_work_order"


class WorkOrderOfAnotherUnit(Conflict):
    """A fallback is the bonus of the unit that handled the work order."""

    code = "work_order_of_another_unit"


class ScoreBusy(Conflict):
    """Another request recorded a version of the same score at the same moment."""

    code = "score_busy"
    retriable = True
