"""Helpers for running the suite as real processes in tests."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

from minsheng_common.devstack.broker import free_port
from minsheng_common.devstack.stack import Stack, StackConfig, load_stack_config

REPO = Path(__file__).resolve().parents[2]


def stack_config_on_free_ports() -> StackConfig:
    """The launcher's configuration with free ports, so a running `make run` and the
    tests never collide."""
    config = load_stack_config(REPO / "deploy" / "local" / "stack.toml")
    services = tuple(dataclasses.replace(s, port=free_port()) for s in config.services)
    return dataclasses.replace(config, services=services)


def start_stack(
    *,
    data_dir: Path,
    bootstrap: str,
    topic_prefix: str,
    database_urls: Mapping[str, str] | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> Stack:
    config = stack_config_on_free_ports()
    intake_url = f"http://127.0.0.1:{config.spec('intake').port}"
    stack = Stack(
        config=config,
        data_dir=data_dir,
        bootstrap_servers=bootstrap,
        common_env={
            "MINSHENG_ENVIRONMENT": "test",
            "MINSHENG_TOPIC_PREFIX": topic_prefix,
            "FORUM_INTAKE_URL": intake_url,
            "SLA_SCAN_INTERVAL_MS": "100",
            **(extra_env or {}),
        },
        database_urls=dict(database_urls or {}),
    )
    try:
        stack.start()
        wait_until(lambda: all(_ready(stack, name) for name in stack.processes), 60)
    except BaseException:
        stack.stop()
        raise
    return stack


def _ready(stack: Stack, name: str) -> bool:
    try:
        return httpx.get(f"{stack.url(name)}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def wait_until(
    condition: Callable[[], object], timeout: float, *, every: float = 0.2
) -> None:
    """Poll `condition` until it is truthy; fail with what it last returned."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout}s (last: {last!r})")


def operator_key(stack: Stack) -> str:
    assert stack.credentials is not None
    return stack.credentials.keys["operator"]


def get(
    stack: Stack, service: str, path: str, key: str | None = None, **params: Any
) -> Any:
    """GET as a center operator unless another key is given; fail on an error."""
    answer = httpx.get(
        f"{stack.url(service)}{path}",
        params=params,
        headers={"X-API-Key": key or operator_key(stack)},
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json()


def get_when_known(stack: Stack, service: str, path: str, **params: Any) -> Any:
    """GET as a center operator; None while the service answers 404 because the
    events that make the resource known have not reached it yet."""
    answer = httpx.get(
        f"{stack.url(service)}{path}",
        params=params,
        headers={"X-API-Key": operator_key(stack)},
        timeout=10,
    )
    if answer.status_code == 404:
        return None
    answer.raise_for_status()
    return answer.json()


def post(
    stack: Stack, service: str, path: str, body: dict[str, Any], key: str | None = None
) -> httpx.Response:
    """POST as a center operator unless another key is given."""
    return httpx.post(
        f"{stack.url(service)}{path}",
        json=body,
        headers={"X-API-Key": key or operator_key(stack)},
        timeout=10,
    )
