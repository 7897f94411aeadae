"""The forum adapter's settings (environment prefix `FORUM_`); intake, the push
secrets and the delivery's pace are every single-channel adapter's
(`SingleChannelSettings`).

The forums polled are `FORUM_SOURCES`, a JSON list of sources (see `FeedSource`):
`[{"name": "shenzhen", "channel": "forum-shenzhen", "feed_url": "https://…",
"reply_url": "https://…", "interval_seconds": 60, "api_key": "…"}]`. Each source's
channel is a channel of its own for intake, so each needs its own key: the channel
of FORUM_CHANNEL uses FORUM_INTAKE_API_KEY, any other the key given for it in
`FORUM_INTAKE_API_KEYS='{"forum-shenzhen": "ms_…"}'`.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Self

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    model_validator,
)
from pydantic_settings import SettingsConfigDict

from minsheng_common.adapters.intake import IntakeKey, IntakeKeys
from minsheng_common.adapters.settings import SingleChannelSettings
from minsheng_common.settings import PLACEHOLDER_SECRETS

FEED_QUEUE_PREFIX = "feed:"
"""Before a source's name: the queue its posts wait in (apart from the replay's and
the pushed posts')."""


class FeedSource(BaseModel):
    """A forum whose posts the adapter polls (轮询的论坛) and, when it has a reply
    address, answers on with a reply post (回帖)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(
        pattern=r"^[a-z0-9][a-z0-9-]{0,39}$",
        description="the source's own name: lower-case letters, digits and '-'",
    )
    channel: str = Field(
        min_length=1,
        max_length=50,
        description="the channel id its appeals arrive under (forum-shenzhen…), "
        "one of the reference data's channels",
    )
    feed_url: AnyHttpUrl = Field(description="the feed: GET ?after=<cursor>&limit=<n>")
    reply_url: AnyHttpUrl | None = Field(
        default=None,
        description="where reply posts are sent (POST); none: answers are refused",
    )
    interval_seconds: float = Field(default=60, gt=0, le=86_400)
    api_key: SecretStr | None = Field(
        default=None, description="sent as X-API-Key to the feed and the reply URL"
    )
    page_size: int = Field(default=50, ge=1, le=500, description="the `limit` asked")
    timeout_seconds: float = Field(
        default=10, gt=0, le=300, description="the longest wait for a whole answer"
    )
    start_after: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="the cursor of the first poll, where the source starts; "
        "default: the feed's beginning",
    )

    @property
    def queue(self) -> str:
        """The queue the source's posts wait in, in the feed's order."""
        return f"{FEED_QUEUE_PREFIX}{self.name}"

    def key(self) -> str | None:
        if self.api_key is None:
            return None
        return self.api_key.get_secret_value().strip() or None


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
    sources: list[FeedSource] = Field(
        default_factory=list,
        description="the forums polled (JSON list); none by default",
    )
    intake_api_keys: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="per channel of a polled source other than FORUM_CHANNEL, the "
        "key of that channel's system for intake (JSON object); required in "
        "production",
    )
    poll_retry_base_seconds: float = Field(
        default=1.0,
        gt=0,
        description="the wait after a feed's first failure, doubled at each "
        "failure after it",
    )
    poll_retry_cap_seconds: float = Field(
        default=300.0, gt=0, description="the longest wait between a feed's tries"
    )
    feed_max_bytes: int = Field(
        default=5_000_000, ge=1024, description="a larger feed page is refused"
    )

    @model_validator(mode="after")
    def _names_unique(self) -> Self:
        names = [source.name for source in self.sources]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"FORUM_SOURCES names {', '.join(repeated)} twice")
        return self

    def intake_keys(self) -> IntakeKeys:
        """FORUM_INTAKE_API_KEY for FORUM_CHANNEL (the replay's and pushes'), the
        key of FORUM_INTAKE_API_KEYS for every other channel; a channel without
        one sends no key rather than another channel's."""
        setting = self.setting_name("intake_api_keys")
        by_channel = {
            source.channel: IntakeKey(None, f'{setting}["{source.channel}"]')
            for source in self.sources
            if source.channel != self.channel
        }
        for channel, key in self.intake_api_keys.items():
            value = key.get_secret_value().strip() or None
            if value is not None:
                by_channel[channel] = IntakeKey(value, f'{setting}["{channel}"]')
        return IntakeKeys(
            default=IntakeKey(self.intake_key(), self.setting_name("intake_api_key")),
            by_channel=by_channel,
        )

    def check_production(self) -> None:
        """Besides the single channel's key and secrets: every polled channel has
        its key for intake, and no source's feed key is a placeholder."""
        super().check_production()
        if not self.is_production:
            return
        keys = self.intake_keys()
        for source in self.sources:
            key = keys.for_channel(source.channel)
            if key.value is None:
                raise ValueError(f"production needs {key.setting}")
            if source.api_key is not None and (
                (source.key() or "").lower() in PLACEHOLDER_SECRETS
            ):
                raise ValueError(
                    f"production needs a real api_key for the forum source "
                    f"{source.name} (or none)"
                )
