"""Time zones and conversions: UTC in stores and events, Asia/Shanghai on screen."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def as_utc(moment: datetime, *, naive_zone: ZoneInfo = SHANGHAI) -> datetime:
    """`moment` in UTC; a naive time is read as wall-clock time in `naive_zone`."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=naive_zone)
    return moment.astimezone(UTC)


def local(moment: datetime, zone: ZoneInfo = SHANGHAI) -> datetime:
    """An aware `moment` as wall-clock time in `zone` (Asia/Shanghai by default)."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no defined local time")
    return moment.astimezone(zone)


def format_local(moment: datetime, zone: ZoneInfo = SHANGHAI) -> str:
    """Format an instant the way operators read it: `2026-12-04 09:30 (UTC+08:00)`."""
    shown = local(moment, zone)
    offset = shown.strftime("%z")  # +0800; Python 3.11 has no %:z
    return f"{shown:%Y-%m-%d %H:%M} (UTC{offset[:3]}:{offset[3:]})"
