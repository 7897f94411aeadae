"""The embedded broker keeps nothing across a restart; the stores do. Restarting the
suite must still deliver every event that a consumer had not read yet."""

from __future__ import annotations

from pathlib import Path

import pytest

from minsheng_common.devstack.broker import EmbeddedBroker
from tests.e2e.support import get, post, start_stack, wait_until

pytestmark = pytest.mark.smoke

APPEALS = 4


def appeal(number: int) -> dict[str, object]:
    return {
        "channel": "hotline-12345",
        "channel_ref": f"loss-{number}",
        "type": "complaint",
        "category_hint": "municipal-facilities",
        "title": "路灯不亮",
        # Different citizens: the same person reporting again would be a repeat.
        "content": f"龙田街道竹坑社区竹坑路{number + 1}号门前的路灯不亮，请尽快修复。",
        "contact": {"kind": "phone", "value": f"1390000111{number}"},
        "received_at": "2026-12-04T10:00:00+08:00",
    }


def test_events_a_consumer_missed_survive_a_broker_restart(tmp_path: Path) -> None:
    broker = EmbeddedBroker(log_file=tmp_path / "broker.log").start()
    env = {"MINSHENG_REPUBLISH_ON_START": "true"}
    stack = start_stack(
        data_dir=tmp_path,
        bootstrap=broker.bootstrap_servers,
        topic_prefix="",
        extra_env=env,
    )
    try:
        # Dispatch is down while appeals are filed: their events wait on the broker.
        stack.processes["dispatch"].stop()
        for number in range(APPEALS):
            assert (
                post(stack, "intake", "/v1/appeals", appeal(number)).status_code == 201
            )
        wait_until(
            lambda: get(stack, "analytics", "/v1/kpis")["totals"]["filed"] == APPEALS,
            30,
        )
    finally:
        stack.stop()

    broker.restart()
    stack = start_stack(
        data_dir=tmp_path,
        bootstrap=broker.bootstrap_servers,
        topic_prefix="",
        extra_env=env,
    )
    try:
        wait_until(
            lambda: get(stack, "dispatch", "/v1/work-orders")["total"] == APPEALS, 60
        )
        wait_until(
            lambda: (
                get(stack, "analytics", "/v1/kpis")["totals"]["dispatched"] == APPEALS
            ),
            30,
        )
        totals = get(stack, "analytics", "/v1/kpis")["totals"]
        assert totals["received"] == APPEALS
        assert totals["filed"] == APPEALS
    finally:
        stack.stop()
        broker.stop()
