"""Answers going back as reply posts on the forum the appeal came from, against a
forum's reply endpoint on loopback: the reply to the right post of the right source,
in UTF-8 JSON with the notice id as idempotency key and the source's key; a refusal
for good on a 4xx, a failure to retry on no answer, a 5xx, 408 or 429; refused
without asking when the appeal came from no polled post or the source takes no
replies."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common import db, ids, migrations
from minsheng_common.adapters.answers import (
    Answer,
    AnswerFailed,
    AnswerRefused,
    Courier,
)
from minsheng_common.devstack.broker import free_port
from minsheng_common.devstack.loopback import LoopbackServer
from minsheng_forum import courier
from minsheng_forum.app import MIGRATIONS
from minsheng_forum.models import ForumItem
from minsheng_forum.settings import FeedSource

REPLY_KEY = "the-shenzhen-forums-reply-key"
TEXT = "您好，您反映的东门路路灯问题已由坪山街道办修复。感谢您的监督！"
ACCOUNT = "U00074011"
SLOW_SECONDS = 1.0
TIMEOUT_SECONDS = 0.3


@dataclass
class Reply:
    """One request the forum's reply endpoint received."""

    forum: str
    raw: bytes
    headers: dict[str, str]

    @property
    def body(self) -> Any:
        return json.loads(self.raw.decode("utf-8"))


@dataclass
class ReplyServer:
    """The forums' reply endpoints (POST /replies/{forum}): idempotent by the
    Idempotency-Key; `status` makes them answer otherwise, `slow` late."""

    status: int = 201
    slow: bool = False
    garbage: bool = False
    received: list[Reply] = field(default_factory=list)
    replies: dict[str, str] = field(default_factory=dict)
    server: LoopbackServer = field(init=False)

    def __post_init__(self) -> None:
        self.server = LoopbackServer(self.app)

    def url(self, forum: str) -> str:
        return f"{self.server.url}/replies/{forum}"

    def reset(self) -> None:
        self.status, self.slow, self.garbage = 201, False, False
        self.received.clear()

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/replies/{forum}", response_model=None)
        async def reply(forum: str, request: Request) -> Any:
            raw = await request.body()
            self.received.append(Reply(forum, raw, dict(request.headers)))
            if self.slow:
                await asyncio.sleep(SLOW_SECONDS)
            if self.garbage:
                return HTMLResponse("<html>posted</html>")
            if self.status not in (200, 201):
                error = {"error": {"code": "post_locked", "message": TEXT}}
                return JSONResponse(status_code=self.status, content=error)
            key = request.headers["Idempotency-Key"]
            known = key in self.replies
            reply_id = self.replies.setdefault(key, f"r-{len(self.replies) + 1}")
            return JSONResponse(
                status_code=200 if known else 201, content={"reply_id": reply_id}
            )

        return app


@pytest.fixture(scope="module")
async def forum() -> AsyncIterator[ReplyServer]:
    server = ReplyServer()
    await server.server.start()
    yield server
    await server.server.stop()


@pytest.fixture
def replies(forum: ReplyServer) -> ReplyServer:
    forum.reset()
    return forum


@pytest.fixture
def sources(forum: ReplyServer) -> list[FeedSource]:
    """Two forums of 深圳论坛 (one with a key), and 家在坪山 without replies."""
    return [
        FeedSource(
            name="sz",
            channel="forum-shenzhen",
            feed_url="http://127.0.0.1:1/feed",
            reply_url=forum.url("sz"),
            api_key=SecretStr(REPLY_KEY),
            timeout_seconds=TIMEOUT_SECONDS,
        ),
        FeedSource(
            name="sz-life",
            channel="forum-shenzhen",
            feed_url="http://127.0.0.1:1/feed",
            reply_url=forum.url("sz-life"),
            timeout_seconds=TIMEOUT_SECONDS,
        ),
        FeedSource(
            name="jz",
            channel="forum-jiazaipingshan",
            feed_url="http://127.0.0.1:1/feed",
        ),
    ]


# (queue, post id, appeal id) of the items the adapter holds, all delivered.
HELD = [
    ("feed:sz", "884213", "appeal-sz"),
    ("feed:sz-life", "77", "appeal-sz-life"),
    ("feed:jz", "5", "appeal-jz"),
    ("push", "m-1", "appeal-pushed"),
]


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'forum.db'}"
    await migrations.upgrade_async(MIGRATIONS, url)
    engine = db.make_engine(url)
    made = db.make_sessions(engine)
    async with made() as session:
        for position, (queue, post_id, appeal_id) in enumerate(HELD, start=1):
            session.add(item(queue, post_id, appeal_id, position=position))
        await session.commit()
    yield made
    await engine.dispose()


def item(
    queue: str,
    post_id: str,
    appeal_id: str | None,
    *,
    position: int,
    status: str = "delivered",
) -> ForumItem:
    now = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
    return ForumItem(
        id=ids.new_id(),
        source=queue,
        message_id=post_id,
        row_number=0,
        position=position,
        payload={"channel": "forum-shenzhen", "title": "路灯"},
        posted_at=now,
        due_at=now,
        status=status,
        attempts=1 if status == "delivered" else 0,
        created_at=now,
        appeal_id=appeal_id,
        delivered_at=now if status == "delivered" else None,
    )


def answer(appeal_id: str | None, notice_id: str = "notice-1") -> Answer:
    return Answer(
        notice_id=notice_id,
        appeal_id=appeal_id,
        kind="handling_result",
        contact_kind="forum_account",
        contact=ACCOUNT,
        text=TEXT,
    )


@pytest.fixture
def couriers(
    sources: list[FeedSource], sessions: async_sessionmaker[AsyncSession]
) -> dict[str, courier.ForumCourier]:
    return courier.couriers(sources, sessions=sessions)


async def test_forum_an_answer_is_posted_as_a_reply_to_the_citizens_post(
    replies: ReplyServer,
    couriers: dict[str, courier.ForumCourier],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="minsheng_forum")
    shenzhen: Courier = couriers["forum-shenzhen"]

    reply_id = await shenzhen.carry(answer("appeal-sz"))
    again = await shenzhen.carry(answer("appeal-sz"))

    assert reply_id == "r-1"
    assert again == reply_id, "a retry of the same notice makes no second reply"
    first, second = replies.received
    assert first.forum == "sz"
    assert first.body == {"post_id": "884213", "text": TEXT, "reference": "notice-1"}
    assert TEXT.encode("utf-8") in first.raw, "UTF-8, not escaped"
    assert first.headers["content-type"] == "application/json; charset=utf-8"
    assert first.headers["idempotency-key"] == "notice-1"
    assert first.headers["x-api-key"] == REPLY_KEY
    assert second.headers["idempotency-key"] == "notice-1"
    log = "\n".join(record.getMessage() for record in caplog.records)
    assert "r-1" in log and "884213" in log and "notice-1" in log
    assert TEXT not in log and ACCOUNT not in log


async def test_forum_sources_of_one_channel_share_its_courier(
    replies: ReplyServer,
    sources: list[FeedSource],
    couriers: dict[str, courier.ForumCourier],
) -> None:
    assert set(couriers) == {"forum-shenzhen", "forum-jiazaipingshan"}
    assert all(channel == c.channel for channel, c in couriers.items())

    await couriers["forum-shenzhen"].carry(answer("appeal-sz-life", "notice-2"))

    (reply,) = replies.received
    assert reply.forum == "sz-life", "the reply goes to the post's own forum"
    assert reply.body["post_id"] == "77"
    assert "x-api-key" not in reply.headers, "that source has no key"


@pytest.mark.parametrize("status", [400, 403, 404, 409, 410, 422])
async def test_forum_a_reply_the_forum_refuses_is_refused_for_good(
    replies: ReplyServer, couriers: dict[str, courier.ForumCourier], status: int
) -> None:
    replies.status = status

    with pytest.raises(AnswerRefused) as refused:
        await couriers["forum-shenzhen"].carry(answer("appeal-sz"))

    assert not refused.value.retriable
    assert str(status) in refused.value.message
    assert "post_locked" in refused.value.message
    assert TEXT not in refused.value.message, "the forum's body is not quoted"


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503])
async def test_forum_a_reply_the_forum_cannot_take_now_is_tried_again(
    replies: ReplyServer, couriers: dict[str, courier.ForumCourier], status: int
) -> None:
    replies.status = status

    with pytest.raises(AnswerFailed) as failed:
        await couriers["forum-shenzhen"].carry(answer("appeal-sz"))

    assert not isinstance(failed.value, AnswerRefused)
    assert failed.value.retriable
    assert str(status) in failed.value.message
    assert len(replies.received) == 1


async def test_forum_a_forum_slow_unreachable_or_unreadable_fails_for_now(
    replies: ReplyServer,
    sources: list[FeedSource],
    sessions: async_sessionmaker[AsyncSession],
    couriers: dict[str, courier.ForumCourier],
) -> None:
    replies.slow = True
    with pytest.raises(AnswerFailed, match=f"within {TIMEOUT_SECONDS:g}s") as slow:
        await couriers["forum-shenzhen"].carry(answer("appeal-sz"))
    assert slow.value.retriable

    replies.slow, replies.garbage = False, True
    with pytest.raises(AnswerFailed, match="without a readable reply_id") as garbled:
        await couriers["forum-shenzhen"].carry(answer("appeal-sz"))
    assert garbled.value.retriable

    nowhere = sources[0].model_copy(
        update={"reply_url": f"http://127.0.0.1:{free_port()}/replies"}
    )
    down = courier.couriers([nowhere], sessions=sessions)["forum-shenzhen"]
    with pytest.raises(AnswerFailed, match="unreachable") as unreachable:
        await down.carry(answer("appeal-sz"))
    assert unreachable.value.retriable


@pytest.mark.parametrize(
    ("channel", "appeal_id", "words"),
    [
        ("forum-shenzhen", "appeal-nobody-knows", "came from no post"),
        ("forum-shenzhen", None, "names no appeal"),
        ("forum-shenzhen", "appeal-pushed", "came from push"),
        ("forum-shenzhen", "appeal-jz", "came from feed:jz"),
        ("forum-jiazaipingshan", "appeal-jz", "takes no replies"),
    ],
)
async def test_forum_an_answer_no_reply_post_can_carry_is_refused_unsent(
    replies: ReplyServer,
    couriers: dict[str, courier.ForumCourier],
    channel: str,
    appeal_id: str | None,
    words: str,
) -> None:
    with pytest.raises(AnswerRefused, match=words):
        await couriers[channel].carry(answer(appeal_id))

    assert replies.received == []


async def test_forum_an_appeal_not_found_while_posts_await_intake_is_tried_again(
    replies: ReplyServer,
    sessions: async_sessionmaker[AsyncSession],
    couriers: dict[str, courier.ForumCourier],
) -> None:
    async with sessions() as session:
        session.add(item("feed:sz", "884214", None, position=9, status="pending"))
        await session.commit()

    with pytest.raises(AnswerFailed) as failed:
        await couriers["forum-shenzhen"].carry(answer("appeal-not-recorded-yet"))
    assert failed.value.retriable

    # Another channel's waiting posts do not keep this one's answer waiting.
    with pytest.raises(AnswerRefused):
        await couriers["forum-jiazaipingshan"].carry(answer("appeal-not-recorded-yet"))
    assert replies.received == []
