"""How a request follows its appeal from the bus: the unit responsible and the
handling deadline from work orders and deadlines, open and closed from dispatch
to closure (Art. 12, 15, 17), mergers (Art. 18), in whatever order the topics are
read, each event applied once."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from minsheng_common.events import (
    AppealFiled,
    AppealReceived,
    DeadlineSet,
    WorkOrderClosed,
    WorkOrderDispatched,
    WorkOrderMerged,
    WorkOrderReopened,
    WorkOrderSigned,
)
from minsheng_common.timeutil import SHANGHAI
from minsheng_open311 import repository
from minsheng_open311.models import ProgressUpdate, WorkOrderView
from minsheng_open311.settings import Open311Settings

File = Callable[..., Awaitable[httpx.Response]]
Deliver = Callable[..., Awaitable[bool]]
Poll = Callable[..., Awaitable[None]]
CGJ = "区城市管理和综合执法局"
SWJ = "区水务局"
_ids = itertools.count(1)


def later(minutes: float) -> datetime:
    """A moment after intake's decision (which the stand-in takes at real time)."""
    return datetime.now(UTC) + timedelta(minutes=minutes)


def dispatched(
    appeal_id: str, at: datetime, *, order: str = "wo-1", unit: str = "cgj"
) -> WorkOrderDispatched:
    return WorkOrderDispatched(
        work_order_id=order,
        appeal_id=appeal_id,
        tracking_code="PS-any",
        unit_id=unit,
        appeal_type="complaint",
        filed_at=at,
        created_at=at,
        dispatched_at=at,
        route_basis="category",
        rules_edition="4",
    )


def deadline(
    appeal_id: str, at: datetime, due: datetime, *, order: str = "wo-1"
) -> DeadlineSet:
    return DeadlineSet(
        deadline_id=f"dl-{next(_ids)}",
        work_order_id=order,
        appeal_id=appeal_id,
        unit_id="cgj",
        kind="handling",
        starts_at=at,
        due_at=due,
        provisional=False,
        article="Art. 15",
        period="7 working days",
        rules_edition="4",
    )


def closed(
    appeal_id: str,
    at: datetime,
    *,
    order: str = "wo-1",
    unit: str = "cgj",
    outcome: str = "on_time",
    appeal_closed: bool = True,
    check_date: date | None = None,
) -> WorkOrderClosed:
    return WorkOrderClosed(
        work_order_id=order,
        appeal_id=appeal_id,
        unit_id=unit,
        outcome=outcome,  # type: ignore[arg-type]
        handled_at=at,
        closed_at=at,
        closed_by="operator",
        check_date=check_date,
        appeal_closed=appeal_closed,
    )


async def one(client: httpx.AsyncClient, request_id: str) -> dict[str, Any]:
    answer = await client.get(f"/requests/{request_id}.json")
    assert answer.status_code == 200, answer.text
    entry: dict[str, Any] = answer.json()[0]
    return entry


async def updates(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    """The update feed up to a day ahead (the steps here are dated after intake's
    decision, which the stand-in takes at real time)."""
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    answer = await client.get(
        "/servicerequestupdates.json", params={"end_date": tomorrow}
    )
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()
    return found


async def filed(file: File, intake: Any) -> tuple[str, str]:
    """(service_request_id, appeal id) of a request intake filed."""
    entry = (await file()).json()[0]
    return entry["service_request_id"], intake.first_answers[entry["token"]]["id"]


async def test_open311_the_unit_and_deadline_come_from_the_bus(
    client: httpx.AsyncClient, file: File, intake: Any, deliver: Deliver
) -> None:
    request_id, appeal = await filed(file, intake)
    at = later(1)
    due = datetime(2026, 3, 11, 18, 0, tzinfo=SHANGHAI)

    # The deadline topic read before the work-order topic.
    await deliver(deadline(appeal, at, due), at=at)
    await deliver(dispatched(appeal, at), at=at)
    entry = await one(client, request_id)

    assert entry["status"] == "open"
    assert entry["status_notes"] == f"已分派至{CGJ}办理"
    assert entry["agency_responsible"] == CGJ
    assert entry["expected_datetime"] == "2026-03-11T18:00:00+08:00"

    await deliver(
        WorkOrderSigned(
            work_order_id="wo-1",
            appeal_id=appeal,
            unit_id="cgj",
            signed_at=later(2),
            mode="auto",
        )
    )
    entry = await one(client, request_id)
    assert entry["status_notes"] == f"{CGJ}已签收，正在办理"
    assert entry["status"] == "open"


async def test_open311_the_newest_deadline_stands(
    client: httpx.AsyncClient, file: File, intake: Any, deliver: Deliver
) -> None:
    request_id, appeal = await filed(file, intake)
    at = later(1)
    await deliver(dispatched(appeal, at))
    first = datetime(2026, 3, 11, 18, 0, tzinfo=SHANGHAI)
    extended = datetime(2026, 3, 18, 18, 0, tzinfo=SHANGHAI)

    # An extension (Art. 16) set later, then a stale copy of the first arriving late.
    await deliver(deadline(appeal, at, first), at=at)
    await deliver(deadline(appeal, at, extended), at=at + timedelta(days=2))
    await deliver(deadline(appeal, at, first), at=at + timedelta(days=1))

    entry = await one(client, request_id)
    assert entry["expected_datetime"] == "2026-03-18T18:00:00+08:00"


async def test_open311_a_closed_order_closes_the_request(
    client: httpx.AsyncClient, file: File, intake: Any, deliver: Deliver
) -> None:
    request_id, appeal = await filed(file, intake)
    await deliver(dispatched(appeal, later(1)))
    due = datetime(2026, 3, 11, 18, 0, tzinfo=SHANGHAI)
    await deliver(deadline(appeal, later(1), due))

    await deliver(closed(appeal, later(2)))

    entry = await one(client, request_id)
    assert entry["status"] == "closed"
    assert entry["status_notes"] == f"{CGJ}已办结"
    assert entry["agency_responsible"] == CGJ
    assert entry["expected_datetime"] == "2026-03-11T18:00:00+08:00"
    listed = await client.get("/requests.json", params={"status": "closed"})
    assert [e["service_request_id"] for e in listed.json()] == [request_id]


async def test_open311_a_staged_closure_says_when_it_is_checked(
    client: httpx.AsyncClient, file: File, intake: Any, deliver: Deliver
) -> None:
    request_id, appeal = await filed(file, intake)
    await deliver(dispatched(appeal, later(1)))

    await deliver(
        closed(appeal, later(2), outcome="staged", check_date=date(2026, 4, 1))
    )

    entry = await one(client, request_id)
    assert entry["status"] == "closed"
    assert entry["status_notes"] == f"{CGJ}阶段性办结，将于2026-04-01复查办理情况"


async def test_open311_parallel_orders_close_the_request_with_the_last(
    client: httpx.AsyncClient, file: File, intake: Any, deliver: Deliver
) -> None:
    request_id, appeal = await filed(file, intake)
    await deliver(dispatched(appeal, later(1), order="wo-a", unit="cgj"))
    await deliver(dispatched(appeal, later(1.5), order="wo-b", unit="swj"))
    assert (await one(client, request_id))["agency_responsible"] == f"{CGJ}、{SWJ}"

    await deliver(closed(appeal, later(2), order="wo-a", appeal_closed=False))
    entry = await one(client, request_id)
    assert entry["status"] == "open"
    assert entry["status_notes"] == f"{CGJ}已办结，其他承办单位仍在办理"
    assert entry["agency_responsible"] == SWJ

    await deliver(closed(appeal, later(3), order="wo-b", unit="swj"))
    entry = await one(client, request_id)
    assert entry["status"] == "closed"
    assert entry["agency_responsible"] == f"{CGJ}、{SWJ}"


async def test_open311_a_reopened_order_opens_the_request_again(
    client: httpx.AsyncClient, file: File, intake: Any, deliver: Deliver
) -> None:
    request_id, appeal = await filed(file, intake)
    await deliver(dispatched(appeal, later(1)))
    await deliver(closed(appeal, later(2)))

    await deliver(
        WorkOrderReopened(
            work_order_id="wo-1",
            appeal_id=appeal,
            unit_id="cgj",
            round=2,
            reason="citizen unsatisfied",
            reopened_at=later(3),
            reopened_by="operator",
        )
    )

    entry = await one(client, request_id)
    assert entry["status"] == "open"
    assert entry["status_notes"] == f"已重新交由{CGJ}办理"


async def test_open311_work_orders_read_before_intake_answered_are_kept(
    client: httpx.AsyncClient,
    file: File,
    fake_intake: Any,
    deliver: Deliver,
    poll: Poll,
    settings: Open311Settings,
) -> None:
    settings.post_wait_seconds = 0
    token = (await file()).json()[0]["token"]
    appeal = fake_intake.appeal_id_of(token)
    await deliver(dispatched(appeal, later(1)))

    await fake_intake.start()

    async def known() -> bool:
        found = (await client.get(f"/tokens/{token}.json")).json()
        return bool(found[0]["service_request_id"])

    await poll(known)
    request_id = (await client.get(f"/tokens/{token}.json")).json()[0][
        "service_request_id"
    ]
    entry = await one(client, request_id)
    assert entry["agency_responsible"] == CGJ
    assert entry["status_notes"] == f"已分派至{CGJ}办理"


async def test_open311_the_appeals_events_tie_a_request_whose_answer_was_lost(
    client: httpx.AsyncClient,
    file: File,
    deliver: Deliver,
    settings: Open311Settings,
) -> None:
    settings.post_wait_seconds = 0
    token = (await file()).json()[0]["token"]
    at = later(1)

    await deliver(
        AppealReceived(
            appeal_id="A-77",
            tracking_code="PS20260302990001",
            channel="open311",
            channel_ref=token,
            appeal_type="complaint",
            received_at=at,
        )
    )
    await deliver(
        AppealFiled(
            appeal_id="A-77",
            tracking_code="PS20260302990001",
            channel="open311",
            appeal_type="complaint",
            title="t",
            content="c",
            received_at=at,
            filed_at=at,
            contact_kind="phone",
            contact_encrypted="opaque",
        )
    )

    tokens = (await client.get(f"/tokens/{token}.json")).json()
    assert tokens == [{"service_request_id": "PS20260302990001", "token": token}]
    entry = await one(client, "PS20260302990001")
    assert entry["status"] == "open"
    assert entry["status_notes"] == "已受理（立案），待分派承办单位"
    listed = (await client.get("/requests.json")).json()
    assert [e["service_request_id"] for e in listed] == ["PS20260302990001"]


async def test_open311_a_newer_decision_is_not_overwritten_by_an_older_answer(
    client: httpx.AsyncClient,
    app: FastAPI,
    file: File,
    fake_intake: Any,
    deliver: Deliver,
    poll: Poll,
    settings: Open311Settings,
) -> None:
    settings.post_wait_seconds = 0
    # The stand-in would not file it (no phone): its answer says rejected, now.
    token = (await file(phone="")).json()[0]["token"]
    appeal = fake_intake.appeal_id_of(token)
    at = later(5)
    await deliver(
        AppealReceived(
            appeal_id=appeal,
            tracking_code="PS20260302990002",
            channel="open311",
            channel_ref=token,
            appeal_type="complaint",
            received_at=at,
        )
    )
    await deliver(
        AppealFiled(
            appeal_id=appeal,
            tracking_code="PS20260302990002",
            channel="open311",
            appeal_type="complaint",
            title="t",
            content="c",
            received_at=at,
            filed_at=at,
            contact_kind="phone",
            contact_encrypted="opaque",
        )
    )

    await fake_intake.start()

    async def delivered() -> bool:
        stored = await _stored(app, token)
        return stored.status == "delivered"

    await poll(delivered)
    stored = await _stored(app, token)
    assert stored.decision == "filed"
    entry = await one(client, stored.tracking_code)
    assert entry["status"] == "open"
    assert entry["status_notes"] == "已受理（立案），待分派承办单位"


async def _stored(app: FastAPI, token: str) -> Any:
    async with app.state.runtime.sessions() as session:
        return await repository.by_token(session, token)


async def test_open311_another_channels_appeals_are_not_taken(
    client: httpx.AsyncClient, file: File, deliver: Deliver, settings: Open311Settings
) -> None:
    settings.post_wait_seconds = 0
    token = (await file()).json()[0]["token"]

    await deliver(
        AppealReceived(
            appeal_id="A-88",
            tracking_code="PS20260302990003",
            channel="wechat",
            channel_ref=token,
            appeal_type="complaint",
            received_at=later(1),
        )
    )

    assert (await client.get(f"/tokens/{token}.json")).json()[0][
        "service_request_id"
    ] is None


async def test_open311_an_event_read_twice_is_applied_once(
    client: httpx.AsyncClient, file: File, intake: Any, deliver: Deliver
) -> None:
    request_id, appeal = await filed(file, intake)
    event = dispatched(appeal, later(1))

    first = await deliver(event, event_id="e-dispatch-1")
    again = await deliver(event, event_id="e-dispatch-1")

    assert (first, again) == (True, False)
    feed = await updates(client)
    mine = [u for u in feed if u["service_request_id"] == request_id]
    assert [u["status"] for u in mine] == ["action_scheduled"]


async def test_open311_a_merged_appeal_follows_the_surviving_one(
    client: httpx.AsyncClient, file: File, intake: Any, deliver: Deliver
) -> None:
    request_id, appeal = await filed(file, intake)
    await deliver(dispatched(appeal, later(1), order="wo-mine", unit="cgj"))
    await deliver(dispatched("appeal-elsewhere", later(1), order="wo-b", unit="swj"))
    await deliver(closed("appeal-elsewhere", later(1.5), order="wo-old", unit="swj"))

    await deliver(
        WorkOrderMerged(
            work_order_id="wo-b",
            appeal_id="appeal-elsewhere",
            merged_work_order_ids=["wo-mine"],
            merged_appeal_ids=[appeal],
            merged_at=later(2),
            merged_by="operator",
        )
    )
    entry = await one(client, request_id)
    assert entry["status_notes"] == "已与反映同一事件的诉求合并办理"
    assert entry["agency_responsible"] == SWJ

    await deliver(closed("appeal-elsewhere", later(3), order="wo-b", unit="swj"))
    entry = await one(client, request_id)
    assert entry["status"] == "closed"
    assert entry["status_notes"] == f"{SWJ}已办结"

    feed = await updates(client)
    mine = [u for u in feed if u["service_request_id"] == request_id]
    assert [u["status"] for u in mine] == [
        "action_scheduled",
        "in_progress",
        "fixed",
    ], "the survivor's steps before the merger are not the request's"
    assert mine[-1]["update_id"].endswith(f"-{request_id}")
    assert len({u["update_id"] for u in feed}) == len(feed)


async def test_open311_progress_of_appeals_filed_elsewhere_is_forgotten(
    app: FastAPI, file: File, intake: Any, deliver: Deliver
) -> None:
    _, appeal = await filed(file, intake)
    await deliver(dispatched(appeal, later(1), order="wo-mine"))
    await deliver(dispatched("appeal-elsewhere", later(1), order="wo-other"))
    sessions = app.state.runtime.sessions
    now = datetime.now(UTC)

    async with sessions() as session:
        within_grace = await repository.forget_unclaimed(
            session, before=now - timedelta(hours=1)
        )
        forgotten = await repository.forget_unclaimed(
            session, before=now + timedelta(hours=1)
        )
        await session.commit()

    async with sessions() as session:
        orders = await repository.orders_of(session, [appeal, "appeal-elsewhere"])
        updates = await repository.updates_of(session, [appeal, "appeal-elsewhere"])
    assert within_grace == 0
    assert forgotten == 2
    assert [o.work_order_id for o in orders] == ["wo-mine"]
    assert {u.appeal_id for u in updates} == {appeal}


@pytest.mark.parametrize("table", [WorkOrderView, ProgressUpdate])
def test_open311_projection_tables_are_indexed_by_appeal(table: Any) -> None:
    indexed = {
        column.name for index in table.__table__.indexes for column in index.columns
    }

    assert "appeal_id" in indexed
