"""Reading and writing GeoReport v2 dates: the W3C profile of ISO 8601 with an
offset, fractional seconds of any length, and a clear refusal of the rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from minsheng_open311 import w3c


@pytest.mark.parametrize(
    ("raw", "instant"),
    [
        ("2026-03-02T09:30:00+08:00", datetime(2026, 3, 2, 1, 30, tzinfo=UTC)),
        ("2026-03-02T01:30:00Z", datetime(2026, 3, 2, 1, 30, tzinfo=UTC)),
        ("2026-03-02T01:30:00z", datetime(2026, 3, 2, 1, 30, tzinfo=UTC)),
        ("2026-03-02T09:30+08:00", datetime(2026, 3, 2, 1, 30, tzinfo=UTC)),
        ("2026-03-01T20:30:00-05:00", datetime(2026, 3, 2, 1, 30, tzinfo=UTC)),
        (
            "2026-03-02T01:30:00.5Z",
            datetime(2026, 3, 2, 1, 30, 0, 500_000, tzinfo=UTC),
        ),
        (
            "2026-03-02T01:30:00.123456789Z",
            datetime(2026, 3, 2, 1, 30, 0, 123_456, tzinfo=UTC),
        ),
        # A query string turns an unescaped + into a space.
        ("2026-03-02T09:30:00 08:00", datetime(2026, 3, 2, 1, 30, tzinfo=UTC)),
        (" 2026-03-02T09:30:00+08:00 ", datetime(2026, 3, 2, 1, 30, tzinfo=UTC)),
    ],
)
def test_open311_w3c_dates_with_an_offset_are_read(raw: str, instant: datetime) -> None:
    assert w3c.parse(raw) == instant


def test_open311_w3c_the_offset_is_kept() -> None:
    moment = w3c.parse("2026-03-02T09:30:00+05:45")

    assert moment.utcoffset() == timedelta(hours=5, minutes=45)


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        ("2026-03-02T09:30:00", "has no offset from UTC"),
        ("2026-03-02T09:30:00.25", "has no offset from UTC"),
        ("2026-03-02", "is a date without a time and an offset"),
        ("2026-03", "is a date without a time and an offset"),
        ("2026", "is a date without a time and an offset"),
        ("2026-03-02 09:30:00+08:00", "is not a W3C date and time"),
        ("2026-03-02T09:30:00+0800", "is not a W3C date and time"),
        ("1583580600", "is not a W3C date and time"),
        ("", "is not a W3C date and time"),
        ("2026-13-02T09:30:00Z", "names no such day or time"),
        ("2026-03-02T24:30:00Z", "names no such day or time"),
        ("2026-03-02T09:30:00+24:00", "names no such day or time"),
    ],
)
def test_open311_w3c_anything_else_is_refused_saying_why(raw: str, said: str) -> None:
    with pytest.raises(w3c.InvalidDate) as refused:
        w3c.parse(raw)

    assert said in str(refused.value)
    if said != "names no such day or time":
        assert "e.g. 2026-03-02T09:30:00+08:00" in str(refused.value)


def test_open311_w3c_instants_are_written_with_the_districts_offset() -> None:
    moment = datetime(2026, 3, 2, 1, 30, 15, 999_999, tzinfo=UTC)

    assert w3c.stamp(moment) == "2026-03-02T09:30:15+08:00"
    assert w3c.stamp(moment.astimezone(timezone(timedelta(hours=-5)))) == (
        "2026-03-02T09:30:15+08:00"
    )


def test_open311_w3c_a_naive_instant_is_not_written() -> None:
    with pytest.raises(ValueError, match="naive"):
        w3c.stamp(datetime(2026, 3, 2, 9, 30))  # noqa: DTZ001 - the case refused
