"""Dispatch's settings (environment prefix `DISPATCH_`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from minsheng_common.settings import ServiceSettings


class DispatchSettings(ServiceSettings):
    service_name: ClassVar[str] = "dispatch"
    model_config = SettingsConfigDict(env_prefix="DISPATCH_", extra="ignore")

    port: int = 8002
    fallback_unit_id: str = Field(
        default="center",
        min_length=1,
        description="where an appeal goes when neither its category nor its place "
        "names a unit: the center, which then dispatches it by hand",
    )
