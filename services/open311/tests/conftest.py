"""The Open311 server on a fresh store, a stand-in for intake served over real HTTP
on loopback (which the tests can take down, make answer 503, or let decide), keys
for every role, and a way to hand the server progress events without a broker."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from minsheng_common.auth import provisioning
from minsheng_common.auth.roles import Role
from minsheng_common.devstack.broker import free_port
from minsheng_common.devstack.loopback import LoopbackServer, wait_for
from minsheng_common.events import EventData, seal
from minsheng_open311 import progress
from minsheng_open311.app import create_app
from minsheng_open311.settings import Open311Settings

# The key the server is configured with and the stand-in intake expects.
INTAKE_KEY = "ms_open311test_the-servers-own-channel-key-secret"
CHANNEL = "open311"


@dataclass
class Received:
    """One appeal the stand-in intake answered."""

    channel_ref: str
    body: dict[str, Any]
    status: int


@dataclass
class FakeIntake:
    """Intake's `POST /v1/appeals` as far as the server sees it: idempotent by
    channel reference; not filed without a contact or without a place in 坪山;
    a consultation answered at once; 422 for chosen references."""

    port: int
    mode: str = "accepting"
    expected_key: str = INTAKE_KEY
    key_refusal: int = 401
    refuse: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)
    first_answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    codes: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _server: LoopbackServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @staticmethod
    def appeal_id_of(ref: str) -> str:
        """The id this intake gives the appeal of a channel reference."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"appeal:{ref}"))

    def accepted(self) -> list[Received]:
        return [item for item in self.received if item.status in (200, 201)]

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/appeals")
        async def submit(request: Request) -> JSONResponse:
            body = await request.json()
            if request.headers.get("X-API-Key") != self.expected_key:
                status = self.key_refusal
                answer: dict[str, Any] = {"error": {"code": "no", "message": "no"}}
            else:
                status, answer = self._answer(body["channel_ref"], body)
            self.received.append(Received(body["channel_ref"], body, status))
            return JSONResponse(status_code=status, content=answer)

        return app

    def _answer(self, ref: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.mode == "unavailable":
            return 503, {"error": {"code": "unavailable", "message": "down"}}
        if ref in self.refuse:
            error = {
                "code": "too_long",
                "message": "content has 6000 characters; at most 5000 are accepted",
                "field": "content",
            }
            return 422, {"error": error}
        if ref in self.first_answers:
            return 200, self.first_answers[ref]
        answer = {
            "id": self.appeal_id_of(ref),
            "tracking_code": f"PS20260302{next(self.codes):06d}",
            "channel": body["channel"],
            "channel_ref": ref,
            "type": body.get("type") or "complaint",
            "decision": self._decision(body),
            "received_at": body["received_at"],
            "instant_answer": None,
        }
        if answer["decision"]["status"] == "answered":
            answer["instant_answer"] = {"answer": "政务服务大厅工作日9:00至18:00办公"}
        self.first_answers[ref] = answer
        return 201, answer

    @staticmethod
    def _decision(body: dict[str, Any]) -> dict[str, Any]:
        now = datetime.now(UTC).isoformat()
        text = f"{body['title']}{body['content']}{body.get('address') or ''}"
        if body.get("contact") is None:
            return {
                "status": "rejected",
                "reason_code": "missing_contact",
                "article": "Art. 11(2)1",
                "advice": "请留下真实有效的联系方式后重新反映。",
                "decided_at": now,
            }
        if "坪山" not in text:
            return {
                "status": "rejected",
                "reason_code": "no_place_in_district",
                "article": "Art. 11(2)3",
                "decided_at": now,
            }
        if body.get("type") == "consultation":
            return {"status": "answered", "decided_at": now}
        return {"status": "filed", "decided_at": now}

    async def start(self) -> None:
        if self._server is None:
            self._server = LoopbackServer(self.app, port=self.port)
        await self._server.start()

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.stop()


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
async def intake(fake_intake: FakeIntake) -> FakeIntake:
    """The stand-in intake, listening."""
    await fake_intake.start()
    return fake_intake


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'open311.db'}"


@pytest.fixture
def settings(
    store_url: str, tmp_path: Path, fake_intake: FakeIntake
) -> Open311Settings:
    # No broker: progress events are handed to the consumer's own apply below.
    return Open311Settings(
        database_url=store_url,
        data_dir=tmp_path,
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        environment="test",
        intake_url=fake_intake.url,
        intake_timeout_seconds=2.0,
        retry_base_seconds=0.02,
        retry_cap_seconds=0.1,
        delivery_poll_seconds=0.02,
        post_wait_seconds=3.0,
        intake_api_key=INTAKE_KEY,
    )


def make_keys(path: Path) -> dict[str, str]:
    """A key for every role (the unit's of cgj, the channel's of open311), and
    two more: a second 311 client, and a channel key of another channel."""
    keys = {
        role.value: provisioning.add_key(
            path,
            name=f"{role.value} (test)",
            role=role,
            unit_id="cgj" if role is Role.UNIT else None,
            channel_id=CHANNEL if role is Role.CHANNEL else None,
        )
        for role in Role
    }
    keys["other_client"] = provisioning.add_key(
        path, name="another 311 app", role=Role.CHANNEL, channel_id=CHANNEL
    )
    keys["wechat"] = provisioning.add_key(
        path, name="wechat", role=Role.CHANNEL, channel_id="wechat"
    )
    return keys


@pytest.fixture
def keys(settings: Open311Settings) -> dict[str, str]:
    """Keys by role in the credentials file the server reads (its data folder)."""
    return make_keys(settings.credentials_path())


@pytest.fixture
async def app(
    settings: Open311Settings, keys: dict[str, str]
) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A 311 client's HTTP client (the key goes in each request, as in the
    specification)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://o") as http:
        yield http


@pytest.fixture
def client_key(keys: dict[str, str]) -> str:
    return keys["channel"]


Deliver = Callable[..., Awaitable[bool]]


@pytest.fixture
def deliver(app: FastAPI) -> Deliver:
    """Hand one event to the server's consumer as the broker would: in one
    transaction with its inbox row. False when it had been applied already."""
    consumer = app.state.runtime.event_consumers[0]
    context = app.state.context
    handlers = progress.Progress(
        channel=CHANNEL, catalogue=context.catalogue, clock=context.clock
    ).handlers()
    offsets = itertools.count()

    async def deliver_one(
        data: EventData, *, at: datetime | None = None, event_id: str | None = None
    ) -> bool:
        envelope = seal(data, producer="test", occurred_at=at or datetime.now(UTC))
        if event_id is not None:
            envelope = envelope.model_copy(update={"event_id": event_id})
        record = SimpleNamespace(topic=data.topic, partition=0, offset=next(offsets))
        applied: bool = await consumer.apply(
            record, envelope, data, handlers[envelope.type]
        )
        return applied

    return deliver_one


VALID = {
    "service_code": "city-sanitation",
    "description": "坪山街道六和社区和平路12号门口垃圾堆放三天无人清理",
    "address_string": "坪山区坪山街道和平路12号",
    "lat": "22.69",
    "long": "114.35",
    "phone": "13800138000",
}
"""A form intake files."""

File = Callable[..., Awaitable[httpx.Response]]


@pytest.fixture
def valid_form() -> dict[str, str]:
    return dict(VALID)


@pytest.fixture
def file(client: httpx.AsyncClient, client_key: str) -> File:
    """POST /requests as the 311 client, with a form intake files overridden by
    `fields` (a value of "" leaves the field out)."""

    async def post(fmt: str = "json", **fields: str) -> httpx.Response:
        form = {**VALID, "api_key": client_key, **fields}
        form = {name: value for name, value in form.items() if value != ""}
        return await client.post(f"/requests.{fmt}", data=form)

    return post


XmlReader = Callable[[httpx.Response], ElementTree.Element]


def _read_xml(answer: httpx.Response) -> ElementTree.Element:
    assert answer.headers["content-type"] == "text/xml; charset=utf-8"
    assert answer.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    # The server's own answer, read as a 311 client reads it.
    return ElementTree.fromstring(answer.content)  # noqa: S314


@pytest.fixture
def xml() -> XmlReader:
    """Read an XML answer (after checking its declaration and content type)."""
    return _read_xml
