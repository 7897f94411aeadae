"""The root of every Minsheng error, with its HTTP status and machine-readable code."""

from __future__ import annotations


class MinshengError(Exception):
    """A failure the caller can understand.

    `code` is stable and machine-readable, `status_code` is what the API answers,
    `field` names the input at fault when there is one, and `retriable` tells a
    consumer or the outbox relay whether trying again may succeed.
    """

    status_code: int = 400
    code: str = "error"
    retriable: bool = False

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.headers = headers


class NotFound(MinshengError):
    """The thing asked for does not exist, or is not the caller's to see."""

    status_code = 404
    code = "not_found"


class Conflict(MinshengError):
    """The request is valid but the current state forbids it."""

    status_code = 409
    code = "conflict"


class InvalidInput(MinshengError):
    """The input breaks a rule the schema alone cannot express."""

    status_code = 422
    code = "invalid_input"


class Unavailable(MinshengError):
    """A dependency (database, broker, another service) is down; try again later."""

    status_code = 503
    code = "unavailable"
    retriable = True
