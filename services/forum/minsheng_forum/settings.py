"""The forum adapter's settings (environment prefix `FORUM_`)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from minsheng_common.settings import ServiceSettings


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
    replay_compression: float = Field(
        default=100_000,
        ge=1,
        description="how many times faster than on the forum the replay runs",
    )
    retry_base_seconds: float = Field(default=0.5, gt=0)
    retry_cap_seconds: float = Field(default=30.0, gt=0)
    delivery_poll_seconds: float = Field(default=0.25, gt=0, le=5)
    sample_file: Path | None = Field(
        default=None,
        description="a sample of the same shape; default: the packaged one",
    )
