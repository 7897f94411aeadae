"""Quiet hours: no SMS wakes a citizen between 22:00 and 08:00 Asia/Shanghai.

An SMS due inside them is held until they end, except for a level-1 appeal (Art. 9:
public safety or major social impact), whose citizen is told at once. Read against
the service clock, so a demo that moves the clock moves the quiet hours with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from minsheng_common.timeutil import SHANGHAI


@dataclass(frozen=True)
class QuietHours:
    """A daily window of local time, possibly over midnight; empty when its start
    and end are equal."""

    start: time = time(22, 0)
    end: time = time(8, 0)
    zone: ZoneInfo = SHANGHAI

    def held_until(self, now: datetime) -> datetime | None:
        """When a message due at `now` may leave (UTC), or None if it may leave now."""
        local = now.astimezone(self.zone)
        if not self._covers(local.time()):
            return None
        release = datetime.combine(local.date(), self.end, tzinfo=self.zone)
        if release <= local:
            release = datetime.combine(
                local.date() + timedelta(days=1), self.end, tzinfo=self.zone
            )
        return release.astimezone(UTC)

    def _covers(self, moment: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end
