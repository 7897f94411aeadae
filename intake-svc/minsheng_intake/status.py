"""What a citizen may read about their own appeal without an account: the state
and the dated steps, given the tracking code and the last four digits of the phone
number they left (for another kind of contact, its last four characters).

Like an Open311 status read, this is open to the public, so it gives no personal
data, no internal notes and no unit's internal ids, only the unit's public name.
A wrong code and wrong digits answer exactly alike (404). Guessing is slowed per
tracking code: after ten wrong tries within a minute, every try on that code
answers 429 until the minute has passed.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import pii
from minsheng_common.rules import AppealType
from minsheng_intake import normalise, repository
from minsheng_intake.context import IntakeContext
from minsheng_intake.errors import AppealNotFound, TooManyAttempts
from minsheng_intake.filing import EXPLANATIONS, Reason
from minsheng_intake.knowledge import service as knowledge
from minsheng_intake.models import Appeal
from minsheng_intake.schemas import CitizenStatus, StatusState, StatusStep

log = logging.getLogger(__name__)

WRONG_TRIES = 10
WINDOW_SECONDS = 60.0
TRACKED_CODES = 10_000
"""At most this many tracking codes are watched at once; the oldest are dropped."""

_STEP_SUMMARIES = {
    "received": "已收到您的诉求",
    "pending_verification": "待网格员现场核实",
    "pending_classification": "待工作人员确定诉求分类",
    "filed": "已受理（立案）",
    "rejected": "不予受理",
    "answered": "已即时答复（知识库）",
    "dispatched": "已分派至承办单位办理",
}


@dataclass
class WrongTries:
    """Wrong tries per tracking code within the last minute, in memory (per
    replica, like the other rate limits)."""

    limit: int = WRONG_TRIES
    window: float = WINDOW_SECONDS
    capacity: int = TRACKED_CODES
    _tries: OrderedDict[str, deque[float]] = field(default_factory=OrderedDict)

    def check(self, code: str, now: float) -> None:
        tries = self._recent(code, now)
        if len(tries) >= self.limit:
            retry = max(1, int(tries[0] + self.window - now) + 1)
            raise TooManyAttempts(
                "too many wrong tries for this tracking code; try again later",
                field="last4",
                headers={"Retry-After": str(retry)},
            )

    def wrong(self, code: str, now: float) -> None:
        tries = self._recent(code, now)
        tries.append(now)
        self._tries[code] = tries
        self._tries.move_to_end(code)
        while len(self._tries) > self.capacity:
            self._tries.popitem(last=False)

    def _recent(self, code: str, now: float) -> deque[float]:
        tries = self._tries.get(code, deque())
        while tries and tries[0] <= now - self.window:
            tries.popleft()
        return tries


async def citizen_status(
    *,
    session: AsyncSession,
    context: IntakeContext,
    limiter: WrongTries,
    tracking_code: str,
    last4: str,
) -> CitizenStatus:
    """The state and dated steps of the appeal with this tracking code, if `last4`
    ends the contact given with it; else 404, as for an unknown code. Digits typed
    full-width (５６７８) are read as the ASCII digits they stand for."""
    last4 = normalise.text(last4)
    key = tracking_code.strip().upper()[:64]
    now = time.monotonic()
    limiter.check(key, now)
    appeal = await repository.by_tracking_code(session, tracking_code.strip())
    if appeal is None or not _matches(context, appeal, last4):
        limiter.wrong(key, now)
        raise AppealNotFound(
            f"no appeal with tracking code {key} and these digits",
            field="tracking_code",
        )
    return await _status(session, context, appeal)


def _matches(context: IntakeContext, appeal: Appeal, last4: str) -> bool:
    if appeal.contact_encrypted is None or appeal.contact_kind is None:
        # No contact (or anonymised after its retention period): nothing to match.
        return False
    try:
        contact = context.vault.decrypt(appeal.contact_encrypted)
    except pii.PiiKeyError:
        log.warning("appeal %s: the contact cannot be decrypted", appeal.id)
        return False
    if appeal.contact_kind == "phone":
        expected = "".join(character for character in contact if character.isdigit())
    else:
        expected = contact
    return len(expected) >= 4 and hmac.compare_digest(
        expected[-4:].encode(), last4.encode()
    )


async def _status(
    session: AsyncSession, context: IntakeContext, appeal: Appeal
) -> CitizenStatus:
    steps = [
        StatusStep(
            step="received",
            at=appeal.received_at,
            summary=_STEP_SUMMARIES["received"],
        )
    ]
    if appeal.held_at is not None:
        waited: StatusState = (
            "pending_classification"
            if appeal.held_reason == "classification"
            else "pending_verification"
        )
        steps.append(
            StatusStep(step=waited, at=appeal.held_at, summary=_STEP_SUMMARIES[waited])
        )
    state: StatusState = "received"
    if appeal.status == "filed":
        state = "filed"
        steps.append(
            StatusStep(
                step="filed", at=appeal.decided_at, summary=_STEP_SUMMARIES["filed"]
            )
        )
    elif appeal.status == "rejected":
        state = "rejected"
        steps.append(
            StatusStep(
                step="rejected",
                at=appeal.decided_at,
                summary=_STEP_SUMMARIES["rejected"],
                reason=_plain_reason(appeal),
                advice=appeal.advice,
            )
        )
    elif appeal.status == "answered":
        state = "answered"
        given = await knowledge.answer_given(session, appeal_id=appeal.id)
        steps.append(
            StatusStep(
                step="answered",
                at=appeal.decided_at,
                summary=_STEP_SUMMARIES["answered"],
                answer=given.answer if given else None,
            )
        )
    elif appeal.status == "pending_verification":
        state = "pending_verification"
    elif appeal.status == "pending_classification":
        state = "pending_classification"
    units = {unit.id: unit.name for unit in context.reference.units}
    for held in await repository.units_of(session, appeal.id):
        state = "dispatched"
        steps.append(
            StatusStep(
                step="dispatched",
                at=held.dispatched_at,
                summary=_STEP_SUMMARIES["dispatched"],
                unit=units.get(held.unit_id, "承办单位"),
            )
        )
    return CitizenStatus(
        tracking_code=appeal.tracking_code,
        type=_appeal_type(appeal.appeal_type),
        state=state,
        steps=steps,
    )


def _plain_reason(appeal: Appeal) -> str | None:
    """The reason in plain Chinese, without the evidence (which quotes the text)."""
    if appeal.reason_code is None:
        return None
    try:
        return EXPLANATIONS[Reason(appeal.reason_code)]
    except ValueError:
        return None


def _appeal_type(value: str) -> AppealType:
    if value == "consultation":
        return "consultation"
    if value == "suggestion":
        return "suggestion"
    return "complaint"
