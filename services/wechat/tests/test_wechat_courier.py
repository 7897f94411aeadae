"""The courier against a stand-in for WeChat's API served over real HTTP on loopback:
the access token fetched once and kept, fetched again once when WeChat calls it
expired, the customer-service text message as WeChat takes it, and every answer
sorted into sent, refused for good, or to be tried again."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from minsheng_common.adapters.answers import Answer, AnswerFailed, AnswerRefused
from minsheng_common.auth import webhooks
from minsheng_common.devstack.broker import free_port
from minsheng_common.devstack.loopback import LoopbackServer, wait_for
from minsheng_wechat.app import create_app
from minsheng_wechat.courier import WechatCourier
from minsheng_wechat.settings import WechatSettings

from .conftest import APP_ID

SECRET = "9f2c8a7d3e1b9c04a5b6c7d8e9f0a1b2"
OPENID = "oHk9Q1x2Y3z4A5b6C7d8E9f0G1h2"
ANSWER_SECRET = "notify-signs-the-answers-for-wechat-with-this"


@dataclass
class WechatApi:
    """WeChat's API as the courier meets it: tokens for the right AppID and
    secret, and customer-service messages answered with the queued errcodes (0
    once the queue is empty), a status, or a stall."""

    errcodes: list[int] = field(default_factory=list)
    token_errcode: int = 0
    status: int = 200
    stall: float = 0.0
    tokens_given: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    tokens_used: list[str] = field(default_factory=list)
    server: LoopbackServer = field(init=False)

    def __post_init__(self) -> None:
        self.server = LoopbackServer(self.app)

    def reset(self) -> None:
        self.errcodes, self.token_errcode, self.status, self.stall = [], 0, 200, 0.0
        self.tokens_given = 0
        self.sent, self.raw, self.tokens_used = [], [], []

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/cgi-bin/token")
        async def token(grant_type: str, appid: str, secret: str) -> dict[str, Any]:
            if self.token_errcode or (grant_type, appid, secret) != (
                "client_credential",
                APP_ID,
                SECRET,
            ):
                return {"errcode": self.token_errcode or 40125, "errmsg": "invalid"}
            self.tokens_given += 1
            return {"access_token": f"TOKEN-{self.tokens_given}", "expires_in": 7200}

        @app.post("/cgi-bin/message/custom/send")
        async def send(request: Request, access_token: str) -> Response:
            if self.stall:
                await asyncio.sleep(self.stall)
            if self.status != 200:
                return Response(status_code=self.status)
            self.raw.append(await request.body())
            self.sent.append(json.loads(self.raw[-1]))
            self.tokens_used.append(access_token)
            code = self.errcodes.pop(0) if self.errcodes else 0
            return Response(
                json.dumps({"errcode": code, "errmsg": "ok" if code == 0 else "no"}),
                media_type="application/json",
            )

        return app


@pytest.fixture(scope="module")
async def api() -> AsyncIterator[WechatApi]:
    stand_in = WechatApi()
    await stand_in.server.start()
    yield stand_in
    await stand_in.server.stop()


@pytest.fixture
def wechat_api(api: WechatApi) -> WechatApi:
    """The stand-in, its queues and counters cleared for each test."""
    api.reset()
    return api


def courier(api: WechatApi, *, timeout: float = 2.0) -> WechatCourier:
    return WechatCourier(
        api_url=api.server.url, app_id=APP_ID, app_secret=SECRET, timeout=timeout
    )


def answer(notice_id: str = "n-1", **changes: Any) -> Answer:
    values: dict[str, Any] = {
        "notice_id": notice_id,
        "appeal_id": "a-1",
        "kind": "appeal.filed",
        "contact_kind": "wechat_openid",
        "contact": OPENID,
        "text": "您的诉求已受理，查询编号 MS20261204000123。",
    }
    values.update(changes)
    return Answer(**values)


async def test_wechat_courier_sends_a_text_and_keeps_the_token(
    wechat_api: WechatApi,
) -> None:
    carrier = courier(wechat_api)

    first = await carrier.carry(answer("n-1"))
    second = await carrier.carry(answer("n-2", text="第二条"))

    assert carrier.channel == "wechat"
    assert (first, second) == ("custom:n-1", "custom:n-2")
    assert wechat_api.tokens_given == 1, "one token for both messages"
    assert wechat_api.tokens_used == ["TOKEN-1", "TOKEN-1"]
    assert wechat_api.sent[0] == {
        "touser": OPENID,
        "msgtype": "text",
        "text": {"content": "您的诉求已受理，查询编号 MS20261204000123。"},
    }
    assert "您的诉求已受理".encode() in wechat_api.raw[0], "UTF-8, not \\u escapes"


@pytest.mark.parametrize("stale", [40001, 40014, 42001])
async def test_wechat_courier_fetches_a_new_token_once_when_told_it_is_stale(
    wechat_api: WechatApi, stale: int
) -> None:
    carrier = courier(wechat_api)
    await carrier.carry(answer("n-1"))
    wechat_api.errcodes = [stale]

    reference = await carrier.carry(answer("n-2"))

    assert reference == "custom:n-2"
    assert wechat_api.tokens_given == 2
    assert wechat_api.tokens_used == ["TOKEN-1", "TOKEN-1", "TOKEN-2"]


async def test_wechat_courier_refreshes_only_once(wechat_api: WechatApi) -> None:
    wechat_api.errcodes = [42001, 42001]

    with pytest.raises(AnswerFailed) as failed:
        await courier(wechat_api).carry(answer())

    assert not isinstance(failed.value, AnswerRefused)
    assert wechat_api.tokens_given == 2
    assert len(wechat_api.sent) == 2


@pytest.mark.parametrize("code", [45015, 40003, 43004])
async def test_wechat_courier_answers_wechat_will_never_take_are_refused(
    wechat_api: WechatApi, code: int
) -> None:
    wechat_api.errcodes = [code]

    with pytest.raises(AnswerRefused) as refused:
        await courier(wechat_api).carry(answer())

    assert str(code) in refused.value.message
    assert OPENID not in refused.value.message
    assert refused.value.retriable is False


@pytest.mark.parametrize(
    ("setup", "said"),
    [
        ({"errcodes": [-1]}, "errcode -1"),
        ({"errcodes": [45047]}, "errcode 45047"),
        ({"status": 502}, "502"),
        ({"token_errcode": 40125}, "no access token"),
        ({"stall": 1.0}, "in time"),
    ],
)
async def test_wechat_courier_failures_that_may_pass_are_tried_again(
    wechat_api: WechatApi, setup: dict[str, Any], said: str
) -> None:
    for name, value in setup.items():
        setattr(wechat_api, name, value)

    with pytest.raises(AnswerFailed) as failed:
        await courier(wechat_api, timeout=0.3).carry(answer())

    assert not isinstance(failed.value, AnswerRefused)
    assert failed.value.retriable is True
    assert said in failed.value.message
    assert OPENID not in failed.value.message


async def test_wechat_courier_an_unreachable_api_is_tried_again() -> None:
    closed = LoopbackServer(FastAPI)  # never started: its port refuses connections

    with pytest.raises(AnswerFailed) as failed:
        await WechatCourier(
            api_url=closed.url, app_id=APP_ID, app_secret=SECRET, timeout=1
        ).carry(answer())

    assert "unreachable" in failed.value.message


async def test_wechat_courier_refuses_a_contact_that_is_not_an_openid(
    wechat_api: WechatApi,
) -> None:
    with pytest.raises(AnswerRefused):
        await courier(wechat_api).carry(
            answer(contact_kind="phone", contact="13800138000")
        )

    assert wechat_api.sent == []
    assert wechat_api.tokens_given == 0


async def test_wechat_notifys_answer_reaches_the_citizen_through_the_adapter(
    wechat_api: WechatApi, tmp_path: Path
) -> None:
    """Wired: notify hands the answer to POST /v1/answers/wechat, signed, and the
    adapter's carrier sends it as a customer-service message."""
    settings = WechatSettings(
        database_url=f"sqlite:///{tmp_path / 'wechat.db'}",
        data_dir=tmp_path,
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        environment="test",
        intake_url=f"http://127.0.0.1:{free_port()}",
        app_id=APP_ID,
        app_secret=SECRET,
        api_url=wechat_api.server.url,
        answer_secrets=ANSWER_SECRET,
        delivery_poll_seconds=0.02,
    )
    app = create_app(settings)
    body = json.dumps(
        {
            "notice_id": "n-wired",
            "appeal_id": "a-1",
            "kind": "filed",
            "contact_kind": "wechat_openid",
            "contact": OPENID,
            "text": "您的诉求已受理，查询编号 MS20261204000123。",
        },
        ensure_ascii=False,
    ).encode()
    stamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        webhooks.TIMESTAMP_HEADER: str(stamp),
        webhooks.SIGNATURE_HEADER: webhooks.sign(ANSWER_SECRET, stamp, body),
    }

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://w") as http:
            taken = await http.post("/v1/answers/wechat", content=body, headers=headers)
            await wait_for(lambda: len(wechat_api.sent) == 1)

    assert taken.status_code == 202, taken.text
    assert wechat_api.sent == [
        {
            "touser": OPENID,
            "msgtype": "text",
            "text": {"content": "您的诉求已受理，查询编号 MS20261204000123。"},
        }
    ]
