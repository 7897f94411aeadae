"""Analytics' settings (environment prefix `ANALYTICS_`)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from minsheng_common.settings import ServiceSettings


class AnalyticsSettings(ServiceSettings):
    service_name: ClassVar[str] = "analytics"
    model_config = SettingsConfigDict(env_prefix="ANALYTICS_", extra="ignore")

    port: int = 8005
    # The dashboard is the one page people open in a browser: only here does the
    # session cookie count as credentials.
    session_cookie_auth: bool = True
    dashboard_refresh_seconds: int = Field(
        default=10, ge=0, description="meta refresh of the page; 0 turns it off"
    )
    dashboard_recent: int = Field(
        default=20, ge=0, le=200, description="how many recent appeals the page lists"
    )
    report_check_seconds: float = Field(
        default=60.0, gt=0, description="how often a periodic report due is looked for"
    )
    report_delay_seconds: int = Field(
        default=600,
        ge=0,
        description="how long after its period ends a report is compiled, so that the "
        "events of the period's last minutes have arrived (Art. 40)",
    )
    assessment_file: Path | None = Field(
        default=None,
        description="the unit assessment plan (Art. 32-35) in the shape of the "
        "packaged data/assessment.json; unset means the packaged one",
    )
    warning_rules_file: Path | None = Field(
        default=None,
        description="warning detection parameters (Art. 23) in the shape of the "
        "packaged data/warning_rules.json; unset means the packaged ones",
    )
