"""Dispatch's settings (environment prefix `DISPATCH_`)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, SecretStr, model_validator
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
    attachment_store: Literal["local", "s3"] = Field(
        default="local",
        description="where attachments are kept, named by their SHA-256: `local` "
        "(files under <data_dir>/attachments) or `s3` (a bucket of an S3-compatible "
        "store, set by the attachment_s3_* settings)",
    )
    attachment_s3_endpoint_url: str | None = Field(
        default=None,
        description="the S3-compatible endpoint, such as https://s3.<region>."
        "amazonaws.com or a MinIO server's URL; needed when attachment_store is s3",
    )
    attachment_s3_bucket: str | None = Field(
        default=None,
        description="the bucket that keeps attachments; it must exist already",
    )
    attachment_s3_region: str = Field(default="us-east-1", min_length=1)
    attachment_s3_access_key_id: SecretStr | None = None
    attachment_s3_secret_access_key: SecretStr | None = None
    attachment_s3_prefix: str = Field(
        default="",
        description="a folder inside the bucket for attachments (empty: its root)",
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

    @model_validator(mode="after")
    def _s3_store_is_complete(self) -> DispatchSettings:
        # Refused at start rather than at the first upload; the keys are asked for
        # so that no other source of credentials is ever looked up by surprise.
        if self.attachment_store != "s3":
            return self
        needed = {
            "attachment_s3_endpoint_url": self.attachment_s3_endpoint_url,
            "attachment_s3_bucket": self.attachment_s3_bucket,
            "attachment_s3_access_key_id": self.attachment_s3_access_key_id,
            "attachment_s3_secret_access_key": self.attachment_s3_secret_access_key,
        }
        missing = [name for name, value in needed.items() if not value]
        if missing:
            raise ValueError("attachment_store s3 needs " + ", ".join(sorted(missing)))
        return self
