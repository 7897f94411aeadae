"""The one-host deployment (deploy/docker-compose.yml), checked without an engine:
the compose schema, Kafka in KRaft mode with the catalogue's topics, one database
per service, migrations before each service, and every setting a service needs to
start in production."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from minsheng_common import web
from minsheng_common.events import topics
from tests.deploy.support import (
    COMPOSE_FILE,
    CREDENTIALS_DIR,
    DATA_DIR,
    ENV_EXAMPLE,
    PROBES,
    by_name,
    filled,
    image_environment,
    interpolate,
    read_env_file,
    referenced,
    service_ids,
    start_checks,
)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    return loaded


def services(compose: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = compose["services"]
    return found


def environment_of(entry: dict[str, Any]) -> dict[str, str]:
    return {key: str(value) for key, value in entry.get("environment", {}).items()}


def test_the_file_follows_the_compose_specification() -> None:
    validator = Path(sys.executable).parent / "check-jsonschema"
    answer = subprocess.run(
        [
            str(validator),
            "--builtin-schema",
            "vendor.compose-spec",
            str(COMPOSE_FILE),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert answer.returncode == 0, answer.stdout + answer.stderr


def test_kafka_runs_in_kraft_mode_and_keeps_its_data(compose: dict[str, Any]) -> None:
    kafka = services(compose)["kafka"]
    settings = environment_of(kafka)

    assert kafka["image"].startswith("apache/kafka:")
    assert set(settings["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert not any("ZOOKEEPER" in key for key in settings)
    assert settings["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://kafka:9092"
    assert settings["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert f"kafka-data:{settings['KAFKA_LOG_DIRS']}" in kafka["volumes"]


def test_the_catalogues_topics_are_made_with_the_services_partition_count(
    compose: dict[str, Any],
) -> None:
    init = services(compose)["kafka-topics"]
    settings = environment_of(init)
    script = "\n".join(init["command"])

    assert settings["MINSHENG_TOPICS"].split() == list(topics.ALL)
    assert init["image"] == services(compose)["kafka"]["image"]
    assert init["depends_on"]["kafka"]["condition"] == "service_healthy"
    # Each topic and its dead-letter twin, as ServiceRuntime names them.
    assert '"$$topic" "$$topic.dlq"' in script
    assert '--partitions "$$MINSHENG_TOPIC_PARTITIONS"' in script
    for name in service_ids():
        service = environment_of(services(compose)[name])
        assert (
            service["MINSHENG_TOPIC_PARTITIONS"]
            == (settings["MINSHENG_TOPIC_PARTITIONS"])
        )
        assert service["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"


def test_postgresql_has_one_database_and_role_per_service(
    compose: dict[str, Any],
) -> None:
    postgres = services(compose)["postgres"]
    settings = environment_of(postgres)

    assert set(settings["MINSHENG_DATABASES"].split()) >= set(service_ids())
    for name in settings["MINSHENG_DATABASES"].split():
        assert f"{name.upper()}_DB_PASSWORD" in settings
    assert any(
        mount.endswith("/docker-entrypoint-initdb.d/10-databases.sh:ro")
        for mount in postgres["volumes"]
    )
    assert "postgres-data:/var/lib/postgresql/data" in postgres["volumes"]


@pytest.mark.parametrize("name", service_ids())
def test_a_service_starts_after_its_store_is_migrated(
    compose: dict[str, Any], name: str
) -> None:
    service = by_name(name)
    entry = services(compose)[name]
    migrate = services(compose)[f"{name}-migrate"]
    url = f"{service.prefix}DATABASE_URL"

    assert migrate["command"] == ["migrate"]
    assert migrate["image"] == entry["image"]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert migrate["restart"] == "no"
    assert environment_of(migrate)[url] == environment_of(entry)[url]
    assert environment_of(entry)["MINSHENG_MIGRATE_ON_START"] == "false"
    depends = entry["depends_on"]
    assert depends[f"{name}-migrate"]["condition"] == "service_completed_successfully"
    assert depends["kafka-topics"]["condition"] == "service_completed_successfully"
    # Its own database, as its own role.
    assert f"://{name}:" in environment_of(entry)[url]
    assert environment_of(entry)[url].endswith(f"@postgres:5432/{name}")


@pytest.mark.parametrize("name", service_ids())
def test_a_service_is_published_on_its_port_and_reads_the_credentials(
    compose: dict[str, Any], name: str
) -> None:
    service = by_name(name)
    entry = services(compose)[name]

    assert entry["image"].endswith(f"/{name}:${{MINSHENG_IMAGE_TAG:-latest}}")
    [port] = entry["ports"]
    assert port.endswith(f":{service.port}:{service.port}")
    assert f"credentials:{CREDENTIALS_DIR}:ro" in entry["volumes"]
    assert environment_of(entry)["MINSHENG_CREDENTIALS_FILE"].startswith(
        f"{CREDENTIALS_DIR}/"
    )


def test_what_must_survive_a_restart_is_on_a_volume(compose: dict[str, Any]) -> None:
    named = set(compose["volumes"])
    mounted = {
        mount.split(":")[0]
        for entry in services(compose).values()
        for mount in entry.get("volumes", [])
    }

    assert {"postgres-data", "kafka-data", "credentials"} <= named
    # Dispatch keeps attachments, notify its mailbox and OA folders, under the data
    # folder by default.
    assert f"dispatch-data:{DATA_DIR}" in services(compose)["dispatch"]["volumes"]
    assert f"notify-data:{DATA_DIR}" in services(compose)["notify"]["volumes"]
    assert named <= mounted


def test_every_variable_compose_asks_for_is_in_the_example_env_file() -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    required = {
        name
        for line in text.splitlines()
        for name in referenced(line)
        if f"${{{name}:?" in line
    }
    example = read_env_file(ENV_EXAMPLE)

    assert required
    assert required <= set(example), required - set(example)
    # And nothing in the example that compose never reads.
    assert set(example) <= referenced(text)


def compose_environment(compose: dict[str, Any], name: str) -> dict[str, str]:
    """What the container of `name` starts with, once an operator filled the
    example env file: the image's ENV, then compose's environment, interpolated."""
    values = filled(read_env_file(ENV_EXAMPLE))
    service = by_name(name)
    env = image_environment(service.dockerfile)
    for key, value in environment_of(services(compose)[name]).items():
        env[key] = interpolate(value, values)
    return env


@pytest.mark.parametrize("name", service_ids())
def test_a_service_starts_in_production_with_what_compose_gives_it(
    compose: dict[str, Any], name: str, tmp_path: Path
) -> None:
    service = by_name(name)
    env = compose_environment(compose, name)

    app = start_checks(service, env, tmp_path)

    served = {path for method, path in web.served_routes(app) if method == "GET"}
    assert set(PROBES) <= served
    settings = app.state.runtime.settings
    assert settings.port == service.port
    assert settings.host == "0.0.0.0"  # noqa: S104 - a container's address
    assert settings.store_url().startswith("postgresql+asyncpg://")
    assert settings.kafka_bootstrap_servers == "kafka:9092"
    if hasattr(settings, "intake_url"):
        assert settings.intake_url == f"http://intake:{by_name('intake').port}"


def test_the_example_env_file_cannot_start_production_as_it_is(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    # Placeholders left in place are refused at start, not run with.
    service = by_name("intake")
    env = image_environment(service.dockerfile)
    values = read_env_file(ENV_EXAMPLE)
    for key, value in environment_of(services(compose)["intake"]).items():
        env[key] = interpolate(value, values)

    with pytest.raises(ValueError, match="production needs real"):
        start_checks(service, env, tmp_path)
