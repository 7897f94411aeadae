"""The Open311 server's settings (environment prefix `OPEN311_`): the adapters'
shared ones (intake, the delivery's pace) and what GeoReport v2 clients may ask."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from minsheng_common.adapters.intake import IntakeKey, IntakeKeys
from minsheng_common.adapters.settings import AdapterSettings


class Open311Settings(AdapterSettings):
    service_name: ClassVar[str] = "open311"
    model_config = SettingsConfigDict(env_prefix="OPEN311_", extra="ignore")

    port: int = 8016
    channel: str = Field(
        default="open311",
        min_length=1,
        max_length=50,
        description="the channel id the appeals arrive under; a 311 client's key "
        "must be a channel key of this channel",
    )
    jurisdiction_ids: str = Field(
        default="",
        description="jurisdiction ids answered besides the district's own id and "
        "administrative code from the reference data, comma-separated",
    )
    intake_api_key: SecretStr = Field(
        default=SecretStr(""),
        description="the server's own channel key for intake, sent as X-API-Key "
        "with every appeal; required in production",
    )
    post_wait_seconds: float = Field(
        default=2.0,
        ge=0,
        le=10,
        description="how long POST /requests waits for intake's answer, so the "
        "service_request_id comes with the token; 0 answers with the token at once",
    )
    max_description_chars: int = Field(
        default=4000,
        ge=1,
        description="the longest description taken (GeoReport v2: 4,000); it must "
        "not exceed intake's own limit (INTAKE_MAX_CONTENT_CHARS)",
    )
    max_title_chars: int = Field(
        default=200,
        ge=1,
        description="the longest title attribute taken: intake's own limit "
        "(INTAKE_MAX_TITLE_CHARS)",
    )
    query_days: int = Field(
        default=90,
        ge=1,
        le=366,
        description="the longest span of start_date to end_date, and the window "
        "searched when neither is given (GeoReport v2: 90 days)",
    )
    max_results: int = Field(
        default=1000,
        ge=1,
        le=10_000,
        description="the most requests or updates one query answers "
        "(GeoReport v2: 1,000)",
    )
    max_ids_per_query: int = Field(default=100, ge=1, le=1000)
    public_reads_per_minute: int = Field(
        default=600,
        ge=1,
        description="reads a minute from one address without an api_key; more "
        "answer 429",
    )
    unclaimed_hours: float = Field(
        default=24,
        gt=0,
        description="how long progress of an appeal not filed here is kept, in "
        "case its link to a request arrives late; then it is forgotten",
    )

    def intake_key(self) -> str | None:
        """The key sent to intake, or None when none is configured."""
        return self.intake_api_key.get_secret_value().strip() or None

    def intake_keys(self) -> IntakeKeys:
        """The one key, for the one channel."""
        return IntakeKeys(
            default=IntakeKey(self.intake_key(), self.setting_name("intake_api_key"))
        )

    def extra_jurisdictions(self) -> list[str]:
        return [j.strip() for j in self.jurisdiction_ids.split(",") if j.strip()]

    def check_production(self) -> None:
        """Refuse to start in production without the server's intake key;
        elsewhere appeals then reach intake without a key."""
        if self.is_production and self.intake_key() is None:
            raise ValueError(f"production needs {self.setting_name('intake_api_key')}")
        self.check_answers()
