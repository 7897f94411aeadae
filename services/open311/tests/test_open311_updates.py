"""GET /servicerequestupdates, the update-feed extension, in JSON and XML: one
entry per step with its extended state, in a window of at most 90 days, and the
same date errors as the search."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from minsheng_common.events import (
    AppealHeld,
    AppealReceived,
    AppealRejected,
    WorkOrderClosed,
    WorkOrderDispatched,
    WorkOrderSigned,
)
from minsheng_open311.settings import Open311Settings

File = Callable[..., Awaitable[httpx.Response]]
Deliver = Callable[..., Awaitable[bool]]
UPDATE_FIELDS = [
    "update_id",
    "service_request_id",
    "status",
    "updated_datetime",
    "description",
    "media_url",
]
# The steps happen after intake's decision, which the stand-in takes at real time.
BASE = datetime.now(UTC) + timedelta(minutes=1)


def window(days: float = 1) -> dict[str, str]:
    """A window around the steps of these tests."""
    return {
        "start_date": (BASE - timedelta(days=days)).isoformat(),
        "end_date": (BASE + timedelta(days=days)).isoformat(),
    }


async def life(deliver: Deliver, appeal: str) -> None:
    """Dispatched, signed and closed, a minute apart."""
    await deliver(
        WorkOrderDispatched(
            work_order_id=f"wo-{appeal}",
            appeal_id=appeal,
            tracking_code="PS-any",
            unit_id="jtj",
            appeal_type="complaint",
            filed_at=BASE,
            created_at=BASE,
            dispatched_at=BASE,
            route_basis="category",
            rules_edition="4",
        )
    )
    await deliver(
        WorkOrderSigned(
            work_order_id=f"wo-{appeal}",
            appeal_id=appeal,
            unit_id="jtj",
            signed_at=BASE + timedelta(minutes=1),
            mode="manual",
        )
    )
    await deliver(
        WorkOrderClosed(
            work_order_id=f"wo-{appeal}",
            appeal_id=appeal,
            unit_id="jtj",
            outcome="overdue",
            handled_at=BASE + timedelta(minutes=2),
            closed_at=BASE + timedelta(minutes=2),
            closed_by="operator",
        )
    )


async def filed(file: File, intake: Any) -> tuple[str, str]:
    entry = (await file()).json()[0]
    return entry["service_request_id"], intake.first_answers[entry["token"]]["id"]


async def test_open311_the_feed_in_json(
    client: httpx.AsyncClient, file: File, intake: Any, deliver: Deliver
) -> None:
    request_id, appeal = await filed(file, intake)
    await life(deliver, appeal)

    answer = await client.get("/servicerequestupdates.json", params=window())

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json; charset=utf-8"
    feed = answer.json()
    assert all(list(update) == UPDATE_FIELDS for update in feed)
    assert [u["service_request_id"] for u in feed] == [request_id] * 3
    assert [u["status"] for u in feed] == ["action_scheduled", "in_progress", "fixed"]
    assert [u["description"] for u in feed] == [
        "已分派至区交通运输局办理",
        "区交通运输局已签收，正在办理",
        "区交通运输局已办结",
    ]
    assert all(u["updated_datetime"].endswith("+08:00") for u in feed)
    assert len({u["update_id"] for u in feed}) == 3
    assert all(u["media_url"] is None for u in feed)


async def test_open311_the_feed_in_xml(
    client: httpx.AsyncClient, file: File, intake: Any, deliver: Deliver, xml: Any
) -> None:
    request_id, appeal = await filed(file, intake)
    await life(deliver, appeal)

    root = xml(await client.get("/servicerequestupdates.xml", params=window()))

    assert root.tag == "service_request_updates"
    assert [child.tag for child in root] == ["request_update"] * 3
    assert all([child.tag for child in u] == UPDATE_FIELDS for u in root)
    assert [u.findtext("status") for u in root] == [
        "action_scheduled",
        "in_progress",
        "fixed",
    ]
    assert {u.findtext("service_request_id") for u in root} == {request_id}


async def test_open311_the_feed_keeps_to_its_window(
    client: httpx.AsyncClient, file: File, intake: Any, deliver: Deliver
) -> None:
    _, appeal = await filed(file, intake)
    await life(deliver, appeal)

    def at(minutes: float) -> str:
        return (BASE + timedelta(minutes=minutes)).isoformat()

    answer = await client.get(
        "/servicerequestupdates.json",
        params={"start_date": at(0.5), "end_date": at(1.5)},
    )
    empty = await client.get(
        "/servicerequestupdates.json", params={"end_date": at(-10)}
    )

    assert [u["status"] for u in answer.json()] == ["in_progress"]
    assert empty.json() == []


async def test_open311_an_appeal_filed_elsewhere_is_not_in_the_feed(
    client: httpx.AsyncClient, file: File, intake: Any, deliver: Deliver
) -> None:
    request_id, appeal = await filed(file, intake)
    await life(deliver, "appeal-of-the-hotline")
    await life(deliver, appeal)

    feed = (await client.get("/servicerequestupdates.json", params=window())).json()

    assert {u["service_request_id"] for u in feed} == {request_id}
    assert len(feed) == 3


@pytest.mark.parametrize(
    ("reason", "state"),
    [
        ("repeat", "duplicate"),
        ("repeat_same_day", "duplicate"),
        ("outside_powers", "not_councils_responsibility"),
        ("law_litigation", "not_councils_responsibility"),
        ("address_not_precise", "no_further_action"),
        ("verification_invented", "no_further_action"),
    ],
)
async def test_open311_not_filing_is_told_in_an_extended_state(
    client: httpx.AsyncClient,
    file: File,
    deliver: Deliver,
    settings: Open311Settings,
    reason: str,
    state: str,
) -> None:
    settings.post_wait_seconds = 0
    token = (await file()).json()[0]["token"]
    await deliver(
        AppealReceived(
            appeal_id="A-1",
            tracking_code="PS20260302880001",
            channel="open311",
            channel_ref=token,
            appeal_type="complaint",
            received_at=BASE,
        )
    )
    await deliver(
        AppealHeld(
            appeal_id="A-1",
            tracking_code="PS20260302880001",
            channel="open311",
            reason="verification",
            held_at=BASE,
        )
    )
    await deliver(
        AppealRejected(
            appeal_id="A-1",
            tracking_code="PS20260302880001",
            channel="open311",
            appeal_type="complaint",
            reason_code=reason,
            article="Art. 11",
            detail="quotes the text: not shown",
            received_at=BASE,
            rejected_at=BASE + timedelta(minutes=1),
        )
    )

    feed = (await client.get("/servicerequestupdates.json", params=window())).json()

    assert [u["status"] for u in feed] == ["investigating", state]
    assert feed[0]["description"] == "待网格员现场核实"
    assert feed[1]["description"].startswith("不予受理：")
    assert "quotes the text" not in feed[1]["description"]
    [entry] = (await client.get("/requests/PS20260302880001.json")).json()
    assert entry["status"] == "closed"
    assert entry["status_notes"] == feed[1]["description"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("params", "said"),
    [
        (
            {"start_date": "2026-03-02T09:30:00.5"},
            "start_date: '2026-03-02T09:30:00.5' has no offset from UTC; add Z or "
            "±hh:mm, e.g. 2026-03-02T09:30:00+08:00",
        ),
        (
            {
                "start_date": "2026-01-01T00:00:00Z",
                "end_date": "2026-06-01T00:00:00Z",
            },
            "start_date, end_date: at most 90 days apart; ask for a shorter span",
        ),
    ],
)
async def test_open311_a_malformed_feed_query_is_400(
    client: httpx.AsyncClient, xml: Any, fmt: str, params: dict[str, str], said: str
) -> None:
    answer = await client.get(f"/servicerequestupdates.{fmt}", params=params)

    assert answer.status_code == 400
    if fmt == "json":
        assert answer.json() == [{"code": 400, "description": said}]
    else:
        root = xml(answer)
        assert root.tag == "errors"
        assert root[0].findtext("description") == said


async def test_open311_the_feed_with_an_empty_or_other_jurisdiction(
    client: httpx.AsyncClient,
) -> None:
    served = await client.get(
        "/servicerequestupdates.json", params={"jurisdiction_id": ""}
    )
    other = await client.get(
        "/servicerequestupdates.json", params={"jurisdiction_id": "x"}
    )

    assert served.status_code == 200
    assert other.status_code == 404
