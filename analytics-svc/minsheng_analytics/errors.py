"""Analytics' domain errors."""

from __future__ import annotations

from minsheng_common.errors import InvalidInput


class InvalidWindow(InvalidInput):
    """The time window asked for ends before it starts."""

    code = "invalid_window"
