"""The triage queue's errors."""

from __future__ import annotations

from minsheng_common.errors import InvalidInput, NotFound


class NotWaiting(NotFound):
    """The appeal is not in the triage queue: never queued, already classified,
    or no such appeal."""

    code = "appeal_not_in_triage"


class ReasonMissing(InvalidInput):
    """A classification without a reason in words."""

    code = "reason_missing"
