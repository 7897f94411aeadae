"""The machinery every channel adapter shares: the backoff between tries, the key
each channel's appeals go with, reading and signing a push, and what the launcher
gives each adapter."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import BaseModel, Field

from minsheng_common.adapters import push, receipts
from minsheng_common.adapters.delivery import Backoff
from minsheng_common.adapters.errors import WebhookNotConfigured
from minsheng_common.adapters.intake import IntakeKey, IntakeKeys
from minsheng_common.auth import webhooks
from minsheng_common.auth.provisioning import DevCredentials
from minsheng_common.devstack.stack import ServiceSpec, Stack, StackConfig
from minsheng_common.errors import InvalidInput

NOW = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)


def test_backoff_doubles_and_is_capped() -> None:
    backoff = Backoff(base_seconds=0.5, cap_seconds=30)

    delays = [backoff.delay(n).total_seconds() for n in (1, 2, 3, 6, 7, 50)]

    assert delays == [0.5, 1.0, 2.0, 16.0, 30.0, 30.0]


def test_each_channel_has_its_key_and_the_rest_the_default() -> None:
    keys = IntakeKeys(
        default=IntakeKey(None, "X_INTAKE_API_KEYS"),
        by_channel={"hotline-12345": IntakeKey("ms_k12345_s", 'X["12345"]')},
    )

    assert keys.for_channel("hotline-12345").value == "ms_k12345_s"
    assert keys.for_channel("hotline-12319").label == (
        "no key (X_INTAKE_API_KEYS is not set)"
    )
    assert keys.for_channel("hotline-12345").label == 'key k12345 (X["12345"])'


class Reading(BaseModel):
    meter: str = Field(pattern=r"^[A-Z0-9-]+$")
    values: list[int]


class BadReading(InvalidInput):
    code = "bad_reading"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"meter": "M-1", "values": [1, "x"]}', "values.1"),
        (b'{"meter": "m 1", "values": []}', "meter"),
        (b"[1, 2", "body"),
    ],
)
def test_a_pushed_body_is_refused_naming_the_field_at_fault(
    body: bytes, field: str
) -> None:
    with pytest.raises(BadReading) as refused:
        push.parse(Reading, body, error=BadReading)

    assert refused.value.field == field
    assert refused.value.status_code == 422


def test_signed_headers_carry_a_signature_the_channel_check_accepts() -> None:
    body = b'{"meter": "M-1", "values": [3]}'

    headers = push.signed_headers("s" * 40, body, at=NOW)

    assert webhooks.verify(
        secrets=["s" * 40],
        timestamp=headers[webhooks.TIMESTAMP_HEADER],
        signature=headers[webhooks.SIGNATURE_HEADER],
        body=body,
        now=NOW,
    )


def test_a_push_without_a_secret_is_not_configured() -> None:
    pushed = push.Pushed(body=b"{}", timestamp="1", signature="x", now=NOW)

    with pytest.raises(WebhookNotConfigured, match="X_WEBHOOK_SECRETS is not set"):
        push.verify(pushed, secrets=[], setting="X_WEBHOOK_SECRETS")


def test_each_adapters_receipts_table_gets_its_own_index() -> None:
    first, second = receipts.table_args(), receipts.table_args()

    assert first[0] is not second[0]
    assert first[0].name == second[0].name == "ix_webhook_receipts_received_at"


def test_the_launcher_gives_each_adapter_its_keys_and_intakes_address(
    tmp_path: Path,
) -> None:
    specs = tuple(
        ServiceSpec(name, f"minsheng_{name}", port, f"{name.upper()}_")
        for name, port in (("intake", 9001), ("hotline", 9012), ("aivideo", 9013))
    )
    stack = Stack(
        config=StackConfig(broker_port=9092, services=specs),
        data_dir=tmp_path,
        bootstrap_servers="127.0.0.1:9092",
    )
    channels = ["hotline-12345", "hotline-12319", "hotline-28339260", "ai-video"]
    stack.credentials = DevCredentials(
        keys={f"channel:{c}": f"ms_{c}_secret" for c in channels}, passwords={}
    )

    hotline = stack.environment_for(stack.config.spec("hotline"))
    aivideo = stack.environment_for(stack.config.spec("aivideo"))

    assert json.loads(hotline["HOTLINE_INTAKE_API_KEYS"]) == {
        "12345": "ms_hotline-12345_secret",
        "12319": "ms_hotline-12319_secret",
        "28339260": "ms_hotline-28339260_secret",
    }
    assert aivideo["AIVIDEO_INTAKE_API_KEY"] == "ms_ai-video_secret"
    assert hotline["HOTLINE_INTAKE_URL"] == "http://127.0.0.1:9001"
    assert aivideo["AIVIDEO_PORT"] == "9013"
