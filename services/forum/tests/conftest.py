"""The forum adapter on a fresh store, and a stand-in for intake served over real HTTP
on loopback, which the tests can take down, make answer 503, or let accept; it takes
only the adapter's own key."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from minsheng_common.auth import provisioning
from minsheng_common.auth.roles import Role
from minsheng_common.devstack.broker import free_port
from minsheng_common.devstack.loopback import LoopbackServer, wait_for
from minsheng_forum.app import create_app
from minsheng_forum.settings import ForumSettings

# The key the adapter is configured with and the stand-in intake expects; the
# secret the forum signs its pushes with.
INTAKE_KEY = "ms_forumtest1_the-adapters-own-channel-key-secret"
ANSWER_SECRET = "notify-signs-the-forums-answers-with-this-secret"
WEBHOOK_SECRET = "s" * 40


@dataclass
class Received:
    """One request the stand-in intake answered."""

    channel_ref: str
    title: str
    status: int
    api_key: str | None = None


@dataclass
class FakeIntake:
    """Intake's `POST /v1/appeals` as far as the adapter sees it: idempotent by
    channel reference, filed when the text names 坪山 (or `decision` when set), 422
    for chosen references."""

    port: int
    mode: str = "accepting"
    decision: str | None = None
    expected_key: str = INTAKE_KEY
    key_refusal: int = 401
    refuse: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)
    first_answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    server: LoopbackServer = field(init=False)

    def __post_init__(self) -> None:
        self.server = LoopbackServer(self.app, port=self.port)

    @property
    def url(self) -> str:
        return self.server.url

    def accepted(self) -> list[Received]:
        return [item for item in self.received if item.status in (200, 201)]

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/appeals")
        async def submit(request: Request) -> JSONResponse:
            body = await request.json()
            ref = body["channel_ref"]
            key = request.headers.get("X-API-Key")
            if key != self.expected_key:
                status = self.key_refusal
                code = "unauthenticated" if status == 401 else "forbidden"
                answer = {"error": {"code": code, "message": "no"}}
            else:
                status, answer = self._answer(ref, body)
            self.received.append(Received(ref, body["title"], status, key))
            return JSONResponse(status_code=status, content=answer)

        return app

    def _answer(self, ref: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.mode == "unavailable":
            return 503, {"error": {"code": "unavailable", "message": "down"}}
        if ref in self.refuse:
            error = {"code": "too_long", "message": "content too long", "field": "x"}
            return 422, {"error": error}
        if ref in self.first_answers:
            return 200, self.first_answers[ref]
        filed = "坪山" in body["title"] + body["content"]
        decision = self.decision or ("filed" if filed else "rejected")
        answer = {
            "id": f"appeal-{ref}",
            "tracking_code": f"MS{len(self.first_answers):06d}",
            "decision": {"status": decision},
        }
        self.first_answers[ref] = answer
        return 201, answer

    async def start(self) -> None:
        await self.server.start()

    async def stop(self) -> None:
        await self.server.stop()


@pytest.fixture
def poll() -> Callable[..., Awaitable[None]]:
    return wait_for


@pytest.fixture
async def fake_intake() -> AsyncIterator[FakeIntake]:
    """A stand-in intake on a free port, not yet listening: start it when needed."""
    intake = FakeIntake(port=free_port())
    yield intake
    await intake.stop()


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'forum.db'}"


@pytest.fixture
def settings(store_url: str, tmp_path: Path, fake_intake: FakeIntake) -> ForumSettings:
    # No broker: the adapter needs none to take messages in and deliver them.
    return ForumSettings(
        database_url=store_url,
        data_dir=tmp_path,
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        environment="test",
        intake_url=fake_intake.url,
        intake_timeout_seconds=2.0,
        retry_base_seconds=0.02,
        retry_cap_seconds=0.1,
        delivery_poll_seconds=0.02,
        intake_api_key=INTAKE_KEY,
        webhook_secrets=WEBHOOK_SECRET,
        answer_secrets=ANSWER_SECRET,
    )


def make_keys(path: Path) -> dict[str, str]:
    """A key for every role (the unit's of cgj, the channel's of forum-people)."""
    return {
        role.value: provisioning.add_key(
            path,
            name=f"{role.value} (test)",
            role=role,
            unit_id="cgj" if role is Role.UNIT else None,
            channel_id="forum-people" if role is Role.CHANNEL else None,
        )
        for role in Role
    }


@pytest.fixture
def keys(settings: ForumSettings) -> dict[str, str]:
    """Keys by role in the credentials file the adapter reads (its data folder)."""
    return make_keys(settings.credentials_path())


@pytest.fixture
def operator(keys: dict[str, str]) -> dict[str, str]:
    """Headers of a center operator, who may run replays and read the items."""
    return {"X-API-Key": keys["operator"]}


@pytest.fixture
async def app(settings: ForumSettings, keys: dict[str, str]) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(
    app: FastAPI, operator: dict[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    """A center operator's client."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://forum", headers=operator
    ) as http:
        yield http


@pytest.fixture
async def anonymous(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client without credentials (the forum pushing, or a stranger)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://forum") as http:
        yield http
