"""Repeats (重复诉求, Art. 11(3)5): not filed, linked to the earlier appeal.

(a) `repeat`: the same person (same contact), through the same channel, about the
same problem, within N working days of the earlier appeal while that one is still
being handled. The window is counted as rules.md §11 says: day 1 is the first
working day after the day of the earlier appeal, and the window ends when business
stops on day N.
(b) `repeat_same_day`: the same person, through the same channel, about the same
event, on the same local day as an appeal already taken: filed once, whether or not
the earlier one is still open.

Only earlier appeals that were taken count: a rejected one (say, without a precise
address) does not stop the citizen from sending it again, better.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.timeutil import as_utc, format_local
from minsheng_common.working_calendar import WorkingCalendar
from minsheng_intake.models import Appeal
from minsheng_intake.sameness import openness, similarity
from minsheng_intake.sameness.params import DEFAULTS, SamenessParams
from minsheng_intake.sameness.similarity import Problem

log = logging.getLogger(__name__)

REPEAT = "repeat"
REPEAT_SAME_DAY = "repeat_same_day"
ARTICLE = "Art. 11(3)5"

# Appeals in these states were not taken, so nothing repeats them.
NOT_TAKEN = frozenset({"rejected"})

EXPLANATIONS = {
    REPEAT: "同一诉求人通过同一渠道就同一问题在{days}个工作日内重复反映，"
    "原诉求仍在办理中",
    REPEAT_SAME_DAY: "同一诉求人同一天通过同一渠道多次反映同一事件，只受理一次",
}
ADVICE = (
    "您反映的问题已受理（受理编号 {tracking_code}），请留意办理进度，无需重复反映。"
)


@dataclass(frozen=True)
class RepeatFinding:
    """Why an appeal is a repeat, and the evidence: which earlier appeal, how alike,
    and the window it fell in."""

    reason: str
    article: str
    repeat_of: str
    repeat_of_tracking_code: str
    similarity: float
    earlier_received_at: datetime
    window_ends_at: datetime | None
    """The end of the working-day window (reason `repeat`); None for same-day."""
    working_days: int

    @property
    def evidence(self) -> str:
        """The evidence in one line for the decision's record (no personal data)."""
        text = (
            f"earlier appeal {self.repeat_of_tracking_code} "
            f"({format_local(self.earlier_received_at)}), same contact and channel, "
            f"similarity {self.similarity:.2f}"
        )
        if self.window_ends_at is None:
            return f"{text}, same day"
        return (
            f"{text}, within {self.working_days} working days "
            f"(until {format_local(self.window_ends_at)}), still being handled"
        )

    @property
    def detail(self) -> str:
        """The reason in Chinese with its evidence, as the decision records it."""
        explanation = EXPLANATIONS[self.reason].format(days=self.working_days)
        return f"{explanation}（{self.evidence}）"

    @property
    def advice(self) -> str:
        """What the citizen is told to do instead (for the notice)."""
        return ADVICE.format(tracking_code=self.repeat_of_tracking_code)


Describe = Callable[[Appeal], Problem]


async def find_repeat(
    session: AsyncSession,
    *,
    contact_hash: str | None,
    channel: str,
    problem: Problem,
    received_at: datetime,
    calendar: WorkingCalendar,
    params: SamenessParams = DEFAULTS,
    describe: Describe = similarity.problem_of,
    exclude_appeal_id: str | None = None,
) -> RepeatFinding | None:
    """The earlier appeal this one repeats, or None. A same-day repeat is reported
    before a working-day one; among several, the latest earlier appeal."""
    if contact_hash is None:
        return None
    received_at = as_utc(received_at)
    earlier = await _earlier_appeals(
        session,
        contact_hash=contact_hash,
        channel=channel,
        received_at=received_at,
        lookback=_lookback(params.repeat_working_days),
        exclude_appeal_id=exclude_appeal_id,
    )
    alike = [
        (appeal, score)
        for appeal in earlier
        if (score := similarity.similarity(problem, describe(appeal), params))
        >= params.same_problem_threshold
    ]
    if not alike:
        return None

    zone = calendar.hours.zone
    day = received_at.astimezone(zone).date()
    for appeal, score in alike:
        if appeal.received_at.astimezone(zone).date() == day:
            return _found(REPEAT_SAME_DAY, appeal, score, None, params)

    handling = await openness.states(session, (appeal.id for appeal, _ in alike))
    for appeal, score in alike:
        window = calendar.add_working_days(
            appeal.received_at, params.repeat_working_days
        )
        if received_at <= window.at and openness.is_open(
            appeal, handling.get(appeal.id)
        ):
            return _found(REPEAT, appeal, score, window.at, params)
    return None


def _found(
    reason: str,
    appeal: Appeal,
    score: float,
    window_ends_at: datetime | None,
    params: SamenessParams,
) -> RepeatFinding:
    log.info(
        "repeat (%s) of appeal %s found, similarity %.2f", reason, appeal.id, score
    )
    return RepeatFinding(
        reason=reason,
        article=ARTICLE,
        repeat_of=appeal.id,
        repeat_of_tracking_code=appeal.tracking_code,
        similarity=score,
        earlier_received_at=appeal.received_at,
        window_ends_at=window_ends_at,
        working_days=params.repeat_working_days,
    )


def _lookback(working_days: int) -> timedelta:
    # How far back an earlier appeal's window can start: a working day is never more
    # than a week away, and the longest official holiday with its weekends adds about
    # two more. Generous on purpose; the calendar decides within it.
    return timedelta(days=7 * working_days + 14)


async def _earlier_appeals(
    session: AsyncSession,
    *,
    contact_hash: str,
    channel: str,
    received_at: datetime,
    lookback: timedelta,
    exclude_appeal_id: str | None,
) -> list[Appeal]:
    """The person's appeals through the channel that were taken, received before
    this one within the lookback, latest first."""
    query = select(Appeal).where(
        Appeal.contact_hash == contact_hash,
        Appeal.channel == channel,
        Appeal.status.not_in(NOT_TAKEN),
        Appeal.received_at <= received_at,
        Appeal.received_at >= received_at - lookback,
    )
    if exclude_appeal_id is not None:
        query = query.where(Appeal.id != exclude_appeal_id)
    rows = await session.scalars(
        query.order_by(Appeal.received_at.desc(), Appeal.id.desc())
    )
    return list(rows)
