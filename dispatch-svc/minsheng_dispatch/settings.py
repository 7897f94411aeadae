"""Dispatch's settings (environment prefix `DISPATCH_`)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from minsheng_common.settings import ServiceSettings

# Room for the multipart framing around an uploaded file.
MULTIPART_OVERHEAD = 64 * 1024

DEFAULT_COMPONENT_KEYWORDS = (
    "路灯",
    "灯杆",
    "井盖",
    "护栏",
    "栏杆",
    "消防栓",
    "垃圾桶",
    "果皮箱",
    "座椅",
    "路牌",
    "交通标志",
    "信号灯",
    "红绿灯",
    "公交站牌",
    "树池",
    "雨水篦子",
    "部件",
)


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
    attachment_store: Literal["local"] = Field(
        default="local",
        description="where attachments are kept: `local` (files under "
        "<data_dir>/attachments, named by their SHA-256). No other backend is built "
        "yet.",
    )
    attachment_max_bytes: int = Field(
        default=10 * 1024 * 1024,
        ge=1024,
        description="the largest attachment accepted; larger uploads answer 413",
    )
    component_categories: list[str] = Field(
        default_factory=lambda: ["municipal-facilities"],
        description="categories whose complaints are about a component (部件) and "
        "close only with before and after photos (Art. 17)",
    )
    component_keywords: list[str] = Field(
        default_factory=lambda: list(DEFAULT_COMPONENT_KEYWORDS),
        description="words in a complaint's title, content or address that name a "
        "component (部件): lamp posts, manhole covers, railings, … (Art. 17)",
    )
    idempotency_retention_hours: float = Field(
        default=72,
        gt=0,
        description="how long an Idempotency-Key and its answer are kept",
    )

    @model_validator(mode="after")
    def _bodies_fit_an_attachment(self) -> DispatchSettings:
        # The common body limit would refuse an upload before the attachment route
        # could; unless it was set on purpose, it is widened to fit one attachment.
        needed = self.attachment_max_bytes + MULTIPART_OVERHEAD
        if "max_request_bytes" not in self.model_fields_set:
            self.max_request_bytes = max(self.max_request_bytes, needed)
        return self
