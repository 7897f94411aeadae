"""Settings: where each value comes from, URL normalisation, and refusals."""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from minsheng_common import pii
from minsheng_common.pii import PiiVault
from minsheng_common.settings import (
    PiiSettingsMixin,
    ServiceSettings,
    async_url,
    local_secrets,
)


class DemoSettings(ServiceSettings):
    service_name: ClassVar[str] = "demo"
    model_config = SettingsConfigDict(env_prefix="DEMO_", extra="ignore")


class DemoPiiSettings(PiiSettingsMixin, ServiceSettings):
    service_name: ClassVar[str] = "demo"
    model_config = SettingsConfigDict(env_prefix="DEMO_", extra="ignore")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting of the machine running the tests leaks in, and no `.env` is read."""
    for name in list(os.environ):
        if name.upper().startswith(("DEMO_", "MINSHENG_", "KAFKA_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults() -> None:
    settings = DemoSettings()

    assert settings.environment == "development"
    assert settings.kafka_bootstrap_servers == "127.0.0.1:9092"
    assert settings.outbox_retention_hours == 168
    assert settings.inbox_retention_hours == 336
    assert not settings.is_production


def test_plain_kafka_bootstrap_servers_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1001")

    assert DemoSettings().kafka_bootstrap_servers == "127.0.0.1:1001"


def test_minsheng_prefix_beats_plain_kafka_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1001")
    monkeypatch.setenv("MINSHENG_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1002")

    assert DemoSettings().kafka_bootstrap_servers == "127.0.0.1:1002"


def test_service_prefix_beats_minsheng_prefix_and_plain_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1001")
    monkeypatch.setenv("MINSHENG_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1002")
    monkeypatch.setenv("DEMO_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1003")

    assert DemoSettings().kafka_bootstrap_servers == "127.0.0.1:1003"


def test_service_prefix_beats_minsheng_prefix_for_any_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MINSHENG_DATA_DIR", "/srv/minsheng")
    monkeypatch.setenv("MINSHENG_TOPIC_PREFIX", "shared.")
    monkeypatch.setenv("DEMO_TOPIC_PREFIX", "own.")

    settings = DemoSettings()

    assert settings.data_dir == Path("/srv/minsheng")
    assert settings.topic_prefix == "own."


def test_other_service_prefix_is_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTAKE_PORT", "9999")

    assert DemoSettings().port == 8000


def test_plain_kafka_variable_is_the_only_unprefixed_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PORT", "9999")

    assert DemoSettings().port == 8000


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@db:5432/x", "postgresql+asyncpg://u@db:5432/x"),
        ("postgres://u@db/x", "postgresql+asyncpg://u@db/x"),
        ("sqlite:///data/x.db", "sqlite+aiosqlite:///data/x.db"),
        ("sqlite://", "sqlite+aiosqlite://"),
        ("postgresql+asyncpg://u@db/x", "postgresql+asyncpg://u@db/x"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_async_url_names_the_async_driver(url: str, expected: str) -> None:
    assert async_url(url) == expected


def test_store_url_defaults_to_a_sqlite_file_named_after_the_service(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MINSHENG_DATA_DIR", "/srv/data")

    assert DemoSettings().store_url() == "sqlite+aiosqlite:////srv/data/demo.db"


def test_store_url_normalises_a_given_database_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEMO_DATABASE_URL", "postgresql://postgres@127.0.0.1/demo")

    assert DemoSettings().store_url() == (
        "postgresql+asyncpg://postgres@127.0.0.1/demo"
    )


def test_inbox_retention_shorter_than_outbox_retention_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEMO_OUTBOX_RETENTION_HOURS", "48")
    monkeypatch.setenv("DEMO_INBOX_RETENTION_HOURS", "24")

    with pytest.raises(ValidationError, match="inbox retention"):
        DemoSettings()


def test_inbox_retention_equal_to_outbox_retention_is_accepted() -> None:
    settings = DemoSettings(outbox_retention_hours=48, inbox_retention_hours=48)

    assert settings.inbox_retention_hours == 48


def test_relay_poll_is_capped_at_100_ms(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_RELAY_POLL_MS", "500")

    with pytest.raises(ValidationError, match="relay_poll_ms"):
        DemoSettings()


# --- personal data keys ---------------------------------------------------------


@pytest.mark.parametrize(
    ("pii_keys", "hash_key"),
    [
        ("", ""),
        ("change-me", "a-real-hash-key"),
        ("a-real-key", "changeme"),
        ("placeholder", "secret"),
        ("  ", "a-real-hash-key"),
    ],
)
def test_production_refuses_placeholder_pii_keys(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, pii_keys: str, hash_key: str
) -> None:
    monkeypatch.setenv("DEMO_ENVIRONMENT", "production")
    monkeypatch.setenv("DEMO_PII_KEYS", pii_keys)
    monkeypatch.setenv("DEMO_HASH_KEY", hash_key)
    settings = DemoPiiSettings()

    with pytest.raises(ValueError, match="placeholders"):
        settings.ensure_pii_keys(settings.environment, tmp_path)

    assert not (tmp_path / "secrets.json").exists()


def test_production_keeps_real_pii_keys(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    new, old, hash_key = pii.new_key(), pii.new_key(), pii.new_key()
    monkeypatch.setenv("MINSHENG_ENVIRONMENT", "production")
    monkeypatch.setenv("MINSHENG_PII_KEYS", f"{new}, {old}")
    monkeypatch.setenv("MINSHENG_HASH_KEY", hash_key)
    settings = DemoPiiSettings()

    settings.ensure_pii_keys(settings.environment, tmp_path)

    assert settings.is_production
    assert settings.pii_key_list() == [new, old]
    assert settings.hash_key == hash_key
    assert not (tmp_path / "secrets.json").exists()


@pytest.mark.parametrize(
    "keys", ["change-me,{real}", "{real},not-a-fernet-key-but-long-enough", ""]
)
def test_production_refuses_any_placeholder_or_invalid_key_in_the_list(
    keys: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MINSHENG_ENVIRONMENT", "production")
    monkeypatch.setenv("MINSHENG_PII_KEYS", keys.format(real=pii.new_key()))
    monkeypatch.setenv("MINSHENG_HASH_KEY", pii.new_key())
    settings = DemoPiiSettings()

    with pytest.raises(ValueError):
        settings.ensure_pii_keys(settings.environment, tmp_path)


def test_development_generates_one_shared_local_secrets_file(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first, second = DemoPiiSettings(), DemoPiiSettings()

    first.ensure_pii_keys("development", data_dir)
    second.ensure_pii_keys("development", data_dir)

    assert (data_dir / "secrets.json").exists()
    assert first.pii_keys and first.hash_key
    assert first.pii_keys != first.hash_key
    assert (second.pii_keys, second.hash_key) == (first.pii_keys, first.hash_key)
    stored = local_secrets(data_dir)
    assert (stored["pii_keys"], stored["hash_key"]) == (first.pii_keys, first.hash_key)
    assert len(stored["token_secrets"]) >= 32
    vault = PiiVault(second.pii_key_list())
    assert vault.decrypt(PiiVault(first.pii_key_list()).encrypt("张三")) == "张三"


def test_development_keeps_keys_that_were_given(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DEMO_HASH_KEY", "given-hash-key")
    settings = DemoPiiSettings()

    settings.ensure_pii_keys("demo", tmp_path)

    assert settings.hash_key == "given-hash-key"
    assert settings.pii_keys == local_secrets(tmp_path)["pii_keys"]


def test_local_secrets_leave_no_temporary_file(tmp_path: Path) -> None:
    local_secrets(tmp_path)
    local_secrets(tmp_path)

    # Only the secrets and the lock that serialises services starting together.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".secrets.lock",
        "secrets.json",
    ]


def test_an_older_local_secrets_file_gains_the_new_secrets_and_keeps_the_old(
    tmp_path: Path,
) -> None:
    (tmp_path / "secrets.json").write_text('{"pii_keys": "k", "hash_key": "h"}')

    stored = local_secrets(tmp_path)

    assert (stored["pii_keys"], stored["hash_key"]) == ("k", "h")
    assert stored["token_secrets"]
    assert local_secrets(tmp_path) == stored
