"""The WeChat adapter's settings (environment prefix `WECHAT_`): intake and the
delivery's pace are every adapter's (`AdapterSettings`); the rest is the official
account's: the token its pushes are signed with, the EncodingAESKey of the safe
mode, the AppID and AppSecret, and where WeChat's API answers."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import timedelta
from typing import ClassVar

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from minsheng_common.adapters.intake import IntakeKey, IntakeKeys
from minsheng_common.adapters.settings import AdapterSettings
from minsheng_common.settings import PLACEHOLDER_SECRETS

TOKEN_PATTERN = re.compile(r"[A-Za-z0-9]{3,32}")
"""WeChat's rule for the token: 3 to 32 letters or digits."""
AES_KEY_CHARS = 43
MIN_PRODUCTION_TOKEN = 16
"""WeChat allows a token of 3 characters; production wants one hard to guess."""
_PLACEHOLDER_WORDS = ("change", "placeholder", "example", "xxxx", "todo")

DEFAULT_WELCOME = (
    "您好，欢迎关注坪山民生诉求。请直接发送文字或语音描述您的诉求，"
    "可附图片和位置，我们会告诉您查询编号并尽快办理。"
)


class WechatSettings(AdapterSettings):
    service_name: ClassVar[str] = "wechat"
    model_config = SettingsConfigDict(env_prefix="WECHAT_", extra="ignore")

    port: int = 8014
    channel: str = Field(
        default="wechat",
        min_length=1,
        max_length=50,
        description="the channel id the appeals arrive under (微信)",
    )
    intake_api_key: SecretStr = Field(
        default=SecretStr(""),
        description="the adapter's own channel key for intake, sent as X-API-Key "
        "with every appeal; required in production",
    )
    token: SecretStr = Field(
        default=SecretStr(""),
        description="the Token of the account's server configuration (3-32 letters "
        "or digits): pushes are signed with it; without it pushes answer 503",
    )
    encoding_aes_key: SecretStr = Field(
        default=SecretStr(""),
        description="the EncodingAESKey (43 characters) of the safe mode; without "
        "it encrypted pushes answer 503",
    )
    app_id: str = Field(
        default="",
        max_length=64,
        description="the account's AppID: encrypted messages must name it, and the "
        "customer-service API is called with it",
    )
    app_secret: SecretStr = Field(
        default=SecretStr(""), description="the account's AppSecret, for the API"
    )
    api_url: str = Field(
        default="https://api.weixin.qq.com",
        description="where WeChat's API answers (access tokens, customer-service "
        "messages)",
    )
    api_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    reply_budget_seconds: float = Field(
        default=3.0,
        gt=0,
        le=4.5,
        description="how long a push waits for the picture and intake's answer "
        "before replying that the message was received; WeChat gives up after 5",
    )
    follow_up_seconds: float = Field(
        default=300,
        ge=0,
        description="a picture or location this soon after a citizen's text joins "
        "that text's appeal while intake has certainly not received it",
    )
    photo_hosts: str = Field(
        default="mmbiz.qpic.cn",
        description="hosts pictures are fetched from (host or host:port), "
        "comma-separated; empty takes any outside production",
    )
    photo_max_bytes: int = Field(default=10_000_000, ge=1024)
    photo_timeout_seconds: float = Field(default=2.0, gt=0)
    public_url: str = Field(
        default="",
        description="where intake's readers reach this adapter, to open the "
        "pictures attached to the appeals; default http://<host>:<port>",
    )
    welcome_text: str = Field(
        default=DEFAULT_WELCOME,
        min_length=1,
        max_length=600,
        description="the reply to a citizen who follows the account",
    )

    @model_validator(mode="after")
    def _wechat_formats(self) -> WechatSettings:
        token = self.token.get_secret_value().strip()
        if token and not TOKEN_PATTERN.fullmatch(token):
            raise ValueError(
                f"{self.setting_name('token')} must be 3 to 32 letters or digits"
            )
        aes_key = self.encoding_aes_key.get_secret_value().strip()
        if aes_key and aes_key_bytes(aes_key) is None:
            raise ValueError(
                f"{self.setting_name('encoding_aes_key')} must be the 43 characters "
                "WeChat gives (32 bytes in Base64 without its '=')"
            )
        return self

    def token_value(self) -> str | None:
        return self.token.get_secret_value().strip() or None

    def aes_key(self) -> bytes | None:
        """The 32-byte AES key of the safe mode, if one is set."""
        return aes_key_bytes(self.encoding_aes_key.get_secret_value().strip())

    def intake_key(self) -> str | None:
        """The key sent to intake, or None when none is configured."""
        return self.intake_api_key.get_secret_value().strip() or None

    def intake_keys(self) -> IntakeKeys:
        """The one key, whatever the appeal."""
        return IntakeKeys(
            default=IntakeKey(self.intake_key(), self.setting_name("intake_api_key"))
        )

    def follow_up_window(self) -> timedelta:
        return timedelta(seconds=self.follow_up_seconds)

    def photo_host_set(self) -> frozenset[str]:
        return frozenset(
            host.strip().lower() for host in self.photo_hosts.split(",") if host.strip()
        )

    def photo_base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def check_production(self) -> None:
        """Refuse to start in production without the intake key, with a missing or
        made-up token, EncodingAESKey, AppID or AppSecret, without the hosts
        pictures come from and the address intake's readers reach, or with a made-up
        secret for answers from notify."""
        if not self.is_production:
            return
        token = self.token_value() or ""
        secret = self.app_secret.get_secret_value().strip()
        for field, missing in (
            ("intake_api_key", self.intake_key() is None),
            ("token", len(token) < MIN_PRODUCTION_TOKEN or _made_up(token)),
            ("encoding_aes_key", self.aes_key() is None),
            ("app_id", not self.app_id.strip() or _made_up(self.app_id)),
            ("app_secret", len(secret) < MIN_PRODUCTION_TOKEN or _made_up(secret)),
            ("photo_hosts", not self.photo_host_set()),
            ("public_url", not self.public_url.strip()),
        ):
            if missing:
                raise ValueError(f"production needs a real {self.setting_name(field)}")
        self.check_answers()


def aes_key_bytes(encoding_aes_key: str) -> bytes | None:
    """WeChat's EncodingAESKey as the AES key: 43 Base64 characters and an '='
    make 32 bytes. None for anything else."""
    if len(encoding_aes_key) != AES_KEY_CHARS:
        return None
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except (binascii.Error, ValueError):
        return None
    return key if len(key) == 32 else None


def _made_up(value: str) -> bool:
    """A placeholder word, or a `<…>` left from an example file."""
    lowered = value.strip().lower()
    return (
        lowered in PLACEHOLDER_SECRETS
        or "<" in lowered
        or any(word in lowered for word in _PLACEHOLDER_WORDS)
    )
