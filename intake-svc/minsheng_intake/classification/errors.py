"""The triage queue's errors."""

from __future__ import annotations

from minsheng_common.errors import Conflict, InvalidInput, NotFound


class NotWaiting(NotFound):
    """The appeal is not in the triage queue: never queued, or no such appeal."""

    code = "appeal_not_in_triage"


class AlreadyClassified(Conflict):
    """The appeal waited in the triage queue, and an operator has chosen its
    category already."""

    code = "already_classified"


class ReasonMissing(InvalidInput):
    """A classification without a reason in words."""

    code = "reason_missing"
