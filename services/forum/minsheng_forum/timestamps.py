"""Reading the forum's time stamps, which come in mixed formats.

Seen in the sample: `2020/1/6 12:09:38`, `2019/12/10 9:05:01`. Also read: ISO 8601
(`2019-12-10T09:05:01+08:00`, `2019-12-10 09:05`), dots or 年月日 between the parts of
the date, a missing seconds field, a date alone (midnight). A stamp without an offset
is wall-clock time in Asia/Shanghai.
"""

from __future__ import annotations

import re
from datetime import datetime

from minsheng_common.timeutil import SHANGHAI

_LOOSE = re.compile(
    r"^(?P<year>\d{4})\s*[-/.年]\s*(?P<month>\d{1,2})\s*[-/.月]\s*(?P<day>\d{1,2})\s*日?"
    r"(?:(?:\s+|T)(?P<hour>\d{1,2})[:：](?P<minute>\d{1,2})"
    r"(?:[:：](?P<second>\d{1,2})(?:\.(?P<fraction>\d{1,6}))?)?)?$"
)


class UnparseableTime(ValueError):
    """A time stamp in none of the formats this adapter reads."""


def parse(raw: str) -> datetime:
    """An aware datetime for a forum time stamp, or `UnparseableTime`."""
    text = raw.strip().replace("\u3000", " ")
    if not text:
        raise UnparseableTime("the time stamp is empty")

    moment = _iso(text) or _loose(text)
    if moment is None:
        raise UnparseableTime(f"not a time stamp this adapter reads: {raw!r}")
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


def _iso(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _loose(text: str) -> datetime | None:
    match = _LOOSE.match(text)
    if match is None:
        return None
    parts = match.groupdict()
    fraction = (parts["fraction"] or "").ljust(6, "0")
    try:
        return datetime(
            int(parts["year"]),
            int(parts["month"]),
            int(parts["day"]),
            int(parts["hour"] or 0),
            int(parts["minute"] or 0),
            int(parts["second"] or 0),
            int(fraction),
            tzinfo=SHANGHAI,
        )
    except ValueError:
        # Digits in the right places but no such day or hour (2020/2/30, 25:00).
        return None
