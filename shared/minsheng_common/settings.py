"""Settings every service shares, read from the environment by pydantic-settings.

Each service has its own prefix (`INTAKE_`, `DISPATCH_`, ...). Settings that are the
same for the whole installation may instead be given once with the `MINSHENG_` prefix,
and the broker address also as plain `KAFKA_BOOTSTRAP_SERVERS`; a service's own prefix
wins over both.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
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
from minsheng_common.auth.registry import Credentials

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
    credentials_file: Path | None = Field(
        default=None,
        description="API keys and users, hashes only (default: the data folder)",
    )
    token_secrets: str = Field(
        default="",
        description="keys that sign people's tokens, newest first, comma-separated; "
        "generated locally outside production",
    )
    token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    rate_limit_per_minute: int = Field(default=1200, ge=1)
    sign_in_attempts_per_minute: int = Field(
        default=10, ge=1, description="password attempts per account per replica"
    )
    session_cookie_auth: bool = Field(
        default=False,
        description="accept the dashboard's session cookie as credentials (only the "
        "service that serves pages to browsers)",
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

    def credentials_path(self) -> Path:
        return self.credentials_file or self.data_dir / "credentials.json"

    def token_secret_list(self) -> list[str]:
        """The token secrets, or the local ones outside production; production
        refuses to start with a missing or placeholder secret."""
        given = [s.strip() for s in self.token_secrets.split(",") if s.strip()]
        if self.is_production:
            if not given or any(_placeholder(s) or len(s) < 32 for s in given):
                raise ValueError(
                    "production needs real TOKEN_SECRETS (32 characters or more)"
                )
            _check_credentials_file(self.credentials_path())
            return given
        return given or [local_secrets(self.data_dir)["token_secrets"]]

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
            if self.hash_key.strip() in keys:
                raise ValueError("HASH_KEY must differ from every PII key")
            pii.PiiVault(keys)  # refuses a key that is not a valid Fernet key
            return
        local = local_secrets(data_dir)
        if not self.pii_keys:
            self.pii_keys = local["pii_keys"]
        if not self.hash_key:
            self.hash_key = local["hash_key"]


def _check_credentials_file(path: Path) -> None:
    """Production needs a real credentials file: a readable file of the right shape."""
    if not path.is_file():
        raise ValueError(f"no credentials file at {path}")
    try:
        Credentials.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise ValueError(
            f"the credentials file {path} cannot be read: {error}"
        ) from None


_PLACEHOLDER_WORDS = ("change", "placeholder", "secret", "example", "xxxx", "todo")


def _placeholder(secret: str) -> bool:
    """Whether a secret looks made up rather than generated: short, a known
    placeholder word, or too few different characters to be random."""
    lowered = secret.lower()
    return (
        lowered in PLACEHOLDER_SECRETS
        or len(secret) < 16
        or any(word in lowered for word in _PLACEHOLDER_WORDS)
        or len(set(secret)) < 10
    )


_LOCAL_SECRET_MAKERS = {
    "pii_keys": pii.new_key,
    "hash_key": pii.new_key,
    "token_secrets": lambda: secrets.token_urlsafe(48),
}


def local_secrets(data_dir: Path) -> dict[str, str]:
    """Development secrets, created on first use under `<data_dir>/secrets.json`.

    Services starting together take a lock on the file, so they all end up with
    the same keys; a secret added in a newer version is added to an older file.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "secrets.json"
    with (data_dir / ".secrets.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        current: dict[str, str] = (
            json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        )
        missing = {
            k: make() for k, make in _LOCAL_SECRET_MAKERS.items() if k not in current
        }
        if missing:
            current.update(missing)
            fd, tmp = tempfile.mkstemp(dir=data_dir, prefix=".secrets-")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(current, handle)
            os.replace(tmp, path)
    return current
