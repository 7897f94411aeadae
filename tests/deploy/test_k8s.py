"""The cluster deployment (deploy/k8s), checked without a cluster: every object
against the Kubernetes schemas, a ConfigMap, Deployment, Service and migration Job
per service, probes on what the service serves, replicas within what the bus
allows, and every setting a service needs to start in production."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from minsheng_common import web
from minsheng_common.events import topics
from tests.deploy.support import (
    CREDENTIALS_DIR,
    K8S,
    PROBES,
    by_name,
    filled,
    image_environment,
    service_ids,
    start_checks,
)

# The oldest Kubernetes still in wide use and the newest the validator knows.
VERSIONS = ("1.29.0", kubernetes_validate.utils.latest_version())
NOT_APPLIED = {"kustomization.yaml", "secrets.example.yaml"}
ADAPTERS = {"forum", "hotline", "aivideo", "mailbox", "open311", "wechat"}


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


@pytest.fixture(scope="module")
def manifests() -> dict[tuple[str, str], dict[str, Any]]:
    """Every object `kubectl apply -k deploy/k8s` applies, by kind and name."""
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for resource in kustomization["resources"]:
        for doc in documents(K8S / resource):
            found[(doc["kind"], doc["metadata"]["name"])] = doc
    return found


@pytest.fixture(scope="module")
def secrets() -> dict[str, dict[str, str]]:
    """The Secrets the manifests refer to, shaped as secrets.example.yaml."""
    return {
        doc["metadata"]["name"]: dict(doc["stringData"])
        for doc in documents(K8S / "secrets.example.yaml")
    }


# Every file of objects; kustomization.yaml is kustomize's, not the cluster's.
OBJECT_FILES = sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


@pytest.mark.parametrize("path", OBJECT_FILES, ids=lambda path: path.name)
def test_every_object_follows_the_kubernetes_schema(path: Path) -> None:
    for doc in documents(path):
        for version in VERSIONS:
            kubernetes_validate.validate(doc, version, strict=True)


def test_the_kustomization_applies_every_manifest_but_the_secrets() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    files = {path.name for path in K8S.glob("*.yaml")} - NOT_APPLIED

    assert set(kustomization["resources"]) == files
    assert kustomization["namespace"] == "minsheng"


def deployment(manifests: dict[tuple[str, str], Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = manifests[("Deployment", name)]
    return found


def container(workload: dict[str, Any]) -> dict[str, Any]:
    [found] = workload["spec"]["template"]["spec"]["containers"]
    return dict(found)


@pytest.mark.parametrize("name", service_ids())
def test_a_service_has_its_config_deployment_service_and_migration(
    manifests: dict[tuple[str, str], Any], name: str
) -> None:
    service = by_name(name)
    app = deployment(manifests, name)
    main = container(app)
    port = {"name": "http", "containerPort": service.port}
    exposed = manifests[("Service", name)]["spec"]
    job = manifests[("Job", f"{name}-migrate")]

    assert ("ConfigMap", f"minsheng-{name}") in manifests
    assert main["image"] == f"minsheng/{name}:latest"
    assert main["args"] == ["serve"]
    assert main["ports"] == [port]
    assert exposed["ports"] == [
        {"name": "http", "port": service.port, "targetPort": "http"}
    ]
    assert (
        exposed["selector"].items()
        <= app["spec"]["template"]["metadata"]["labels"].items()
    )
    assert container(job)["args"] == ["migrate"]
    assert container(job)["image"] == main["image"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "OnFailure"


@pytest.mark.parametrize("name", service_ids())
def test_probes_and_scraping_ask_what_the_service_serves(
    manifests: dict[tuple[str, str], Any], name: str
) -> None:
    app = deployment(manifests, name)
    main = container(app)
    annotations = app["spec"]["template"]["metadata"]["annotations"]

    assert main["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert main["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert main["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert annotations["prometheus.io/path"] == "/metrics"
    assert annotations["prometheus.io/port"] == str(by_name(name).port)


@pytest.mark.parametrize("name", service_ids())
def test_a_service_asks_for_resources_and_runs_as_a_user(
    manifests: dict[tuple[str, str], Any], name: str
) -> None:
    pod = deployment(manifests, name)["spec"]["template"]["spec"]
    main = container(deployment(manifests, name))

    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001
    assert main["securityContext"]["readOnlyRootFilesystem"] is True
    assert set(main["resources"]["requests"]) == {"cpu", "memory"}
    assert "memory" in main["resources"]["limits"]


@pytest.mark.parametrize("name", service_ids())
def test_replicas_stay_within_what_the_bus_shares(
    manifests: dict[tuple[str, str], Any], name: str
) -> None:
    partitions = int(
        manifests[("ConfigMap", "minsheng-common")]["data"]["MINSHENG_TOPIC_PARTITIONS"]
    )
    replicas = deployment(manifests, name)["spec"]["replicas"]

    if name in ADAPTERS:
        assert replicas == 1  # their delivery loop claims nothing across replicas
    else:
        assert 1 <= replicas <= partitions


def test_the_topics_job_makes_the_catalogues_topics(
    manifests: dict[tuple[str, str], Any],
) -> None:
    job = container(manifests[("Job", "kafka-topics")])
    env = {item["name"]: item["value"] for item in job["env"]}
    script = "\n".join(job["args"])

    assert env["MINSHENG_TOPICS"].split() == list(topics.ALL)
    assert job["envFrom"] == [{"configMapRef": {"name": "minsheng-common"}}]
    assert '"$topic" "$topic.dlq"' in script
    assert '--partitions "$MINSHENG_TOPIC_PARTITIONS"' in script


def k8s_environment(
    manifests: dict[tuple[str, str], Any],
    secrets: dict[str, dict[str, str]],
    name: str,
) -> dict[str, str]:
    """What a pod of `name` starts with: the image's ENV, then its envFrom sources in
    order (Secrets filled as an operator would), then its own env."""
    main = container(deployment(manifests, name))
    env = image_environment(by_name(name).dockerfile)
    for source in main["envFrom"]:
        if "configMapRef" in source:
            ref = source["configMapRef"]["name"]
            env.update(manifests[("ConfigMap", ref)]["data"])
        else:
            ref = source["secretRef"]["name"]
            assert ref in secrets, f"{name} refers to a Secret {ref} nobody describes"
            env.update(filled(secrets[ref]))
    env.update({item["name"]: item["value"] for item in main.get("env", [])})
    return env


@pytest.mark.parametrize("name", service_ids())
def test_a_service_starts_in_production_with_what_the_manifests_give_it(
    manifests: dict[tuple[str, str], Any],
    secrets: dict[str, dict[str, str]],
    name: str,
    tmp_path: Path,
) -> None:
    service = by_name(name)
    env = k8s_environment(manifests, secrets, name)
    pod = deployment(manifests, name)["spec"]["template"]["spec"]
    [mount] = [
        m
        for m in container(deployment(manifests, name))["volumeMounts"]
        if m["name"] == "credentials"
    ]
    [volume] = [v for v in pod["volumes"] if v["name"] == "credentials"]
    credentials_file = Path(env["MINSHENG_CREDENTIALS_FILE"])

    assert mount == {
        "name": "credentials",
        "mountPath": CREDENTIALS_DIR,
        "readOnly": True,
    }
    assert credentials_file.name in secrets[volume["secret"]["secretName"]]

    app = start_checks(service, env, tmp_path)

    served = {path for method, path in web.served_routes(app) if method == "GET"}
    assert set(PROBES) <= served
    settings = app.state.runtime.settings
    assert settings.port == service.port
    assert settings.host == "0.0.0.0"  # noqa: S104 - a container's address
    assert settings.store_url().startswith("postgresql+asyncpg://")
    if hasattr(settings, "intake_url"):
        intake = manifests[("Service", "intake")]["spec"]["ports"][0]["port"]
        assert settings.intake_url == f"http://intake:{intake}"


@pytest.mark.parametrize("name", service_ids())
def test_the_migration_job_has_the_stores_address(
    manifests: dict[tuple[str, str], Any],
    secrets: dict[str, dict[str, str]],
    name: str,
) -> None:
    service = by_name(name)
    refs = [
        source["secretRef"]["name"]
        for source in container(manifests[("Job", f"{name}-migrate")])["envFrom"]
        if "secretRef" in source
    ]

    assert any(f"{service.prefix}DATABASE_URL" in secrets[ref] for ref in refs)
