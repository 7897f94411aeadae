"""Dates as GeoReport v2 has them: the W3C profile of ISO 8601, always with an
offset (`2026-03-02T09:30:00+08:00`, `2026-03-02T01:30:00Z`).

A date and time without an offset has no defined instant, so it is refused with a
message that says so; seconds may be left out or carry a fraction of any length
(kept to the microsecond). A query string decodes an unescaped `+` to a space, so
`…09:30:00 08:00` is read as `+08:00`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from minsheng_common.timeutil import SHANGHAI

_DATE_TIME = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})T(?P<hour>\d{2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:\.(?P<fraction>\d+))?)?"
    r"(?P<offset>[Zz]|[+\- ]\d{2}:\d{2})?"
)
_DATE_ONLY = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")

EXAMPLE = "2026-03-02T09:30:00+08:00"


class InvalidDate(ValueError):
    """Not a W3C date and time with an offset; the message says what is wrong."""


def parse(raw: str) -> datetime:
    """The aware instant `raw` names, or `InvalidDate`."""
    text = raw.strip()
    match = _DATE_TIME.fullmatch(text)
    if match is None:
        if _DATE_ONLY.fullmatch(text):
            raise InvalidDate(
                f"{raw!r} is a date without a time and an offset; give both, "
                f"e.g. {EXAMPLE}"
            )
        raise InvalidDate(f"{raw!r} is not a W3C date and time, e.g. {EXAMPLE}")

    offset = match["offset"]
    if offset is None:
        raise InvalidDate(
            f"{raw!r} has no offset from UTC; add Z or ±hh:mm, e.g. {EXAMPLE}"
        )
    try:
        moment = datetime.fromisoformat(
            f"{match['date']}T{match['hour']}:{match['minute']}:"
            f"{match['second'] or '00'}"
        )
        zone = _zone(offset)
    except ValueError:
        raise InvalidDate(f"{raw!r} names no such day or time") from None

    fraction = (match["fraction"] or "")[:6].ljust(6, "0")
    return moment.replace(microsecond=int(fraction), tzinfo=zone)


def _zone(offset: str) -> timezone:
    if offset in ("Z", "z"):
        return UTC
    sign = -1 if offset[0] == "-" else 1
    hours, minutes = int(offset[1:3]), int(offset[4:6])
    if hours > 23 or minutes > 59:
        raise ValueError(offset)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def stamp(moment: datetime) -> str:
    """An instant as W3C with the district's offset, to the second."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no defined instant")
    return moment.astimezone(SHANGHAI).replace(microsecond=0).isoformat()
