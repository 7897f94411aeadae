"""A snapshot is a picture by its first bytes, whatever its name or its server
says; and the adapter's migration creates exactly the tables its models describe."""

from __future__ import annotations

from pathlib import Path

import pytest

from minsheng_aivideo import snapshots
from minsheng_aivideo.app import MIGRATIONS
from minsheng_aivideo.models import Base
from minsheng_common.bus.tables import bus_metadata
from tests.adapter_support import schema_drift


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", ("image/jpeg", "jpg")),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ("image/png", "png")),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", ("image/webp", "webp")),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),
        (b"GIF89a\x01\x00", None),
        (b"<html><body>", None),
        (b"", None),
    ],
)
def test_aivideo_a_picture_is_told_by_its_first_bytes(
    head: bytes, kind: tuple[str, str] | None
) -> None:
    assert snapshots._kind(head) == kind


def test_aivideo_migrations_match_the_models(tmp_path: Path) -> None:
    drift = schema_drift(
        MIGRATIONS, [Base.metadata, bus_metadata], tmp_path / "aivideo.db"
    )

    assert drift == []
