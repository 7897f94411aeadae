"""Intake stopped while citizens write, then started again: every message is
answered at once, nothing is lost and nothing doubled, each citizen's appeals reach
intake in order, and pictures and locations sent after a text that is still waiting
join it. With intake up, a picture after a delivered text is its own appeal."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from minsheng_common.devstack.broker import free_port
from minsheng_common.devstack.loopback import LoopbackServer
from minsheng_wechat import replies
from minsheng_wechat.app import create_app
from tests.adapter_support import LoopbackIntake, png, role_keys

from .conftest import (
    PUBLIC_URL,
    Adapter,
    WeChat,
    wechat_settings,
)

RECEIVED = "您的消息已收到"


async def test_wechat_messages_taken_while_intake_is_stopped_reach_it_once(
    wechat: WeChat, adapter: Adapter, intake: LoopbackIntake, poll: Any
) -> None:
    await intake.stop()
    lin, wang = wechat.openid(), wechat.openid()
    first = wechat.text(lin, "坪山街道东门路12号的路灯坏了，晚上一片漆黑。")
    photo = wechat.image(lin, wechat.pictures.serve("lamp.png", png(10, 200, 10)))
    place = wechat.location(lin, 22.7085, 114.3464, "坪山区东门路12号")
    other = wechat.text(wang, "坑梓街道秀新社区的垃圾站臭气很大，影响居民。")
    second = wechat.text(lin, "坪山街道六和社区的人行道砖松动了，老人容易绊倒。")

    replies = []
    for message in (first, photo, place, other, second):
        started = time.monotonic()
        pushed = await wechat.push(message)
        assert time.monotonic() - started < 2.5, "intake down: answered at once"
        replies.append(pushed.content)
    # WeChat retries the first text while intake is still down.
    retried = await wechat.push(first, timestamp=int(time.time()) + 1)

    assert replies[0].startswith(RECEIVED)
    assert "补充的图片" in replies[1]
    assert "补充的位置" in replies[2]
    assert replies[3].startswith(RECEIVED)
    assert replies[4].startswith(RECEIVED)
    assert retried.content == replies[0]
    pending = await adapter.items(status="pending")
    assert len(pending) == 3, "three appeals: the picture and place joined the text"

    await intake.start()

    async def all_delivered() -> bool:
        return len(await adapter.items(status="delivered")) >= 3

    await poll(all_delivered, within=20)
    mine = [
        a
        for a in await intake.appeals("wechat")
        if a.channel_ref in {f"wx-{m['MsgId']}" for m in (first, other, second)}
    ]
    assert Counter(a.channel_ref for a in mine) == Counter(
        f"wx-{m['MsgId']}" for m in (first, other, second)
    ), "each appeal once, the picture and the place on the first"
    by_ref = {a.channel_ref: a for a in mine}
    joined = by_ref[f"wx-{first['MsgId']}"]
    [url] = joined.attachments
    assert url.startswith(f"{PUBLIC_URL}/v1/photos/")
    assert (joined.latitude, joined.longitude) == (22.7085, 114.3464)
    assert joined.address == "坪山区东门路12号"

    items = {i["first_message_key"]: i for i in await adapter.items()}
    lin_items = [items[f"msg:{m['MsgId']}"] for m in (first, second)]
    assert lin_items[0]["follow_ups"] == 2
    assert lin_items[0]["delivered_at"] <= lin_items[1]["delivered_at"], (
        "a citizen's appeals reach intake in the order written"
    )
    messages = await adapter.messages()
    assert messages[f"msg:{photo['MsgId']}"]["outcome"] == "attached"
    assert messages[f"msg:{place['MsgId']}"]["appeal_item"] == lin_items[0]["id"]

    # Once delivered, a late retry of the first text gets its tracking code, and
    # still nothing doubles.
    late = await wechat.push(first, timestamp=int(time.time()) + 2)
    assert joined.tracking_code in late.content
    refs = [a.channel_ref for a in await intake.appeals("wechat")]
    assert refs.count(f"wx-{first['MsgId']}") == 1


async def test_wechat_a_picture_after_a_delivered_text_is_its_own_appeal(
    wechat: WeChat, adapter: Adapter, intake: LoopbackIntake
) -> None:
    zhao = wechat.openid()
    text = wechat.text(zhao, "坪山街道东门路的消防栓漏水，地面全是水。")
    photo = wechat.image(zhao, wechat.pictures.serve("leak.png", png(0, 0, 200)))

    described = await wechat.push(text)
    shown = await wechat.push(photo)

    appeals = {a.channel_ref: a for a in await intake.appeals("wechat")}
    assert appeals[f"wx-{text['MsgId']}"].tracking_code in described.content
    own = appeals[f"wx-{photo['MsgId']}"]
    assert own.tracking_code in shown.content
    assert len(own.attachments) == 1
    assert appeals[f"wx-{text['MsgId']}"].attachments == []
    messages = await adapter.messages()
    assert messages[f"msg:{photo['MsgId']}"]["outcome"] == "opened"


async def test_wechat_pictures_that_cannot_be_fetched_join_a_waiting_text_as_a_note(
    tmp_path: Path,
    adapter: Adapter,
    intake: LoopbackIntake,
    wechat: WeChat,
    poll: Any,
) -> None:
    key = adapter.settings.intake_key() or ""
    hosts = f"127.0.0.1:{wechat.pictures.server.port}"
    # Intake unreachable first (nothing listens there), then the same store with
    # intake back, as a restarted adapter.
    down = wechat_settings(
        tmp_path,
        intake,
        key,
        photo_hosts=hosts,
        intake_url=f"http://127.0.0.1:{free_port()}",
    )
    up = wechat_settings(tmp_path, intake, key, photo_hosts=hosts)
    operator = role_keys(up.credentials_path(), channel="wechat")["operator"]
    sun = wechat.openid()
    text = wechat.text(sun, "坪山街道龙田社区的路灯不亮，已经三天了。")
    # On the picture host but gone, shaped like WeChat's links (no file ending);
    # and on a host pictures are not taken from.
    gone = wechat.image(sun, wechat.pictures.url(f"mmbiz_jpg-{wechat.msg_id()}"))
    elsewhere = wechat.image(sun, f"http://127.0.0.1:{free_port()}/mmbiz/b.jpg")

    first = LoopbackServer(lambda: create_app(down), lifespan="on")
    await first.start()
    try:
        async with httpx.AsyncClient(base_url=first.url, timeout=10) as http:
            platform = WeChat(http, wechat.pictures)
            answers = [
                (await platform.push(m)).content for m in (text, gone, elsewhere)
            ]
    finally:
        await first.stop()

    restarted = LoopbackServer(lambda: create_app(up), lifespan="on")
    await restarted.start()
    try:

        async def delivered() -> bool:
            refs = {a.channel_ref for a in await intake.appeals("wechat")}
            return f"wx-{text['MsgId']}" in refs

        await poll(delivered, within=10)
        async with httpx.AsyncClient(
            base_url=restarted.url, headers={"X-API-Key": operator}
        ) as http:
            [item] = (await http.get("/v1/items")).json()["items"]
            messages = (await http.get("/v1/messages")).json()["items"]
    finally:
        await restarted.stop()

    assert answers[0].startswith(RECEIVED)
    assert answers[1:] == [replies.PICTURE_NOT_RETRIEVED_ATTACHED] * 2
    [appeal] = [
        a
        for a in await intake.appeals("wechat")
        if a.channel_ref in {f"wx-{m['MsgId']}" for m in (text, gone, elsewhere)}
    ]
    assert appeal.channel_ref == f"wx-{text['MsgId']}"
    assert appeal.attachments == []
    assert appeal.content.startswith(str(text["Content"]))
    assert appeal.content.count("图片未能取回") == 1
    assert "http" not in appeal.content
    assert (item["status"], item["appeal_id"], item["follow_ups"]) == (
        "delivered",
        appeal.id,
        2,
    )
    assert [(m["outcome"], m["photo_url"]) for m in messages] == [
        ("opened", None),
        ("attached", None),
        ("attached", None),
    ]


async def test_wechat_a_slow_intake_gets_the_reply_sent_within_the_budget(
    tmp_path: Path, intake: LoopbackIntake, wechat: WeChat, poll: Any
) -> None:
    slow = SlowIntake(delay=1.5)
    await slow.server.start()
    settings = wechat_settings(
        tmp_path, intake, "ms_k_s", intake_url=slow.server.url, reply_budget_seconds=0.5
    )
    adapter = LoopbackServer(lambda: create_app(settings), lifespan="on")
    await adapter.start()
    try:
        async with httpx.AsyncClient(base_url=adapter.url, timeout=10) as http:
            platform = WeChat(http, wechat.pictures)
            message = platform.text(platform.openid(), "坪山街道的路面有个大坑。")

            started = time.monotonic()
            pushed = await platform.push(message)
            took = time.monotonic() - started

            await poll(lambda: slow.answered == 1, within=5)
            retried = await platform.push(message, timestamp=int(time.time()) + 1)
    finally:
        await adapter.stop()
        await slow.server.stop()

    assert took < 1.2, "answered when the budget ran out, not when intake did"
    assert pushed.content.startswith(RECEIVED)
    assert "MS-SLOW-1" in retried.content
    assert slow.received == [f"wx-{message['MsgId']}"]


@dataclass
class SlowIntake:
    """Intake answering each appeal after `delay` seconds: filed, one code."""

    delay: float
    received: list[str] = field(default_factory=list)
    answered: int = 0
    server: LoopbackServer = field(init=False)

    def __post_init__(self) -> None:
        self.server = LoopbackServer(self.app)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/appeals", status_code=201)
        async def submit(appeal: dict[str, Any]) -> dict[str, Any]:
            self.received.append(appeal["channel_ref"])
            await asyncio.sleep(self.delay)
            self.answered += 1
            return {
                "id": "00000000-0000-0000-0000-000000000001",
                "tracking_code": "MS-SLOW-1",
                "decision": {"status": "filed"},
            }

        return app
