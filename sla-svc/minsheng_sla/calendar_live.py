"""The working calendar this process counts every clock with, kept in step with the
versions in the store.

The calendar object is shared with every clock computation in the process (it is the
one in `SlaContext`), so it is updated in place: a version loaded here, or by another
replica, takes effect for the next computation.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import working_calendar
from minsheng_common.rules import RuleBook
from minsheng_sla import calendar_store
from minsheng_sla.calendar_models import CalendarVersion

log = logging.getLogger(__name__)


@dataclass
class LiveCalendar:
    """The process's working calendar, the newest store version it reflects
    (`stamp`), and the years changed since their clocks were last recounted:
    `unswept` since the last look, `ripe` before it."""

    calendar: working_calendar.WorkingCalendar
    rules: RuleBook
    stamp: int = 0
    unswept: set[int] = field(default_factory=set)
    ripe: set[int] = field(default_factory=set)

    def apply(self, rows: Iterable[CalendarVersion]) -> set[int]:
        """Count with these versions from now on; the years they change."""
        rows = list(rows)
        schedules = {row.year: official_year(row) for row in rows}
        if not schedules:
            return set()
        self.calendar.load_official(schedules)
        for row in rows:
            self.stamp = max(self.stamp, row.id)
        self.unswept |= set(schedules)
        log.info(
            "working calendar now counts with %s",
            ", ".join(
                f"{year} ({schedule.source})"
                for year, schedule in sorted(schedules.items())
            ),
        )
        return set(schedules)

    async def refresh(self, session: AsyncSession) -> set[int]:
        """Take the versions stored since the last look (by any replica); the years
        that changed, none when the calendar is current."""
        if await calendar_store.stamp(session) == self.stamp:
            return set()
        return self.apply(await calendar_store.current_since(session, self.stamp))

    def due_for_sweep(self) -> set[int]:
        """The years changed before the previous look, whose open clocks are to be
        recounted now; those changed since wait for the next look.

        The wait lets a consumer that counted a clock on the old calendar just
        before the change commit it first, so the sweep sees it.
        """
        due, self.ripe, self.unswept = self.ripe, self.unswept, set()
        return due

    def swept(self) -> None:
        """Forget every change: nothing in this process was counted on an old
        calendar (it has not started counting yet)."""
        self.unswept.clear()
        self.ripe.clear()


def official_year(row: CalendarVersion) -> working_calendar.OfficialYear:
    """A stored version as the calendar takes it."""
    return working_calendar.OfficialYear(
        year=row.year,
        holidays=frozenset(day_of(entry) for entry in row.holidays),
        makeup_workdays=frozenset(day_of(entry) for entry in row.makeup_workdays),
        source=f"{row.source} v{row.version}",
    )


def day_of(entry: dict[str, object]) -> date:
    """The date of a stored named day."""
    return date.fromisoformat(str(entry["date"]))
