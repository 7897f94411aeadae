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

    tracking_code = appeal["items"][0]["tracking_code"]

    def acceptance_notice() -> list[dict[str, object]]:
        # Rejection notices of other sample messages share the mailbox.
        mailbox = sqlite_stack.data_dir / "mailbox"
        messages = [
            json.loads(p.read_text(encoding="utf-8")) for p in mailbox.glob("*.json")
        ]
        return [
            m
            for m in messages
            if m["appeal_id"] == appeal_id and m["kind"] == "acceptance"
        ]

    wait_until(acceptance_notice, 30)
    message = acceptance_notice()[0]
    assert tracking_code in json.dumps(message, ensure_ascii=False)
