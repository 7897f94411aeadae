"""The Open311 server's errors: what a 311 client sent wrong, in the GeoReport v2
error shape. What intake answers a delivery is the shared adapters' vocabulary
(`minsheng_common.adapters.errors`)."""

from __future__ import annotations

from minsheng_common.errors import MinshengError


class Open311Error(MinshengError):
    """A refusal answered as a GeoReport v2 error list: one entry per description,
    each with the HTTP status as its code. A description names its parameter first
    ("start_date: …"), so a client sees which one is at fault."""

    def __init__(self, *descriptions: str, field: str | None = None) -> None:
        super().__init__("; ".join(descriptions), field=field)
        self.descriptions = descriptions


class BadRequest(Open311Error):
    """A parameter is missing, malformed or not accepted (400)."""

    status_code = 400
    code = "bad_request"


class KeyRefused(Open311Error):
    """The api_key is missing, unknown, expired, revoked, or not a key of a 311
    client (403, as GeoReport v2 says)."""

    status_code = 403
    code = "api_key_refused"


class NotFound(Open311Error):
    """No such service, request, token or jurisdiction here (404)."""

    status_code = 404
    code = "not_found"
