"""The hotline adapter's own errors: a line it does not serve and a record it does
not take. What intake answers is every adapter's
(`minsheng_common.adapters.errors`)."""

from __future__ import annotations

from minsheng_common.errors import InvalidInput, NotFound


class UnknownLine(NotFound):
    """The path names a line the adapter does not serve (HOTLINE_LINES)."""

    code = "unknown_line"


class InvalidCall(InvalidInput):
    """A correctly signed push whose body is not a call record."""

    code = "invalid_call"


class CallTooLong(InvalidInput):
    """A correctly signed record whose title or summary is longer than intake takes;
    intake would refuse it, so it is not taken on."""

    code = "too_long"
