"""Messages to handling units (Art. 39–40): urging at half, two thirds and overdue
with a rising level, pushed by government WeChat; the weekly overdue supervision
list; and the reminder letters (催办函) a center operator sends. The last two are
documents for the unit's OA system.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import ids, redaction
from minsheng_common.auth.principal import Principal
from minsheng_common.events import DeadlineUrged, OverdueSupervised
from minsheng_notify import addressed, official_texts, projections, recipients
from minsheng_notify.models import Notice
from minsheng_notify.official_context import OfficialContext
from minsheng_notify.official_errors import (
    ReminderLetterConflict,
    ReminderLetterNotFound,
    UnknownUnit,
)
from minsheng_notify.official_models import AppealSummary, ReminderLetter

log = logging.getLogger(__name__)

SUPERVISION_ROUTES: tuple[recipients.Route, ...] = ("oa", "wechat_work")
"""The weekly list is a document (Art. 40); government WeChat without an OA inbox."""


async def urge(
    *, session: AsyncSession, context: OfficialContext, urged: DeadlineUrged
) -> Notice:
    """Urge the unit (催办, Art. 39): one message per clock and step, with the level
    in it, by government WeChat."""
    directory = context.directory
    addressee = directory.unit(urged.unit_id, recipients.URGING_ROUTES)
    code = await projections.tracking_code(session, urged.appeal_id)
    body = official_texts.urging(
        context.texts,
        unit=addressee.name,
        code=code or urged.work_order_id,
        deadline_kind=urged.kind,
        step=urged.step,
        level=urged.level,
        due_at=urged.due_at,
    )
    return await addressed.queue(
        session=session,
        context=context.notify,
        addressee=addressee,
        kind=official_texts.URGING,
        subject=f"{urged.deadline_id}:{urged.step}",
        body=body,
        appeal_id=urged.appeal_id,
        work_order_id=urged.work_order_id,
        unit_id=urged.unit_id,
    )


async def supervise(
    *, session: AsyncSession, context: OfficialContext, listed: OverdueSupervised
) -> Notice:
    """Send the unit its weekly overdue list (督办, Art. 40): one document per list."""
    directory = context.directory
    addressee = directory.unit(listed.unit_id, SUPERVISION_ROUTES)
    summaries = await projections.summaries(
        session, [order.appeal_id for order in listed.orders]
    )
    orders = [
        {
            "code": _code(summaries, order.appeal_id, order.work_order_id),
            "what": official_texts.deadline_words(order.kind),
            "due": official_texts.when(order.due_at),
        }
        for order in listed.orders
    ]
    body = official_texts.supervision(
        context.texts,
        unit=addressee.name,
        center=directory.center_name(),
        listed_at=listed.listed_at,
        orders=orders,
    )
    return await addressed.queue(
        session=session,
        context=context.notify,
        addressee=addressee,
        kind=official_texts.SUPERVISION,
        subject=listed.supervision_id,
        body=body,
        unit_id=listed.unit_id,
    )


def _code(
    summaries: dict[str, AppealSummary], appeal_id: str, work_order_id: str
) -> str:
    summary = summaries.get(appeal_id)
    return summary.tracking_code if summary is not None else work_order_id


@dataclass(frozen=True)
class LetterRecord:
    """A reminder letter with the notice that carries it."""

    letter: ReminderLetter
    notice: Notice
    created: bool

    @property
    def work_order_ids(self) -> list[str]:
        return list(json.loads(self.letter.work_order_ids))


async def send_reminder_letter(
    *,
    session: AsyncSession,
    context: OfficialContext,
    unit_id: str,
    work_order_ids: Sequence[str],
    text: str,
    request_id: str | None,
    principal: Principal,
) -> LetterRecord:
    """Write a reminder letter (催办函, Art. 40) to a unit's OA system about some of
    its orders, in the operator's words (personal data masked).

    The same `request_id` again answers the first letter; with other contents it
    is refused (409 `reminder_letter_conflict`). An unknown unit is 422
    `unknown_unit`. Commits.
    """
    directory = context.directory
    if not directory.knows_unit(unit_id):
        raise UnknownUnit(f"no unit {unit_id}", field="unit_id")
    orders = list(dict.fromkeys(work_order_ids))
    words = redaction.redact(text.strip())

    if request_id is not None:
        earlier = await _letter_by_request(session, request_id)
        if earlier is not None:
            return await _same_letter(session, earlier, unit_id, orders, words)

    addressee = directory.unit(unit_id, recipients.LETTER_ROUTES)
    codes = await _order_codes(session, orders)
    letter_id = ids.new_id()
    now = context.now()
    body = official_texts.reminder_letter(
        context.texts,
        unit=addressee.name,
        center=directory.center_name(),
        text=words,
        codes=codes,
        sent_at=now,
    )
    notice = await addressed.queue(
        session=session,
        context=context.notify,
        addressee=addressee,
        kind=official_texts.REMINDER_LETTER,
        subject=letter_id,
        body=body,
        work_order_id=orders[0] if len(orders) == 1 else None,
        unit_id=unit_id,
    )
    letter = ReminderLetter(
        id=letter_id,
        request_id=request_id,
        unit_id=unit_id,
        work_order_ids=json.dumps(orders),
        text=words,
        requested_by=principal.label(),
        requested_at=now,
        notice_id=notice.id,
    )
    session.add(letter)
    try:
        await session.commit()
    except IntegrityError:
        # The same request sent twice at once: the other one wrote the letter.
        await session.rollback()
        earlier = await _letter_by_request(session, request_id or "")
        if earlier is None:
            raise
        return await _same_letter(session, earlier, unit_id, orders, words)

    log.info(
        "reminder letter %s to unit %s about %d work order(s) queued as notice %s",
        letter.id,
        unit_id,
        len(orders),
        notice.id,
    )
    return LetterRecord(letter, notice, created=True)


async def get_reminder_letter(*, session: AsyncSession, letter_id: str) -> LetterRecord:
    """One reminder letter with its notice; 404 `reminder_letter_not_found`."""
    letter = await session.get(ReminderLetter, letter_id)
    if letter is None:
        raise ReminderLetterNotFound(
            f"no reminder letter {letter_id}", field="letter_id"
        )
    notice = await session.get(Notice, letter.notice_id)
    if notice is None:
        raise ReminderLetterNotFound(
            f"no reminder letter {letter_id}", field="letter_id"
        )
    return LetterRecord(letter, notice, created=False)


async def _letter_by_request(
    session: AsyncSession, request_id: str
) -> ReminderLetter | None:
    return await session.scalar(
        select(ReminderLetter).where(ReminderLetter.request_id == request_id)
    )


async def _same_letter(
    session: AsyncSession,
    letter: ReminderLetter,
    unit_id: str,
    orders: list[str],
    words: str,
) -> LetterRecord:
    same = (
        letter.unit_id == unit_id
        and json.loads(letter.work_order_ids) == orders
        and letter.text == words
    )
    if not same:
        raise ReminderLetterConflict(
            f"request {letter.request_id} was a different reminder letter",
            field="request_id",
        )
    record = await get_reminder_letter(session=session, letter_id=letter.id)
    return LetterRecord(record.letter, record.notice, created=False)


async def _order_codes(session: AsyncSession, work_order_ids: list[str]) -> list[str]:
    """The tracking codes of the orders, their ids where notify has not seen them."""
    orders = await projections.work_orders(session, work_order_ids)
    summaries = await projections.summaries(
        session, [order.appeal_id for order in orders.values()]
    )
    codes = []
    for work_order_id in work_order_ids:
        order = orders.get(work_order_id)
        summary = summaries.get(order.appeal_id) if order is not None else None
        codes.append(summary.tracking_code if summary is not None else work_order_id)
    return codes
