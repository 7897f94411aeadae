"""UTC in stores, Asia/Shanghai on screen."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from minsheng_common.timeutil import SHANGHAI, as_utc, format_local, local


def test_a_naive_time_is_read_as_shanghai_wall_clock() -> None:
    naive = datetime(2026, 12, 4, 9, 30)  # noqa: DTZ001 - the case under test
    assert as_utc(naive) == datetime(2026, 12, 4, 1, 30, tzinfo=UTC)


def test_an_aware_time_keeps_its_instant() -> None:
    moment = datetime(2026, 12, 4, 9, 30, tzinfo=SHANGHAI)
    assert as_utc(moment) == moment
    assert as_utc(moment).tzinfo is UTC


def test_local_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError):
        local(datetime(2026, 12, 4, 9, 30))  # noqa: DTZ001 - the case under test


def test_format_local_shows_shanghai_time_with_its_offset() -> None:
    moment = datetime(2026, 12, 3, 17, 5, tzinfo=UTC)
    assert format_local(moment) == "2026-12-04 01:05 (UTC+08:00)"
