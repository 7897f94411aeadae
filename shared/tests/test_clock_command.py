"""The command that moves the shared demo clock."""

from __future__ import annotations

import argparse
from datetime import timedelta

import pytest

from minsheng_common.devstack.clock import parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", timedelta(minutes=90)),
        ("2h", timedelta(hours=2)),
        ("3d", timedelta(days=3)),
        ("1d2h30m", timedelta(days=1, hours=2, minutes=30)),
        ("1.5h", timedelta(minutes=90)),
    ],
)
def test_durations_are_read_as_people_write_them(
    text: str, expected: timedelta
) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "2", "h", "2 h", "2x", "-1h"])
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_duration(text)
