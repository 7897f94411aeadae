"""What intake answered an adapter, and a push channel left unconfigured."""

from __future__ import annotations

from minsheng_common.errors import InvalidInput, MinshengError, Unavailable


class IntakeUnavailable(Unavailable):
    """Intake did not take the appeal (down, timed out, 5xx); the item stays pending
    and is sent again later."""

    code = "intake_unavailable"


class IntakeCredentialsRejected(Unavailable):
    """Intake answered 401 or 403: the adapter's own key is missing, wrong, expired,
    revoked, of another channel or lacks the scope. Not the appeal's fault and
    fixable by an operator, so the item stays pending and is tried again at the
    longest backoff."""

    code = "intake_credentials_rejected"

    def __init__(self, message: str, *, answer_status: int) -> None:
        super().__init__(message)
        self.answer_status = answer_status


class AnswerNotRecordable(MinshengError):
    """Intake took the appeal, but its answer cannot be kept in the queue (a value
    longer than its column, or one the store refuses). Sending again returns the
    same answer, so the item is settled as refused for an operator to look at,
    and the items behind it go on."""

    status_code = 502
    code = "intake_answer_not_recordable"

    def __init__(
        self, message: str, *, answer_status: int, field: str | None = None
    ) -> None:
        super().__init__(message, field=field)
        self.answer_status = answer_status


class AppealRefused(InvalidInput):
    """Intake refused the appeal as invalid (422); retrying cannot help."""

    code = "appeal_refused"

    def __init__(self, message: str, *, body: str) -> None:
        super().__init__(message)
        self.body = body


class WebhookNotConfigured(Unavailable):
    """No secret is set for a channel that pushes (outside production): its pushes
    cannot be verified, so none is taken."""

    code = "webhook_not_configured"
    retriable = False
