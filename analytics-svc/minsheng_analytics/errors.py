"""Analytics' domain errors."""

from __future__ import annotations

from minsheng_common.auth.principal import Principal
from minsheng_common.errors import InvalidInput, MinshengError


class InvalidWindow(InvalidInput):
    """The time window asked for ends before it starts."""

    code = "invalid_window"


class SignInRequired(MinshengError):
    """A browser asked for the page without valid credentials: it is sent to the
    sign-in form (303 to /login)."""

    status_code = 303
    code = "sign_in_required"


class PageForbidden(MinshengError):
    """A signed-in person whose role may not read analytics (a unit, a channel):
    shown a page saying so, never the data."""

    status_code = 403
    code = "forbidden"

    def __init__(self, principal: Principal) -> None:
        super().__init__("this person may not read analytics")
        self.principal = principal


class UnknownIndicator(InvalidInput):
    """The query names no indicator analytics defines."""

    code = "unknown_indicator"


class UnknownDimension(InvalidInput):
    """A breakdown by something the query API does not break down by."""

    code = "unknown_dimension"


class NotApplicable(InvalidInput):
    """A filter or breakdown that does not apply to the indicator's subject, such as
    the unit of an appeal count (appeals have no unit; their work orders do)."""

    code = "not_applicable"


class TooManyPeriods(InvalidInput):
    """A series longer than one answer may hold: a longer interval or a shorter
    window is needed."""

    code = "too_many_periods"
