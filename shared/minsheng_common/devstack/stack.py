"""Service processes on one machine, started from the launcher's configuration."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import httpx

from minsheng_common.auth.provisioning import DevCredentials, ensure_dev_credentials
from minsheng_common.reference import load_reference

# The channel each single-channel adapter submits as, unless <PREFIX>CHANNEL says
# otherwise.
FORUM_CHANNEL = "forum-people"
ADAPTER_CHANNELS = {
    "forum": FORUM_CHANNEL,
    "aivideo": "ai-video",
    "mailbox": "mailbox",
    "open311": "open311",
    "wechat": "wechat",
}
# The hotline adapter submits for each line's channel, hotline-<line>.
HOTLINE_LINES = ("12345", "12319", "28339260")
# The adapters that answer citizens on the embedded default, by the channels they
# answer: the Open311 server keeps its answers in its own update feed. WeChat,
# mailbox and forum answers need the channel's own servers, which an operator
# configures (NOTIFY_CHANNEL_REPLY_URLS and the adapter's settings).
ANSWERING: dict[str, tuple[str, ...]] = {"open311": ("open311",)}
# Every adapter that can take answers gets the secrets, so its answers route takes
# what notify signs (and refuses the rest) even where notify sends it nothing.
ANSWER_DESKS = frozenset({"forum", "mailbox", "open311", "wechat"})


@dataclass(frozen=True)
class ServiceSpec:
    """How to start one service: its module, port and environment prefix."""

    name: str
    module: str
    port: int
    env_prefix: str


@dataclass(frozen=True)
class StackConfig:
    broker_port: int
    services: tuple[ServiceSpec, ...]

    def spec(self, name: str) -> ServiceSpec:
        for service in self.services:
            if service.name == name:
                return service
        raise KeyError(name)


def load_stack_config(path: Path) -> StackConfig:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    services = tuple(
        ServiceSpec(
            name=name,
            module=entry["module"],
            port=int(entry["port"]),
            env_prefix=entry["env_prefix"],
        )
        for name, entry in raw["services"].items()
    )
    return StackConfig(broker_port=int(raw["broker"]["port"]), services=services)


@dataclass
class ServiceProcess:
    spec: ServiceSpec
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.spec.port}"

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own service module
                [sys.executable, "-m", self.spec.module, "serve"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_healthy(self, *, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                tail = self.log_path.read_text(encoding="utf-8", errors="replace")[
                    -3000:
                ]
                raise RuntimeError(f"{self.spec.name} exited at start:\n{tail}")
            try:
                if (
                    httpx.get(f"{self.base_url}/healthz", timeout=1.0).status_code
                    == 200
                ):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{self.spec.name} not healthy after {timeout}s")

    def stop(self, *, kill: bool = False) -> None:
        self.signal_stop(kill=kill)
        self.wait_stopped()

    def signal_stop(self, *, kill: bool = False) -> None:
        """Ask the process to end (SIGTERM: finish requests, stop loops)."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)

    def wait_stopped(self, *, timeout: float = 20.0) -> None:
        """Wait for the process to end, killing it after `timeout` seconds."""
        if self.process is None:
            return
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


@dataclass
class Stack:
    """Every service of the configuration as a process, sharing one broker and clock."""

    config: StackConfig
    data_dir: Path
    bootstrap_servers: str
    common_env: Mapping[str, str] = field(default_factory=dict)
    database_urls: Mapping[str, str] = field(default_factory=dict)
    processes: dict[str, ServiceProcess] = field(default_factory=dict)
    credentials: DevCredentials | None = None

    @property
    def clock_file(self) -> Path:
        return self.data_dir / "clock.json"

    def environment_for(self, spec: ServiceSpec) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
                "MINSHENG_DATA_DIR": str(self.data_dir),
                "MINSHENG_CLOCK_FILE": str(self.clock_file),
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.common_env)
        env[f"{spec.env_prefix}PORT"] = str(spec.port)
        self._adapter_environment(spec, env)
        self._answer_environment(spec, env)
        if spec.name in self.database_urls:
            env[f"{spec.env_prefix}DATABASE_URL"] = self.database_urls[spec.name]
        return env

    def _adapter_environment(self, spec: ServiceSpec, env: dict[str, str]) -> None:
        """An adapter's key for each channel it submits for, and where intake is,
        unless the environment says otherwise."""
        prefix = spec.env_prefix
        if spec.name in ADAPTER_CHANNELS or spec.name == "hotline":
            intake = next((s for s in self.config.services if s.name == "intake"), None)
            if intake is not None:
                env.setdefault(f"{prefix}INTAKE_URL", f"http://127.0.0.1:{intake.port}")
        if self.credentials is None:
            return
        if spec.name in ADAPTER_CHANNELS:
            channel = env.get(f"{prefix}CHANNEL", ADAPTER_CHANNELS[spec.name])
            env.setdefault(
                f"{prefix}INTAKE_API_KEY", self.credentials.channel_key(channel)
            )
        if spec.name == "hotline":
            keys = {
                line: self.credentials.channel_key(f"hotline-{line}")
                for line in HOTLINE_LINES
            }
            env.setdefault("HOTLINE_INTAKE_API_KEYS", json.dumps(keys))
        if spec.name == "forum":
            polled = {str(source["channel"]) for source in forum_sources(env)}
            keys = {
                channel: self.credentials.channel_key(channel)
                for channel in sorted(polled)
                if f"channel:{channel}" in self.credentials.keys
            }
            if keys:
                env.setdefault("FORUM_INTAKE_API_KEYS", json.dumps(keys))

    def _answer_environment(self, spec: ServiceSpec, env: dict[str, str]) -> None:
        """Notify hands answers to the adapters that answer (`ANSWERING`, and the
        forum for each source of FORUM_SOURCES with a reply URL) and takes their
        receipts, signed with this data folder's own secrets, which every adapter
        of `ANSWER_DESKS` is given; what the environment sets stays, and its maps
        are added to."""
        if spec.name == "notify":
            self._notify_answer_environment(env)
        elif spec.name in ANSWER_DESKS:
            self._desk_answer_environment(spec, env)

    def _notify_answer_environment(self, env: dict[str, str]) -> None:
        answering = self._answering(env)
        if not answering:
            return
        made_answers, made_receipts = self.local_answer_secrets
        urls = {
            channel: f"http://127.0.0.1:{self.config.spec(name).port}"
            f"/v1/answers/{channel}"
            for name, channels in answering.items()
            for channel in channels
        }
        receipts = {f"reply:{channel}": made_receipts for channel in urls}
        env["NOTIFY_CHANNEL_REPLY_URLS"] = _merged(
            env, "NOTIFY_CHANNEL_REPLY_URLS", urls
        )
        env["NOTIFY_RECEIPT_SECRETS"] = _merged(env, "NOTIFY_RECEIPT_SECRETS", receipts)
        env.setdefault("NOTIFY_CHANNEL_REPLY_SECRET", made_answers)

    def _desk_answer_environment(self, spec: ServiceSpec, env: dict[str, str]) -> None:
        made_answers, made_receipts = self.local_answer_secrets
        prefix = spec.env_prefix
        env.setdefault(
            f"{prefix}ANSWER_SECRETS",
            env.get("NOTIFY_CHANNEL_REPLY_SECRET") or made_answers,
        )
        env.setdefault(f"{prefix}NOTIFY_RECEIPT_SECRET", made_receipts)
        notify = next((s for s in self.config.services if s.name == "notify"), None)
        if notify is not None:
            env.setdefault(f"{prefix}NOTIFY_URL", f"http://127.0.0.1:{notify.port}")

    @cached_property
    def local_answer_secrets(self) -> tuple[str, str]:
        """This data folder's answer and receipt secrets, read once for every
        service the stack starts."""
        return answer_secrets(self.data_dir)

    def _answering(self, env: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
        running = {s.name for s in self.config.services}
        answering: dict[str, tuple[str, ...]] = {
            n: c for n, c in ANSWERING.items() if n in running
        }
        forums = tuple(
            dict.fromkeys(
                str(source["channel"])
                for source in forum_sources(env)
                if source.get("reply_url")
            )
        )
        if forums and "forum" in running:
            answering["forum"] = forums
        return answering

    def start(self) -> None:
        """Create the local development credentials if needed, give the adapters
        their keys, and start every service."""
        reference_file = self.common_env.get("MINSHENG_REFERENCE_FILE")
        reference = load_reference(Path(reference_file) if reference_file else None)
        self.credentials = ensure_dev_credentials(self.data_dir, reference)
        for spec in self.config.services:
            process = ServiceProcess(
                spec=spec,
                env=self.environment_for(spec),
                log_path=self.data_dir / "logs" / f"{spec.name}.log",
            )
            process.start()
            self.processes[spec.name] = process
        for process in self.processes.values():
            process.wait_healthy()

    def url(self, name: str) -> str:
        return self.processes[name].base_url

    def stop(self) -> None:
        # Every service is asked at once, so stopping takes as long as the slowest
        # one rather than the sum of them all.
        processes = list(reversed(self.processes.values()))
        for process in processes:
            process.signal_stop()
        for process in processes:
            process.wait_stopped()


def answer_secrets(data_dir: Path) -> tuple[str, str]:
    """The secrets notify signs answers with and the adapters sign their receipts
    with on this machine: made once, kept in `<data_dir>/answer-secrets.json`
    (0600), never used in production."""
    path = data_dir / "answer-secrets.json"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        made = {
            "answers": secrets.token_urlsafe(32),
            "receipts": secrets.token_urlsafe(32),
        }
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(made, handle)
    kept = json.loads(path.read_text(encoding="utf-8"))
    return str(kept["answers"]), str(kept["receipts"])


def forum_sources(env: Mapping[str, str]) -> list[dict[str, object]]:
    """The forums the forum adapter polls (its FORUM_SOURCES), as far as the
    launcher needs them; none when unset or unreadable (the adapter says why)."""
    try:
        sources = json.loads(env.get("FORUM_SOURCES") or "[]")
    except ValueError:
        return []
    if not isinstance(sources, list):
        return []
    return [s for s in sources if isinstance(s, dict) and "channel" in s]


def _merged(env: Mapping[str, str], name: str, made: Mapping[str, str]) -> str:
    """The JSON map `name` of the environment with `made` under it: what the
    environment gives wins."""
    try:
        given = json.loads(env.get(name) or "{}")
    except ValueError:
        given = None
    if not isinstance(given, dict):
        return env.get(name) or json.dumps(dict(made))
    return json.dumps({**made, **given})
