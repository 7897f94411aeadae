"""Notify's settings (environment prefix `NOTIFY_`)."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path
from typing import ClassVar

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from minsheng_common.settings import (
    PLACEHOLDER_SECRETS,
    PiiSettingsMixin,
    ServiceSettings,
)

# A shared HMAC secret must be long and random: no shorter than a token secret.
_MIN_RECEIPT_SECRET = 32


class NotifySettings(PiiSettingsMixin, ServiceSettings):
    """Where messages go and how hard notify tries before it gives up.

    The PII keys are the ones intake encrypts contacts with: in development both read
    the same `<data_dir>/secrets.json`, in production both get the same `PII_KEYS`.
    """

    service_name: ClassVar[str] = "notify"
    model_config = SettingsConfigDict(env_prefix="NOTIFY_", extra="ignore")

    port: int = 8004
    mailbox_dir: Path | None = Field(
        default=None,
        description="folder the embedded mailbox sender writes messages into; "
        "default <data_dir>/mailbox",
    )
    oa_dir: Path | None = Field(
        default=None,
        description="folder the embedded OA sender writes agencies' and units' "
        "letters into when no OA interface is configured; default <data_dir>/oa",
    )
    oa_gateway_url: str | None = Field(
        default=None,
        description="the office system's (OA) URL that takes letters (POST JSON); "
        "unset: letters are written into the OA folder",
    )
    oa_gateway_key: SecretStr = Field(
        default=SecretStr(""), description="sent as `Authorization: Bearer <key>`"
    )
    oa_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    send_max_attempts: int = Field(default=5, ge=1, le=50)
    send_backoff_seconds: float = Field(
        default=30.0,
        gt=0,
        description="wait after the first failed attempt; doubled "
        "after each further one",
    )
    send_backoff_max_seconds: float = Field(default=1800.0, gt=0)
    recipient_wait_seconds: float = Field(
        default=3600.0,
        gt=0,
        description="how long a notice waits for its recipient (appeal.filed) on the "
        "service clock before it fails as recipient_unknown",
    )
    send_poll_ms: int = Field(default=500, ge=10, le=60_000)
    send_batch_size: int = Field(default=50, ge=1)
    pii_retention_days: int = Field(
        default=730,
        ge=1,
        le=36_500,
        description="days after an appeal's filing and its last notice after which "
        "the citizen's contact is erased; the notices and their evidence stay, with "
        "the recipient masked",
    )
    retention_check_seconds: float = Field(
        default=3600.0,
        gt=0,
        description="how often the erasure of expired contacts runs",
    )

    contacts_file: Path | None = Field(
        default=None,
        description="JSON file of addresses of units, agencies and leaders (the "
        "reference data's `contacts` section), replacing the reference file's",
    )
    survey_base_url: str = Field(
        default="http://127.0.0.1:8004",
        description="notify's public address, which return-visit links point to",
    )
    survey_valid_days: int = Field(
        default=15, ge=1, le=365, description="days a return-visit survey is answerable"
    )
    sms_reply_secrets: str = Field(
        default="",
        description="secrets the SMS gateway signs citizens' replies with, "
        "comma-separated, newest first; unset refuses every reply",
    )
    morning_report_enabled: bool = Field(
        default=True,
        description="whether this replica sends the daily morning report (a replica "
        "kept for citizens' notices, or a test of them, can leave it out)",
    )
    morning_report_at: time = Field(
        default=time(8, 0),
        description="when the daily morning report goes out, Asia/Shanghai",
    )
    morning_report_check_seconds: float = Field(
        default=30.0, gt=0, description="how often the morning report's time is checked"
    )

    quiet_start_hour: int = Field(
        default=22,
        ge=0,
        le=23,
        description="the hour (Asia/Shanghai) from which SMS to citizens are held, "
        "except for level-1 appeals",
    )
    quiet_end_hour: int = Field(
        default=8,
        ge=0,
        le=23,
        description="the hour at which held SMS leave; equal to the start hour, "
        "nothing is held",
    )

    sms_gateway_url: str | None = Field(
        default=None,
        description="the SMS gateway's send URL (POST JSON); unset: no SMS sender",
    )
    sms_gateway_key: SecretStr = Field(
        default=SecretStr(""), description="sent as `Authorization: Bearer <key>`"
    )
    sms_timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    smtp_host: str | None = Field(
        default=None, description="the mail server; unset: no email sender"
    )
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_from: str = Field(
        default="民生诉求 <noreply@localhost>",
        min_length=3,
        description="the From of every email; its domain ends each Message-ID",
    )
    smtp_username: str | None = None
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = Field(
        default=True, description="upgrade the connection with STARTTLS"
    )
    smtp_implicit_tls: bool = Field(
        default=False, description="connect with TLS from the start (port 465)"
    )
    smtp_ca_file: Path | None = Field(
        default=None, description="CA certificates to trust besides the system's"
    )
    smtp_timeout_seconds: float = Field(default=15.0, gt=0, le=300)

    wechat_api_url: str | None = Field(
        default=None,
        description="base URL of the WeChat official-account API (template "
        "messages to citizens' openids); unset: no such sender",
    )
    wechat_app_id: str = ""
    wechat_app_secret: SecretStr = SecretStr("")
    wechat_template_id: str = ""
    wechat_template_field: str = Field(
        default="content",
        min_length=1,
        max_length=50,
        description="the template's data field the message text goes into",
    )
    gov_wechat_api_url: str | None = Field(
        default=None,
        description="base URL of the government WeChat (政务微信) API, for "
        "leaders and units; unset: no such sender",
    )
    gov_wechat_corp_id: str = ""
    gov_wechat_corp_secret: SecretStr = SecretStr("")
    gov_wechat_agent_id: int = Field(default=0, ge=0)
    wechat_timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    channel_reply_urls: dict[str, str] = Field(
        default_factory=dict,
        description="channel id → the URL of that channel's adapter that answers "
        'the citizen there, as JSON: {"wechat": "https://…", "forum-people": …}',
    )
    channel_reply_secret: SecretStr = Field(
        default=SecretStr(""),
        description="signs each reply to an adapter (X-Minsheng-Signature)",
    )
    channel_reply_timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    receipt_secrets: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="provider (sms, email, wechat_template, gov_wechat, oa) → the "
        "secrets, newest first and comma-separated, that sign its delivery "
        "receipts (POST /v1/receipts/{provider}); a provider not listed is refused",
    )

    @field_validator(
        "sms_gateway_url",
        "wechat_api_url",
        "gov_wechat_api_url",
        "oa_gateway_url",
        mode="after",
    )
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("channel_reply_urls", mode="after")
    @classmethod
    def _http_urls(cls, value: dict[str, str]) -> dict[str, str]:
        for channel, url in value.items():
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"the reply URL of {channel} is not an HTTP URL")
        return value

    @model_validator(mode="after")
    def _backoff_cap_not_below_start(self) -> NotifySettings:
        if self.send_backoff_max_seconds < self.send_backoff_seconds:
            raise ValueError("send_backoff_max_seconds is below send_backoff_seconds")
        return self

    @model_validator(mode="after")
    def _real_secrets_in_production(self) -> NotifySettings:
        # A gateway that is configured needs its real key; a receipt secret must be
        # long enough that nobody can guess it and forge a receipt.
        if not self.is_production:
            return self
        needed = {
            "NOTIFY_SMS_GATEWAY_KEY": (self.sms_gateway_url, self.sms_gateway_key),
            "NOTIFY_OA_GATEWAY_KEY": (self.oa_gateway_url, self.oa_gateway_key),
            "NOTIFY_WECHAT_APP_SECRET": (self.wechat_api_url, self.wechat_app_secret),
            "NOTIFY_GOV_WECHAT_CORP_SECRET": (
                self.gov_wechat_api_url,
                self.gov_wechat_corp_secret,
            ),
            "NOTIFY_CHANNEL_REPLY_SECRET": (
                "set" if self.channel_reply_urls else None,
                self.channel_reply_secret,
            ),
        }
        for name, (configured, secret) in needed.items():
            if configured and _placeholder(secret.get_secret_value()):
                raise ValueError(f"production needs a real {name}")
        for provider in self.receipt_secrets:
            if any(
                _placeholder(secret) or len(secret) < _MIN_RECEIPT_SECRET
                for secret in self.receipt_secret_list(provider)
            ):
                raise ValueError(
                    f"production needs real receipt secrets for {provider} "
                    f"({_MIN_RECEIPT_SECRET} characters or more each)"
                )
        return self

    def receipt_secret_list(self, provider: str) -> list[str]:
        """The secrets that may have signed `provider`'s receipts, newest first;
        empty when its receipts are not taken."""
        raw = self.receipt_secrets.get(provider)
        if raw is None:
            return []
        return [
            part.strip() for part in raw.get_secret_value().split(",") if part.strip()
        ]

    def sms_reply_secret_list(self) -> list[str]:
        return [s.strip() for s in self.sms_reply_secrets.split(",") if s.strip()]

    def mailbox_path(self) -> Path:
        return self.mailbox_dir or self.data_dir / "mailbox"

    def oa_path(self) -> Path:
        return self.oa_dir or self.data_dir / "oa"

    @property
    def recipient_wait(self) -> timedelta:
        return timedelta(seconds=self.recipient_wait_seconds)

    @property
    def pii_retention(self) -> timedelta:
        return timedelta(days=self.pii_retention_days)


def _placeholder(secret: str) -> bool:
    return secret.strip().lower() in PLACEHOLDER_SECRETS
