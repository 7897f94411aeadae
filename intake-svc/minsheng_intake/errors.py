"""Intake's domain errors."""

from __future__ import annotations

from minsheng_common.errors import InvalidInput, NotFound


class AppealNotFound(NotFound):
    code = "appeal_not_found"


class UnknownChannel(InvalidInput):
    code = "unknown_channel"


class UnknownCategory(InvalidInput):
    code = "unknown_category"


class TooLong(InvalidInput):
    """A text over its stated limit; refused, never cut."""

    code = "too_long"


class ReceivedAtOutOfRange(InvalidInput):
    """A receipt time that cannot be true (in the future, or long before)."""

    code = "received_at_out_of_range"
