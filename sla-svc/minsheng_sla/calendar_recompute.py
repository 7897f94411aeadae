"""Counting open clocks again when a year's official schedule is loaded or corrected
(rules.md §11): a clock counted on a guessed year, or on a schedule since corrected,
gets the due time the official one gives, and is announced again.

A clock is recounted from what its row keeps: where it starts, its period ("7
working days", "2 working hours") and, for handling, the extensions that moved it.
Extensions are counted from the due time they moved, and a count of a days then b
more days ends where a + b days would (both end when business stops), so the
handling clock is recounted as one period of its days plus every extension's,
capped at the edition's total (Art. 16). Clocks not counted in working time (the
staged-closure check on its date) never move.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import working_calendar
from minsheng_common.bus.outbox import Outbox
from minsheng_common.events import DeadlineSet
from minsheng_common.rules import RuleBook
from minsheng_common.timeutil import as_utc
from minsheng_sla import calendar_store, repository, service
from minsheng_sla.models import Deadline

log = logging.getLogger(__name__)

PERIOD = re.compile(r"^(?P<amount>\d+(?:\.\d+)?) working (?P<unit>day|hour)s?$")

# Ids per query when reading extensions, below every backend's parameter limit.
CHUNK = 500


@dataclass(frozen=True)
class Moved:
    """A clock whose due time or provisional mark changed, and what it was."""

    deadline: Deadline
    from_due_at: datetime
    from_provisional: bool


def recount(
    calendar: working_calendar.WorkingCalendar,
    rules: RuleBook,
    deadline: Deadline,
    extension_days: Sequence[int] = (),
) -> working_calendar.Deadline | None:
    """The due time of a clock on `calendar`; None for a clock whose period is not
    counted in working time."""
    period = PERIOD.match(deadline.period)
    if period is None:
        return None
    amount = period["amount"]
    if period["unit"] == "hour":
        return calendar.add_working_hours(
            deadline.starts_at, timedelta(hours=float(amount))
        )

    days = int(amount) + sum(extension_days)
    if extension_days:
        days = min(days, _total_cap(rules, deadline, days))
    return calendar.add_working_days(deadline.starts_at, days)


async def recompute(
    session: AsyncSession,
    *,
    calendar: working_calendar.WorkingCalendar,
    rules: RuleBook,
    outbox: Outbox,
    years: Collection[int],
    provisional_only: bool = False,
) -> list[Moved]:
    """Recount every pending clock whose period touches one of `years` and announce
    each one that moved (deadline.set with its id), in the caller's transaction."""
    if not years:
        return []
    zone = calendar.hours.zone
    first = as_utc(datetime(min(years), 1, 1, tzinfo=zone))
    end = as_utc(datetime(max(years) + 1, 1, 1, tzinfo=zone))
    rows = await calendar_store.pending_touching(
        session, first=first, end=end, provisional_only=provisional_only
    )
    extensions = await _extensions(session, rows)

    moved: list[Moved] = []
    for row in rows:
        due = recount(calendar, rules, row, extensions.get(row.id, ()))
        if due is None or (due.at, due.provisional) == (row.due_at, row.provisional):
            continue
        moved.append(Moved(row, row.due_at, row.provisional))
        row.due_at = due.at
        row.provisional = due.provisional
        _replan_urgings(calendar, rules, row)
        await _announce(session, outbox, row)
        log.info(
            "work order %s (unit %s): %s deadline %s recounted on the new calendar, "
            "due %s instead of %s%s",
            row.work_order_id,
            row.unit_id,
            row.kind,
            row.id,
            row.due_at.isoformat(),
            moved[-1].from_due_at.isoformat(),
            " (still provisional)" if row.provisional else "",
        )
    await session.flush()
    return moved


async def _extensions(
    session: AsyncSession, rows: Sequence[Deadline]
) -> dict[str, list[int]]:
    handling = [row.id for row in rows if row.kind == "handling"]
    days: dict[str, list[int]] = {}
    for start in range(0, len(handling), CHUNK):
        changes = await repository.changes_of(session, handling[start : start + CHUNK])
        for deadline_id, moves in changes.items():
            days[deadline_id] = [move.working_days for move in moves]
    return days


def _total_cap(rules: RuleBook, deadline: Deadline, fallback: int) -> int:
    try:
        return rules.by_id(deadline.rules_edition).total_max_working_days
    except KeyError:
        return fallback


def _replan_urgings(
    calendar: working_calendar.WorkingCalendar, rules: RuleBook, row: Deadline
) -> None:
    """Move the urging points (Art. 39) with the due time: they are fractions of
    the period's working time."""
    try:
        edition = rules.by_id(row.rules_edition)
    except KeyError:
        log.warning(
            "work order %s: deadline %s follows rules edition %s, which the rule "
            "book no longer has; its urging points stay where they were",
            row.work_order_id,
            row.id,
            row.rules_edition,
        )
        return
    service.replan_urgings(row, calendar=calendar, edition=edition)


async def _announce(session: AsyncSession, outbox: Outbox, deadline: Deadline) -> None:
    """Say a clock's current due time again (deadline.set with the same id)."""
    await outbox.stage(
        session,
        DeadlineSet(
            deadline_id=deadline.id,
            work_order_id=deadline.work_order_id,
            appeal_id=deadline.appeal_id,
            unit_id=deadline.unit_id,
            kind=deadline.kind,
            starts_at=deadline.starts_at,
            due_at=deadline.due_at,
            provisional=deadline.provisional,
            article=deadline.article,
            period=deadline.period,
            rules_edition=deadline.rules_edition,
        ),
    )
