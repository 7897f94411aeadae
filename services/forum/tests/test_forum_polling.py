"""Polling forum feeds with a cursor (Art. 5: 深圳论坛, 家在坪山), against a feed
server on loopback whose pages change between polls and intake itself on loopback:
two sources each in their own order and channel, a restart of the adapter mid-way
(and a poll that dies before its commit) neither skipping nor repeating a post, a
feed down, slow or garbled then back with its cursor kept, posts the feed gives
again taken once, a post that cannot be read skipped and counted while the posts
after it arrive, a feed whose cursor cycles asked no faster than its interval, and
posts polled while intake is stopped reaching it once it is started again."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import SecretStr, ValidationError

from minsheng_common import db, migrations
from minsheng_common.adapters.delivery import Backoff
from minsheng_common.clock import SystemClock
from minsheng_common.devstack.loopback import LoopbackServer, wait_for
from minsheng_common.timeutil import SHANGHAI
from minsheng_forum import feed, polling, repository
from minsheng_forum.app import MIGRATIONS, create_app
from minsheng_forum.schemas import FeedPost
from minsheng_forum.settings import FeedSource, ForumSettings
from tests.adapter_support import (
    LoopbackIntake,
    client_of,
    delivery_settings,
    role_keys,
    running,
)

Poll = Callable[..., Awaitable[None]]
SLOW_SECONDS = 1.0
TIMEOUT_SECONDS = 0.4
PAGE = 3
FEED_KEY = "feed-key-of-the-shenzhen-forum"
CHANNELS = {"shenzhen": "forum-shenzhen", "jiazai": "forum-jiazaipingshan"}
POSTED = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)


@dataclass
class Asked:
    """One request the feed answered: its cursor, page size and key."""

    after: str | None
    limit: int
    key: str | None


@dataclass
class Board:
    """One forum's board as its feed serves it: `mode` makes it slow, garbled, an
    answer that is not a page, an error, or a cursor that swings between p1 and p2
    (`cycle`: the board's first posts on every page, or with `fresh` the next ones);
    `repeat` posts before the cursor are given again on every page."""

    posts: list[Any] = field(default_factory=list)
    mode: str = "ok"
    repeat: int = 0
    fresh: bool = False
    served: int = 0
    asked: list[Asked] = field(default_factory=list)


class FeedServer:
    """The forums' feeds (GET /boards/{board}/posts?after=c<n>&limit=<n>) over real
    HTTP: the cursor `c<n>` is the number of posts already given."""

    def __init__(self) -> None:
        self.boards: dict[str, Board] = {}
        self.server = LoopbackServer(self.app)

    def url(self, board: str) -> str:
        return f"{self.server.url}/boards/{board}/posts"

    def reset(self) -> None:
        self.boards = {name: Board() for name in CHANNELS}

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/boards/{name}/posts", response_model=None)
        async def page(
            name: str, request: Request, limit: int, after: str | None = None
        ) -> Any:
            board = self.boards[name]
            board.asked.append(Asked(after, limit, request.headers.get("X-API-Key")))
            if board.mode == "slow":
                await asyncio.sleep(SLOW_SECONDS)
            if board.mode == "garbage":
                return HTMLResponse("<html><body>502 Bad Gateway</body></html>")
            if board.mode == "error":
                return JSONResponse(status_code=503, content={"error": "busy"})
            if board.mode == "cycle":
                return cycled(board, after, limit)
            start = int(after[1:]) if after else 0
            given = board.posts[start : start + limit]
            posts = board.posts[max(start - board.repeat, 0) : start] + given
            if board.mode == "not_a_page":
                return {"items": posts, "next": f"c{start + len(given)}"}
            return {"posts": posts, "next": f"c{start + len(given)}"}

        return app


def cycled(board: Board, after: str | None, limit: int) -> dict[str, Any]:
    """A page of a feed whose cursor swings between p1 and p2 for ever."""
    start = board.served if board.fresh else 0
    given = board.posts[start : start + limit]
    board.served += len(given)
    return {"posts": given, "next": "p2" if after == "p1" else "p1"}


def post_of(board: str, number: int, **changes: Any) -> dict[str, Any]:
    """A post as the feed gives it; its id is unique to the test (`board`)."""
    posted = POSTED + timedelta(minutes=number)
    body: dict[str, Any] = {
        "id": f"{board}-{number}",
        "title": f"坪山街道东门路第{number}号路灯不亮",
        "content": f"东门路{number}号门口的路灯坏了一周，晚上很黑，请尽快维修。",
        "author": f"U{number:05d}",
        "posted_at": posted.astimezone(SHANGHAI).isoformat(),
        "url": f"https://bbs.example/t/{board}-{number}",
        "place": f"坪山街道东门路{number}号",
    }
    body.update(changes)
    return body


def add(server: FeedServer, board: str, tag: str, numbers: range) -> list[str]:
    """Put posts on a board; their ids, in the feed's order."""
    posts = [post_of(f"{tag}-{board}", number) for number in numbers]
    server.boards[board].posts.extend(posts)
    return [post["id"] for post in posts]


@pytest.fixture(scope="module")
async def feeds() -> AsyncIterator[FeedServer]:
    server = FeedServer()
    await server.server.start()
    yield server
    await server.server.stop()


@pytest.fixture(scope="module")
async def intake(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[LoopbackIntake]:
    """Intake itself, shared by the module: each test's post ids are its own."""
    server = LoopbackIntake(tmp_path_factory.mktemp("intake"))
    yield server
    await server.stop()


@pytest.fixture(scope="module")
def intake_keys(intake: LoopbackIntake) -> dict[str, str]:
    channels = ["forum-people", *CHANNELS.values()]
    return {channel: intake.channel_key(channel) for channel in channels}


@pytest.fixture
async def up(feeds: FeedServer, intake: LoopbackIntake) -> FeedServer:
    """The feeds empty and listening, intake listening."""
    feeds.reset()
    if not feeds.server.running:
        await feeds.server.start()
    if not intake.server.running:
        await intake.start()
    return feeds


@pytest.fixture
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """SQLite, or PostgreSQL for a test parametrised indirectly with it."""
    if getattr(request, "param", "sqlite") == "sqlite":
        return f"sqlite:///{tmp_path / 'forum.db'}"
    create_database: Callable[[str], str] = request.getfixturevalue("create_database")
    return create_database("forum")


@pytest.fixture
def settings(
    store_url: str,
    tmp_path: Path,
    feeds: FeedServer,
    intake: LoopbackIntake,
    intake_keys: dict[str, str],
) -> ForumSettings:
    folder = tmp_path / "forum"
    return ForumSettings(
        **delivery_settings(store_url, folder, intake),
        intake_api_key=intake_keys["forum-people"],
        intake_api_keys={
            channel: SecretStr(intake_keys[channel]) for channel in CHANNELS.values()
        },
        sources=[
            FeedSource(
                name=name,
                channel=channel,
                feed_url=feeds.url(name),
                interval_seconds=0.05,
                page_size=PAGE,
                timeout_seconds=TIMEOUT_SECONDS,
                api_key=SecretStr(FEED_KEY) if name == "shenzhen" else None,
            )
            for name, channel in CHANNELS.items()
        ],
        poll_retry_base_seconds=0.02,
        poll_retry_cap_seconds=0.1,
    )


@asynccontextmanager
async def adapter(settings: ForumSettings) -> AsyncIterator[httpx.AsyncClient]:
    """The adapter running on its store, and a center operator's client of it."""
    keys = role_keys(settings.credentials_path(), channel="forum-people")
    async with (
        running(create_app(settings)) as app,
        client_of(app, "http://forum", keys["operator"]) as http,
    ):
        yield http


async def items(client: httpx.AsyncClient, **query: Any) -> list[dict[str, Any]]:
    answer = await client.get("/v1/items", params={"limit": 500, **query})
    assert answer.status_code == 200
    found: list[dict[str, Any]] = answer.json()["items"]
    return found


async def sources(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    answer = await client.get("/v1/sources")
    assert answer.status_code == 200
    return {source["name"]: source for source in answer.json()}


async def delivered(client: httpx.AsyncClient, count: int) -> bool:
    stats = (await client.get("/v1/stats")).json()
    return bool(stats["delivered"] == count and stats["pending"] == 0)


def in_queue(found: list[dict[str, Any]], name: str) -> list[str]:
    """The post ids of a source's queue, in queue order."""
    mine = [item for item in found if item["source"] == f"feed:{name}"]
    return [item["message_id"] for item in sorted(mine, key=lambda i: i["position"])]


async def appeals_by_channel(
    intake: LoopbackIntake, tag: str
) -> Counter[tuple[str, str]]:
    return Counter(
        (appeal.channel, appeal.channel_ref)
        for appeal in await intake.appeals("forum-")
        if appeal.channel_ref.startswith(f"{tag}-")
    )


def cursor_numbers(board: Board) -> list[int]:
    return [int(asked.after[1:]) if asked.after else 0 for asked in board.asked]


async def test_forum_two_sources_reach_intake_in_order_and_once_as_the_feeds_grow(
    up: FeedServer, settings: ForumSettings, intake: LoopbackIntake
) -> None:
    shenzhen = add(up, "shenzhen", "grow", range(1, 5))
    jiazai = add(up, "jiazai", "grow", range(1, 3))

    async with adapter(settings) as client:
        await wait_for(lambda: delivered(client, 6))
        # The boards grow between polls: more than a page on one.
        shenzhen += add(up, "shenzhen", "grow", range(5, 9))
        jiazai += add(up, "jiazai", "grow", range(3, 4))
        await wait_for(lambda: delivered(client, 11))
        found = await items(client)
        state = await sources(client)

    assert in_queue(found, "shenzhen") == shenzhen
    assert in_queue(found, "jiazai") == jiazai
    for name in CHANNELS:
        times = [
            item["delivered_at"]
            for item in sorted(found, key=lambda i: i["position"])
            if item["source"] == f"feed:{name}"
        ]
        assert times == sorted(times), "a source's posts reach intake in order"
    assert await appeals_by_channel(intake, "grow") == Counter(
        [("forum-shenzhen", ref) for ref in shenzhen]
        + [("forum-jiazaipingshan", ref) for ref in jiazai]
    ), "each post once, under its source's channel"

    # Each poll asks after the stored cursor: never from the start again.
    for name, count in (("shenzhen", 8), ("jiazai", 3)):
        board = up.boards[name]
        numbers = cursor_numbers(board)
        assert numbers == sorted(numbers)
        assert numbers[0] == 0 and numbers.count(0) == 1
        assert {asked.limit for asked in board.asked} == {PAGE}
        assert state[name]["cursor"] == f"c{count}"
        assert state[name]["posts_stored"] == count
        assert state[name]["failures"] == 0 and state[name]["last_error"] is None
        assert state[name]["succeeded_at"] is not None
    assert {asked.key for asked in up.boards["shenzhen"].asked} == {FEED_KEY}
    assert {asked.key for asked in up.boards["jiazai"].asked} == {None}
    assert state["shenzhen"]["channel"] == "forum-shenzhen"
    assert state["shenzhen"]["feed"] == up.url("shenzhen")

    first = next(item for item in found if item["message_id"] == shenzhen[0])
    assert first["url"] == f"https://bbs.example/t/{shenzhen[0]}"
    assert datetime.fromisoformat(first["posted_at"]) == POSTED + timedelta(minutes=1)
    appeal = next(
        a
        for a in await intake.appeals("forum-shenzhen")
        if a.channel_ref == shenzhen[0]
    )
    assert appeal.contact_kind == "forum_account"
    assert appeal.received_at == POSTED + timedelta(minutes=1)
    assert appeal.id == first["appeal_id"]


@pytest.mark.parametrize("store_url", ["sqlite", "postgresql"], indirect=True)
async def test_forum_a_restart_mid_way_neither_skips_nor_repeats(
    up: FeedServer,
    settings: ForumSettings,
    intake: LoopbackIntake,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    posts = add(up, "shenzhen", "restart", range(1, 4))
    async with adapter(settings) as client:
        await wait_for(lambda: delivered(client, 3))
        assert (await sources(client))["shenzhen"]["cursor"] == "c3"
    asked_before = len(up.boards["shenzhen"].asked)

    # While the adapter is stopped the board grows; when it is back, its first
    # store of a page dies before the commit, as a process killed there would.
    posts += add(up, "shenzhen", "restart", range(4, 8))
    advance = repository.advance
    failures = [RuntimeError("killed before the commit")]

    async def dies_once(session: Any, source: str, **values: Any) -> bool:
        moved = await advance(session, source, **values)
        if source == "shenzhen" and failures:
            raise failures.pop()
        return moved

    monkeypatch.setattr(repository, "advance", dies_once)
    caplog.set_level(logging.INFO, logger="minsheng_forum.polling")

    async with adapter(settings) as client:
        await wait_for(lambda: delivered(client, 7))
        found = await items(client)
        state = (await sources(client))["shenzhen"]

    assert not failures, "a store did die mid-way"
    assert in_queue(found, "shenzhen") == posts
    assert await appeals_by_channel(intake, "restart") == Counter(
        ("forum-shenzhen", ref) for ref in posts
    )
    after_restart = up.boards["shenzhen"].asked[asked_before:]
    assert after_restart[0].after == "c3", "the restarted adapter asks after its cursor"
    assert after_restart[1].after == "c3", "the page that died is asked again"
    assert state["cursor"] == "c7"
    assert state["posts_stored"] == 7
    assert any(
        "shenzhen: poll not completed (RuntimeError)" in record.getMessage()
        for record in caplog.records
    )


async def test_forum_a_feed_down_slow_or_garbled_is_retried_and_keeps_its_cursor(
    up: FeedServer,
    settings: ForumSettings,
    intake: LoopbackIntake,
    caplog: pytest.LogCaptureFixture,
) -> None:
    jiazai = add(up, "jiazai", "down", range(1, 3))
    shenzhen = add(up, "shenzhen", "down", range(1, 2))
    await up.server.stop()
    caplog.set_level(logging.WARNING, logger="minsheng_forum.polling")

    async with adapter(settings) as client:

        async def failing(name: str, words: str, times: int = 2) -> bool:
            state = (await sources(client))[name]
            return bool(
                state["failures"] >= times and words in (state["last_error"] or "")
            )

        # Down: nothing listens on the feeds' port.
        await wait_for(lambda: failing("jiazai", "unreachable"))
        await wait_for(lambda: failing("shenzhen", "unreachable"))
        assert await items(client) == []

        # Back, but one board stays wrong in turn; the other source goes on.
        board = up.boards["jiazai"]
        board.mode = "slow"
        await up.server.start()
        await wait_for(lambda: delivered(client, 1))
        await wait_for(lambda: failing("jiazai", f"within {TIMEOUT_SECONDS:g}s", 3))
        for mode, words in (
            ("garbage", "not JSON"),
            ("not_a_page", "posts: Field required"),
            ("error", "answered 503"),
        ):
            board.mode = mode
            await wait_for(lambda words=words: failing("jiazai", words, 1))
            state = (await sources(client))["jiazai"]
            assert state["cursor"] is None, mode
            assert state["posts_stored"] == 0, mode
        assert in_queue(await items(client), "jiazai") == []

        board.mode = "ok"
        await wait_for(lambda: delivered(client, 3))
        state = (await sources(client))["jiazai"]
        found = await items(client)

    assert state["cursor"] == "c2"
    assert state["failures"] == 0 and state["last_error"] is None
    assert in_queue(found, "jiazai") == jiazai
    assert in_queue(found, "shenzhen") == shenzhen
    assert await appeals_by_channel(intake, "down") == Counter(
        [("forum-jiazaipingshan", ref) for ref in jiazai]
        + [("forum-shenzhen", ref) for ref in shenzhen]
    )
    warnings = [r for r in caplog.records if r.name == "minsheng_forum.polling"]
    assert all(r.levelno == logging.WARNING for r in warnings)
    text = "\n".join(r.getMessage() for r in warnings)
    for words in ("unreachable", "did not answer within", "not JSON", "answered 503"):
        assert words in text
    assert "路灯" not in text and "U00001" not in text, "no post's words in the log"
    # Every failed poll asked from the start again: the cursor never moved.
    numbers = cursor_numbers(board)
    assert numbers[: numbers.index(2)] == [0] * numbers.index(2)


async def test_forum_posts_the_feed_gives_again_are_taken_once(
    up: FeedServer, settings: ForumSettings, intake: LoopbackIntake
) -> None:
    board = up.boards["shenzhen"]
    posts = [post_of("again-shenzhen", number) for number in range(1, 6)]
    # The third post twice in a row, and every page repeats two posts before it.
    board.posts = [*posts[:3], posts[2], *posts[3:]]
    board.repeat = 2

    async with adapter(settings) as client:
        await wait_for(lambda: delivered(client, 5))
        await wait_for(lambda: _cursor_is(client, "shenzhen", f"c{len(board.posts)}"))
        # Polls after the end keep giving the last two posts again.
        asked = len(board.asked)
        await wait_for(lambda: len(board.asked) >= asked + 2)
        found = await items(client)
        state = (await sources(client))["shenzhen"]

    ids = [post["id"] for post in posts]
    assert in_queue(found, "shenzhen") == ids
    assert state["posts_stored"] == 5
    assert state["posts_repeated"] >= 5
    assert await appeals_by_channel(intake, "again") == Counter(
        ("forum-shenzhen", ref) for ref in ids
    )


async def _cursor_is(client: httpx.AsyncClient, name: str, cursor: str) -> bool:
    return bool((await sources(client))[name]["cursor"] == cursor)


async def test_forum_a_post_that_cannot_be_read_is_skipped_and_later_ones_arrive(
    up: FeedServer,
    settings: ForumSettings,
    intake: LoopbackIntake,
    caplog: pytest.LogCaptureFixture,
) -> None:
    readable = [post_of("unread-jiazai", number) for number in (1, 3, 5)]
    no_offset = post_of(
        "unread-jiazai", 2, posted_at="2026-12-04 09:30:00", contact="13800138000"
    )
    no_id = {k: v for k, v in post_of("unread-jiazai", 4).items() if k != "id"}
    board = up.boards["jiazai"]
    # Two full pages, each with readable posts around the unreadable ones.
    board.posts = [readable[0], no_offset, readable[1], no_id, "removed", readable[2]]
    caplog.set_level(logging.INFO, logger="minsheng_forum.polling")

    async with adapter(settings) as client:
        await wait_for(lambda: delivered(client, 3))
        later = add(up, "jiazai", "unread", range(6, 8))
        await wait_for(lambda: delivered(client, 5))
        await wait_for(lambda: _cursor_is(client, "jiazai", "c8"))
        found = await items(client)
        state = (await sources(client))["jiazai"]

    taken = [post["id"] for post in readable] + later
    assert in_queue(found, "jiazai") == taken
    assert await appeals_by_channel(intake, "unread") == Counter(
        ("forum-jiazaipingshan", ref) for ref in taken
    )
    assert state["posts_unreadable"] == 3
    assert state["posts_stored"] == 5
    assert state["failures"] == 0 and state["last_error"] is None

    skipped = [
        r.getMessage()
        for r in caplog.records
        if r.name == "minsheng_forum.polling" and "skipped" in r.getMessage()
    ]
    assert len(skipped) == 3
    assert all(
        r.levelno == logging.WARNING
        for r in caplog.records
        if r.name == "minsheng_forum.polling" and "skipped" in r.getMessage()
    )
    assert all("jiazai" in message for message in skipped)
    by_post = next(m for m in skipped if "unread-jiazai-2" in m)
    assert "posted_at" in by_post and "timezone" in by_post
    assert any(
        "without a readable id" in m and "id: Field required" in m for m in skipped
    )
    assert any("without a readable id" in m and "post: " in m for m in skipped)
    text = "\n".join(skipped)
    for private in ("路灯", "U00002", "13800138000", "09:30:00", "removed"):
        assert private not in text, "no post's words or values in the log"


def cycling_source(feeds: FeedServer, name: str) -> FeedSource:
    return FeedSource(
        name=name,
        channel=CHANNELS[name],
        feed_url=feeds.url(name),
        page_size=PAGE,
        interval_seconds=60,
        timeout_seconds=TIMEOUT_SECONDS,
    )


async def test_forum_a_feed_whose_cursor_cycles_is_not_asked_again_at_once(
    up: FeedServer, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'forum.db'}"
    await migrations.upgrade_async(MIGRATIONS, url)
    engine = db.make_engine(url)
    sessions = db.make_sessions(engine)
    poller = polling.Poller(
        sources=[],
        reader=feed.FeedReader(max_bytes=100_000),
        backoff=Backoff(0.02, 0.1),
        wake=asyncio.Event(),
    )
    clock = SystemClock()
    # Full pages of the same posts, the cursor swinging p1, p2, p1…
    repeating = up.boards["jiazai"]
    repeating.mode = "cycle"
    add(up, "jiazai", "cycle", range(1, PAGE + 1))
    # Full pages of new posts, but the cursor swinging all the same.
    fresh = up.boards["shenzhen"]
    fresh.mode, fresh.fresh = "cycle", True
    add(up, "shenzhen", "cycle", range(1, 30 * PAGE))

    try:
        async with httpx.AsyncClient(trust_env=False) as http:

            async def poll(name: str) -> int:
                source = cycling_source(up, name)
                return await poller.poll(
                    source, sessions=sessions, clock=clock, http=http
                )

            assert await poll("jiazai") == PAGE
            # The second page brought nothing new: the round ends there.
            assert [asked.after for asked in repeating.asked] == [None, "p1"]
            assert await poll("jiazai") == 0
            assert [asked.after for asked in repeating.asked] == [None, "p1", "p2"]

            # The third page points back to a cursor this round asked with.
            assert await poll("shenzhen") == 3 * PAGE
            assert [asked.after for asked in fresh.asked] == [None, "p1", "p2"]
    finally:
        await engine.dispose()


async def test_forum_posts_polled_while_intake_is_stopped_reach_it_once_started(
    up: FeedServer, settings: ForumSettings, intake: LoopbackIntake
) -> None:
    await intake.stop()
    shenzhen = add(up, "shenzhen", "stopped", range(1, 3))
    jiazai = add(up, "jiazai", "stopped", range(1, 2))

    async with adapter(settings) as client:

        async def heads_tried(count: int) -> bool:
            pending = await items(client, status="pending")
            heads = [item for item in pending if item["position"] == 1]
            return len(pending) == count and all(h["attempts"] >= 2 for h in heads)

        await wait_for(lambda: heads_tried(3))
        # More posts arrive while intake is still stopped.
        shenzhen += add(up, "shenzhen", "stopped", range(3, 6))
        jiazai += add(up, "jiazai", "stopped", range(2, 3))
        await wait_for(lambda: heads_tried(7))
        assert (await client.get("/v1/stats")).json()["delivered"] == 0

        await intake.start()
        await wait_for(lambda: delivered(client, 7), within=30)
        found = await items(client)

    assert await appeals_by_channel(intake, "stopped") == Counter(
        [("forum-shenzhen", ref) for ref in shenzhen]
        + [("forum-jiazaipingshan", ref) for ref in jiazai]
    ), "nothing lost, nothing doubled"
    for name, posts in (("shenzhen", shenzhen), ("jiazai", jiazai)):
        mine = sorted(
            (item for item in found if item["source"] == f"feed:{name}"),
            key=lambda item: item["position"],
        )
        assert [item["message_id"] for item in mine] == posts
        times = [item["delivered_at"] for item in mine]
        assert times == sorted(times)
    assert all(item["already_received"] is False for item in found)


# The settings and the mapping of a post, without servers.


def test_forum_sources_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sources_json = [
        {
            "name": "shenzhen",
            "channel": "forum-shenzhen",
            "feed_url": "https://bbs.example/api/feed",
            "reply_url": "https://bbs.example/api/replies",
            "interval_seconds": 30,
            "api_key": "the-forums-own-key",
        }
    ]
    monkeypatch.setenv("FORUM_SOURCES", json.dumps(sources_json))
    monkeypatch.setenv("FORUM_INTAKE_API_KEYS", '{"forum-shenzhen": "ms_a_b"}')
    settings = ForumSettings(data_dir=tmp_path, environment="test")

    (source,) = settings.sources
    assert source.queue == "feed:shenzhen"
    assert source.key() == "the-forums-own-key"
    assert "the-forums-own-key" not in repr(settings)
    assert str(source.reply_url) == "https://bbs.example/api/replies"
    keys = settings.intake_keys()
    assert keys.for_channel("forum-shenzhen").value == "ms_a_b"
    assert keys.for_channel("forum-people").setting == "FORUM_INTAKE_API_KEY"


def test_forum_sources_without_their_channel_key_give_none_not_another(
    tmp_path: Path,
) -> None:
    settings = ForumSettings(
        data_dir=tmp_path,
        environment="test",
        intake_api_key="ms_people_key",
        webhook_secrets="w" * 40,
        sources=[
            FeedSource(name="jz", channel="forum-jiazaipingshan", feed_url="http://a/f")
        ],
    )
    key = settings.intake_keys().for_channel("forum-jiazaipingshan")
    assert key.value is None
    assert key.setting == 'FORUM_INTAKE_API_KEYS["forum-jiazaipingshan"]'

    production = settings.model_copy(update={"environment": "production"})
    with pytest.raises(ValueError, match=r"FORUM_INTAKE_API_KEYS\[.forum-jiazai"):
        production.check_production()


def test_forum_sources_must_be_named_once_and_of_a_known_channel(
    tmp_path: Path,
) -> None:
    source = {"channel": "forum-shenzhen", "feed_url": "http://a/f"}
    with pytest.raises(ValidationError, match="names sz twice"):
        ForumSettings(
            data_dir=tmp_path,
            sources=[{"name": "sz", **source}, {"name": "sz", **source}],
        )
    with pytest.raises(ValidationError):
        ForumSettings(data_dir=tmp_path, sources=[{"name": "Not A Name", **source}])

    unknown = ForumSettings(
        data_dir=tmp_path,
        environment="test",
        sources=[{"name": "x", "channel": "forum-nowhere", "feed_url": "http://a/f"}],
    )
    with pytest.raises(ValueError, match="forum-nowhere"):
        create_app(unknown)


NOW = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)


def feed_post(**changes: Any) -> FeedPost:
    body = post_of("unit", 1, **{"posted_at": "2026-12-04T09:30:00+08:00", **changes})
    return FeedPost.model_validate(body)


def test_forum_a_polled_post_becomes_a_canonical_appeal() -> None:
    appeal, dropped = feed.appeal_of(
        feed_post(contact="138 0013 8000", category="城乡建设"),
        channel="forum-shenzhen",
        now=NOW,
    )

    assert not dropped
    assert appeal.channel == "forum-shenzhen"
    assert appeal.channel_ref == "unit-1"
    assert appeal.contact is not None and appeal.contact.kind == "forum_account"
    assert appeal.second_contact is not None
    assert appeal.second_contact.model_dump() == {
        "kind": "phone",
        "value": "13800138000",
    }
    assert appeal.address == "坪山街道东门路1号"
    assert appeal.category_hint == "planning-construction"
    assert appeal.type == "complaint"
    assert appeal.received_at == datetime(2026, 12, 4, 1, 30, tzinfo=UTC)


def test_forum_a_polled_posts_contacts_and_title_are_read_carefully() -> None:
    unusable, dropped = feed.appeal_of(
        feed_post(contact="12345"), channel="forum-shenzhen", now=NOW
    )
    assert dropped and unusable.second_contact is None, "intake would refuse it"

    no_account, _ = feed.appeal_of(
        feed_post(author=None, contact="li@example.cn"), channel="c", now=NOW
    )
    assert no_account.contact is not None
    assert no_account.contact.model_dump() == {
        "kind": "email",
        "value": "li@example.cn",
    }

    untitled, _ = feed.appeal_of(
        feed_post(title=" ", content="路灯不亮？\n第二行"), channel="c", now=NOW
    )
    assert untitled.title == "路灯不亮？"
    assert untitled.type == "consultation"

    ahead, _ = feed.appeal_of(
        feed_post(posted_at="2026-12-04T10:30:00+08:00"), channel="c", now=NOW
    )
    assert ahead.received_at == NOW, "a forum clock ahead of ours is not believed"
    assert FeedPost.model_validate({**post_of("n", 1), "id": 42}).id == "42"
