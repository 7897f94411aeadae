"""Reading a forum export (the packaged real sample by default) into messages."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path

from minsheng_forum import timestamps

SAMPLE_NAME = "labelled-messages"
"""The packaged sample: 495 real messages, see `data/SOURCE.md`."""

_SPACES = re.compile(r"[ \t\u3000\u00a0]+")


@dataclass(frozen=True)
class ForumMessage:
    """One row of the export, its text trimmed; `row` counts data rows from 1."""

    row: int
    message_id: str
    user_id: str
    title: str
    detail: str
    category_label: str
    posted_raw: str

    def posted_at(self) -> datetime:
        """When it was posted (aware), or `timestamps.UnparseableTime`."""
        return timestamps.parse(self.posted_raw)


def packaged_path() -> Path:
    """Where the packaged sample lies inside the installed package."""
    path = resources.files("minsheng_forum.data") / f"{SAMPLE_NAME}.csv"
    return Path(str(path))


def read(path: Path) -> list[ForumMessage]:
    """Every row of a forum export, in file order (blocking: call from a thread)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [
            ForumMessage(
                row=number,
                message_id=clean(record["message_id"]),
                user_id=clean(record["user_id"]),
                title=clean(record["title"]),
                detail=clean(record["detail"]),
                category_label=clean(record["category"]),
                posted_raw=record["posted_at"],
            )
            for number, record in enumerate(csv.DictReader(handle), start=1)
        ]


def clean(value: str | None) -> str:
    """Trim stray whitespace: line breaks, tabs, ideographic and no-break spaces at the
    ends of lines, runs of spaces and blank lines. The words are left alone."""
    if value is None:
        return ""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    lines = (_SPACES.sub(" ", line).strip() for line in value.split("\n"))
    return "\n".join(line for line in lines if line)
