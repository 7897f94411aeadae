"""The clock every service reads "now" from.

Production uses the system clock. Tests and demos use a `SharedClock`: the real time
plus an offset kept in a small JSON file, so moving the offset forward moves "now" for
every service process at once (a deadline two working days away can be reached in a
second).
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current instant, always timezone-aware UTC."""

    def now(self) -> datetime: ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class SharedClock:
    """The system clock shifted by an offset stored in a file that many processes read.

    The file is re-read only when it was replaced (each write renames a new file into
    place, so the inode changes even when two writes share a coarse mtime), so `now()`
    costs one `stat` call.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._seen: tuple[int, int] | None = None
        self._offset = timedelta(0)

    @property
    def path(self) -> Path:
        return self._path

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset()

    def offset(self) -> timedelta:
        try:
            status = self._path.stat()
        except FileNotFoundError:
            return timedelta(0)
        seen = (status.st_ino, status.st_mtime_ns)
        if seen != self._seen:
            self._offset = _read_offset(self._path)
            self._seen = seen
        return self._offset

    def advance(self, delta: timedelta) -> datetime:
        """Move "now" forward by `delta` for every process sharing the file."""
        _write_offset(self._path, _read_offset(self._path) + delta)
        return self.now()

    def set_now(self, moment: datetime) -> datetime:
        """Make "now" equal `moment` (aware) for every process sharing the file."""
        _write_offset(self._path, moment.astimezone(UTC) - datetime.now(UTC))
        return self.now()


class FixedClock:
    """A clock that stands still until told to move; for unit tests."""

    def __init__(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._now = moment.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now


def _read_offset(path: Path) -> timedelta:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return timedelta(0)
    return timedelta(seconds=float(raw.get("offset_seconds", 0.0)))


def _write_offset(path: Path, offset: timedelta) -> None:
    # Write to a sibling file and rename, so a reader never sees half a file.
    path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"offset_seconds": offset.total_seconds()})
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".clock-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(body)
    os.replace(tmp, path)


def clock_from_file(path: Path | None) -> Clock:
    """The shared clock when a clock file is configured, else the system clock."""
    return SharedClock(path) if path is not None else SystemClock()
