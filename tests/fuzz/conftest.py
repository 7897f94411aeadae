"""Every service as a real process on the embedded default, for fuzzing its API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from minsheng_common.devstack.broker import free_port
from minsheng_common.devstack.stack import Stack
from tests.e2e.support import start_stack


@pytest.fixture(scope="session")
def fuzz_stack(
    broker: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    stack = start_stack(
        data_dir=tmp_path_factory.mktemp("fuzz-stack"),
        bootstrap=broker,
        topic_prefix=f"fuzz{free_port()}.",
        # The fuzzer is one caller sending far more than any real one.
        extra_env={
            "MINSHENG_RATE_LIMIT_PER_MINUTE": "100000",
            "FORUM_WEBHOOK_SECRETS": "fuzz-webhook-secret-fuzz-webhook-secret",
            "NOTIFY_SMS_REPLY_SECRETS": "fuzz-reply-secret-fuzz-reply-secret",
        },
    )
    yield stack
    stack.stop()
