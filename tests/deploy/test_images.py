"""The images, checked without a container engine: one Dockerfile per service on a
pinned base, non-root, only the common library and the service inside, a health
check on what the service serves, and `make images` saying plainly when no engine
is there."""

from __future__ import annotations

import glob
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.support import (
    DOCKER,
    REPO,
    Deployed,
    by_name,
    deployed,
    image_environment,
    instructions,
    service_ids,
)

DOCKERFILES = sorted(DOCKER.glob("*.Dockerfile"))


def test_every_service_has_a_dockerfile_besides_the_base() -> None:
    # A Dockerfile of a package not (yet) in stack.toml is allowed; one of a package
    # that is gone fails the COPY check below.
    names = {path.name.removesuffix(".Dockerfile") for path in DOCKERFILES}

    assert {"base", *service_ids()} <= names


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_every_copied_file_exists(dockerfile: Path) -> None:
    copies = [value for kind, value in instructions(dockerfile) if kind == "COPY"]
    assert copies
    for value in copies:
        words = shlex.split(value)
        if any(word.startswith("--from=") for word in words):
            continue  # from an earlier stage, not from the repository
        sources = [word for word in words if not word.startswith("--")][:-1]
        for source in sources:
            assert glob.glob(str(REPO / source)), f"{dockerfile.name}: {source}"


def test_the_base_is_a_pinned_python_and_runs_as_a_user() -> None:
    steps = instructions(DOCKER / "base.Dockerfile")
    [python] = [value for kind, value in steps if kind == "ARG"]

    # An exact release (3.11.x) or a digest, never a moving tag like 3.11-slim.
    assert re.fullmatch(
        r"PYTHON_IMAGE=python:3\.11\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", python
    )
    assert [value for kind, value in steps if kind == "USER"][-1] == "minsheng"
    assert any("useradd --system --uid 10001" in value for kind, value in steps)


@pytest.mark.parametrize("name", service_ids())
def test_a_service_image_holds_the_service_alone(name: str) -> None:
    service = by_name(name)
    steps = instructions(service.dockerfile)
    package = service.package_dir.relative_to(REPO).as_posix()
    copied = [
        shlex.split(value)[0]
        for kind, value in steps
        if kind == "COPY" and "--from=" not in value
    ]
    distribution = service.pyproject["project"]["name"]

    assert steps[1] == ("FROM", "${BASE_IMAGE} AS base")
    assert all(source.startswith(f"{package}/") for source in copied), copied
    assert f"{package}/{service.spec.module}" in copied
    assert any(
        kind == "RUN" and "pip install --no-index" in value and distribution in value
        for kind, value in steps
    )


@pytest.mark.parametrize("name", service_ids())
def test_a_service_image_serves_its_port_as_a_user_and_checks_its_health(
    name: str,
) -> None:
    service = by_name(name)
    steps = instructions(service.dockerfile)
    environment = image_environment(service.dockerfile)
    [entrypoint] = [value for kind, value in steps if kind == "ENTRYPOINT"]
    [healthcheck] = [value for kind, value in steps if kind == "HEALTHCHECK"]
    scripts = service.pyproject["project"]["scripts"]

    assert [value for kind, value in steps if kind == "USER"][-1] == "minsheng"
    assert [value for kind, value in steps if kind == "EXPOSE"] == [str(service.port)]
    assert environment[f"{service.prefix}PORT"] == str(service.port)
    # Inside a container the service must listen beyond loopback.
    assert environment[f"{service.prefix}HOST"] == "0.0.0.0"  # noqa: S104
    assert environment["MINSHENG_ENVIRONMENT"] == "production"
    assert f"http://127.0.0.1:{service.port}/healthz" in healthcheck
    assert entrypoint == f'["{name_of_script(service)}"]'
    assert name_of_script(service) in scripts
    assert [value for kind, value in steps if kind == "CMD"] == ['["serve"]']


def name_of_script(service: Deployed) -> str:
    return f"minsheng-{service.name}"


def test_each_service_port_is_its_settings_default() -> None:
    for service in deployed():
        default = service.settings_class.model_fields["port"].default
        assert default == service.port, service.name


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_images_says_plainly_that_no_engine_answers() -> None:
    answer = subprocess.run(
        ["make", "--no-print-directory", "images", "DOCKER=/nonexistent/docker"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert answer.returncode != 0
    assert "no container engine answers" in answer.stderr
