"""The forum adapter's errors: what intake answered, and a sample it cannot read."""

from __future__ import annotations

from minsheng_common.errors import Conflict, InvalidInput, Unavailable


class IntakeUnavailable(Unavailable):
    """Intake did not take the appeal (down, timed out, 5xx); the item stays pending
    and is sent again later."""

    code = "intake_unavailable"


class IntakeCredentialsRejected(Unavailable):
    """Intake answered 401 or 403: the adapter's own key is missing, wrong, expired,
    revoked or lacks the scope. Not the appeal's fault and fixable by an operator,
    so the item stays pending and is tried again at the longest backoff."""

    code = "intake_credentials_rejected"

    def __init__(self, message: str, *, answer_status: int) -> None:
        super().__init__(message)
        self.answer_status = answer_status


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


class WebhookNotConfigured(Unavailable):
    """No FORUM_WEBHOOK_SECRETS are set (outside production): pushed posts cannot be
    verified, so none is taken."""

    code = "webhook_not_configured"
    retriable = False


class InvalidPost(InvalidInput):
    """A correctly signed push whose body is not a forum post."""

    code = "invalid_post"


class PostTooLong(InvalidInput):
    """A correctly signed post whose title or detail is longer than intake takes;
    intake would refuse it, so it is not taken on."""

    code = "too_long"
