"""Intake's settings (environment prefix `INTAKE_`)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from minsheng_common.settings import PiiSettingsMixin, ServiceSettings


class IntakeSettings(PiiSettingsMixin, ServiceSettings):
    service_name: ClassVar[str] = "intake"
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")

    port: int = 8001
    tracking_prefix: str = Field(default="MS", pattern=r"^[A-Z]{0,4}$")
    max_title_chars: int = Field(default=200, ge=10)
    max_content_chars: int = Field(default=5000, ge=100)
    attachment_types: str = Field(
        default="jpg,jpeg,png,gif,webp,heic,pdf,doc,docx,xls,xlsx,txt,mp3,amr,m4a,wav,mp4,mov",
        description="file endings an attachment may have, comma-separated",
    )

    def attachment_type_set(self) -> frozenset[str]:
        return frozenset(
            ending.strip().lower().lstrip(".")
            for ending in self.attachment_types.split(",")
            if ending.strip()
        )

    rules_file: Path | None = Field(
        default=None,
        description="intake's rule editions (keywords, thresholds, advice); the "
        "packaged file when not set (INTAKE_RULES_FILE)",
    )

    pii_retention_days: int = Field(
        default=730,
        ge=1,
        description="days after an appeal is closed until its personal data is "
        "anonymised (statistics are kept)",
    )
    pii_rotation_batch: int = Field(
        default=500, ge=1, description="appeals re-encrypted per transaction"
    )
