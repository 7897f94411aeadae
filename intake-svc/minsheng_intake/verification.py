"""On-site verification by a grid worker (网格员, Art. 11): an appeal of a kind that
needs it is filed only after it is found true. Which kinds need it is data of the
rule edition (appeal types and keywords: illegal building, group renting, road
occupation… things a grid worker can see on site and a unit should not be sent to
on a word alone). Night noise and other passing nuisances are not held: a check
in the daytime cannot find them.

The center records the outcome: true files the appeal; address untrue, content
untrue or invented rejects it with the verification reason (Art. 11(3)6).
"""

from __future__ import annotations

import contextlib
import logging
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import ids
from minsheng_common.auth.principal import Principal
from minsheng_intake import announce, filing, normalise, repository
from minsheng_intake.context import IntakeContext, citizen_name
from minsheng_intake.errors import AppealNotFound, NotPendingVerification
from minsheng_intake.intake_rules import IntakeRuleEdition, VerificationRules
from minsheng_intake.models import Appeal, Verification

log = logging.getLogger(__name__)

PENDING = "pending_verification"

Outcome = Literal["true", "address_untrue", "content_untrue", "invented"]

REASONS: dict[str, filing.Reason] = {
    "address_untrue": filing.Reason.VERIFICATION_ADDRESS_UNTRUE,
    "content_untrue": filing.Reason.VERIFICATION_CONTENT_UNTRUE,
    "invented": filing.Reason.VERIFICATION_INVENTED,
}


def needs_verification(
    *, appeal_type: str, text: str, rules: VerificationRules
) -> str | None:
    """The keyword that makes an appeal wait for a grid worker, or None."""
    if appeal_type not in rules.appeal_types:
        return None
    return filing.first_found(text, rules.keywords)


async def verify(
    *,
    session: AsyncSession,
    context: IntakeContext,
    appeal_id: str,
    outcome: Outcome,
    note: str,
    principal: Principal,
) -> Appeal:
    """Record the grid worker's finding and file or reject the appeal; 409 when the
    appeal is not waiting for verification."""
    note = normalise.required(note, field="note")
    now = context.clock.now()
    # Claim the appeal in one conditional update: of two verifications at once,
    # only one finds it still pending.
    claimed = await repository.leave_pending(
        session,
        appeal_id,
        pending=PENDING,
        status="filed" if outcome == "true" else "rejected",
        at=now,
    )
    appeal = await repository.get(session, appeal_id)
    if not claimed or appeal is None:
        current = appeal.status if appeal is not None else None
        await session.rollback()
        if current is None:
            raise AppealNotFound(f"no appeal {appeal_id}", field="appeal_id")
        raise NotPendingVerification(
            f"appeal {appeal_id} is {current}, not waiting for verification",
            field="appeal_id",
        )
    session.add(
        Verification(
            id=ids.new_id(),
            appeal_id=appeal.id,
            outcome=outcome,
            note=note,
            verified_by=principal.label(),
            verified_at=now,
        )
    )
    if outcome == "true":
        await announce.filed(
            session, context, appeal, name=citizen_name(context, appeal), at=now
        )
    else:
        reason = REASONS[outcome]
        decision = filing.not_filed(reason, "verification", f"{outcome} on site")
        announce.mark_rejected(
            appeal,
            decision,
            advice=_edition_of(context, appeal).advice_for(reason.value),
            at=now,
        )
        await announce.rejected(session, context, appeal, at=now)
    await session.commit()
    log.info(
        "appeal %s verified on site by %s: %s → %s",
        appeal.id,
        principal.label(),
        outcome,
        appeal.status,
    )
    return appeal


def _edition_of(context: IntakeContext, appeal: Appeal) -> IntakeRuleEdition:
    """The edition the appeal was received under; the one in force at receipt if
    that edition is no longer in the rules file."""
    book = context.rule_book()
    if appeal.rules_edition:
        with contextlib.suppress(KeyError):
            return book.by_id(appeal.rules_edition)
    return book.in_force(appeal.received_at)
