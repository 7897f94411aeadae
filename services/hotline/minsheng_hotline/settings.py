"""The hotline adapter's settings (environment prefix `HOTLINE_`).

Each line is a channel of its own (`hotline-12345`…), so each has its own key for
intake (a channel's key submits only for its channel) and its own signing secrets
(a call centre signs only its own line's records). Both are JSON objects keyed by
the line: `HOTLINE_LINE_SECRETS='{"12345": "new-secret,old-secret"}'`.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from minsheng_common.adapters.intake import IntakeKey, IntakeKeys
from minsheng_common.adapters.settings import (
    AdapterSettings,
    check_webhook_secrets,
    secret_list,
)

LINES = ("12345", "12319", "28339260")
"""The district's hotlines (Art. 5)."""


def channel_of(line: str) -> str:
    """The channel id of a line in the reference data."""
    return f"hotline-{line}"


class HotlineSettings(AdapterSettings):
    service_name: ClassVar[str] = "hotline"
    model_config = SettingsConfigDict(env_prefix="HOTLINE_", extra="ignore")

    port: int = 8012
    lines: tuple[str, ...] = Field(
        default=LINES,
        description="the lines whose call centres push records; each is the channel "
        "hotline-<line>",
    )
    line_secrets: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="per line, the secrets its call centre signs records with, "
        "newest first, comma-separated; required in production, and a line without "
        "them answers 503 elsewhere",
    )
    intake_api_keys: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="per line, the key of the line's channel system for intake, "
        "sent as X-API-Key with its appeals; required in production",
    )
    max_title_chars: int = Field(
        default=200,
        ge=10,
        description="intake's limit for a title (INTAKE_MAX_TITLE_CHARS): a longer "
        "title is refused with 422 too_long",
    )
    max_content_chars: int = Field(
        default=5000,
        ge=100,
        description="intake's limit for the content (INTAKE_MAX_CONTENT_CHARS): a "
        "longer summary is refused with 422 too_long",
    )
    recording_types: str = Field(
        default="mp3,wav,amr,m4a",
        description="file endings a recording may have (intake takes these), "
        "comma-separated",
    )

    def secrets_of(self, line: str) -> list[str]:
        """The secrets that may have signed a record of `line`, newest first."""
        secrets = self.line_secrets.get(line)
        return secret_list(secrets) if secrets is not None else []

    def secret_setting(self, line: str) -> str:
        return f'{self.setting_name("line_secrets")}["{line}"]'

    def intake_keys(self) -> IntakeKeys:
        """The key of each line's channel; none for a channel of no line."""
        setting = self.setting_name("intake_api_keys")
        return IntakeKeys(
            default=IntakeKey(None, setting),
            by_channel={
                channel_of(line): IntakeKey(self._key(line), f'{setting}["{line}"]')
                for line in self.lines
            },
        )

    def _key(self, line: str) -> str | None:
        key = self.intake_api_keys.get(line)
        return (key.get_secret_value().strip() or None) if key is not None else None

    def recording_type_set(self) -> frozenset[str]:
        return frozenset(
            ending.strip().lower().lstrip(".")
            for ending in self.recording_types.split(",")
            if ending.strip()
        )

    def check_production(self) -> None:
        """Refuse to start in production unless every line has its key for intake
        and real signing secrets; elsewhere they may be absent (appeals then reach
        intake without a key, and the line's pushes answer 503)."""
        if not self.is_production:
            return
        for line in self.lines:
            if self._key(line) is None:
                raise ValueError(
                    f'production needs {self.setting_name("intake_api_keys")}["{line}"]'
                )
            check_webhook_secrets(self.secrets_of(line), self.secret_setting(line))
