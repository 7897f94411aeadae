"""Notify's settings (environment prefix `NOTIFY_`)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import ClassVar

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from minsheng_common.settings import PiiSettingsMixin, ServiceSettings


class NotifySettings(PiiSettingsMixin, ServiceSettings):
    """Where messages go and how hard notify tries before it gives up.

    The PII keys are the ones intake encrypts contacts with: in development both read
    the same `<data_dir>/secrets.json`, in production both get the same `PII_KEYS`.
    """

    service_name: ClassVar[str] = "notify"
    model_config = SettingsConfigDict(env_prefix="NOTIFY_", extra="ignore")

    port: int = 8004
    mailbox_dir: Path | None = Field(
        default=None,
        description="folder the embedded mailbox sender writes messages into; "
        "default <data_dir>/mailbox",
    )
    send_max_attempts: int = Field(default=5, ge=1, le=50)
    send_backoff_seconds: float = Field(
        default=30.0,
        gt=0,
        description="wait after the first failed attempt; doubled "
        "after each further one",
    )
    send_backoff_max_seconds: float = Field(default=1800.0, gt=0)
    recipient_wait_seconds: float = Field(
        default=3600.0,
        gt=0,
        description="how long a notice waits for its recipient (appeal.filed) on the "
        "service clock before it fails as recipient_unknown",
    )
    send_poll_ms: int = Field(default=500, ge=10, le=60_000)
    send_batch_size: int = Field(default=50, ge=1)
    pii_retention_days: int = Field(
        default=730,
        ge=1,
        le=36_500,
        description="days after an appeal's filing and its last notice after which "
        "the citizen's contact is erased; the notices and their evidence stay, with "
        "the recipient masked",
    )
    retention_check_seconds: float = Field(
        default=3600.0,
        gt=0,
        description="how often the erasure of expired contacts runs",
    )

    @model_validator(mode="after")
    def _backoff_cap_not_below_start(self) -> NotifySettings:
        if self.send_backoff_max_seconds < self.send_backoff_seconds:
            raise ValueError("send_backoff_max_seconds is below send_backoff_seconds")
        return self

    def mailbox_path(self) -> Path:
        return self.mailbox_dir or self.data_dir / "mailbox"

    @property
    def recipient_wait(self) -> timedelta:
        return timedelta(seconds=self.recipient_wait_seconds)

    @property
    def pii_retention(self) -> timedelta:
        return timedelta(days=self.pii_retention_days)
