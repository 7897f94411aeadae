"""Settings every service shares, read from the environment by pydantic-settings.

Each service has its own prefix (`INTAKE_`, `DISPATCH_`, ...). Settings that are the
same for the whole installation may instead be given once with the `MINSHENG_` prefix,
and the broker address also as plain `KAFKA_BOOTSTRAP_SERVERS`; a service's own prefix
wins over both.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from minsheng_common import pii

Environment = Literal["development", "demo", "test", "production"]

PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "placeholder"})


class _PlainKafkaSource(PydanticBaseSettingsSource):
    """Reads the broker address from the conventional `KAFKA_BOOTSTRAP_SERVERS`."""

    def get_field_value(
        self, field: FieldInfo, field_name: str
    ) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        value = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        return {"kafka_bootstrap_servers": value} if value else {}


class ServiceSettings(BaseSettings):
    """What every service needs to run: where its store, broker and clock are."""

    service_name: ClassVar[str] = "service"
    model_config = SettingsConfigDict(extra="ignore")

    environment: Environment = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; postgresql:// and sqlite:/// are accepted as is. "
        "Default: a SQLite file under the data folder.",
    )
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    topic_prefix: str = Field(default="", description="prepended to every topic name")
    topic_partitions: int = Field(default=3, ge=1)
    data_dir: Path = Path(".data")
    clock_file: Path | None = Field(
        default=None, description="shared demo/test clock; unset means the system clock"
    )
    reference_file: Path | None = None
    rules_file: Path | None = None
    outbox_retention_hours: float = Field(default=168, gt=0)
    inbox_retention_hours: float = Field(default=336, gt=0)
    relay_poll_ms: int = Field(default=100, ge=5, le=100)
    relay_batch_size: int = Field(default=200, ge=1)
    migrate_on_start: bool = True
    republish_on_start: bool = Field(
        default=False,
        description="publish every retained outbox event again at start, for a "
        "broker that keeps nothing across restarts (the embedded one)",
    )
    max_request_bytes: int = Field(
        default=1_048_576, ge=1024, description="larger request bodies answer 413"
    )
    log_level: str = "INFO"
    log_json: bool = False

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        installation = EnvSettingsSource(settings_cls, env_prefix="MINSHENG_")
        return (
            init_settings,
            env_settings,
            installation,
            _PlainKafkaSource(settings_cls),
            dotenv_settings,
            file_secret_settings,
        )

    @model_validator(mode="after")
    def _inbox_outlives_outbox(self) -> ServiceSettings:
        # A re-published event must still find its id in every inbox, or it would be
        # applied a second time.
        if self.inbox_retention_hours < self.outbox_retention_hours:
            raise ValueError("inbox retention must be at least the outbox retention")
        return self

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    def store_url(self) -> str:
        """The database URL with the async driver named."""
        url = self.database_url or f"sqlite:///{self.data_dir / self.service_name}.db"
        return async_url(url)


def async_url(url: str) -> str:
    """Name the async driver in a database URL: asyncpg for PostgreSQL, aiosqlite for
    SQLite."""
    for plain, driver in (
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


class PiiSettingsMixin(BaseSettings):
    """Keys for citizens' personal data (intake and notify only).

    `pii_keys` is a comma-separated list of Fernet keys, newest first; `hash_key` keys
    the lookup hash. In development and demo they are generated once into the data
    folder; production refuses to start without real ones.
    """

    pii_keys: str = ""
    hash_key: str = ""

    def pii_key_list(self) -> list[str]:
        return [key.strip() for key in self.pii_keys.split(",") if key.strip()]

    def ensure_pii_keys(self, environment: str, data_dir: Path) -> None:
        """Fill missing keys from the local key file, or refuse in production."""
        if environment == "production":
            keys = self.pii_key_list()
            placeholders = [
                k for k in [*keys, self.hash_key.strip()] if _placeholder(k)
            ]
            if not keys or placeholders:
                raise ValueError(
                    "production needs real PII_KEYS and HASH_KEY, not placeholders"
                )
            pii.PiiVault(keys)  # refuses a key that is not a valid Fernet key
            return
        local = local_secrets(data_dir)
        if not self.pii_keys:
            self.pii_keys = local["pii_keys"]
        if not self.hash_key:
            self.hash_key = local["hash_key"]


def _placeholder(secret: str) -> bool:
    return secret.lower() in PLACEHOLDER_SECRETS or len(secret) < 16


def local_secrets(data_dir: Path) -> dict[str, str]:
    """Development secrets, created on first use under `<data_dir>/secrets.json`."""
    path = data_dir / "secrets.json"
    if path.exists():
        loaded: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
        return loaded
    data_dir.mkdir(parents=True, exist_ok=True)
    secrets = {"pii_keys": pii.new_key(), "hash_key": pii.new_key()}
    # Write a private file, then link it into place: when two services start
    # together, one link wins and the other service reads the winner's keys.
    fd, tmp = tempfile.mkstemp(dir=data_dir, prefix=".secrets-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(secrets, handle)
    try:
        os.link(tmp, path)
    except FileExistsError:
        return local_secrets(data_dir)
    finally:
        os.unlink(tmp)
    return secrets
