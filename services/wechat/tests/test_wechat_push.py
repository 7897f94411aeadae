"""The official account's message push over real HTTP on loopback, with intake
running: the URL check, signed plain and encrypted pushes of every message type,
the passive reply carrying intake's tracking code or instant answer, WeChat's
retries answered once, replays, and pushes that are refused."""

from __future__ import annotations

import io
import logging
import time
from typing import Any

import httpx
import pytest

from minsheng_common import pii
from minsheng_common.auth import provisioning
from minsheng_common.auth.roles import Role
from minsheng_common.logs import RedactingFilter
from minsheng_intake.models import Appeal
from minsheng_wechat import replies
from tests.adapter_support import LoopbackIntake, png

from .conftest import (
    ACCOUNT,
    PUBLIC_URL,
    TOKEN,
    Adapter,
    WeChat,
    wx_signature,
    wx_xml,
)

STREETLIGHT = "坪山街道东门路12号门口的路灯坏了一个星期，晚上很黑，请尽快维修。"


async def appeal_of(intake: LoopbackIntake, msg_id: str) -> Appeal:
    found = [
        a for a in await intake.appeals("wechat") if a.channel_ref == f"wx-{msg_id}"
    ]
    assert len(found) == 1, f"one appeal for message {msg_id}, found {len(found)}"
    return found[0]


# --- the URL check -------------------------------------------------------------


async def test_wechat_url_check_answers_echostr_when_signed(wechat: WeChat) -> None:
    query = wechat.signed_query()

    answer = await wechat.http.get("/v1/push", params={**query, "echostr": "83741"})

    assert answer.status_code == 200
    assert answer.text == "83741"
    assert answer.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"token": "AnotherToken2026"}, "bad_signature"),
        ({"timestamp": int(time.time()) - 3600}, "stale_request"),
    ],
)
async def test_wechat_url_check_refuses_a_wrong_or_stale_signature(
    wechat: WeChat, change: dict[str, Any], code: str
) -> None:
    query = wechat.signed_query(**change)

    answer = await wechat.http.get("/v1/push", params={**query, "echostr": "83741"})

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == code
    assert "83741" not in answer.text


async def test_wechat_url_check_without_signature_is_refused(wechat: WeChat) -> None:
    answer = await wechat.http.get("/v1/push", params={"echostr": "1"})

    assert answer.status_code == 401
    assert answer.json()["error"]["field"] == "timestamp"


# --- plain pushes and the passive reply --------------------------------------


async def test_wechat_text_is_filed_and_the_reply_gives_the_tracking_code(
    wechat: WeChat, adapter: Adapter, intake: LoopbackIntake
) -> None:
    openid = wechat.openid()
    message = wechat.text(openid, STREETLIGHT)

    started = time.monotonic()
    pushed = await wechat.push(message)
    took = time.monotonic() - started

    assert pushed.response.status_code == 200
    assert took < 4.5, "inside WeChat's five seconds"
    reply = pushed.reply
    assert reply is not None
    assert reply["ToUserName"] == openid
    assert reply["FromUserName"] == ACCOUNT
    assert reply["MsgType"] == "text"
    assert abs(int(reply["CreateTime"]) - time.time()) < 10

    appeal = await appeal_of(intake, str(message["MsgId"]))
    assert appeal.tracking_code in reply["Content"]
    assert appeal.channel == "wechat"
    assert appeal.content == STREETLIGHT
    assert appeal.contact_kind == "wechat_openid"
    assert openid not in (appeal.contact_masked or "")
    vault = pii.PiiVault(intake.settings.pii_key_list())
    assert vault.decrypt(appeal.contact_encrypted or "") == openid

    [item] = [i for i in await adapter.items() if i["appeal_id"] == appeal.id]
    assert item["status"] == "delivered"
    assert item["opened_by"] == "text"
    assert item["citizen"].startswith("wx-")
    assert openid not in str(await adapter.items())
    assert openid not in str(await adapter.messages())


async def test_wechat_retry_of_the_same_msgid_gets_the_same_reply_and_no_second_appeal(
    wechat: WeChat, adapter: Adapter, intake: LoopbackIntake
) -> None:
    message = wechat.text(wechat.openid(), "坪山街道东纵路的井盖缺了一块，很危险。")
    first = await wechat.push(message)
    # WeChat had no answer in time: the same message, a new timestamp and nonce.
    retried = await wechat.push(message, timestamp=int(time.time()) + 1)
    # And the same request once more, signature and all.
    body = wx_xml(message)
    query = wechat.signed_query(openid=str(message["FromUserName"]))
    again = [await wechat.send(body, query), await wechat.send(body, query)]

    assert retried.content == first.content
    assert [p.response.status_code for p in again] == [200, 200]
    assert [p.content for p in again] == [first.content, first.content]
    await appeal_of(intake, str(message["MsgId"]))
    opened = [
        i
        for i in await adapter.items()
        if i["first_message_key"].endswith(str(message["MsgId"]))
    ]
    assert len(opened) == 1


async def test_wechat_a_signature_seen_before_with_another_message_is_refused(
    wechat: WeChat, adapter: Adapter, intake: LoopbackIntake
) -> None:
    openid = wechat.openid()
    query = wechat.signed_query(openid=openid)
    first = await wechat.send(wx_xml(wechat.text(openid, STREETLIGHT)), query)
    forged = wechat.text(openid, "另一条消息，借用上一条的签名。")

    replayed = await wechat.send(wx_xml(forged), query)

    assert first.response.status_code == 200
    assert replayed.response.status_code == 409
    assert replayed.response.json()["error"]["code"] == "replayed_request"
    assert replayed.response.json()["error"]["field"] == "signature"
    assert f"msg:{forged['MsgId']}" not in await adapter.messages()
    refs = [a.channel_ref for a in await intake.appeals("wechat")]
    assert f"wx-{forged['MsgId']}" not in refs


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ({}, "bad_signature", "timestamp"),
        ({"timestamp": "now"}, "bad_signature", "timestamp"),
        ({"token": "AnotherToken2026"}, "bad_signature", "signature"),
        ({"timestamp": -400}, "stale_request", "timestamp"),
        ({"timestamp": 400}, "stale_request", "timestamp"),
    ],
)
async def test_wechat_unsigned_wrongly_signed_or_stale_pushes_are_refused(
    wechat: WeChat,
    adapter: Adapter,
    query: dict[str, Any],
    code: str,
    field: str,
) -> None:
    message = wechat.text(wechat.openid(), STREETLIGHT)
    if not query:
        params: dict[str, str] = {}
    elif query.get("timestamp") == "now":
        params = {**wechat.signed_query(), "timestamp": "now"}
    elif "timestamp" in query:
        params = wechat.signed_query(timestamp=int(time.time()) + query["timestamp"])
    else:
        params = wechat.signed_query(**query)

    pushed = await wechat.send(wx_xml(message), params)

    assert pushed.response.status_code == 401
    assert pushed.response.json()["error"]["code"] == code
    assert pushed.response.json()["error"]["field"] == field
    assert f"msg:{message['MsgId']}" not in await adapter.messages()


@pytest.mark.parametrize(
    "body",
    [
        b"<xml><ToUserName>gh</ToUserName>",
        b"not xml at all",
        b"",
        b"<message><MsgType>text</MsgType></message>",
        # Entity expansion ("billion laughs") is refused before anything expands.
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b"<xml><Content>&lol2;</Content></xml>",
        # And so is an external entity.
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b"<xml><Content>&e;</Content></xml>",
        # Encodings the parser does not read, and a body not in its declared one.
        '<?xml version="1.0" encoding="Big5"?><xml><Content>燈</Content></xml>'.encode(
            "big5"
        ),
        b'<?xml version="1.0" encoding="x-no-such"?><xml><Content>a</Content></xml>',
        b'<?xml version="1.0" encoding="rot13"?><xml><Content>a</Content></xml>',
        b'<?xml version="1.0" encoding="GBK"?><xml><Content>\xff\xff</Content></xml>',
    ],
)
async def test_wechat_a_body_that_is_not_wechats_xml_answers_400(
    wechat: WeChat, body: bytes
) -> None:
    pushed = await wechat.send(body, wechat.signed_query())

    assert pushed.response.status_code == 400
    assert pushed.response.json()["error"]["code"] == "invalid_xml"
    assert pushed.response.json()["error"]["message"]
    assert "root:" not in pushed.response.text


@pytest.mark.parametrize("encoding", ["GBK", "gb2312", "GB18030"])
async def test_wechat_a_body_declared_and_encoded_in_gbk_is_read(
    wechat: WeChat, intake: LoopbackIntake, encoding: str
) -> None:
    message = wechat.text(wechat.openid(), STREETLIGHT)
    declared = f'<?xml version="1.0" encoding="{encoding}"?>\n'.encode("ascii")
    body = declared + wx_xml(message).decode("utf-8").encode(encoding)

    pushed = await wechat.send(body, wechat.signed_query())

    assert pushed.response.status_code == 200, pushed.response.text
    appeal = await appeal_of(intake, str(message["MsgId"]))
    assert appeal.content == STREETLIGHT
    assert appeal.tracking_code in pushed.content


@pytest.mark.parametrize(
    ("drop", "change", "field"),
    [
        ("FromUserName", {}, "FromUserName"),
        ("MsgId", {}, "MsgId"),
        (None, {"FromUserName": "o<script>"}, "FromUserName"),
        (None, {"CreateTime": "yesterday"}, "CreateTime"),
        (None, {"CreateTime": int(time.time()) + 3600}, "CreateTime"),
    ],
)
async def test_wechat_xml_that_is_not_a_message_answers_422_with_the_element(
    wechat: WeChat, drop: str | None, change: dict[str, Any], field: str
) -> None:
    message = {**wechat.text(wechat.openid(), STREETLIGHT), **change}
    if drop:
        message.pop(drop)

    pushed = await wechat.send(wx_xml(message), wechat.signed_query())

    assert pushed.response.status_code == 422
    assert pushed.response.json()["error"]["code"] == "invalid_message"
    assert pushed.response.json()["error"]["field"] == field


async def test_wechat_an_openid_in_the_query_must_be_the_sender(wechat: WeChat) -> None:
    message = wechat.text(wechat.openid(), STREETLIGHT)

    pushed = await wechat.send(
        wx_xml(message), wechat.signed_query(openid=wechat.openid())
    )

    assert pushed.response.status_code == 422
    assert pushed.response.json()["error"]["field"] == "openid"


async def test_wechat_the_access_log_of_a_push_holds_no_openid(wechat: WeChat) -> None:
    # uvicorn's access log as a service writes it: through the redacting filter
    # that configure_logging puts on every handler.
    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.addFilter(RedactingFilter())
    access = logging.getLogger("uvicorn.access")
    level, handlers = access.level, access.handlers[:]
    access.setLevel(logging.INFO)
    access.handlers[:] = [handler]
    openid = wechat.openid()
    try:
        pushed = await wechat.push(
            wechat.message(openid, "event", Event="CLICK", EventKey="menu_1")
        )
    finally:
        access.setLevel(level)
        access.handlers[:] = handlers

    assert pushed.response.status_code == 200
    [line] = [row for row in lines.getvalue().splitlines() if "/v1/push?" in row]
    assert openid not in line
    assert "openid=***" in line


# --- each message type ---------------------------------------------------------


async def test_wechat_an_image_is_kept_attached_and_served(
    wechat: WeChat, adapter: Adapter, intake: LoopbackIntake
) -> None:
    picture = png(200, 30, 30)
    message = wechat.image(wechat.openid(), wechat.pictures.serve("p1.png", picture))

    pushed = await wechat.push(message)

    appeal = await appeal_of(intake, str(message["MsgId"]))
    assert appeal.tracking_code in pushed.content
    [url] = appeal.attachments
    assert url.startswith(f"{PUBLIC_URL}/v1/photos/") and url.endswith(".png")
    served = await adapter.operator.get(url.removeprefix(PUBLIC_URL))
    assert served.status_code == 200
    assert served.content == picture
    assert served.headers["content-type"] == "image/png"
    stranger = await wechat.http.get(url.removeprefix(PUBLIC_URL))
    assert stranger.status_code == 401


@pytest.mark.parametrize("answer", ["not found", "not a picture"])
async def test_wechat_an_image_that_cannot_be_fetched_is_filed_without_it(
    wechat: WeChat, adapter: Adapter, intake: LoopbackIntake, answer: str
) -> None:
    # Shaped like WeChat's links (mmbiz.qpic.cn/mmbiz_jpg/<id>/0): no file ending.
    name = f"mmbiz_jpg-{wechat.msg_id()}"
    if answer == "not a picture":
        wechat.pictures.serve(name, b"<html><body>404</body></html>")
    link = wechat.pictures.url(name)
    message = wechat.image(wechat.openid(), link)

    pushed = await wechat.push(message)

    appeal = await appeal_of(intake, str(message["MsgId"]))
    assert appeal.tracking_code in pushed.content
    assert replies.PICTURE_NOT_RETRIEVED in pushed.content
    assert appeal.attachments == []
    assert "图片未能取回" in appeal.content
    assert "图片见附件" not in appeal.content
    assert link not in appeal.content
    assert "http" not in appeal.content
    [item] = [i for i in await adapter.items() if i["appeal_id"] == appeal.id]
    assert item["status"] == "delivered"
    row = (await adapter.messages())[f"msg:{message['MsgId']}"]
    assert (row["outcome"], row["photo_url"]) == ("opened", None)


async def test_wechat_a_location_alone_puts_its_coordinates_on_an_appeal(
    wechat: WeChat, adapter: Adapter, intake: LoopbackIntake
) -> None:
    message = wechat.location(wechat.openid(), 22.7085, 114.3464, "坪山区东门路12号")

    pushed = await wechat.push(message)

    appeal = await appeal_of(intake, str(message["MsgId"]))
    assert appeal.tracking_code in pushed.content
    # Location_X is the latitude, Location_Y the longitude.
    assert (appeal.latitude, appeal.longitude) == (22.7085, 114.3464)
    assert appeal.address == "坪山区东门路12号"
    assert "坪山区东门路12号" in appeal.content


async def test_wechat_a_recognised_voice_is_its_text(
    wechat: WeChat, intake: LoopbackIntake
) -> None:
    spoken = "坪山街道六联社区的垃圾桶满了三天没人清理。"
    message = wechat.message(
        wechat.openid(), "voice", MediaId="m1", Format="amr", Recognition=spoken
    )

    pushed = await wechat.push(message)

    appeal = await appeal_of(intake, str(message["MsgId"]))
    assert appeal.tracking_code in pushed.content
    assert appeal.content.startswith(spoken)


@pytest.mark.parametrize(
    ("msg_type", "elements", "hint"),
    [
        ("voice", {"MediaId": "m2", "Format": "amr"}, "语音"),
        ("text", {"Content": "\u200b "}, "文字"),
        ("video", {"MediaId": "m3", "ThumbMediaId": "t3"}, "文字、语音、图片和位置"),
    ],
)
async def test_wechat_a_message_with_nothing_to_file_gets_a_hint(
    wechat: WeChat,
    adapter: Adapter,
    intake: LoopbackIntake,
    msg_type: str,
    elements: dict[str, str],
    hint: str,
) -> None:
    message = wechat.message(wechat.openid(), msg_type, **elements)

    pushed = await wechat.push(message)

    assert hint in pushed.content
    row = (await adapter.messages())[f"msg:{message['MsgId']}"]
    assert row["outcome"] == "ignored"
    refs = [a.channel_ref for a in await intake.appeals("wechat")]
    assert f"wx-{message['MsgId']}" not in refs


async def test_wechat_subscribing_is_welcomed_and_other_events_get_success(
    wechat: WeChat, adapter: Adapter
) -> None:
    openid = wechat.openid()
    subscribe = wechat.message(openid, "event", Event="subscribe")
    click = wechat.message(openid, "event", Event="CLICK", EventKey="menu_1")

    welcomed = await wechat.push(subscribe)
    again = await wechat.push(subscribe, timestamp=int(time.time()) + 1)
    clicked = await wechat.push(click)

    assert welcomed.content == adapter.settings.welcome_text
    assert again.content == welcomed.content
    assert clicked.response.status_code == 200
    assert clicked.response.text == "success"
    events = [r for r in (await adapter.messages()).values() if r["outcome"] == "event"]
    assert {r["event"] for r in events} >= {"subscribe", "CLICK"}


async def test_wechat_a_consultation_gets_intakes_instant_answer(
    wechat: WeChat, intake: LoopbackIntake, poll: Any
) -> None:
    supervisor = provisioning.add_key(
        intake.settings.credentials_path(), name="kb (test)", role=Role.SUPERVISOR
    )
    answer = "居民小区实行定时定点投放，每天早上7:00–9:00、晚上18:00–21:00。"
    entry = {
        # Where intake's category model puts the question.
        "unit_id": "zjj",
        "category_id": "planning-construction",
        "question": "垃圾分类投放时间是什么时候？",
        "answer": answer,
        "keywords": ["垃圾分类", "投放时间"],
        "valid_from": "2020-01-01T00:00:00+08:00",
    }
    async with httpx.AsyncClient(
        base_url=intake.url, headers={"X-API-Key": supervisor}
    ) as http:

        async def created() -> bool:
            # Intake reads a new key from its credentials file within a second.
            answer = await http.post("/v1/knowledge", json=entry)
            assert answer.status_code in (201, 401), answer.text
            return answer.status_code == 201

        await poll(created, within=5)
    message = wechat.text(wechat.openid(), "请问坪山街道垃圾分类投放时间是什么时候？")

    pushed = await wechat.push(message)

    appeal = await appeal_of(intake, str(message["MsgId"]))
    assert appeal.status == "answered", appeal.reason_code
    assert pushed.content.startswith(answer)
    assert appeal.tracking_code in pushed.content


# --- the safe (encrypted) and compatible modes ---------------------------------


async def test_wechat_an_encrypted_push_gets_an_encrypted_reply(
    wechat: WeChat, intake: LoopbackIntake
) -> None:
    openid = wechat.openid()
    message = wechat.text(openid, "坪山街道沙坣社区公园的健身器材坏了，小孩玩很危险。")

    pushed = await wechat.push_sealed(message)

    assert pushed.envelope is not None, "the reply is encrypted"
    assert set(pushed.envelope) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
    appeal = await appeal_of(intake, str(message["MsgId"]))
    assert pushed.reply is not None
    assert pushed.reply["ToUserName"] == openid
    assert pushed.reply["FromUserName"] == ACCOUNT
    assert appeal.tracking_code in pushed.content


async def test_wechat_compatible_mode_is_read_from_the_encrypted_part(
    wechat: WeChat, intake: LoopbackIntake
) -> None:
    message = wechat.text(wechat.openid(), "坪山街道马峦社区的路面塌陷了一个坑。")

    pushed = await wechat.push_sealed(message, compatible=True)

    assert pushed.envelope is not None
    appeal = await appeal_of(intake, str(message["MsgId"]))
    assert appeal.tracking_code in pushed.content


async def test_wechat_an_encrypted_retry_gets_the_same_answer(
    wechat: WeChat, adapter: Adapter
) -> None:
    message = wechat.text(wechat.openid(), "坪山街道和平社区的消防通道被车堵住了。")
    first = await wechat.push_sealed(message)

    retried = await wechat.push_sealed(
        message, query=wechat.signed_query(timestamp=int(time.time()) + 1)
    )

    assert retried.content == first.content
    key = f"msg:{message['MsgId']}"
    opened = [i for i in await adapter.items() if i["first_message_key"] == key]
    assert len(opened) == 1


@pytest.mark.parametrize(
    ("how", "status", "code"),
    [
        ("msg_signature", 401, "bad_signature"),
        ("app_id", 401, "wrong_app_id"),
        ("garbage", 400, "undecryptable_message"),
        ("no_encrypt", 422, "invalid_message"),
    ],
)
async def test_wechat_a_bad_encrypted_push_is_refused(
    wechat: WeChat, adapter: Adapter, how: str, status: int, code: str
) -> None:
    message = wechat.text(wechat.openid(), STREETLIGHT)
    if how == "app_id":
        body, query = wechat.sealed(message, app_id="wx0000000000000000")
    else:
        body, query = wechat.sealed(message)
    if how == "msg_signature":
        query["msg_signature"] = wx_signature(TOKEN, "1", "2", "3")
    elif how == "garbage":
        sealed = "QUJD" * 11
        body = wx_xml({"ToUserName": ACCOUNT, "Encrypt": sealed})
        query["msg_signature"] = wx_signature(
            TOKEN, query["timestamp"], query["nonce"], sealed
        )
    elif how == "no_encrypt":
        body = wx_xml({"ToUserName": ACCOUNT})

    pushed = await wechat.send(body, query)

    assert pushed.response.status_code == status
    assert pushed.response.json()["error"]["code"] == code
    assert f"msg:{message['MsgId']}" not in await adapter.messages()
