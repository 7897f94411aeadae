"""The forum adapter's errors: what intake answered, and a sample it cannot read."""

from __future__ import annotations

from minsheng_common.errors import Conflict, InvalidInput, Unavailable


class IntakeUnavailable(Unavailable):
    """Intake did not take the appeal (down, timed out, 5xx); the item stays pending
    and is sent again later."""

    code = "intake_unavailable"


class AppealRefused(InvalidInput):
    """Intake refused the appeal as invalid (422); retrying cannot help."""

    code = "appeal_refused"

    def __init__(self, message: str, *, body: str) -> None:
        super().__init__(message)
        self.body = body


class SampleUnavailable(Unavailable):
    """The forum export to replay cannot be read."""

    code = "sample_unavailable"
    retriable = False


class ReplayConflict(Conflict):
    """Two replays of the same sample ran at once; the later one stored nothing."""

    code = "replay_conflict"
