"""What the deployment tests share: the services to deploy, read from the one list
the launcher keeps (deploy/local/stack.toml), and a container's environment as
compose or Kubernetes would give it.

A service added to stack.toml is checked everywhere here with no other change to
the tests: its Dockerfile, its compose entries and its manifests must then exist.
"""

from __future__ import annotations

import base64
import contextlib
import importlib
import inspect
import os
import re
import secrets
import shlex
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from unittest import mock

from cryptography.fernet import Fernet
from dockerfile_parse import DockerfileParser
from fastapi import FastAPI

from minsheng_common.devstack.stack import ServiceSpec, load_stack_config
from minsheng_common.settings import ServiceSettings

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
DOCKER = DEPLOY / "docker"
K8S = DEPLOY / "k8s"
COMPOSE_FILE = DEPLOY / "docker-compose.yml"
ENV_EXAMPLE = DEPLOY / ".env.example"

CREDENTIALS_DIR = "/etc/minsheng/credentials"
DATA_DIR = "/srv/minsheng/data"
PROBES = ("/healthz", "/readyz", "/metrics")


@dataclass(frozen=True)
class Deployed:
    """One service or adapter as the deployment sees it."""

    spec: ServiceSpec

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def port(self) -> int:
        return self.spec.port

    @property
    def prefix(self) -> str:
        return self.spec.env_prefix

    @property
    def package_dir(self) -> Path:
        """The folder of the service's pyproject.toml (intake-svc, services/forum)."""
        module = importlib.import_module(self.spec.module)
        return Path(inspect.getfile(module)).resolve().parents[1]

    @property
    def pyproject(self) -> dict[str, Any]:
        text = (self.package_dir / "pyproject.toml").read_text(encoding="utf-8")
        return tomllib.loads(text)

    @property
    def settings_class(self) -> type[ServiceSettings]:
        """The service's settings: the ServiceSettings subclass of its settings
        module that carries its name."""
        module = importlib.import_module(f"{self.spec.module}.settings")
        found = [
            value
            for value in vars(module).values()
            if inspect.isclass(value)
            and issubclass(value, ServiceSettings)
            and value.__module__ == module.__name__
            and value.service_name == self.name
        ]
        assert len(found) == 1, f"{module.__name__} has no settings named {self.name}"
        return found[0]

    @property
    def app_factory(self) -> Callable[[ServiceSettings], FastAPI]:
        module = importlib.import_module(f"{self.spec.module}.app")
        factory: Callable[[ServiceSettings], FastAPI] = module.create_app
        return factory

    @property
    def dockerfile(self) -> Path:
        return DOCKER / f"{self.name}.Dockerfile"


@cache
def deployed() -> tuple[Deployed, ...]:
    config = load_stack_config(DEPLOY / "local" / "stack.toml")
    return tuple(Deployed(spec) for spec in config.services)


def service_ids() -> list[str]:
    return [service.name for service in deployed()]


def by_name(name: str) -> Deployed:
    return next(service for service in deployed() if service.name == name)


# --- Dockerfiles --------------------------------------------------------------------


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, value) of each instruction, continuation lines joined."""
    parser = DockerfileParser(path=str(path))
    return [
        (item["instruction"], item["value"])
        for item in parser.structure
        if item["instruction"] != "COMMENT"
    ]


def image_environment(path: Path) -> dict[str, str]:
    """The ENV a container of the image starts with: the base image's, then the
    Dockerfile's own."""
    found: dict[str, str] = {}
    for dockerfile in (DOCKER / "base.Dockerfile", path):
        for instruction, value in instructions(dockerfile):
            if instruction == "ENV":
                for pair in shlex.split(value):
                    key, _, given = pair.partition("=")
                    found[key] = given
    return found


# --- the environment file and interpolation ----------------------------------------

ANSWER_SECRET = secrets.token_urlsafe(48)
ANSWER_RECEIPT_SECRET = secrets.token_urlsafe(48)
PLACEHOLDERS: dict[str, Callable[[], str]] = {
    "<password>": lambda: secrets.token_hex(24),
    "<secret>": lambda: secrets.token_urlsafe(48),
    "<api-key>": lambda: secrets.token_urlsafe(32),
    "<fernet-key>": lambda: Fernet.generate_key().decode(),
    # The WeChat official account's: a token of at most 32 letters or digits, an
    # EncodingAESKey of 43 Base64 characters, an AppID.
    "<wechat-token>": lambda: secrets.token_hex(16),
    "<encoding-aes-key>": lambda: (
        base64.b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    ),
    "<app-id>": lambda: f"wx{secrets.token_hex(8)}",
    # One secret shared by notify and the adapters: the same value wherever it
    # appears in one environment.
    "<answer-secret>": lambda: ANSWER_SECRET,
    "<answer-receipt-secret>": lambda: ANSWER_RECEIPT_SECRET,
}


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as compose reads them; a single-quoted value is literal."""
    values: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def filled(values: Mapping[str, str]) -> dict[str, str]:
    """The values with every placeholder replaced as an operator would, each
    occurrence with a fresh secret of its kind."""
    pattern = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS))
    return {
        key: pattern.sub(lambda match: PLACEHOLDERS[match.group()](), value)
        for key, value in values.items()
    }


_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>\w+))"
)


def referenced(text: str) -> set[str]:
    """The variables a compose value interpolates."""
    return {
        match.group("name") or match.group("bare")
        for match in _VARIABLE.finditer(text)
        if not match.group("escaped")
    }


def interpolate(text: str, values: Mapping[str, str]) -> str:
    """Compose's interpolation: $$, ${VAR}, ${VAR:-default}, ${VAR:?error}."""

    def replace(match: re.Match[str]) -> str:
        if match.group("escaped"):
            return "$"
        name = match.group("name") or match.group("bare")
        op, arg = match.group("op"), match.group("arg")
        given = values.get(name)
        empty = given is None or (given == "" and op is not None and op[0] == ":")
        if not empty:
            return given or ""
        if op is not None and op.endswith("-"):
            return arg or ""
        if op is not None and op.endswith("?"):
            raise KeyError(f"{name}: {arg}")
        return ""

    return _VARIABLE.sub(replace, text)


# --- starting a service's app the way the container would ---------------------------


@contextlib.contextmanager
def container_environment(
    env: Mapping[str, str], *, tmp_path: Path
) -> Iterator[dict[str, str]]:
    """The process environment set to exactly `env`, with the paths that are volumes
    in the container (data folder, credentials) moved under `tmp_path`; the
    credentials file gets a valid, empty set of credentials."""
    local = dict(env)
    credentials = local.get("MINSHENG_CREDENTIALS_FILE", "")
    assert credentials.startswith(f"{CREDENTIALS_DIR}/"), credentials
    credentials_file = tmp_path / "credentials" / Path(credentials).name
    credentials_file.parent.mkdir(parents=True, exist_ok=True)
    credentials_file.write_text('{"api_keys": [], "users": []}', encoding="utf-8")
    local["MINSHENG_CREDENTIALS_FILE"] = str(credentials_file)
    assert local.get("MINSHENG_DATA_DIR") == DATA_DIR
    local["MINSHENG_DATA_DIR"] = str(tmp_path / "data")
    with mock.patch.dict(os.environ, local, clear=True):
        yield local


def start_checks(service: Deployed, env: Mapping[str, str], tmp_path: Path) -> FastAPI:
    """Build the service's app from `env` as `serve` does: every check production
    makes at start (secrets, keys, credentials file, adapters' settings) runs."""
    with container_environment(env, tmp_path=tmp_path):
        settings = service.settings_class()
        assert settings.is_production
        return service.app_factory(settings)
