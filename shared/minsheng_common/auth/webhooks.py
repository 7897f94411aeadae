"""Signed webhooks: a pushed request is taken only if it carries a valid HMAC of its
timestamp and body, made within a short window, and never seen before.

Header `X-Minsheng-Timestamp`: Unix seconds. Header `X-Minsheng-Signature`:
`sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with the shared secret>`.
Channels with their own scheme (WeChat's token signature) verify that scheme and use
the same window and replay record.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime, timedelta

from minsheng_common.errors import MinshengError

TIMESTAMP_HEADER = "X-Minsheng-Timestamp"
SIGNATURE_HEADER = "X-Minsheng-Signature"
WINDOW = timedelta(minutes=5)


class BadSignature(MinshengError):
    status_code = 401
    code = "bad_signature"


class StaleRequest(MinshengError):
    """Signed outside the time window: possibly a replay of an old request."""

    status_code = 401
    code = "stale_request"


class ReplayedRequest(MinshengError):
    """The same signed request arrived before."""

    status_code = 409
    code = "replayed_request"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(
    *,
    secrets: Sequence[str],
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: datetime,
    window: timedelta = WINDOW,
) -> str:
    """Check a pushed request; return the signature (the replay key) or raise.

    Several secrets may be given so a channel's secret can be rotated.
    """
    if not timestamp or not signature:
        raise BadSignature(
            f"{TIMESTAMP_HEADER} and {SIGNATURE_HEADER} headers are required",
            field=SIGNATURE_HEADER,
        )
    try:
        sent = int(timestamp)
    except ValueError:
        raise BadSignature(
            "the timestamp is not Unix seconds", field=TIMESTAMP_HEADER
        ) from None
    if abs(now.timestamp() - sent) > window.total_seconds():
        raise StaleRequest(
            "the request was signed outside the accepted time window",
            field=TIMESTAMP_HEADER,
        )
    if not any(hmac.compare_digest(sign(s, sent, body), signature) for s in secrets):
        raise BadSignature(
            "the signature does not match the body", field=SIGNATURE_HEADER
        )
    return signature
