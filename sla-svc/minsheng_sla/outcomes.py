"""What a clock came to: met in time, or missed and by how much, in working time and
in natural time, even when the step was done later (Art. 17, 33).

A clock met late keeps the working time it missed by as counted when it was met
(`late_working_seconds`), so a calendar corrected afterwards does not change a
unit's record. A clock that ran out and is still not met is missed by a growing
amount, measured up to now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from minsheng_common import working_calendar
from minsheng_sla.models import MET, REACHED, Deadline

Outcome = Literal["met", "missed"]


@dataclass(frozen=True)
class Lateness:
    """By how much a clock was missed, up to `until`; `final` once the step is done."""

    working: timedelta
    natural: timedelta
    until: datetime
    final: bool


def outcome_of(deadline: Deadline) -> Outcome | None:
    """`met` in time, `missed` (late, or run out and not met yet), or None while
    the clock runs or after it was cancelled."""
    if deadline.status == MET and deadline.met_at is not None:
        return "missed" if deadline.met_at > deadline.due_at else "met"
    if deadline.status == REACHED:
        return "missed"
    return None


def lateness(
    deadline: Deadline, *, calendar: working_calendar.WorkingCalendar, now: datetime
) -> Lateness | None:
    """How late a missed clock is: until it was met, or until `now` while it is
    still not met; None for a clock not missed."""
    if outcome_of(deadline) != "missed":
        return None
    if deadline.status == MET and deadline.met_at is not None:
        until, final = deadline.met_at, True
    else:
        until, final = max(now, deadline.due_at), False

    stored = deadline.late_working_seconds if final else None
    working = (
        timedelta(seconds=stored)
        if stored is not None
        else calendar.working_time_between(deadline.due_at, until)
    )
    return Lateness(
        working=working, natural=until - deadline.due_at, until=until, final=final
    )


def describe(late: Lateness) -> str:
    """`2.5 working hours late (1 day, 3:30:00 in natural time)`."""
    hours = late.working.total_seconds() / 3600
    natural = late.natural - timedelta(microseconds=late.natural.microseconds)
    return f"{hours:.4g} working hours late ({natural} in natural time)"
