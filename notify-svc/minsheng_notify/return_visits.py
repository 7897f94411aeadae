"""Return visits (回访, Art. 30) and satisfaction (满意度, Art. 31): after a work order
is closed its citizen gets a survey, by SMS or wherever the citizen is told, with a
link; the answer, replied by SMS or given through the link, becomes ratings of
speed, effect, service and system (return_visit.answered), and an unsatisfied one
makes the order a reopening candidate the center lists. Dispatch reopens; a
reopened order leaves the list.

The link's token is the citizen's only credential: letters only (no digits a
masking rule could touch), 40 of them, never logged. The survey notice carries no
unit, so a unit never reads the link among its notices.
"""

from __future__ import annotations

import logging
import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import ids, pii, redaction
from minsheng_common.events import (
    ReturnVisitAnswered,
    WorkOrderClosed,
    WorkOrderReopened,
)
from minsheng_notify import (
    delivery,
    official_texts,
    projections,
    repository,
    satisfaction,
)
from minsheng_notify.models import Notice, Recipient
from minsheng_notify.official_context import OfficialContext
from minsheng_notify.official_errors import (
    ReplyUnreadable,
    SurveyAnswered,
    SurveyExpired,
    SurveyNotFound,
)
from minsheng_notify.official_models import Survey, SurveyReply

log = logging.getLogger(__name__)

SMS = "sms"
LINK = "link"

SurveyStatus = Literal["open", "answered", "expired"]
OPEN: SurveyStatus = "open"
ANSWERED: SurveyStatus = "answered"
EXPIRED: SurveyStatus = "expired"

TOKEN_LENGTH = 40
_TOKEN_ALPHABET = string.ascii_letters
REPLY_KEPT = 500
"""Characters of a reply kept with the answer (personal data masked)."""


def new_token() -> str:
    return "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


def status(survey: Survey, now: datetime) -> SurveyStatus:
    """open, answered or expired."""
    if survey.answered_at is not None:
        return ANSWERED
    return EXPIRED if now >= survey.expires_at else OPEN


async def start(
    *, session: AsyncSession, context: OfficialContext, closed: WorkOrderClosed
) -> Survey:
    """Send the citizen the survey of a closed order (Art. 30): once per closure,
    a reopened order's next closure gets its own."""
    existing = await session.scalar(
        select(Survey).where(
            Survey.work_order_id == closed.work_order_id,
            Survey.closed_at == closed.closed_at,
        )
    )
    if existing is not None:
        return existing

    recipient = await repository.recipient(session, closed.appeal_id)
    code = (
        recipient.tracking_code
        if recipient is not None and recipient.tracking_code
        else await projections.tracking_code(session, closed.appeal_id)
    ) or closed.work_order_id
    token = new_token()
    now = context.now()
    body = official_texts.return_visit(
        context.texts,
        code=code,
        unit=context.directory.unit_name(closed.unit_id),
        link=context.survey.link(token),
    )
    # No unit and no work order on the notice: the unit never sees the link.
    notice = await delivery.queue_message(
        session=session,
        context=context.notify,
        request_id=delivery.delivery_key(
            event_id=f"{closed.work_order_id}:{closed.closed_at.isoformat()}",
            recipient=closed.appeal_id,
            kind=official_texts.RETURN_VISIT,
        ),
        kind=official_texts.RETURN_VISIT,
        body=body,
        appeal_id=closed.appeal_id,
    )
    survey = Survey(
        id=ids.new_id(),
        token=token,
        work_order_id=closed.work_order_id,
        appeal_id=closed.appeal_id,
        unit_id=closed.unit_id,
        tracking_code=code,
        closed_at=closed.closed_at,
        created_at=now,
        expires_at=now + context.survey.valid_for,
        notice_id=notice.id,
        contact_hash=_contact_hash(context, recipient),
    )
    session.add(survey)
    await session.flush()

    log.info(
        "work order %s (appeal %s): return-visit survey %s queued as notice %s",
        closed.work_order_id,
        closed.appeal_id,
        survey.id,
        notice.id,
    )
    return survey


def phone_key(phone: str) -> str:
    """A phone number as it is hashed: its national digits (no +86 or 0086)."""
    digits = "".join(char for char in phone if char.isdigit())
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            return digits[len(prefix) :]
    return digits


def _contact_hash(context: OfficialContext, recipient: Recipient | None) -> str | None:
    # An SMS reply comes from the citizen's number: keep its keyed hash, never the
    # number, so the reply finds its survey.
    if recipient is None or recipient.contact_kind != "phone":
        return None
    if recipient.contact_encrypted is None:
        return None
    try:
        phone = context.notify.vault.decrypt(recipient.contact_encrypted)
    except pii.PiiKeyError:
        log.warning(
            "appeal %s: the recipient's contact cannot be opened; SMS replies to its "
            "survey are not matched by number",
            recipient.appeal_id,
        )
        return None
    return pii.keyed_hash(context.survey.hash_key, phone_key(phone))


async def by_token(*, session: AsyncSession, token: str) -> Survey:
    """The survey of a link; 404 `survey_not_found`."""
    survey = await session.scalar(select(Survey).where(Survey.token == token))
    if survey is None:
        raise SurveyNotFound("no survey has this link", field="token")
    return survey


async def answer_by_link(
    *,
    session: AsyncSession,
    context: OfficialContext,
    token: str,
    ratings: dict[str, int],
    solved: bool | None,
    comment: str | None,
) -> Survey:
    """Record the answer given through the link; commits. 409 `survey_answered`
    or `survey_expired`."""
    survey = await _locked_by_token(session, token)
    _check_open(survey, context.now())
    answer = satisfaction.Answer(ratings=ratings, solved=solved)
    await _record(session, context, survey, answer, channel=LINK, text=comment)
    await session.commit()
    return survey


@dataclass(frozen=True)
class SmsReply:
    """A citizen's SMS as the gateway passed it on."""

    message_id: str
    phone: str
    text: str
    provider_ref: str | None


@dataclass(frozen=True)
class ReplyOutcome:
    survey: Survey
    duplicate: bool


async def answer_by_sms(
    *, session: AsyncSession, context: OfficialContext, reply: SmsReply
) -> ReplyOutcome:
    """Record the answer in an SMS reply; commits. The same message again answers
    as the first time. The survey is the one the reply answers (the gateway's
    reference of the survey message), else the newest open survey sent to that
    number. 404 `survey_not_found`, 409 `survey_answered` or `survey_expired`,
    422 `reply_unreadable`."""
    earlier = await _earlier_reply(session, reply.message_id)
    if earlier is not None:
        return ReplyOutcome(earlier, duplicate=True)

    survey = await _survey_replied_to(session, context, reply)
    _check_open(survey, context.now())
    try:
        answer = satisfaction.parse(reply.text)
    except satisfaction.Unreadable:
        log.info("survey %s: an SMS reply rates nothing", survey.id)
        raise ReplyUnreadable(
            "the reply rates none of the questions; answer e.g. 1满意 2满意 3满意 "
            "4满意, or 满意 / 不满意",
            field="text",
        ) from None

    try:
        await _record(session, context, survey, answer, channel=SMS, text=reply.text)
    except SurveyAnswered:
        # The same message delivered twice at once: the other delivery counted.
        again = await _earlier_reply(session, reply.message_id)
        if again is None:
            raise
        return ReplyOutcome(again, duplicate=True)
    session.add(
        SurveyReply(
            message_id=reply.message_id, survey_id=survey.id, received_at=context.now()
        )
    )
    try:
        await session.commit()
    except IntegrityError:
        # The gateway sent the same message twice at once; the other one counted.
        await session.rollback()
        again = await _earlier_reply(session, reply.message_id)
        if again is None:
            raise
        return ReplyOutcome(again, duplicate=True)
    return ReplyOutcome(survey, duplicate=False)


async def _earlier_reply(session: AsyncSession, message_id: str) -> Survey | None:
    seen = await session.get(SurveyReply, message_id)
    if seen is None:
        return None
    return await session.get(Survey, seen.survey_id)


async def _survey_replied_to(
    session: AsyncSession, context: OfficialContext, reply: SmsReply
) -> Survey:
    if reply.provider_ref:
        survey = await session.scalar(
            select(Survey)
            .join(Notice, Notice.id == Survey.notice_id)
            .where(Notice.provider_ref == reply.provider_ref)
            .with_for_update(of=Survey)
        )
        if survey is not None:
            return survey

    digest = pii.keyed_hash(context.survey.hash_key, phone_key(reply.phone))
    survey = await session.scalar(
        select(Survey)
        .where(
            Survey.contact_hash == digest,
            Survey.answered_at.is_(None),
            Survey.expires_at > context.now(),
        )
        .order_by(Survey.created_at.desc(), Survey.id)
        .limit(1)
        .with_for_update()
    )
    if survey is None:
        raise SurveyNotFound("no open survey was sent to this number", field="phone")
    return survey


async def _locked_by_token(session: AsyncSession, token: str) -> Survey:
    survey = await session.scalar(
        select(Survey).where(Survey.token == token).with_for_update()
    )
    if survey is None:
        raise SurveyNotFound("no survey has this link", field="token")
    return survey


def _check_open(survey: Survey, now: datetime) -> None:
    state = status(survey, now)
    if state == ANSWERED:
        raise SurveyAnswered("the survey was answered already", field="token")
    if state == EXPIRED:
        raise SurveyExpired("the survey can no longer be answered", field="token")


async def _record(
    session: AsyncSession,
    context: OfficialContext,
    survey: Survey,
    answer: satisfaction.Answer,
    *,
    channel: str,
    text: str | None,
) -> None:
    """Keep the answer and announce it (return_visit.answered) in one transaction;
    an unsatisfied answer makes the order a reopening candidate (Art. 31)."""
    now = context.now()
    survey_id = survey.id
    recorded = await session.execute(
        update(Survey)
        .where(Survey.id == survey_id, Survey.answered_at.is_(None))
        .values(
            answered_at=now,
            answer_channel=channel,
            speed=answer.rating("speed"),
            effect=answer.rating("effect"),
            service=answer.rating("service"),
            system=answer.rating("system"),
            solved=answer.solved,
            satisfied=answer.satisfied,
            reply_text=redaction.redact(text.strip())[:REPLY_KEPT] if text else None,
        )
        .execution_options(synchronize_session=False)
    )
    # The store picks the one answer: on SQLite the lock taken when the survey was
    # read does nothing, so answers given at once may all have found it open; the
    # UPDATE's condition is checked under the write lock, and only one finds the
    # survey unanswered. The others leave nothing behind.
    if int(getattr(recorded, "rowcount", 0)) != 1:
        await session.rollback()
        log.info("survey %s: a concurrent answer came first; refused", survey_id)
        raise SurveyAnswered("the survey was answered already", field="token")
    await session.refresh(survey)

    await context.outbox.stage(
        session,
        ReturnVisitAnswered(
            survey_id=survey.id,
            work_order_id=survey.work_order_id,
            appeal_id=survey.appeal_id,
            unit_id=survey.unit_id,
            channel=channel,
            speed=survey.speed,
            effect=survey.effect,
            service=survey.service,
            system=survey.system,
            satisfied=answer.satisfied,
            solved=answer.solved,
            answered_at=now,
        ),
        occurred_at=now,
    )
    log.info(
        "work order %s: survey %s answered by %s (%s)",
        survey.work_order_id,
        survey.id,
        channel,
        "satisfied" if answer.satisfied else "unsatisfied: a reopening candidate",
    )


async def note_reopened(*, session: AsyncSession, reopened: WorkOrderReopened) -> int:
    """A reopened order (重办) leaves the reopening candidates; how many surveys."""
    result = await session.execute(
        update(Survey)
        .where(
            Survey.work_order_id == reopened.work_order_id,
            Survey.satisfied.is_(False),
            Survey.reopened_at.is_(None),
            Survey.answered_at <= reopened.reopened_at,
        )
        .values(reopened_at=reopened.reopened_at)
    )
    count = int(result.rowcount)  # type: ignore[attr-defined]
    if count:
        log.info(
            "work order %s reopened: %d reopening candidate(s) done",
            reopened.work_order_id,
            count,
        )
    return count


async def reopen_candidates(
    *,
    session: AsyncSession,
    include_reopened: bool,
    unit_id: str | None,
    limit: int,
    offset: int,
) -> Sequence[Survey]:
    """Unsatisfied answers, newest first: the orders the center may reopen."""
    query = select(Survey).where(Survey.satisfied.is_(False))
    if not include_reopened:
        query = query.where(Survey.reopened_at.is_(None))
    if unit_id is not None:
        query = query.where(Survey.unit_id == unit_id)
    result = await session.scalars(
        query.order_by(Survey.answered_at.desc(), Survey.id).limit(limit).offset(offset)
    )
    return result.all()
