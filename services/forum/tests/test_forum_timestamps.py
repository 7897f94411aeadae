"""Reading the forum's time stamps: every format in the sample, and liberal others."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from minsheng_common.timeutil import SHANGHAI
from minsheng_forum import sample, timestamps


def test_every_time_stamp_of_the_sample_is_read() -> None:
    messages = sample.read(sample.packaged_path())

    read = [timestamps.parse(message.posted_raw) for message in messages]

    assert len(read) == 495
    assert all(moment.utcoffset() == timedelta(hours=8) for moment in read)
    assert min(read) == datetime(2011, 5, 2, 15, 0, 19, tzinfo=SHANGHAI)
    assert max(read) == datetime(2020, 1, 7, 21, 31, 53, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2020/1/6 12:09:38", (2020, 1, 6, 12, 9, 38)),
        ("2019/12/10 9:05:01", (2019, 12, 10, 9, 5, 1)),
        ("2019/12/1 19:05:01", (2019, 12, 1, 19, 5, 1)),
        ("2019/2/15 9:05:01", (2019, 2, 15, 9, 5, 1)),
        ("2019-12-10 09:05", (2019, 12, 10, 9, 5)),
        ("2019-12-10T09:05:01", (2019, 12, 10, 9, 5, 1)),
        ("2019.12.10 9:05", (2019, 12, 10, 9, 5)),
        ("2019年12月10日 9:05:01", (2019, 12, 10, 9, 5, 1)),
        ("  2019/12/10 9:05:01\u3000", (2019, 12, 10, 9, 5, 1)),
        ("2019/12/10", (2019, 12, 10)),
        ("2019/12/10 9:05:01.25", (2019, 12, 10, 9, 5, 1, 250000)),
    ],
)
def test_a_stamp_without_offset_is_shanghai_time(
    raw: str, expected: tuple[int, ...]
) -> None:
    assert timestamps.parse(raw) == datetime(*expected, tzinfo=SHANGHAI)


def test_an_iso_stamp_with_an_offset_keeps_it() -> None:
    utc = timestamps.parse("2019-12-10T01:05:01Z")
    tokyo = timestamps.parse("2019-12-10T09:05:01+09:00")

    assert utc == datetime(2019, 12, 10, 1, 5, 1, tzinfo=UTC)
    assert tokyo.utcoffset() == timedelta(hours=9)


@pytest.mark.parametrize(
    "raw", ["", "   ", "昨天下午", "2020/2/30 10:00:00", "2020/1/6 25:00", "12/10/2019"]
)
def test_an_unreadable_stamp_raises_its_own_error(raw: str) -> None:
    with pytest.raises(timestamps.UnparseableTime):
        timestamps.parse(raw)
