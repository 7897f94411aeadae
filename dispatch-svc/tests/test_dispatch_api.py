"""Dispatch's HTTP API on a SQLite store with no broker: units, a unit's orders,
signing, the acceptance notice, the audit trail, the routing table and every error."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from minsheng_common.auth.provisioning import add_key
from minsheng_common.auth.roles import Role
from minsheng_common.bus.tables import outbox
from minsheng_common.clock import SharedClock
from minsheng_common.devstack.broker import free_port
from minsheng_common.events import (
    AppealFiled,
    DeadlineReached,
    DeadlineSet,
    Envelope,
    EventData,
)
from minsheng_common.reference import load_reference
from minsheng_dispatch import seeding
from minsheng_dispatch.app import create_app
from minsheng_dispatch.consumers import DispatchHandlers
from minsheng_dispatch.settings import DispatchSettings

NOW = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
# Units whose systems hold a key in these tests: cgj gets the orders of the sample
# appeal (市政设施), swj is another unit.
KEYED_UNITS = ("cgj", "swj")
Wrap = Callable[[EventData], Envelope]


class Dispatch:
    """A running dispatch app, clients with credentials, and a way to feed it
    events."""

    def __init__(self, app: FastAPI, clients: AsyncExitStack, wrap: Wrap) -> None:
        self.app = app
        self.handlers = DispatchHandlers(app.state.context)
        self._clients = clients
        self._wrap = wrap
        self._units: dict[str, httpx.AsyncClient] = {}

    async def start(self, keys: dict[str, str]) -> None:
        self.client = await self._client(keys.pop("operator"))
        for unit_id, key in keys.items():
            self._units[unit_id] = await self._client(key)
        self.clerk = self.unit_client("cgj")

    def unit_client(self, unit_id: str) -> httpx.AsyncClient:
        """A client holding a key of `unit_id`'s system (one of KEYED_UNITS)."""
        return self._units[unit_id]

    async def _client(self, key: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app)
        client = httpx.AsyncClient(
            transport=transport,
            base_url="http://dispatch",
            headers={"X-API-Key": key},
        )
        return await self._clients.enter_async_context(client)

    async def deliver(self, data: AppealFiled | DeadlineSet | DeadlineReached) -> None:
        runtime = self.app.state.runtime
        async with runtime.sessions() as session, session.begin():
            if isinstance(data, AppealFiled):
                await self.handlers.on_appeal_filed(session, self._wrap(data), data)
            elif isinstance(data, DeadlineSet):
                await self.handlers.on_deadline_set(session, self._wrap(data), data)
            else:
                await self.handlers.on_deadline_reached(session, self._wrap(data), data)

    async def order_for(self, appeal_id: str) -> dict[str, Any]:
        response = await self.client.get(
            "/v1/work-orders", params={"appeal_id": appeal_id}
        )
        assert response.status_code == 200
        items: list[dict[str, Any]] = response.json()["items"]
        assert len(items) == 1
        return items[0]

    async def events(self) -> list[tuple[str, dict[str, Any]]]:
        async with self.app.state.runtime.sessions() as session:
            rows = await session.execute(
                select(outbox.c.event_type, outbox.c.payload).order_by(outbox.c.id)
            )
            return [
                (kind, Envelope.model_validate_json(payload).data)
                for kind, payload in rows.all()
            ]


@pytest.fixture
async def dispatch(tmp_path: Path, wrap: Wrap) -> AsyncIterator[Dispatch]:
    """Dispatch with an operator's client (`client`) and the client of a clerk of
    区城市管理和综合执法局 (`clerk`, unit cgj); `unit_client` gives other units'."""
    clock_file = tmp_path / "clock.json"
    SharedClock(clock_file).set_now(NOW)
    settings = DispatchSettings(
        database_url=f"sqlite:///{tmp_path / 'dispatch.db'}",
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        data_dir=tmp_path,
        clock_file=clock_file,
    )
    # Keys are made before the app starts: it re-reads the credentials file at most
    # once a second, so a key added during a test might not be known yet.
    path = settings.credentials_path()
    keys = {"operator": add_key(path, name="operator", role=Role.OPERATOR)}
    for unit_id in KEYED_UNITS:
        keys[unit_id] = add_key(path, name=unit_id, role=Role.UNIT, unit_id=unit_id)
    app = create_app(settings)
    async with app.router.lifespan_context(app), AsyncExitStack() as clients:
        dispatch = Dispatch(app, clients, wrap)
        await dispatch.start(keys)
        yield dispatch


@pytest.fixture
async def order(
    dispatch: Dispatch, appeal_filed: Callable[..., AppealFiled]
) -> dict[str, Any]:
    """One order dispatched to cgj (市政设施 → 区城市管理和综合执法局)."""
    await dispatch.deliver(appeal_filed())
    return await dispatch.order_for("appeal-1")


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


async def test_units_are_seeded_from_the_reference(dispatch: Dispatch) -> None:
    response = await dispatch.client.get("/v1/units")

    units = {unit["id"]: unit for unit in response.json()}
    assert response.status_code == 200
    assert units["swj"]["name"] == "区水务局"
    assert units["kengzi-jd"]["kind"] == "subdistrict"
    assert len(units) == 28


async def test_order_shows_route_and_dispatch_target(
    dispatch: Dispatch, order: dict[str, Any]
) -> None:
    response = await dispatch.client.get(f"/v1/work-orders/{order['id']}")

    body = response.json()
    assert response.status_code == 200
    assert body["unit_id"] == "cgj"
    assert body["status"] == "dispatched"
    # The shared clock keeps running from NOW, so a little more than 15 minutes.
    assert 900 <= body["dispatch_seconds"] < 960
    assert body["dispatched_within_target"] is True
    assert body["route"]["reason"] == "subdistrict"
    assert body["rules_edition"] == "measures-v4"
    assert "contact" not in str(body)


async def test_unit_lists_its_orders_newest_first_and_by_status(
    dispatch: Dispatch, appeal_filed: Callable[..., AppealFiled]
) -> None:
    clock = SharedClock(dispatch.app.state.runtime.clock.path)
    for number in range(3):
        await dispatch.deliver(appeal_filed(appeal_id=f"appeal-{number}"))
        clock.advance(timedelta(minutes=1))
    await dispatch.deliver(appeal_filed(appeal_id="elsewhere", category_id="education"))
    oldest = await dispatch.order_for("appeal-0")
    await dispatch.clerk.post(
        f"/v1/work-orders/{oldest['id']}/sign",
        json={"signed_by": "王科员"},
    )

    everything = await dispatch.client.get("/v1/units/cgj/work-orders")
    unsigned = await dispatch.client.get(
        "/v1/units/cgj/work-orders", params={"status": "dispatched", "limit": 1}
    )

    assert [o["appeal_id"] for o in everything.json()["items"]] == [
        "appeal-2",
        "appeal-1",
        "appeal-0",
    ]
    assert unsigned.json()["total"] == 2
    assert [o["appeal_id"] for o in unsigned.json()["items"]] == ["appeal-2"]


async def test_unknown_unit_has_no_order_list(dispatch: Dispatch) -> None:
    response = await dispatch.client.get("/v1/units/nobody/work-orders")

    assert response.status_code == 404
    assert error_code(response) == "unit_not_found"


async def test_sign_returns_the_signed_order_and_emits_it(
    dispatch: Dispatch, order: dict[str, Any]
) -> None:
    response = await dispatch.clerk.post(
        f"/v1/work-orders/{order['id']}/sign",
        json={"signed_by": "王科员"},
    )

    body = response.json()
    assert response.status_code == 200
    assert (body["status"], body["sign_mode"], body["signed_by"]) == (
        "signed",
        "manual",
        "王科员",
    )
    signed_at = datetime.fromisoformat(body["signed_at"])
    assert NOW <= signed_at < NOW + timedelta(minutes=1)
    assert body["acceptance_notice_requested_at"] is None
    kinds = [kind for kind, _ in await dispatch.events()]
    assert kinds == ["work_order.dispatched", "work_order.signed"]


async def test_sign_with_acceptance_notice_emits_both_in_one_step(
    dispatch: Dispatch, order: dict[str, Any]
) -> None:
    response = await dispatch.clerk.post(
        f"/v1/work-orders/{order['id']}/sign",
        json={
            "signed_by": "王科员",
            "acceptance_notice": {"accepted": True, "message": "您的诉求已受理。"},
        },
    )

    assert response.status_code == 200
    assert response.json()["acceptance_notice_requested_at"] is not None
    events = await dispatch.events()
    assert [kind for kind, _ in events] == [
        "work_order.dispatched",
        "work_order.signed",
        "work_order.acceptance_notice_requested",
    ]
    notice = events[2][1]
    assert notice["message"] == "您的诉求已受理。"
    assert notice["requested_by"] == "王科员"
    assert notice["tracking_code"] == order["tracking_code"]


async def test_another_units_order_is_not_found(
    dispatch: Dispatch, order: dict[str, Any]
) -> None:
    water = dispatch.unit_client("swj")
    sign = await water.post(
        f"/v1/work-orders/{order['id']}/sign", json={"signed_by": "李科员"}
    )
    notice = await water.post(
        f"/v1/work-orders/{order['id']}/acceptance-notice",
        json={"requested_by": "李科员", "accepted": True, "message": "已受理"},
    )
    missing = await water.post(
        "/v1/work-orders/no-such-order/sign", json={"signed_by": "李科员"}
    )

    for response in (sign, notice, missing):
        assert response.status_code == 404
        assert error_code(response) == "work_order_not_found"
    # Told apart from a missing order by nothing: the owner is never named.
    assert sign.json()["error"]["field"] == missing.json()["error"]["field"]
    assert "cgj" not in sign.text and "cgj" not in notice.text
    assert (await dispatch.order_for("appeal-1"))["status"] == "dispatched"


async def test_second_sign_is_a_conflict(
    dispatch: Dispatch, order: dict[str, Any]
) -> None:
    url = f"/v1/work-orders/{order['id']}/sign"
    first = await dispatch.clerk.post(url, json={"signed_by": "王"})

    second = await dispatch.clerk.post(url, json={"signed_by": "李"})

    assert first.status_code == 200
    assert second.status_code == 409
    assert error_code(second) == "already_signed"
    assert (await dispatch.order_for("appeal-1"))["signed_by"] == "王"


async def test_sign_after_default_sign_off_is_a_conflict(
    dispatch: Dispatch,
    order: dict[str, Any],
    deadline_reached: Callable[..., DeadlineReached],
) -> None:
    await dispatch.deliver(deadline_reached(order["id"]))

    response = await dispatch.clerk.post(
        f"/v1/work-orders/{order['id']}/sign",
        json={"signed_by": "王科员"},
    )

    assert response.status_code == 409
    assert error_code(response) == "already_signed"
    assert (await dispatch.order_for("appeal-1"))["sign_mode"] == "auto"


async def test_sign_after_the_deadline_is_answered_as_signed_by_default(
    dispatch: Dispatch,
    order: dict[str, Any],
    deadline_set: Callable[..., DeadlineSet],
) -> None:
    due_at = NOW + timedelta(hours=2)
    await dispatch.deliver(deadline_set(order["id"], due_at=due_at))
    SharedClock(dispatch.app.state.runtime.clock.path).set_now(
        due_at + timedelta(minutes=5)
    )

    response = await dispatch.clerk.post(
        f"/v1/work-orders/{order['id']}/sign",
        json={"signed_by": "王科员"},
    )

    assert response.status_code == 409
    assert error_code(response) == "already_signed"
    assert "2026-03-09 12:00 Asia/Shanghai" in response.json()["error"]["message"]
    shown = await dispatch.order_for("appeal-1")
    assert datetime.fromisoformat(shown["sign_off_due_at"]) == due_at
    assert (shown["sign_mode"], shown["signed_by"]) == ("auto", None)
    assert datetime.fromisoformat(shown["signed_at"]) == due_at
    signed = [body for kind, body in await dispatch.events() if "signed" in kind]
    assert [body["mode"] for body in signed] == ["auto"]


async def test_repeated_sign_by_the_same_clerk_returns_the_order(
    dispatch: Dispatch, order: dict[str, Any]
) -> None:
    url = f"/v1/work-orders/{order['id']}/sign"
    body = {"signed_by": "王科员"}
    first = await dispatch.clerk.post(url, json=body)

    again = await dispatch.clerk.post(url, json=body)

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    kinds = [kind for kind, _ in await dispatch.events()]
    assert kinds == ["work_order.dispatched", "work_order.signed"]


async def test_acceptance_notice_before_signing_is_refused(
    dispatch: Dispatch, order: dict[str, Any]
) -> None:
    response = await dispatch.clerk.post(
        f"/v1/work-orders/{order['id']}/acceptance-notice",
        json={
            "requested_by": "王科员",
            "accepted": True,
            "message": "已受理",
        },
    )

    assert response.status_code == 409
    assert error_code(response) == "not_signed"
    assert [kind for kind, _ in await dispatch.events()] == ["work_order.dispatched"]


async def test_acceptance_notice_is_accepted_exactly_once(
    dispatch: Dispatch,
    order: dict[str, Any],
    deadline_reached: Callable[..., DeadlineReached],
) -> None:
    await dispatch.deliver(deadline_reached(order["id"]))
    url = f"/v1/work-orders/{order['id']}/acceptance-notice"
    body = {
        "requested_by": "王科员",
        "accepted": False,
        "message": "经核实不属于本单位职责，已申请退回。",
    }

    first = await dispatch.clerk.post(url, json=body)
    second = await dispatch.clerk.post(url, json=body)

    assert first.status_code == 202
    assert first.json()["accepted"] is False
    assert first.json()["work_order_id"] == order["id"]
    assert second.status_code == 409
    assert error_code(second) == "acceptance_notice_already_requested"
    kinds = [kind for kind, _ in await dispatch.events()]
    assert kinds.count("work_order.acceptance_notice_requested") == 1


async def test_sign_with_notice_after_a_separate_notice_is_impossible(
    dispatch: Dispatch, order: dict[str, Any]
) -> None:
    url = f"/v1/work-orders/{order['id']}"
    await dispatch.clerk.post(
        f"{url}/sign",
        json={
            "signed_by": "王科员",
            "acceptance_notice": {"accepted": True, "message": "已受理"},
        },
    )

    again = await dispatch.clerk.post(
        f"{url}/acceptance-notice",
        json={
            "requested_by": "王科员",
            "accepted": True,
            "message": "已受理",
        },
    )

    assert again.status_code == 409
    assert error_code(again) == "acceptance_notice_already_requested"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"signed_by": "   "},
        {"signed_by": "王", "unit_id": "cgj"},
        {"signed_by": "王", "extra": 1},
        {"signed_by": "王", "acceptance_notice": {"accepted": True}},
        {
            "signed_by": "王",
            "acceptance_notice": {"accepted": True, "message": "x" * 501},
        },
    ],
)
async def test_bad_sign_body_is_422_and_changes_nothing(
    dispatch: Dispatch, order: dict[str, Any], body: dict[str, Any]
) -> None:
    response = await dispatch.clerk.post(
        f"/v1/work-orders/{order['id']}/sign", json=body
    )

    assert response.status_code == 422
    assert error_code(response) == "invalid_request"
    assert (await dispatch.order_for("appeal-1"))["status"] == "dispatched"


async def test_bad_acceptance_notice_body_is_422(
    dispatch: Dispatch, order: dict[str, Any]
) -> None:
    response = await dispatch.clerk.post(
        f"/v1/work-orders/{order['id']}/acceptance-notice",
        json={"requested_by": "王", "accepted": "perhaps"},
    )

    assert response.status_code == 422
    assert response.json()["error"]["field"] in ("body.accepted", "body.message")


async def test_bad_query_is_422(dispatch: Dispatch) -> None:
    response = await dispatch.client.get(
        "/v1/units/cgj/work-orders", params={"status": "finished"}
    )

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "query.status"


async def test_actions_record_every_transition(
    dispatch: Dispatch, order: dict[str, Any]
) -> None:
    await dispatch.clerk.post(
        f"/v1/work-orders/{order['id']}/sign",
        json={
            "signed_by": "王科员",
            "acceptance_notice": {"accepted": True, "message": "已受理"},
        },
    )

    response = await dispatch.client.get(f"/v1/work-orders/{order['id']}/actions")

    assert response.status_code == 200
    actions = response.json()
    assert [a["action"] for a in actions] == [
        "dispatched",
        "signed",
        "acceptance_notice_requested",
    ]
    # The actor is the authenticated caller; the clerk's name is kept beside it.
    assert actions[0]["actor"] == "system"
    for action in actions[1:]:
        assert action["actor"].startswith("unit:")
        assert action["actor"].endswith("@cgj")
    assert actions[1]["detail"]["signed_by"] == "王科员"
    assert actions[2]["detail"]["requested_by"] == "王科员"


async def test_unknown_order_is_404(dispatch: Dispatch) -> None:
    order = await dispatch.client.get("/v1/work-orders/nothing")
    actions = await dispatch.client.get("/v1/work-orders/nothing/actions")

    assert (order.status_code, error_code(order)) == (404, "work_order_not_found")
    assert (actions.status_code, error_code(actions)) == (404, "work_order_not_found")


async def test_routing_rules_are_listed_with_their_validity(dispatch: Dispatch) -> None:
    everything = await dispatch.client.get("/v1/routing-rules")
    water = await dispatch.client.get(
        "/v1/routing-rules", params={"category_id": "environment-water"}
    )

    assert everything.status_code == 200
    assert all(rule["in_force"] for rule in everything.json())
    assert all(rule["valid_to"] is None for rule in everything.json())
    assert {(r["keyword"], r["unit_id"]) for r in water.json()} == {
        (None, "sthjj"),
        ("污水", "swj"),
        ("内涝", "swj"),
        ("排水", "swj"),
    }


async def test_seeding_twice_changes_nothing(dispatch: Dispatch) -> None:
    before = (await dispatch.client.get("/v1/routing-rules")).json()

    again = await seeding.seed(
        dispatch.app.state.runtime.sessions,
        load_reference(),
        valid_from=NOW,
    )

    assert again is False
    assert (await dispatch.client.get("/v1/routing-rules")).json() == before


async def test_health_and_openapi(dispatch: Dispatch) -> None:
    health = await dispatch.client.get("/healthz")
    document = await dispatch.client.get("/openapi.json")

    assert health.status_code == 200
    assert "/v1/work-orders/{work_order_id}/sign" in document.json()["paths"]


# What a clerk might paste into a notice: the citizen's ID number, phone and email.
PERSONAL_NOTICE = (
    "张先生（身份证440306199001011234，电话13911112222，邮箱zxs@163.com）："
    "您的诉求已受理。"
)
MASKED_NOTICE = (
    "张先生（身份证[身份证号]，电话139****2222，邮箱[邮箱]）：您的诉求已受理。"
)
PERSONAL = ("440306199001011234", "13911112222", "zxs@163.com")


def assert_no_personal_data(text: str) -> None:
    for personal in PERSONAL:
        assert personal not in text


async def test_a_notice_given_with_the_sign_never_carries_personal_data(
    dispatch: Dispatch, order: dict[str, Any]
) -> None:
    response = await dispatch.clerk.post(
        f"/v1/work-orders/{order['id']}/sign",
        json={
            "signed_by": "王科员 13800001111",
            "acceptance_notice": {"accepted": True, "message": PERSONAL_NOTICE},
        },
    )

    assert response.status_code == 200
    events = await dispatch.events()
    notice = events[2][1]
    assert notice["message"] == MASKED_NOTICE
    assert notice["requested_by"] == "王科员 138****1111"
    actions = await dispatch.client.get(f"/v1/work-orders/{order['id']}/actions")
    for text in (str(events), response.text, actions.text):
        assert_no_personal_data(text)
        assert "13800001111" not in text


async def test_a_notice_asked_for_later_is_masked_before_kept_sent_or_shown(
    dispatch: Dispatch, order: dict[str, Any]
) -> None:
    url = f"/v1/work-orders/{order['id']}"
    await dispatch.clerk.post(f"{url}/sign", json={"signed_by": "王科员"})

    response = await dispatch.clerk.post(
        f"{url}/acceptance-notice",
        json={"requested_by": "王科员", "accepted": True, "message": PERSONAL_NOTICE},
    )

    assert response.status_code == 202
    assert response.json()["message"] == MASKED_NOTICE
    events = await dispatch.events()
    assert events[-1][0] == "work_order.acceptance_notice_requested"
    assert events[-1][1]["message"] == MASKED_NOTICE
    actions = await dispatch.client.get(f"{url}/actions")
    for text in (str(events), response.text, actions.text):
        assert_no_personal_data(text)


async def test_a_repeated_sign_with_the_same_personal_notice_is_the_same_notice(
    dispatch: Dispatch, order: dict[str, Any]
) -> None:
    url = f"/v1/work-orders/{order['id']}/sign"
    body = {
        "signed_by": "王科员",
        "acceptance_notice": {"accepted": True, "message": PERSONAL_NOTICE},
    }
    first = await dispatch.clerk.post(url, json=body)

    again = await dispatch.clerk.post(url, json=body)

    assert (first.status_code, again.status_code) == (200, 200)
    kinds = [kind for kind, _ in await dispatch.events()]
    assert kinds.count("work_order.acceptance_notice_requested") == 1


async def test_the_order_keeps_its_texts_masked_even_from_an_older_event(
    dispatch: Dispatch, appeal_filed: Callable[..., AppealFiled]
) -> None:
    await dispatch.deliver(
        appeal_filed(
            appeal_id="appeal-old",
            content="坑梓街道秀新社区路灯不亮，座机84000204，身份证440307900101004。",
        )
    )

    seen = await dispatch.order_for("appeal-old")

    assert (
        seen["content"] == "坑梓街道秀新社区路灯不亮，座机840***04，身份证[身份证号]。"
    )
