"""The forum adapter's settings (environment prefix `FORUM_`); intake, the push
secrets and the delivery's pace are every single-channel adapter's
(`SingleChannelSettings`)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from minsheng_common.adapters.settings import SingleChannelSettings


class ForumSettings(SingleChannelSettings):
    service_name: ClassVar[str] = "forum"
    model_config = SettingsConfigDict(env_prefix="FORUM_", extra="ignore")

    port: int = 8011
    channel: str = Field(
        default="forum-people",
        min_length=1,
        max_length=50,
        description="the channel id the appeals arrive under (人民网留言板)",
    )
    replay_compression: float = Field(
        default=100_000,
        ge=1,
        description="how many times faster than on the forum the replay runs",
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
    sample_file: Path | None = Field(
        default=None,
        description="a sample of the same shape; default: the packaged one",
    )
