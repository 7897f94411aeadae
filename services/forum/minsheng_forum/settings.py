"""The forum adapter's settings (environment prefix `FORUM_`)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from minsheng_common.settings import PLACEHOLDER_SECRETS, ServiceSettings

# A shared HMAC secret must be long and random: no shorter than a token secret.
_MIN_WEBHOOK_SECRET = 32


class ForumSettings(ServiceSettings):
    service_name: ClassVar[str] = "forum"
    model_config = SettingsConfigDict(env_prefix="FORUM_", extra="ignore")

    port: int = 8011
    channel: str = Field(
        default="forum-people",
        min_length=1,
        max_length=50,
        description="the channel id the appeals arrive under (人民网留言板)",
    )
    intake_url: str = Field(
        default="http://127.0.0.1:8001", description="where intake's API answers"
    )
    intake_timeout_seconds: float = Field(default=10.0, gt=0)
    intake_api_key: SecretStr = Field(
        default=SecretStr(""),
        description="the adapter's own channel key for intake, sent as X-API-Key "
        "with every appeal; required in production",
    )
    webhook_secrets: SecretStr = Field(
        default=SecretStr(""),
        description="secrets that sign the forum's pushed posts (POST /v1/posts), "
        "newest first, comma-separated; required in production, and without them "
        "the endpoint answers 503 elsewhere",
    )
    replay_compression: float = Field(
        default=100_000,
        ge=1,
        description="how many times faster than on the forum the replay runs",
    )
    webhook_per_minute: int = Field(
        default=600,
        ge=1,
        description="pushed posts taken a minute from the forum (one budget for the "
        "source, whichever secret signed); more answer 429",
    )
    max_title_chars: int = Field(
        default=200,
        ge=1,
        description="the longest title a pushed post may have: intake's own limit "
        "(INTAKE_MAX_TITLE_CHARS); a longer one is refused with 422 too_long",
    )
    max_detail_chars: int = Field(
        default=5000,
        ge=1,
        description="the longest detail a pushed post may have: intake's own limit "
        "for the content (INTAKE_MAX_CONTENT_CHARS); a longer one is refused with "
        "422 too_long",
    )
    retry_base_seconds: float = Field(default=0.5, gt=0)
    retry_cap_seconds: float = Field(default=30.0, gt=0)
    delivery_poll_seconds: float = Field(default=0.25, gt=0, le=5)
    sample_file: Path | None = Field(
        default=None,
        description="a sample of the same shape; default: the packaged one",
    )

    def intake_key(self) -> str | None:
        """The key sent to intake, or None when none is configured."""
        return self.intake_api_key.get_secret_value().strip() or None

    def webhook_secret_list(self) -> list[str]:
        """The secrets that may have signed a pushed post, newest first."""
        raw = self.webhook_secrets.get_secret_value()
        return [secret.strip() for secret in raw.split(",") if secret.strip()]

    def check_production(self) -> None:
        """Refuse to start in production without the adapter's intake key or with a
        missing, short or placeholder webhook secret; elsewhere both may be absent
        (appeals then reach intake without a key, and pushes answer 503)."""
        if not self.is_production:
            return
        if self.intake_key() is None:
            raise ValueError("production needs FORUM_INTAKE_API_KEY")
        secrets = self.webhook_secret_list()
        if not secrets or any(
            secret.lower() in PLACEHOLDER_SECRETS or len(secret) < _MIN_WEBHOOK_SECRET
            for secret in secrets
        ):
            raise ValueError(
                "production needs real FORUM_WEBHOOK_SECRETS "
                f"({_MIN_WEBHOOK_SECRET} characters or more each)"
            )
