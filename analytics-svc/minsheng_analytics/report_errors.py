"""What can be wrong with a periodic report asked for (Art. 40), each with its code."""

from __future__ import annotations

from minsheng_common.errors import Conflict, InvalidInput


class InvalidPeriod(InvalidInput):
    """The date asked for does not start a period of that kind, or the kind has no
    report for it (the second and fourth quarters)."""

    code = "invalid_period"


class PeriodNotOver(Conflict):
    """The period has not ended yet (or ended too recently for its last events to
    have arrived): its report cannot be compiled."""

    code = "period_not_over"
