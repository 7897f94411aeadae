"""The embedded default (SQLite stores under the data folder) runs the same flow."""

from __future__ import annotations

import json

import pytest

from minsheng_common.devstack.stack import Stack
from tests.e2e.support import get, post, wait_until

pytestmark = pytest.mark.smoke

SAMPLE = 120


def test_the_sample_flows_through_every_service_on_sqlite(sqlite_stack: Stack) -> None:
    answer = post(
        sqlite_stack, "forum", "/v1/replay", {"compression": 1e9, "limit": SAMPLE}
    )
    assert answer.status_code == 202, answer.text

    wait_until(lambda: get(sqlite_stack, "forum", "/v1/stats")["pending"] == 0, 120)
    stats = get(sqlite_stack, "forum", "/v1/stats")
    counts = get(sqlite_stack, "intake", "/v1/appeal-counts")
    assert stats["delivered"] == SAMPLE
    # A row the forum had already sent (same message id) adds no appeal.
    assert counts["total"] == SAMPLE - stats["already_received"]
    assert counts["filed"] > 0 and counts["rejected"] > 0

    def analytics_caught_up() -> bool:
        totals = get(sqlite_stack, "analytics", "/v1/kpis")["totals"]
        return (
            totals["received"] == counts["total"]
            and totals["filed"] == counts["filed"]
            and totals["dispatched"] == counts["filed"]
        )

    wait_until(analytics_caught_up, 60)

    appeal = get(sqlite_stack, "intake", "/v1/appeals", decision="filed", limit=1)
    appeal_id = appeal["items"][0]["id"]
    orders = get(sqlite_stack, "dispatch", "/v1/work-orders", appeal_id=appeal_id)
    order = (orders["items"] if isinstance(orders, dict) else orders)[0]
    signed = post(
        sqlite_stack,
        "dispatch",
        f"/v1/work-orders/{order['id']}/sign",
        {
            "signed_by": "clerk-smoke",
            "acceptance_notice": {"accepted": True, "message": "已受理。"},
        },
        key=sqlite_stack.credentials.unit_key(order["unit_id"]),  # type: ignore[union-attr]
    )
    assert signed.status_code == 200, signed.text

    def notice_file() -> list[str]:
        mailbox = sqlite_stack.data_dir / "mailbox"
        return [p.read_text(encoding="utf-8") for p in mailbox.glob("*.json")]

    wait_until(notice_file, 30)
    message = json.loads(notice_file()[0])
    tracking_code = appeal["items"][0]["tracking_code"]
    assert tracking_code in json.dumps(message, ensure_ascii=False)
