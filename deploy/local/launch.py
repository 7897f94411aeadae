"""Run the whole suite on this machine: `make run`.

Starts the embedded Kafka-protocol broker (unless KAFKA_BOOTSTRAP_SERVERS names one),
every service and adapter with SQLite stores under the data folder (unless
<PREFIX>_DATABASE_URL names another store), replays the real forum sample on the demo
clock, and prints where to look. Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

import httpx

from minsheng_common.devstack.broker import EmbeddedBroker, free_port
from minsheng_common.devstack.stack import Stack, load_stack_config

HERE = Path(__file__).resolve().parent
PROGRESS_EVERY = 10.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path(".data"))
    parser.add_argument(
        "--compression",
        type=float,
        default=500_000.0,
        help="how many times faster than real life the sample arrives (default 500000: "
        "the sample's nine years pass in about ten minutes)",
    )
    parser.add_argument(
        "--no-replay", action="store_true", help="start without the sample"
    )
    arguments = parser.parse_args()

    config = load_stack_config(HERE / "stack.toml")
    data_dir = arguments.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    broker = None
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if not bootstrap:
        port = config.broker_port if _port_free(config.broker_port) else free_port()
        broker = EmbeddedBroker(port, log_file=data_dir / "logs" / "broker.log")
        (data_dir / "logs").mkdir(parents=True, exist_ok=True)
        broker.start()
        bootstrap = broker.bootstrap_servers
        print(f"broker     embedded Kafka-protocol broker on {bootstrap} (memory only)")

    common_env = {
        "MINSHENG_ENVIRONMENT": os.environ.get("MINSHENG_ENVIRONMENT", "demo")
    }
    if broker is not None:
        # The embedded broker starts empty every time, while the stores under the
        # data folder persist: every service sends its retained events again, and
        # the inboxes skip what was already applied.
        common_env["MINSHENG_REPUBLISH_ON_START"] = "true"
    stack = Stack(
        config=config,
        data_dir=data_dir,
        bootstrap_servers=bootstrap,
        common_env=common_env,
    )
    try:
        stack.start()
        _wait_ready(stack)
        _print_where_to_look(stack, data_dir)
        if not arguments.no_replay:
            _replay(stack, arguments.compression)
        _follow(stack)
    except KeyboardInterrupt:
        print("\nstopping…")
    finally:
        stack.stop()
        if broker is not None:
            broker.stop()
    return 0


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def _wait_ready(stack: Stack, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    for name in stack.processes:
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{stack.url(name)}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise SystemExit(f"{name} is not ready; see {stack.data_dir / 'logs'}")


def _print_where_to_look(stack: Stack, data_dir: Path) -> None:
    print()
    for name in stack.processes:
        print(f"{name:<10} {stack.url(name)}/docs")
    print()
    print(f"dashboard  {stack.url('analytics')}/")
    print(f"mailbox    {data_dir / 'mailbox'}  (every notice sent, one file each)")
    print(f"logs       {data_dir / 'logs'}")
    print(
        f"secrets    {data_dir / 'secrets.json'}  (local encryption and signing keys)"
    )
    print(
        f"sign-in    {data_dir / 'dev-credentials.json'}  (local API keys for every "
        "unit, channel and role; people: operator, supervisor, leader)"
    )
    print(
        f"clock      {stack.clock_file}  (move it: .venv/bin/python -m "
        f"minsheng_common.devstack.clock --file {stack.clock_file} advance 2h)"
    )
    print()


def _replay(stack: Stack, compression: float) -> None:
    answer = httpx.post(
        f"{stack.url('forum')}/v1/replay",
        json={"compression": compression},
        headers=_operator(stack),
        timeout=30,
    )
    answer.raise_for_status()
    print(f"replay     {answer.json()}")


def _operator(stack: Stack) -> dict[str, str]:
    """The launcher acts as a center operator with the local development key."""
    if stack.credentials is None:
        raise RuntimeError("the stack has not created its credentials")
    return {"X-API-Key": stack.credentials.keys["operator"]}


def _follow(stack: Stack) -> None:
    """Print one progress line every few seconds until interrupted."""
    print("following the flow (Ctrl-C stops everything)…")
    while True:
        time.sleep(PROGRESS_EVERY)
        try:
            headers = _operator(stack)
            forum = httpx.get(
                f"{stack.url('forum')}/v1/stats", headers=headers, timeout=5
            ).json()
            totals = httpx.get(
                f"{stack.url('analytics')}/v1/kpis", headers=headers, timeout=5
            ).json()["totals"]
        except (httpx.HTTPError, KeyError, ValueError) as error:
            print(f"progress   unavailable: {error!r}")
            continue
        print(
            f"progress   delivered {forum['delivered']}/{forum['total']}"
            f" · filed {totals['filed']} · not filed {totals['rejected']}"
            f" · work orders {totals['dispatched']} · signed {totals['signed']}"
            f" (by default {totals['signed_auto']})"
            f" · acceptance notices sent {totals['acceptance_notices_sent']}"
        )


if __name__ == "__main__":
    sys.exit(main())
