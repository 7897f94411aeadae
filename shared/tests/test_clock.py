"""The clocks: the system clock, the shared file-backed clock and the fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from minsheng_common.clock import (
    FixedClock,
    SharedClock,
    SystemClock,
    clock_from_file,
)
from minsheng_common.timeutil import SHANGHAI

# Generous: only guards against the offset being ignored, never a race.
SLACK = timedelta(seconds=30)


def close_to(moment: datetime, expected: datetime) -> bool:
    return abs(moment - expected) < SLACK


def test_system_clock_is_aware_utc() -> None:
    now = SystemClock().now()

    assert now.tzinfo is UTC
    assert close_to(now, datetime.now(UTC))


def test_shared_clock_without_a_file_is_the_system_clock(tmp_path: Path) -> None:
    clock = SharedClock(tmp_path / "clock.json")

    assert clock.offset() == timedelta(0)
    assert close_to(clock.now(), datetime.now(UTC))
    assert clock.now().tzinfo is UTC


def test_advance_is_seen_by_another_shared_clock_on_the_same_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "demo" / "clock.json"
    mover, watcher = SharedClock(path), SharedClock(path)
    assert watcher.offset() == timedelta(0)

    mover.advance(timedelta(days=2))

    assert watcher.offset() == timedelta(days=2)
    assert close_to(watcher.now(), datetime.now(UTC) + timedelta(days=2))


def test_advances_add_up_and_every_one_is_seen(tmp_path: Path) -> None:
    path = tmp_path / "clock.json"
    mover, watcher = SharedClock(path), SharedClock(path)

    for step in range(1, 6):
        mover.advance(timedelta(hours=1))
        assert watcher.offset() == timedelta(hours=step)

    # A third clock started later reads the file as it is now.
    assert SharedClock(path).offset() == timedelta(hours=5)


def test_advance_returns_the_new_now(tmp_path: Path) -> None:
    clock = SharedClock(tmp_path / "clock.json")

    moved = clock.advance(timedelta(hours=3))

    assert close_to(moved, datetime.now(UTC) + timedelta(hours=3))


def test_set_now_moves_every_shared_clock_to_the_moment(tmp_path: Path) -> None:
    path = tmp_path / "clock.json"
    mover, watcher = SharedClock(path), SharedClock(path)
    moment = datetime(2026, 10, 8, 9, 0, tzinfo=SHANGHAI)

    returned = mover.set_now(moment)

    assert close_to(returned, moment)
    assert close_to(watcher.now(), moment)
    assert watcher.now().tzinfo is UTC


def test_set_now_into_the_past_works(tmp_path: Path) -> None:
    path = tmp_path / "clock.json"
    moment = datetime(2020, 1, 1, tzinfo=UTC)

    SharedClock(path).set_now(moment)

    assert close_to(SharedClock(path).now(), moment)


def test_clock_file_is_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "clock.json"
    clock = SharedClock(path)

    for _ in range(3):
        clock.advance(timedelta(minutes=1))

    assert [p.name for p in tmp_path.iterdir()] == ["clock.json"]


def test_fixed_clock_stands_still_until_advanced() -> None:
    clock = FixedClock(datetime(2026, 10, 8, 9, 0, tzinfo=SHANGHAI))

    first, second = clock.now(), clock.now()
    advanced = clock.advance(timedelta(hours=2))

    assert first == second == datetime(2026, 10, 8, 1, 0, tzinfo=UTC)
    assert first.tzinfo is UTC
    assert advanced == clock.now() == datetime(2026, 10, 8, 3, 0, tzinfo=UTC)


def test_fixed_clock_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        FixedClock(datetime(2026, 10, 8, 9, 0))  # noqa: DTZ001 - naive on purpose


def test_clock_from_file(tmp_path: Path) -> None:
    shared = clock_from_file(tmp_path / "clock.json")

    assert isinstance(shared, SharedClock)
    assert shared.path == tmp_path / "clock.json"
    assert isinstance(clock_from_file(None), SystemClock)
