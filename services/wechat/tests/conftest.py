"""The WeChat adapter served over real HTTP on loopback, with intake itself and a
picture server standing in for WeChat's picture host, started once per test module.

WeChat's servers are played by `WeChat`, which signs, encrypts and reads replies as
WeChat's specification says. Its crypto is written here from the specification,
not taken from the adapter, so a wrong implementation in the adapter fails the
tests instead of agreeing with itself.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import os
import secrets
import string
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from fastapi import FastAPI

from minsheng_common.devstack.loopback import LoopbackServer, wait_for
from minsheng_wechat.app import create_app
from minsheng_wechat.models import WechatAppeal
from minsheng_wechat.settings import WechatSettings
from tests.adapter_support import (
    LoopbackIntake,
    PictureServer,
    delivery_settings,
    role_keys,
    serving_pictures,
)

TOKEN = "PingshanMinsheng2026"
AES_KEY = base64.b64encode(bytes(range(7, 39))).decode().rstrip("=")
"""An EncodingAESKey: 43 characters, 32 bytes once an '=' is added."""
APP_ID = "wx5f2c8a7d3e1b9c04"
ACCOUNT = "gh_3a9f1c2b7d4e"
"""The official account's original id: ToUserName of every push."""
PUBLIC_URL = "http://wechat.test"
OPENID_CHARS = string.ascii_letters + string.digits + "_-"


# --- WeChat's protocol, from its specification ---------------------------------


def wx_signature(*parts: str) -> str:
    """SHA-1 of the parts sorted as strings and joined."""
    joined = "".join(sorted(parts)).encode()
    return hashlib.sha1(joined, usedforsecurity=False).hexdigest()


def wx_key(encoding_aes_key: str = AES_KEY) -> bytes:
    return base64.b64decode(encoding_aes_key + "=")


def wx_encrypt(xml: bytes, *, app_id: str = APP_ID) -> str:
    """16 random bytes, the length big-endian in 4 bytes, the XML, the AppID,
    padded with N bytes of value N to a multiple of 32; AES-256-CBC, IV = key[:16];
    Base64."""
    key = wx_key()
    plain = os.urandom(16) + len(xml).to_bytes(4, "big") + xml + app_id.encode()
    pad = 32 - len(plain) % 32
    plain += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def wx_decrypt(text: str) -> tuple[bytes, str]:
    """The XML and the AppID inside an Encrypt text."""
    key = wx_key()
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(base64.b64decode(text)) + decryptor.finalize()
    pad = plain[-1]
    assert 1 <= pad <= 32, "padding to 32-byte blocks"
    assert len(plain) % 32 == 0
    plain = plain[:-pad]
    length = int.from_bytes(plain[16:20], "big")
    return plain[20 : 20 + length], plain[20 + length :].decode()


def wx_xml(fields: dict[str, str | int]) -> bytes:
    """WeChat's XML: texts in CDATA, numbers bare."""
    inner = "".join(
        f"<{name}>{value}</{name}>"
        if isinstance(value, int)
        else f"<{name}><![CDATA[{value}]]></{name}>"
        for name, value in fields.items()
    )
    return f"<xml>{inner}</xml>".encode()


def read_xml(body: bytes) -> dict[str, str]:
    # The adapter's own reply: trusted in the test, read with the standard library.
    root = ElementTree.fromstring(body)  # noqa: S314
    return {child.tag: child.text or "" for child in root}


# --- the servers ---------------------------------------------------------------


@dataclass
class Pushed:
    """A push's answer, with the reply read (decrypted when it came encrypted)."""

    response: httpx.Response
    reply: dict[str, str] | None
    envelope: dict[str, str] | None = None
    """The encrypted reply's outer elements."""

    @property
    def content(self) -> str:
        assert self.reply is not None, self.response.text
        return self.reply["Content"]


@dataclass
class WeChat:
    """WeChat's servers pushing to the adapter, and the citizens writing."""

    http: httpx.AsyncClient
    pictures: PictureServer
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def openid(self) -> str:
        """A new citizen: an openid of 28 characters."""
        return "o" + "".join(secrets.choice(OPENID_CHARS) for _ in range(27))

    def msg_id(self) -> str:
        return str(24_000_000_000_000_000 + next(self.ids) * 7919)

    def message(
        self, openid: str, msg_type: str, **elements: str | int
    ) -> dict[str, str | int]:
        fields: dict[str, str | int] = {
            "ToUserName": ACCOUNT,
            "FromUserName": openid,
            "CreateTime": int(time.time()),
            "MsgType": msg_type,
        }
        fields.update(elements)
        if msg_type != "event":
            fields.setdefault("MsgId", self.msg_id())
        return fields

    def text(self, openid: str, content: str, **more: str | int) -> dict[str, Any]:
        return self.message(openid, "text", Content=content, **more)

    def image(self, openid: str, pic_url: str) -> dict[str, Any]:
        return self.message(openid, "image", PicUrl=pic_url, MediaId="media-1")

    def location(
        self, openid: str, latitude: float, longitude: float, label: str
    ) -> dict[str, Any]:
        return self.message(
            openid,
            "location",
            Location_X=f"{latitude}",
            Location_Y=f"{longitude}",
            Scale=15,
            Label=label,
        )

    def signed_query(
        self,
        *,
        timestamp: int | None = None,
        nonce: str | None = None,
        token: str = TOKEN,
        openid: str | None = None,
    ) -> dict[str, str]:
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        once = nonce or str(secrets.randbelow(10**9))
        query = {
            "signature": wx_signature(token, stamp, once),
            "timestamp": stamp,
            "nonce": once,
        }
        if openid:
            query["openid"] = openid
        return query

    def sealed(
        self,
        fields: dict[str, Any],
        *,
        query: dict[str, str] | None = None,
        compatible: bool = False,
        app_id: str = APP_ID,
        token: str = TOKEN,
    ) -> tuple[bytes, dict[str, str]]:
        """The body and query of an encrypted push of `fields` (safe mode, or
        compatible mode with the plaintext beside the Encrypt element)."""
        query = dict(query or self.signed_query(openid=str(fields["FromUserName"])))
        encrypted = wx_encrypt(wx_xml(fields), app_id=app_id)
        outer: dict[str, str | int] = (
            {**fields, "Encrypt": encrypted}
            if compatible
            else {"ToUserName": ACCOUNT, "Encrypt": encrypted}
        )
        query["encrypt_type"] = "aes"
        query["msg_signature"] = wx_signature(
            token, query["timestamp"], query["nonce"], encrypted
        )
        return wx_xml(outer), query

    async def send(self, body: bytes, query: dict[str, str]) -> Pushed:
        response = await self.http.post(
            "/v1/push",
            params=query,
            content=body,
            headers={"Content-Type": "text/xml"},
        )
        return self.read(response, query)

    async def push(self, fields: dict[str, Any], **query: Any) -> Pushed:
        """A plain push of `fields`, signed."""
        signed = self.signed_query(openid=str(fields["FromUserName"]), **query)
        return await self.send(wx_xml(fields), signed)

    async def push_sealed(self, fields: dict[str, Any], **options: Any) -> Pushed:
        return await self.send(*self.sealed(fields, **options))

    def read(self, response: httpx.Response, query: dict[str, str]) -> Pushed:
        """The reply as the citizen's WeChat would show it; an encrypted one is
        checked (MsgSignature, AppID) and opened."""
        if response.status_code != 200 or response.content == b"success":
            return Pushed(response, None)
        outer = read_xml(response.content)
        if "Encrypt" not in outer:
            return Pushed(response, outer)
        assert outer["MsgSignature"] == wx_signature(
            TOKEN, outer["TimeStamp"], outer["Nonce"], outer["Encrypt"]
        ), "the reply's MsgSignature covers token, TimeStamp, Nonce and Encrypt"
        xml, app_id = wx_decrypt(outer["Encrypt"])
        assert app_id == APP_ID
        return Pushed(response, read_xml(xml), envelope=outer)


@dataclass
class Adapter:
    """The adapter on loopback, its settings and an operator's client."""

    server: LoopbackServer
    settings: WechatSettings
    operator: httpx.AsyncClient

    @property
    def app(self) -> FastAPI:
        assert self.server.app is not None
        app: FastAPI = self.server.app
        return app

    async def item(self, item_id: str) -> WechatAppeal:
        async with self.app.state.runtime.sessions() as session:
            item = await session.get(WechatAppeal, item_id)
        assert item is not None
        return item

    async def items(self, **query: Any) -> list[dict[str, Any]]:
        answer = await self.operator.get("/v1/items", params={"limit": 500, **query})
        assert answer.status_code == 200, answer.text
        found: list[dict[str, Any]] = answer.json()["items"]
        return found

    async def messages(self) -> dict[str, dict[str, Any]]:
        answer = await self.operator.get("/v1/messages", params={"limit": 500})
        assert answer.status_code == 200, answer.text
        return {row["message_key"]: row for row in answer.json()["items"]}


def wechat_settings(
    folder: Path, intake: LoopbackIntake, key: str, **changes: Any
) -> WechatSettings:
    values: dict[str, Any] = {
        **delivery_settings(f"sqlite:///{folder / 'wechat.db'}", folder, intake),
        "intake_api_key": key,
        "token": TOKEN,
        "encoding_aes_key": AES_KEY,
        "app_id": APP_ID,
        "app_secret": "s" * 32,
        "photo_hosts": "",
        "public_url": PUBLIC_URL,
        "intake_timeout_seconds": 5.0,
    }
    values.update(changes)
    return WechatSettings(**values)


async def accepted_key(intake: LoopbackIntake, channel: str) -> str:
    """A new key of `channel`, once intake (which reads its credentials file
    within a second) takes it."""
    key = intake.channel_key(channel)
    async with httpx.AsyncClient(
        base_url=intake.url, headers={"X-API-Key": key}
    ) as http:

        async def known() -> bool:
            answer = await http.get("/v1/appeals/no-such-appeal")
            return answer.status_code != 401

        await wait_for(known, within=5)
    return key


async def warm_up(intake: LoopbackIntake) -> None:
    """Have intake file one appeal of another channel, so its first WeChat appeal
    is not the one that loads its language models (seconds, on a cold start)."""
    key = await accepted_key(intake, "hotline-12345")
    async with httpx.AsyncClient(
        base_url=intake.url, headers={"X-API-Key": key}, timeout=60
    ) as http:
        answer = await http.post(
            "/v1/appeals",
            json={
                "channel": "hotline-12345",
                "channel_ref": "warm-up",
                "title": "路灯不亮",
                "content": "坪山街道东门路的路灯不亮。",
                "contact": {"kind": "phone", "value": "13800138000"},
                "received_at": "2026-12-04T09:00:00+08:00",
            },
        )
    assert answer.status_code in (200, 201), answer.text


@pytest.fixture(scope="module")
async def intake(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[LoopbackIntake]:
    """Intake on loopback, listening (a test that stops it starts it again)."""
    server = LoopbackIntake(tmp_path_factory.mktemp("intake"))
    await server.start()
    await warm_up(server)
    yield server
    await server.stop()


@pytest.fixture(scope="module")
async def pictures() -> AsyncIterator[PictureServer]:
    """WeChat's picture host: what it serves, 404 for the rest."""
    async with serving_pictures("mmbiz") as host:
        yield host


@pytest.fixture(scope="module")
async def adapter(
    tmp_path_factory: pytest.TempPathFactory, intake: LoopbackIntake
) -> AsyncIterator[Adapter]:
    key = await accepted_key(intake, "wechat")
    settings = wechat_settings(tmp_path_factory.mktemp("wechat"), intake, key)
    keys = role_keys(settings.credentials_path(), channel="wechat")
    server = LoopbackServer(lambda: create_app(settings), lifespan="on")
    await server.start()
    async with httpx.AsyncClient(
        base_url=server.url, headers={"X-API-Key": keys["operator"]}
    ) as operator:
        yield Adapter(server, settings, operator)
    await server.stop()


@pytest.fixture(scope="module")
async def wechat(adapter: Adapter, pictures: PictureServer) -> AsyncIterator[WeChat]:
    """WeChat's servers, pushing to the adapter over HTTP without a key."""
    async with httpx.AsyncClient(base_url=adapter.server.url, timeout=10) as http:
        yield WeChat(http, pictures)


@pytest.fixture
def poll() -> Callable[..., Any]:
    return wait_for
