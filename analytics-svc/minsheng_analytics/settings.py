"""Analytics' settings (environment prefix `ANALYTICS_`)."""

from __future__ import annotations

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
