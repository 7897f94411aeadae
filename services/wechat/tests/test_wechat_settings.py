"""The account's settings: WeChat's formats, what production refuses, and pushes
refused while the adapter lacks what verifies them."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from minsheng_wechat.app import create_app
from minsheng_wechat.settings import WechatSettings, aes_key_bytes
from tests.adapter_support import running

from .conftest import AES_KEY, APP_ID, TOKEN, WeChat, wx_key

REAL = {
    "environment": "production",
    "token_secrets": "t" * 40,
    "intake_api_key": "ms_k1_realkeyrealkey",
    "token": "Q7vX2mR9kLp4ZsW8",
    "encoding_aes_key": AES_KEY,
    "app_id": APP_ID,
    "app_secret": "9f2c8a7d3e1b9c04a5b6c7d8e9f0a1b2",
    "photo_hosts": "mmbiz.qpic.cn",
    "public_url": "https://minsheng.example.gov.cn/wechat",
}


def test_wechat_the_encoding_aes_key_is_read_as_wechat_does() -> None:
    assert aes_key_bytes(AES_KEY) == wx_key()
    assert aes_key_bytes(AES_KEY[:-1]) is None
    assert aes_key_bytes("!" * 43) is None


@pytest.mark.parametrize(
    ("field", "value"),
    [("token", "has spaces in it"), ("token", "ab"), ("encoding_aes_key", "short")],
)
def test_wechat_settings_refuse_what_wechat_would_not_give(
    field: str, value: str
) -> None:
    with pytest.raises(ValidationError, match=f"WECHAT_{field.upper()}"):
        WechatSettings(**{field: value})


def test_wechat_production_starts_with_real_settings() -> None:
    WechatSettings(**REAL).check_production()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("intake_api_key", ""),
        ("token", ""),
        ("token", "changeme"),
        ("token", "abc123"),
        ("token", "placeholderToken2026"),
        ("encoding_aes_key", ""),
        ("app_id", ""),
        ("app_id", "wxXXXXXXXXXXXXXXXX"),
        ("app_secret", "changeme"),
        ("app_secret", ""),
        ("photo_hosts", ""),
        ("public_url", ""),
    ],
)
def test_wechat_production_refuses_missing_or_made_up_settings(
    field: str, value: str
) -> None:
    settings = WechatSettings(**{**REAL, field: value})

    with pytest.raises(ValueError, match=f"WECHAT_{field.upper()}"):
        settings.check_production()


@pytest.mark.parametrize(
    ("token", "encrypted", "setting"),
    [
        ("", False, "WECHAT_TOKEN"),
        (TOKEN, True, "WECHAT_ENCODING_AES_KEY"),
    ],
)
async def test_wechat_pushes_are_refused_until_the_account_is_configured(
    tmp_path: Path, token: str, encrypted: bool, setting: str
) -> None:
    settings = WechatSettings(
        database_url=f"sqlite:///{tmp_path / 'wechat.db'}",
        data_dir=tmp_path,
        environment="test",
        kafka_bootstrap_servers="127.0.0.1:1",
        token=token,
    )
    async with (
        running(create_app(settings)) as app,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://wechat"
        ) as http,
    ):
        platform = WeChat(http, pictures=None)  # type: ignore[arg-type]
        message = platform.text(platform.openid(), "坪山街道的路灯坏了。")
        if encrypted:
            pushed = await platform.push_sealed(message)
        else:
            pushed = await platform.push(message)
        checked = await http.get(
            "/v1/push", params={**platform.signed_query(), "echostr": "1"}
        )

    error = pushed.response.json()["error"]
    assert pushed.response.status_code == 503
    assert error["code"] == "wechat_not_configured"
    assert setting in error["message"]
    assert checked.status_code == (503 if not token else 200)
