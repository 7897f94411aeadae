"""Reading the parameters of GeoReport v2 queries. An empty parameter
(`jurisdiction_id=`) is treated as absent: many clients send every parameter they
know, empty when the user gave none. Every problem found is reported at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from minsheng_open311 import w3c
from minsheng_open311.errors import BadRequest, NotFound

STATUSES = frozenset({"open", "closed"})


def given(value: str | None) -> str | None:
    """The parameter's value, or None when it is absent or empty."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def check_jurisdiction(raw: str | None, served: frozenset[str]) -> None:
    """One jurisdiction is served here: its id may be left out; another is 404."""
    jurisdiction = given(raw)
    if jurisdiction is not None and jurisdiction not in served:
        raise NotFound(f"jurisdiction_id: {jurisdiction} is not served here")


def listed(raw: str | None) -> list[str] | None:
    """A comma-separated parameter's values, or None when it is absent or empty."""
    value = given(raw)
    if value is None:
        return None
    values = [part.strip() for part in value.split(",") if part.strip()]
    return values or None


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


def window(
    start_raw: str | None, end_raw: str | None, *, now: datetime, days: int
) -> Window:
    """The span searched: as given, at most `days` long; one end alone reaches
    `days` from it, and neither means the last `days` up to now."""
    problems: list[str] = []
    start = _date("start_date", start_raw, problems)
    end = _date("end_date", end_raw, problems)
    if problems:
        raise BadRequest(*problems)

    span = timedelta(days=days)
    if end is None:
        end = now if start is None else start + span
    if start is None:
        start = end - span

    if start > end:
        raise BadRequest("start_date: is later than end_date")
    if end - start > span:
        raise BadRequest(
            f"start_date, end_date: at most {days} days apart; ask for a shorter span"
        )
    return Window(start=start, end=end)


def _date(name: str, raw: str | None, problems: list[str]) -> datetime | None:
    value = given(raw)
    if value is None:
        return None
    try:
        return w3c.parse(value)
    except w3c.InvalidDate as error:
        problems.append(f"{name}: {error}")
        return None


def statuses(raw: str | None) -> frozenset[str] | None:
    """open, closed or both (comma-separated); None when not asked."""
    values = listed(raw)
    if values is None:
        return None
    wrong = [value for value in values if value.lower() not in STATUSES]
    if wrong:
        raise BadRequest(
            f"status: {', '.join(wrong)} is not a status; use open or closed"
        )
    return frozenset(value.lower() for value in values)


def request_ids(raw: str | None, *, limit: int) -> list[str] | None:
    values = listed(raw)
    if values is not None and len(values) > limit:
        raise BadRequest(
            f"service_request_id: at most {limit} ids at once, {len(values)} given"
        )
    return values
