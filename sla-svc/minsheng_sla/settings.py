"""SLA's settings (environment prefix `SLA_`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from minsheng_common.settings import ServiceSettings


class SlaSettings(ServiceSettings):
    service_name: ClassVar[str] = "sla"
    model_config = SettingsConfigDict(env_prefix="SLA_", extra="ignore")

    port: int = 8003
    scan_interval_ms: int = Field(
        default=500,
        ge=10,
        le=60_000,
        description="how often the watcher looks for deadlines that have been reached",
    )
    scan_batch_size: int = Field(
        default=100, ge=1, le=10_000, description="deadlines claimed per transaction"
    )
