"""Signed webhooks: tampered, stale and unsigned requests are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from minsheng_common.auth import webhooks

NOW = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
SECRET = "forum-shared-secret"
BODY = '{"message_id": "1", "title": "路灯不亮"}'.encode()


def check(**changes: object) -> str:
    stamp = int(NOW.timestamp())
    options: dict[str, object] = {
        "secrets": [SECRET],
        "timestamp": str(stamp),
        "signature": webhooks.sign(SECRET, stamp, BODY),
        "body": BODY,
        "now": NOW,
    }
    options.update(changes)
    return webhooks.verify(**options)  # type: ignore[arg-type]


def test_a_correctly_signed_request_is_taken() -> None:
    assert check().startswith("sha256=")


def test_a_tampered_body_is_refused() -> None:
    with pytest.raises(webhooks.BadSignature):
        check(body=BODY.replace("路灯".encode(), "水管".encode()))


def test_a_wrong_secret_is_refused() -> None:
    stamp = int(NOW.timestamp())
    with pytest.raises(webhooks.BadSignature):
        check(signature=webhooks.sign("guess", stamp, BODY))


def test_missing_headers_are_refused() -> None:
    with pytest.raises(webhooks.BadSignature):
        check(signature=None)


@pytest.mark.parametrize("skew", [timedelta(minutes=6), timedelta(minutes=-6)])
def test_a_request_signed_outside_the_window_is_refused(skew: timedelta) -> None:
    with pytest.raises(webhooks.StaleRequest):
        check(now=NOW + skew)


def test_a_rotated_secret_list_accepts_both() -> None:
    assert check(secrets=["new-secret", SECRET])
