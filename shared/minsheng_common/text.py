"""Text hygiene shared by every service that keeps or shows what people wrote."""

from __future__ import annotations

import unicodedata

_KEPT_CONTROLS = frozenset("\n\t")


def strip_invisible(value: str) -> str:
    """Remove control and format characters (NUL, bidirectional overrides, zero-width
    spaces, byte-order marks) that a person cannot see but that can corrupt a store,
    a page or a text message; newlines and tabs stay."""
    return "".join(
        char
        for char in value
        if char in _KEPT_CONTROLS or unicodedata.category(char) not in ("Cc", "Cf")
    )
