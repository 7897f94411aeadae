"""Ownership disputes (Art. 24) through the running API, on SQLite and PostgreSQL: the
center opens a dispute and decides it or escalates it to the bureau's leadership,
which decides or escalates it to the district leader's meeting, which must decide.
Each step allowed and refused, re-dispatch to the owner, the events, the order's
history and detail, and requests sent twice applied once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from minsheng_common.auth.provisioning import add_key
from minsheng_common.auth.roles import Role
from minsheng_common.bus.tables import outbox as outbox_table
from minsheng_common.clock import SharedClock
from minsheng_common.devstack.broker import free_port
from minsheng_common.events import (
    AppealFiled,
    DeadlineSet,
    Envelope,
    EventData,
    NoticeSent,
)
from minsheng_dispatch.app import create_app
from minsheng_dispatch.consumers import DispatchHandlers
from minsheng_dispatch.models import WorkOrder
from minsheng_dispatch.settings import DispatchSettings

NOW = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
PDF_HEAD = b"%PDF-1.7\n"
CALLERS: dict[str, tuple[Role, str | None]] = {
    "operator": (Role.OPERATOR, None),
    "leader": (Role.LEADER, None),
    "cgj": (Role.UNIT, "cgj"),
    "swj": (Role.UNIT, "swj"),
}


class Office:
    """Dispatch running with clients of the center's operator, a leader and two
    units (cgj gets the sample appeals; swj is another unit), fed the events sla
    and notify would send, on a clock the test moves."""

    def __init__(
        self,
        app: Any,
        clock: SharedClock,
        wrap: Callable[..., Envelope],
        appeal_filed: Callable[..., AppealFiled],
    ) -> None:
        self.app = app
        self.clock = clock
        self.clients: dict[str, httpx.AsyncClient] = {}
        self._handlers = DispatchHandlers(app.state.context).by_event_type()
        self._wrap = wrap
        self._filed = appeal_filed

    @property
    def center(self) -> httpx.AsyncClient:
        return self.clients["operator"]

    def now(self) -> datetime:
        return self.clock.now()

    async def deliver(self, data: EventData) -> None:
        envelope = self._wrap(data, self.now())
        async with self.app.state.runtime.sessions() as session, session.begin():
            await self._handlers[data.event_type](session, envelope, data)

    async def file(self, appeal_id: str = "appeal-1", **changes: Any) -> dict[str, Any]:
        """A filed appeal dispatched to cgj; its order as the center sees it."""
        await self.deliver(self._filed(appeal_id=appeal_id, **changes))
        response = await self.center.get(
            "/v1/work-orders", params={"appeal_id": appeal_id}
        )
        (order,) = response.json()["items"]
        return dict(order)

    async def order(self, order_id: str, caller: str = "operator") -> dict[str, Any]:
        response = await self.clients[caller].get(f"/v1/work-orders/{order_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def open(
        self, order: dict[str, Any], units: tuple[str, ...] = ("cgj", "swj")
    ) -> dict[str, Any]:
        response = await self.center.post(
            f"/v1/work-orders/{order['id']}/disputes",
            json={"unit_ids": list(units), "reason": "城管与水务均称不属本单位职责"},
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def escalate(
        self, dispute: dict[str, Any], level: str, **extra: Any
    ) -> httpx.Response:
        return await self.center.post(
            f"/v1/disputes/{dispute['id']}/escalate",
            json={"level": level, "reason": "协调未果", **extra},
        )

    async def decide(
        self, dispute: dict[str, Any], level: str, owner: str, **extra: Any
    ) -> httpx.Response:
        return await self.center.post(
            f"/v1/disputes/{dispute['id']}/decide",
            json={
                "level": level,
                "owner_unit_id": owner,
                "decision": f"经协调，由{owner}负责办理",
                **extra,
            },
        )

    async def document(self) -> str:
        """The written decision of a level, uploaded by the center."""
        response = await self.center.post(
            "/v1/attachments",
            files={"file": ("minutes.pdf", PDF_HEAD + b"meeting minutes" * 10)},
        )
        assert response.status_code == 201, response.text
        document: str = response.json()["id"]
        return document

    async def closed(self) -> dict[str, Any]:
        """A consultation of cgj, answered and closed by the center."""
        return await self.close(await self.file(appeal_type="consultation"))

    async def close(self, order: dict[str, Any]) -> dict[str, Any]:
        """cgj signs and answers the consultation; the center closes it."""
        url = f"/v1/work-orders/{order['id']}"
        signed = await self.clients["cgj"].post(
            f"{url}/sign", json={"signed_by": "王科员"}
        )
        assert signed.status_code == 200, signed.text
        await self.deliver(handling_due(order["id"], self.now() + timedelta(days=1)))
        self.clock.advance(timedelta(hours=1))
        asked = await self.clients["cgj"].post(
            f"{url}/closure",
            json={
                "handled_at": (self.now() - timedelta(minutes=10)).isoformat(),
                "actions": "电话答复",
                "result": "已解答",
                "handling_notice": {"message": "您咨询的问题已答复"},
            },
        )
        assert asked.status_code == 200, asked.text
        await self.deliver(await self._notice_sent(order["id"]))
        approved = await self.center.post(f"{url}/closure/approve", json={})
        assert approved.status_code == 200, approved.text
        return dict(approved.json())

    async def _notice_sent(self, order_id: str) -> NoticeSent:
        history = (await self.order(order_id))["history"]
        request_id = next(
            a["detail"]["request_id"]
            for a in history
            if a["action"] == "handling_notice_requested"
        )
        return NoticeSent(
            notice_id=f"notice-{request_id}",
            request_id=request_id,
            appeal_id="appeal-1",
            work_order_id=order_id,
            kind="handling",
            channel="sms",
            recipient_masked="138****0000",
            sent_at=self.now(),
            provider_ref="mailbox-1",
            attempts=1,
        )

    async def set_status(self, work_order_id: str, status: str) -> None:
        """Put an order in a state no dispute step leads to, as another part of
        dispatch would."""
        async with self.app.state.runtime.sessions() as session, session.begin():
            await session.execute(
                update(WorkOrder)
                .where(WorkOrder.id == work_order_id)
                .values(status=status)
            )

    async def events(self, event_type: str | None = None) -> list[dict[str, Any]]:
        """The bodies of the staged events (of one type), oldest first."""
        async with self.app.state.runtime.sessions() as session:
            rows = await session.execute(
                select(outbox_table.c.event_type, outbox_table.c.payload).order_by(
                    outbox_table.c.id
                )
            )
            return [
                {"type": kind, **Envelope.model_validate_json(payload).data}
                for kind, payload in rows.all()
                if event_type is None or kind == event_type
            ]


def handling_due(order_id: str, due_at: datetime) -> DeadlineSet:
    return DeadlineSet(
        deadline_id=f"handling-{order_id}",
        work_order_id=order_id,
        appeal_id="appeal-1",
        unit_id="cgj",
        kind="handling",
        starts_at=NOW,
        due_at=due_at,
        provisional=False,
        article="Art. 15",
        period="P1D",
        rules_edition="measures-v4",
    )


def error(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()["error"]
    return body


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'dispatch.db'}"
    create_database: Callable[[str], str] = request.getfixturevalue("create_database")
    return create_database("dispatch_disputes")


@pytest.fixture
async def office(
    store_url: str,
    tmp_path: Path,
    wrap: Callable[..., Envelope],
    appeal_filed: Callable[..., AppealFiled],
) -> AsyncIterator[Office]:
    clock_file = tmp_path / "clock.json"
    clock = SharedClock(clock_file)
    clock.set_now(NOW)
    # No broker: the relay never connects, so staged events stay in the outbox
    # where the tests read them.
    settings = DispatchSettings(
        database_url=store_url,
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        data_dir=tmp_path,
        clock_file=clock_file,
    )
    path = settings.credentials_path()
    keys = {
        name: add_key(path, name=name, role=role, unit_id=unit)
        for name, (role, unit) in CALLERS.items()
    }
    app = create_app(settings)
    async with app.router.lifespan_context(app), AsyncExitStack() as stack:
        made = Office(app, clock, wrap, appeal_filed)
        transport = httpx.ASGITransport(app=app)
        for name, key in keys.items():
            made.clients[name] = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=transport,
                    base_url="http://dispatch",
                    headers={"X-API-Key": key},
                )
            )
        yield made


# Opening (the center coordinates first).


async def test_dispute_opened_by_the_center_is_recorded_and_announced_art_24(
    office: Office,
) -> None:
    order = await office.file()
    cursor = (await office.clients["cgj"].get("/v1/units/cgj/work-orders")).json()[
        "next_cursor"
    ]

    dispute = await office.open(order)

    assert dispute["state"] == "open" and dispute["level"] == "center"
    assert dispute["next_level"] == "bureau_leadership"
    assert dispute["work_order_id"] == order["id"]
    assert dispute["unit_ids"] == ["cgj", "swj"]
    (step,) = dispute["steps"]
    assert step["step"] == "opened" and step["level"] == "center"
    assert step["actor"].startswith("operator:")
    assert step["text"] == dispute["reason"]
    (event,) = await office.events("work_order.dispute_escalated")
    assert event["dispute_id"] == dispute["id"] and event["level"] == "center"
    assert event["unit_ids"] == ["cgj", "swj"]
    assert event["escalated_by"] == step["actor"]
    seen_by_unit = await office.order(order["id"], caller="cgj")
    assert [d["id"] for d in seen_by_unit["disputes"]] == [dispute["id"]]
    assert seen_by_unit["history"][-1]["action"] == "dispute_opened"
    assert seen_by_unit["status"] == "dispatched"
    polled = await office.clients["cgj"].get(
        "/v1/units/cgj/work-orders", params={"after": cursor}
    )
    (item,) = polled.json()["items"]
    assert [change["action"] for change in item["changes"]] == ["dispute_opened"]


async def test_dispute_personal_data_in_the_reason_is_masked_art_41(
    office: Office,
) -> None:
    order = await office.file()

    response = await office.center.post(
        f"/v1/work-orders/{order['id']}/disputes",
        json={"unit_ids": ["cgj", "swj"], "reason": "市民13812345678反映两单位推诿"},
    )

    assert response.status_code == 201, response.text
    assert "13812345678" not in response.text
    (event,) = await office.events("work_order.dispute_escalated")
    assert "13812345678" not in event["reason"]


async def test_dispute_second_open_dispute_on_an_order_is_refused_art_24(
    office: Office,
) -> None:
    order = await office.file()
    first = await office.open(order)

    second = await office.center.post(
        f"/v1/work-orders/{order['id']}/disputes",
        json={"unit_ids": ["cgj", "jtj"], "reason": "另有争议"},
    )
    await office.decide(first, "center", "cgj")
    after_decision = await office.center.post(
        f"/v1/work-orders/{order['id']}/disputes",
        json={"unit_ids": ["cgj", "jtj"], "reason": "另有争议"},
    )

    assert second.status_code == 409
    assert error(second)["code"] == "dispute_already_open"
    assert first["id"] in error(second)["message"]
    assert "Art. 24" in error(second)["message"]
    assert after_decision.status_code == 201, after_decision.text


async def test_dispute_closed_order_opens_none_art_24(office: Office) -> None:
    closed = await office.closed()

    response = await office.center.post(
        f"/v1/work-orders/{closed['id']}/disputes",
        json={"unit_ids": ["cgj", "swj"], "reason": "争议"},
    )

    assert response.status_code == 409
    assert error(response)["code"] == "already_closed"
    assert "Art. 24" in error(response)["message"]


async def test_dispute_waits_for_the_center_to_decide_a_pending_return_art_13_24(
    office: Office,
) -> None:
    order = await office.file()
    asked = await office.clients["cgj"].post(
        f"/v1/work-orders/{order['id']}/return", json={"reason": "不属本单位职责"}
    )

    response = await office.center.post(
        f"/v1/work-orders/{order['id']}/disputes",
        json={"unit_ids": ["cgj", "swj"], "reason": "争议"},
    )

    assert asked.status_code == 200, asked.text
    assert response.status_code == 409
    assert error(response)["code"] == "return_pending"
    assert "Art. 24" in error(response)["message"]


async def test_dispute_returned_order_opens_none_art_24(office: Office) -> None:
    order = await office.file()
    await office.clients["cgj"].post(
        f"/v1/work-orders/{order['id']}/return", json={"reason": "不属本单位职责"}
    )
    await office.center.post(
        f"/v1/work-orders/{order['id']}/return/approve",
        json={"unit_id": "swj", "reason": "属水务"},
    )

    response = await office.center.post(
        f"/v1/work-orders/{order['id']}/disputes",
        json={"unit_ids": ["cgj", "swj"], "reason": "争议"},
    )

    assert response.status_code == 409
    assert error(response)["code"] == "order_returned"


async def test_dispute_order_ended_by_special_dispatch_opens_none_art_24(
    office: Office,
) -> None:
    """An order merged, split or sent in parallel ended: its appeal goes on in other
    orders, where a dispute belongs."""
    order = await office.file()
    dispute = await office.open(order)
    other = await office.file("appeal-2")
    for work_order_id in (order["id"], other["id"]):
        await office.set_status(work_order_id, "merged")

    opened = await office.center.post(
        f"/v1/work-orders/{other['id']}/disputes",
        json={"unit_ids": ["cgj", "swj"], "reason": "争议"},
    )
    escalated = await office.escalate(dispute, "center")
    decided = await office.decide(dispute, "center", "cgj")

    for response in (opened, escalated, decided):
        assert response.status_code == 409, response.text
        assert error(response)["code"] == "order_ended"
        assert "Art. 24" in error(response)["message"]


async def test_dispute_bad_requests_are_404_and_422(office: Office) -> None:
    order = await office.file()
    disputes = f"/v1/work-orders/{order['id']}/disputes"

    missing_order = await office.center.post(
        "/v1/work-orders/nope/disputes",
        json={"unit_ids": ["cgj", "swj"], "reason": "争议"},
    )
    one_unit = await office.center.post(
        disputes, json={"unit_ids": ["cgj"], "reason": "争议"}
    )
    twice = await office.center.post(
        disputes, json={"unit_ids": ["cgj", "cgj"], "reason": "争议"}
    )
    unknown = await office.center.post(
        disputes, json={"unit_ids": ["cgj", "nobody"], "reason": "争议"}
    )
    no_reason = await office.center.post(
        disputes, json={"unit_ids": ["cgj", "swj"], "reason": " "}
    )
    missing_dispute = await office.center.post(
        "/v1/disputes/nope/decide",
        json={"level": "center", "owner_unit_id": "cgj", "decision": "由城管负责"},
    )
    bad_level = await office.center.post(
        "/v1/disputes/nope/escalate", json={"level": "mayor", "reason": "x"}
    )

    assert missing_order.status_code == 404
    assert error(missing_order)["code"] == "work_order_not_found"
    for response in (one_unit, twice, no_reason, bad_level):
        assert response.status_code == 422, response.text
        assert set(error(response)) >= {"code", "message"}
    assert unknown.status_code == 422
    assert error(unknown)["code"] == "unknown_unit"
    assert error(unknown)["field"] == "unit_ids"
    assert missing_dispute.status_code == 404
    assert error(missing_dispute)["code"] == "dispute_not_found"
    assert await office.events("work_order.dispute_escalated") == []


# Deciding and escalating.


async def test_dispute_decided_by_the_center_for_the_holder_keeps_the_order_art_24(
    office: Office,
) -> None:
    order = await office.file()
    dispute = await office.open(order)
    office.clock.advance(timedelta(minutes=30))

    response = await office.decide(dispute, "center", "cgj")

    assert response.status_code == 200, response.text
    decided = response.json()
    assert decided["state"] == "decided" and decided["level"] == "center"
    assert decided["owner_unit_id"] == "cgj" and decided["redispatched_to"] is None
    assert decided["decided_by"].startswith("operator:")
    # The shared clock ticks on from where the test set it.
    decided_at = datetime.fromisoformat(decided["decided_at"])
    assert (
        timedelta(0)
        <= decided_at - (NOW + timedelta(minutes=30))
        < timedelta(minutes=1)
    )
    assert decided["next_level"] is None
    assert [s["step"] for s in decided["steps"]] == ["opened", "decided"]
    current = await office.order(order["id"])
    assert current["unit_id"] == "cgj" and current["status"] == "dispatched"
    assert current["history"][-1]["action"] == "dispute_decided"
    assert current["history"][-1]["detail"]["owner_unit_id"] == "cgj"
    (event,) = await office.events("work_order.dispute_decided")
    assert event["level"] == "center" and event["owner_unit_id"] == "cgj"
    assert event["decision"] == "经协调，由cgj负责办理"
    assert len(await office.events("work_order.dispatched")) == 1
    assert await office.events("work_order.return_decided") == []


async def test_dispute_decided_for_another_unit_redispatches_to_the_owner_art_24(
    office: Office,
) -> None:
    order = await office.file()
    await office.clients["cgj"].post(
        f"/v1/work-orders/{order['id']}/return", json={"reason": "不属本单位职责"}
    )
    refused = await office.center.post(
        f"/v1/work-orders/{order['id']}/return/refuse", json={"reason": "先协调"}
    )
    dispute = await office.open(order)
    office.clock.advance(timedelta(hours=1))

    response = await office.decide(dispute, "center", "swj")

    assert refused.status_code == 200, refused.text
    assert response.status_code == 200, response.text
    new_id = response.json()["redispatched_to"]
    assert new_id is not None
    held = await office.order(order["id"])
    assert held["status"] == "returned" and held["redispatched_to"] == new_id
    assert [a["action"] for a in held["history"]][-2:] == [
        "dispute_opened",
        "dispute_decided",
    ]
    new = await office.order(new_id, caller="swj")
    assert new["unit_id"] == "swj" and new["status"] == "dispatched"
    assert new["appeal_id"] == order["appeal_id"]
    assert new["redispatched_from"] == order["id"]
    assert new["clock_from"] == "dispatched"
    assert new["route"]["reason"] == "dispute_decision"
    assert dispute["id"] in new["route"]["basis"]
    assert [d["id"] for d in new["disputes"]] == [dispute["id"]]
    assert new["history"][0]["detail"]["dispute_id"] == dispute["id"]
    types = [e["type"] for e in await office.events()]
    assert types[-3:] == [
        "work_order.dispute_decided",
        "work_order.return_decided",
        "work_order.dispatched",
    ]
    returned = (await office.events("work_order.return_decided"))[-1]
    assert returned["approved"] is True and returned["redispatched_to"] == new_id
    dispatched = (await office.events("work_order.dispatched"))[-1]
    assert dispatched["work_order_id"] == new_id and dispatched["unit_id"] == "swj"
    swj_list = await office.clients["swj"].get("/v1/units/swj/work-orders")
    assert [o["id"] for o in swj_list.json()["items"]] == [new_id]


async def test_dispute_signed_order_in_progress_goes_to_the_owner_art_24(
    office: Office,
) -> None:
    order = await office.file()
    url = f"/v1/work-orders/{order['id']}"
    await office.clients["cgj"].post(f"{url}/sign", json={"signed_by": "王科员"})
    await office.clients["cgj"].post(f"{url}/progress", json={"note": "现场查看"})
    dispute = await office.open(order)

    response = await office.decide(dispute, "center", "swj")

    assert response.status_code == 200, response.text
    held = await office.order(order["id"])
    assert held["status"] == "returned"
    assert held["redispatched_to"] == response.json()["redispatched_to"]


async def test_dispute_climbs_to_the_bureau_and_the_district_meeting_art_24(
    office: Office,
) -> None:
    order = await office.file()
    dispute = await office.open(order)
    minutes = await office.document()

    to_bureau = await office.escalate(dispute, "center")
    office.clock.advance(timedelta(days=1))
    to_meeting = await office.escalate(
        dispute, "bureau_leadership", document=minutes, reason="局领导协调未果"
    )
    office.clock.advance(timedelta(days=2))
    decided = await office.decide(dispute, "district_meeting", "swj", document=minutes)

    assert to_bureau.status_code == 200, to_bureau.text
    assert to_bureau.json()["level"] == "bureau_leadership"
    assert to_bureau.json()["next_level"] == "district_meeting"
    assert to_meeting.status_code == 200, to_meeting.text
    assert to_meeting.json()["level"] == "district_meeting"
    assert to_meeting.json()["next_level"] is None
    assert decided.status_code == 200, decided.text
    body = decided.json()
    assert body["level"] == "district_meeting" and body["decision_document"] == minutes
    steps = [(s["step"], s["level"], s["document"]) for s in body["steps"]]
    assert steps == [
        ("opened", "center", None),
        ("escalated", "bureau_leadership", None),
        ("escalated", "district_meeting", minutes),
        ("decided", "district_meeting", minutes),
    ]
    assert [s["text"] for s in body["steps"]][2] == "局领导协调未果"
    assert [s["at"][:10] for s in body["steps"]] == [
        "2026-03-09",
        "2026-03-09",
        "2026-03-10",
        "2026-03-12",
    ]
    assert all(s["actor"].startswith("operator:") for s in body["steps"])
    escalated = await office.events("work_order.dispute_escalated")
    assert [e["level"] for e in escalated] == [
        "center",
        "bureau_leadership",
        "district_meeting",
    ]
    (event,) = await office.events("work_order.dispute_decided")
    assert event["level"] == "district_meeting" and event["owner_unit_id"] == "swj"
    history = [a["action"] for a in (await office.order(order["id"]))["history"]]
    assert history[-4:] == [
        "dispute_opened",
        "dispute_escalated",
        "dispute_escalated",
        "dispute_decided",
    ]
    new = await office.order(body["redispatched_to"], caller="swj")
    assert [(a["id"], a["role"]) for a in new["attachments"]] == [
        (minutes, "dispute_decision")
    ]
    fetched = await office.clients["swj"].get(f"/v1/attachments/{minutes}")
    assert fetched.status_code == 200


async def test_dispute_escalating_beyond_the_district_meeting_is_refused_art_24(
    office: Office,
) -> None:
    dispute = await office.open(await office.file())
    await office.escalate(dispute, "center")
    await office.escalate(dispute, "bureau_leadership")

    response = await office.escalate(dispute, "district_meeting")

    assert response.status_code == 409
    assert error(response)["code"] == "dispute_at_top_level"
    assert "Art. 24" in error(response)["message"]
    assert len(await office.events("work_order.dispute_escalated")) == 3


async def test_dispute_acting_at_another_level_is_refused_art_24(
    office: Office,
) -> None:
    dispute = await office.open(await office.file())
    minutes = await office.document()

    bureau_too_early = await office.decide(
        dispute, "bureau_leadership", "cgj", document=minutes
    )
    skipping = await office.escalate(dispute, "bureau_leadership")
    await office.escalate(dispute, "center")
    center_too_late = await office.decide(dispute, "center", "cgj")
    escalated_twice = await office.escalate(dispute, "center")

    for response in (bureau_too_early, skipping, center_too_late, escalated_twice):
        assert response.status_code == 409, response.text
        assert error(response)["code"] == "dispute_level_mismatch"
        assert "Art. 24" in error(response)["message"]
    shown = await office.center.get(f"/v1/disputes/{dispute['id']}")
    assert shown.json()["level"] == "bureau_leadership"
    assert shown.json()["state"] == "open"
    assert await office.events("work_order.dispute_decided") == []


async def test_dispute_higher_level_decision_needs_its_written_decision_art_24(
    office: Office,
) -> None:
    dispute = await office.open(await office.file())
    await office.escalate(dispute, "center")

    without = await office.decide(dispute, "bureau_leadership", "cgj")
    unknown = await office.decide(
        dispute, "bureau_leadership", "cgj", document="a" * 64
    )
    with_it = await office.decide(
        dispute, "bureau_leadership", "cgj", document=await office.document()
    )

    assert without.status_code == 422
    assert error(without)["code"] == "decision_document_required"
    assert error(without)["field"] == "document"
    assert "Art. 24" in error(without)["message"]
    assert unknown.status_code == 422
    assert error(unknown)["code"] == "attachment_unusable"
    assert with_it.status_code == 200, with_it.text
    assert with_it.json()["level"] == "bureau_leadership"


async def test_dispute_decided_takes_no_further_step_art_24(office: Office) -> None:
    dispute = await office.open(await office.file())
    await office.decide(dispute, "center", "cgj")

    again = await office.decide(dispute, "center", "swj")
    escalated = await office.escalate(dispute, "center")

    for response in (again, escalated):
        assert response.status_code == 409
        assert error(response)["code"] == "dispute_decided"
        assert "Art. 24" in error(response)["message"]
    assert len(await office.events("work_order.dispute_decided")) == 1


async def test_dispute_owner_must_be_a_known_unit(office: Office) -> None:
    dispute = await office.open(await office.file())

    response = await office.decide(dispute, "center", "nobody")

    assert response.status_code == 422
    assert error(response)["code"] == "unknown_unit"
    assert error(response)["field"] == "owner_unit_id"


async def test_dispute_on_an_order_closed_meanwhile_art_24(office: Office) -> None:
    """A closed order cannot move nor have its dispute escalated; it may still be
    confirmed to the unit that closed it, which ends the dispute."""
    order = await office.file(appeal_type="consultation")
    dispute = await office.open(order)
    closed = await office.close(order)

    escalated = await office.escalate(dispute, "center")
    moved = await office.decide(dispute, "center", "swj")
    confirmed = await office.decide(dispute, "center", "cgj")

    assert closed["status"] == "closed"
    assert escalated.status_code == 409
    assert error(escalated)["code"] == "already_closed"
    assert moved.status_code == 409
    assert error(moved)["code"] == "already_closed"
    assert "Art. 24" in error(moved)["message"]
    assert confirmed.status_code == 200, confirmed.text
    assert (await office.order(order["id"]))["status"] == "closed"


async def test_dispute_return_asked_for_meanwhile_is_decided_first_art_13_24(
    office: Office,
) -> None:
    order = await office.file()
    dispute = await office.open(order)
    await office.clients["cgj"].post(
        f"/v1/work-orders/{order['id']}/return", json={"reason": "不属本单位职责"}
    )

    response = await office.decide(dispute, "center", "swj")

    assert response.status_code == 409
    assert error(response)["code"] == "return_pending"
    assert (await office.order(order["id"]))["status"] == "return_requested"


# Who may act, and the center's list.


async def test_dispute_steps_are_recorded_by_center_operators_only_art_24(
    office: Office,
) -> None:
    """Leaders do not use the platform (their role reads reports only): the center
    records their escalations and decisions, with the written decision attached."""
    order = await office.file()
    body = {"unit_ids": ["cgj", "swj"], "reason": "争议"}

    by_unit = await office.clients["cgj"].post(
        f"/v1/work-orders/{order['id']}/disputes", json=body
    )
    by_leader = await office.clients["leader"].post(
        f"/v1/work-orders/{order['id']}/disputes", json=body
    )
    dispute = await office.open(order)
    leader_decides = await office.clients["leader"].post(
        f"/v1/disputes/{dispute['id']}/decide",
        json={"level": "center", "owner_unit_id": "cgj", "decision": "由城管负责"},
    )
    unit_escalates = await office.clients["swj"].post(
        f"/v1/disputes/{dispute['id']}/escalate",
        json={"level": "center", "reason": "不服"},
    )
    unit_lists = await office.clients["cgj"].get("/v1/disputes")

    for response in (by_unit, by_leader, leader_decides, unit_escalates, unit_lists):
        assert response.status_code == 403, response.text
    shown = await office.center.get(f"/v1/disputes/{dispute['id']}")
    assert shown.json()["state"] == "open" and len(shown.json()["steps"]) == 1


async def test_dispute_open_ones_are_listed_for_the_center_art_24(
    office: Office,
) -> None:
    first = await office.open(await office.file("appeal-1"))
    second = await office.open(await office.file("appeal-2"))
    third = await office.open(await office.file("appeal-3"))
    await office.decide(first, "center", "cgj")
    await office.escalate(third, "center")

    open_ones = await office.center.get("/v1/disputes", params={"state": "open"})
    decided = await office.center.get("/v1/disputes", params={"state": "decided"})
    at_bureau = await office.center.get(
        "/v1/disputes", params={"state": "open", "level": "bureau_leadership"}
    )
    one_order = await office.center.get(
        "/v1/disputes", params={"work_order_id": second["work_order_id"]}
    )
    bad_state = await office.center.get("/v1/disputes", params={"state": "gone"})

    assert open_ones.status_code == 200, open_ones.text
    assert [d["id"] for d in open_ones.json()["items"]] == [second["id"], third["id"]]
    assert open_ones.json()["total"] == 2
    assert [d["id"] for d in decided.json()["items"]] == [first["id"]]
    assert [d["id"] for d in at_bureau.json()["items"]] == [third["id"]]
    assert [d["id"] for d in one_order.json()["items"]] == [second["id"]]
    assert bad_state.status_code == 422


# The same request twice.


async def test_dispute_requests_sent_twice_are_applied_once(office: Office) -> None:
    order = await office.file()
    url = f"/v1/work-orders/{order['id']}/disputes"
    body = {"unit_ids": ["cgj", "swj"], "reason": "争议"}
    once = {"Idempotency-Key": "open-1"}

    opened = await office.center.post(url, json=body, headers=once)
    repeated = await office.center.post(url, json=body, headers=once)
    reused = await office.center.post(
        url, json={**body, "reason": "另一争议"}, headers=once
    )
    dispute = opened.json()
    decide = {"level": "center", "owner_unit_id": "swj", "decision": "由水务负责"}
    decide_key = {"Idempotency-Key": "decide-1"}
    decided = await office.center.post(
        f"/v1/disputes/{dispute['id']}/decide", json=decide, headers=decide_key
    )
    decided_again = await office.center.post(
        f"/v1/disputes/{dispute['id']}/decide", json=decide, headers=decide_key
    )

    assert opened.status_code == repeated.status_code == 201
    assert repeated.json() == dispute
    assert repeated.headers["Idempotent-Replayed"] == "true"
    assert reused.status_code == 409
    assert error(reused)["code"] == "idempotency_key_reused"
    assert decided.status_code == decided_again.status_code == 200, decided.text
    assert decided_again.json() == decided.json()
    assert decided_again.headers["Idempotent-Replayed"] == "true"
    assert len(await office.events("work_order.dispute_escalated")) == 1
    assert len(await office.events("work_order.dispute_decided")) == 1
    assert len(await office.events("work_order.dispatched")) == 2


async def test_dispute_two_operators_opening_at_once_open_one_art_24(
    office: Office,
) -> None:
    order = await office.file()
    url = f"/v1/work-orders/{order['id']}/disputes"

    answers = await asyncio.gather(
        office.center.post(url, json={"unit_ids": ["cgj", "swj"], "reason": "甲"}),
        office.center.post(url, json={"unit_ids": ["cgj", "jtj"], "reason": "乙"}),
    )

    assert sorted(a.status_code for a in answers) == [201, 409]
    (refused,) = [a for a in answers if a.status_code == 409]
    assert error(refused)["code"] == "dispute_already_open"
    assert len(await office.events("work_order.dispute_escalated")) == 1


async def test_dispute_two_decisions_at_once_decide_once_art_24(
    office: Office,
) -> None:
    order = await office.file()
    dispute = await office.open(order)

    answers = await asyncio.gather(
        office.decide(dispute, "center", "swj"),
        office.decide(dispute, "center", "jtj"),
    )

    assert sorted(a.status_code for a in answers) == [200, 409]
    (refused,) = [a for a in answers if a.status_code == 409]
    assert error(refused)["code"] == "dispute_decided"
    assert len(await office.events("work_order.dispute_decided")) == 1
    assert len(await office.events("work_order.dispatched")) == 2
