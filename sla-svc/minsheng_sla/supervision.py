"""The weekly overdue supervision (督办, Art. 39, 40): every Monday at 09:00 in
Shanghai, each unit with orders past their due time gets the list of them
(supervision.overdue_listed), once per unit and week.

An overdue order is one whose handling clock ran out and is still not met (超期未办结),
or whose staged closure was not done by its check date (Art. 17). Each list holds
the orders overdue at Monday 09:00 and still not met when the watcher gets there; a
unit with none is not listed. A service that was down on Monday morning lists the
week as soon as it runs again, within that week, and lists the same orders; a week
that passed entirely is not listed afterwards.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import ids
from minsheng_common.bus.outbox import Outbox
from minsheng_common.events import OverdueOrder, OverdueSupervised
from minsheng_common.events.catalogue import DeadlineKind
from minsheng_common.timeutil import SHANGHAI, as_utc
from minsheng_sla import repository
from minsheng_sla.models import Deadline

SUPERVISED_KINDS: tuple[DeadlineKind, ...] = ("handling", "staged_check")
"""The clocks whose running out makes an order overdue (Art. 17, 40)."""

LISTED_AT = time(9, 0)
"""Monday's listing time, Asia/Shanghai (Art. 39: every Monday)."""

log = logging.getLogger(__name__)


def week_of(moment: datetime) -> date:
    """The Monday of the week `moment` falls in, in Shanghai."""
    day = as_utc(moment).astimezone(SHANGHAI).date()
    return day - timedelta(days=day.weekday())


def listing_time(monday: date) -> datetime:
    """When the week starting `monday` is listed (09:00 Shanghai), in UTC."""
    return as_utc(datetime.combine(monday, LISTED_AT, tzinfo=SHANGHAI))


async def list_week(
    *, session: AsyncSession, outbox: Outbox, now: datetime
) -> list[OverdueSupervised]:
    """List this week's overdue orders of every unit not listed yet, once its
    listing time has passed, in the caller's transaction; the lists sent.

    Each unit's list is recorded with its week under a unique key in the same
    transaction as its event: a second watcher (another replica) adding the same
    unit and week waits for the first and then adds nothing, so each unit is
    listed once a week.
    """
    monday = week_of(now)
    listing = listing_time(monday)
    if now < listing:
        return []

    listed = set(await repository.supervisions_of_week(session, monday))
    overdue, _ = await repository.overdue(
        session, kinds=SUPERVISED_KINDS, unit_id=None, due_before=listing
    )
    by_unit: dict[str, list[Deadline]] = defaultdict(list)
    for deadline in overdue:
        if deadline.unit_id not in listed:
            by_unit[deadline.unit_id].append(deadline)

    sent = []
    # Units in one order, so two watchers queue on the same rows, never deadlock.
    for unit_id in sorted(by_unit):
        supervision = await _list_unit(
            session,
            outbox,
            unit_id=unit_id,
            week=monday,
            now=now,
            rows=by_unit[unit_id],
        )
        if supervision is not None:
            sent.append(supervision)
    return sent


async def _list_unit(
    session: AsyncSession,
    outbox: Outbox,
    *,
    unit_id: str,
    week: date,
    now: datetime,
    rows: list[Deadline],
) -> OverdueSupervised | None:
    supervision_id = ids.new_id()
    added = await repository.add_supervision(
        session,
        {
            "id": supervision_id,
            "unit_id": unit_id,
            "week_of": week,
            "orders": len(rows),
            "listed_at": now,
        },
    )
    if not added:
        log.info("unit %s: overdue list of week %s sent already", unit_id, week)
        return None

    event = OverdueSupervised(
        supervision_id=supervision_id,
        unit_id=unit_id,
        week_of=week,
        orders=[
            OverdueOrder(
                work_order_id=row.work_order_id,
                appeal_id=row.appeal_id,
                kind=row.kind,
                due_at=row.due_at,
            )
            for row in rows
        ],
        listed_at=now,
    )
    await outbox.stage(session, event, occurred_at=now)
    log.info(
        "unit %s: weekly overdue supervision %s of week %s lists %d orders (Art. 40)",
        unit_id,
        supervision_id,
        week,
        len(rows),
    )
    return event
