"""What intake answered an adapter, and a push channel left unconfigured."""

from __future__ import annotations

from minsheng_common.errors import InvalidInput, Unavailable


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
