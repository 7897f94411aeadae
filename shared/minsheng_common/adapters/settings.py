"""Settings every channel adapter shares: where intake is and the adapter's own key
for it, the secrets its channel signs pushes with, and the delivery's pace."""

from __future__ import annotations

from pydantic import Field, SecretStr

from minsheng_common.adapters.intake import IntakeKey, IntakeKeys
from minsheng_common.settings import PLACEHOLDER_SECRETS, ServiceSettings

MIN_WEBHOOK_SECRET = 32
"""A shared HMAC secret must be long and random: no shorter than a token secret."""


class AdapterSettings(ServiceSettings):
    """What every adapter sets: where intake is, the push budget and the delivery's
    pace; each adapter adds its own under its prefix."""

    intake_url: str = Field(
        default="http://127.0.0.1:8001", description="where intake's API answers"
    )
    intake_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_per_minute: int = Field(
        default=600,
        ge=1,
        description="pushes taken a minute from each source (one budget whichever "
        "secret signed); more answer 429",
    )
    retry_base_seconds: float = Field(default=0.5, gt=0)
    retry_cap_seconds: float = Field(default=30.0, gt=0)
    delivery_poll_seconds: float = Field(default=0.25, gt=0, le=5)
    answer_secrets: SecretStr = Field(
        default=SecretStr(""),
        description="secrets notify signs the answers it hands over with "
        "(NOTIFY_CHANNEL_REPLY_SECRET), newest first, comma-separated; without "
        "them POST /v1/answers/{channel} answers 503",
    )
    notify_url: str = Field(
        default="http://127.0.0.1:8004",
        description="where notify's API answers, for the answers' delivery receipts",
    )
    notify_receipt_secret: SecretStr = Field(
        default=SecretStr(""),
        description="signs the delivery receipts sent to notify: one of notify's "
        'NOTIFY_RECEIPT_SECRETS["reply:<channel>"]; without it notify is not told',
    )
    notify_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    answer_max_attempts: int = Field(
        default=10,
        ge=1,
        le=100,
        description="tries at carrying an answer before it is reported undelivered",
    )
    answer_retry_cap_seconds: float = Field(
        default=300.0, gt=0, description="the longest wait between two tries"
    )
    answer_retention_days: int = Field(
        default=30,
        ge=1,
        description="how long a settled answer is kept here once notify has its "
        "receipt (notify keeps the evidence)",
    )

    def setting_name(self, field: str) -> str:
        """The environment variable that sets `field`, for messages to operators."""
        prefix = str(self.model_config.get("env_prefix", ""))
        return f"{prefix}{field}".upper()

    def intake_keys(self) -> IntakeKeys:
        """Which key goes with an appeal of each channel."""
        raise NotImplementedError

    def answer_secret_list(self) -> list[str]:
        """The secrets that may have signed an answer from notify, newest first."""
        return secret_list(self.answer_secrets)

    def receipt_secret(self) -> str | None:
        """The secret the answers' receipts to notify are signed with, if any."""
        return self.notify_receipt_secret.get_secret_value().strip() or None

    def check_answers(self) -> None:
        """In production, a secret set for answers must be a real one: answers are
        messages to citizens, and receipts are evidence."""
        if not self.is_production:
            return
        answer_secrets = self.answer_secret_list()
        if answer_secrets:
            check_webhook_secrets(answer_secrets, self.setting_name("answer_secrets"))
        secret = self.receipt_secret()
        if secret is not None:
            check_webhook_secrets([secret], self.setting_name("notify_receipt_secret"))

    def check_production(self) -> None:
        """Refuse to start in production with a credential missing."""
        raise NotImplementedError


class SingleChannelSettings(AdapterSettings):
    """An adapter of one channel: one key for intake, one list of push secrets."""

    intake_api_key: SecretStr = Field(
        default=SecretStr(""),
        description="the adapter's own channel key for intake, sent as X-API-Key "
        "with every appeal; required in production",
    )
    webhook_secrets: SecretStr = Field(
        default=SecretStr(""),
        description="secrets that sign what the channel pushes, newest first, "
        "comma-separated; required in production, and without them the push "
        "route answers 503 elsewhere",
    )

    def intake_key(self) -> str | None:
        """The key sent to intake, or None when none is configured."""
        return self.intake_api_key.get_secret_value().strip() or None

    def intake_keys(self) -> IntakeKeys:
        """The one key, whatever the appeal's channel."""
        return IntakeKeys(
            default=IntakeKey(self.intake_key(), self.setting_name("intake_api_key"))
        )

    def webhook_secret_list(self) -> list[str]:
        """The secrets that may have signed a push, newest first."""
        return secret_list(self.webhook_secrets)

    def check_production(self) -> None:
        """Refuse to start in production without the adapter's intake key or with a
        missing, short or placeholder webhook secret; elsewhere both may be absent
        (appeals then reach intake without a key, and pushes answer 503)."""
        if not self.is_production:
            return
        if self.intake_key() is None:
            raise ValueError(f"production needs {self.setting_name('intake_api_key')}")
        check_webhook_secrets(
            self.webhook_secret_list(), self.setting_name("webhook_secrets")
        )
        self.check_answers()


def secret_list(raw: SecretStr) -> list[str]:
    """Comma-separated secrets, newest first, blanks dropped."""
    return [part.strip() for part in raw.get_secret_value().split(",") if part.strip()]


def check_webhook_secrets(secrets: list[str], setting: str) -> None:
    """Refuse a missing, short or placeholder list of signing secrets."""
    if not secrets or any(
        secret.lower() in PLACEHOLDER_SECRETS or len(secret) < MIN_WEBHOOK_SECRET
        for secret in secrets
    ):
        raise ValueError(
            f"production needs real {setting} "
            f"({MIN_WEBHOOK_SECRET} characters or more each)"
        )
