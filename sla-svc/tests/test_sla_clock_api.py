"""SLA's API for the clocks: the deadline preview (every clock, with urging points
and the provisional mark), the overdue list (Art. 40) and what a work order's clocks
came to (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from minsheng_common.clock import SharedClock
from minsheng_common.events import EventData, WorkOrderClosureRequested, seal
from minsheng_common.runtime import ServiceRuntime
from minsheng_common.timeutil import SHANGHAI
from minsheng_sla import service
from minsheng_sla.consumers import WorkOrderEvents

UNIT = "pingshan-urban-management"
OTHER_UNIT = "pingshan-water-affairs"
CREATED = datetime(2026, 12, 4, 16, 30, tzinfo=SHANGHAI)
DUE = datetime(2026, 12, 15, 18, 0, tzinfo=SHANGHAI)
# Wednesday 16 December 15:00: 4 working hours and 21 natural hours past DUE.
NOW = datetime(2026, 12, 16, 15, 0, tzinfo=SHANGHAI)


@pytest.fixture
def shared_clock(tmp_path: Path) -> SharedClock:
    clock = SharedClock(tmp_path / "clock.json")
    clock.set_now(CREATED)
    return clock


@pytest.fixture
async def app(start_app: Any, shared_clock: SharedClock) -> AsyncIterator[FastAPI]:
    # No broker and a slow watcher: the tests reach clocks themselves.
    async with start_app(shared_clock, scan_interval_ms=60_000) as application:
        yield application


@pytest.fixture
async def clients(
    app: FastAPI, api_keys: dict[str, str]
) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """Clients by role name, plus "other-unit"."""
    transport = httpx.ASGITransport(app=app)
    made: dict[str, httpx.AsyncClient] = {}
    for name in ("operator", "unit", "other-unit", "leader"):
        made[name] = httpx.AsyncClient(
            transport=transport,
            base_url="http://sla",
            headers={"X-API-Key": api_keys[name]},
        )
    yield made
    for client in made.values():
        await client.aclose()


@pytest.fixture
def apply(app: FastAPI) -> Callable[[EventData], Awaitable[None]]:
    runtime: ServiceRuntime = app.state.runtime
    handlers = WorkOrderEvents(app.state.context).handlers()

    async def deliver(data: EventData) -> None:
        envelope = seal(data, producer="dispatch", occurred_at=runtime.clock.now())
        async with runtime.sessions() as session, session.begin():
            await handlers[envelope.type](session, envelope, data)

    return deliver


@pytest.fixture
def reach(app: FastAPI) -> Callable[[datetime], Awaitable[None]]:
    runtime: ServiceRuntime = app.state.runtime

    async def run(now: datetime) -> None:
        async with runtime.sessions() as session, session.begin():
            await service.reach_due(
                session=session, outbox=runtime.outbox, now=now, limit=100
            )

    return run


async def preview(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await client.post("/v1/deadlines/preview", json=body)


# The preview.


async def test_sla_preview_gives_a_complaints_due_time_and_urging_points(
    clients: dict[str, httpx.AsyncClient],
) -> None:
    """Art. 15, 39: 7 working days; urged at half, two thirds and overdue."""
    answer = await preview(
        clients["operator"],
        start="2026-12-04T16:30:00+08:00",
        kind="handling",
        appeal_type="complaint",
    )

    assert answer.status_code == 200
    body = answer.json()
    assert body["due_at_local"] == "2026-12-15T18:00:00+08:00"
    assert datetime.fromisoformat(body["due_at"]) == DUE
    assert (body["provisional"], body["provisional_years"]) == (False, [])
    assert (body["article"], body["period"]) == ("Art. 15", "7 working days")
    assert body["rules_edition"] == "measures-v4"
    assert [(u["step"], u["level"], u["at_local"]) for u in body["urgings"]] == [
        ("half", 1, "2026-12-10T14:30:00+08:00"),
        ("two_thirds", 2, "2026-12-11T15:40:00+08:00"),
        ("overdue", 3, "2026-12-15T18:00:00+08:00"),
    ]
    assert body["latest_date"] is None


@pytest.mark.parametrize(
    ("body", "due_at_local", "provisional"),
    [
        # Art. 12: natural time, across midnight.
        (
            {"start": "2026-12-04T23:30:00+08:00", "kind": "dispatch"},
            "2026-12-05T00:30:00+08:00",
            False,
        ),
        # Art. 13: one working hour on Friday, one on Monday.
        (
            {"start": "2026-12-04T17:00:00", "kind": "sign_off"},
            "2026-12-07T10:00:00+08:00",
            False,
        ),
        # Sunday 17:00 UTC is Monday 01:00 in Shanghai: day 1 is Tuesday.
        (
            {
                "start": "2026-12-06T17:00:00Z",
                "kind": "handling",
                "appeal_type": "consultation",
            },
            "2026-12-08T18:00:00+08:00",
            False,
        ),
        # Received on National Day: day 1 is the first working day after it.
        (
            {
                "start": "2026-10-02T10:00:00+08:00",
                "kind": "handling",
                "appeal_type": "suggestion",
            },
            "2026-10-10T18:00:00+08:00",
            False,
        ),
        # Art. 28, 29: one working day after signing, after handling.
        (
            {"start": "2026-12-04T17:45:00+08:00", "kind": "acceptance_notice"},
            "2026-12-07T18:00:00+08:00",
            False,
        ),
        (
            {"start": "2026-12-05T10:00:00+08:00", "kind": "handling_notice"},
            "2026-12-07T18:00:00+08:00",
            False,
        ),
        # Art. 43: three working days after the third closure.
        (
            {"start": "2026-12-04T10:00:00+08:00", "kind": "reply_template"},
            "2026-12-09T18:00:00+08:00",
            False,
        ),
        # Created in the last days of December 2026: 2027 is not official yet.
        (
            {
                "start": "2026-12-28T10:00:00+08:00",
                "kind": "handling",
                "appeal_type": "complaint",
            },
            "2027-01-07T18:00:00+08:00",
            True,
        ),
    ],
)
async def test_sla_preview_counts_every_clock_as_the_work_orders_do(
    clients: dict[str, httpx.AsyncClient],
    body: dict[str, str],
    due_at_local: str,
    provisional: bool,
) -> None:
    """Art. 12, 13, 15, 28, 29, 43 and rules.md §11, to the hour."""
    answer = await clients["operator"].post("/v1/deadlines/preview", json=body)

    assert answer.status_code == 200, answer.text
    assert answer.json()["due_at_local"] == due_at_local
    assert answer.json()["provisional"] is provisional
    urged = body["kind"] == "handling"
    assert bool(answer.json()["urgings"]) is urged


async def test_sla_preview_names_the_dispatch_period_in_natural_time(
    clients: dict[str, httpx.AsyncClient],
) -> None:
    """Art. 12: one hour of natural time, said as a person would."""
    answer = await preview(
        clients["operator"], start="2026-12-04T23:30:00+08:00", kind="dispatch"
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["period"] == "1 natural hour"
    assert answer.json()["article"] == "Art. 12"


async def test_sla_preview_counts_a_project_registration_backwards(
    clients: dict[str, httpx.AsyncClient],
) -> None:
    """Art. 43: registered 15 working days before works start; across National
    Day 2026 (1-7 October off, Saturday 10 October worked)."""
    answer = await preview(
        clients["leader"],
        start="2026-10-20T00:00:00+08:00",
        kind="project_registration",
    )

    assert answer.status_code == 200
    body = answer.json()
    assert body["latest_date"] == "2026-09-21"
    assert body["due_at_local"] == "2026-09-22T00:00:00+08:00"
    assert body["period"] == "15 working days before works start"
    assert (body["article"], body["urgings"]) == ("Art. 43", [])


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        (
            {"start": "2026-12-04T10:00:00", "kind": "handling"},
            "invalid_preview",
            "appeal_type",
        ),
        (
            {
                "start": "2026-12-04T10:00:00",
                "kind": "sign_off",
                "appeal_type": "complaint",
            },
            "invalid_preview",
            "appeal_type",
        ),
        (
            {"start": "2026-12-04T10:00:00", "kind": "sign_off", "rules_edition": "v9"},
            "invalid_preview",
            "rules_edition",
        ),
        (
            {"start": "2019-05-06T10:00:00", "kind": "sign_off"},
            "invalid_preview",
            "start",
        ),
        (
            {"start": "2150-05-06T10:00:00", "kind": "sign_off"},
            "invalid_preview",
            "start",
        ),
        (
            {"start": "2026-12-04T10:00:00", "kind": "staged_check"},
            "invalid_request",
            "body.kind",
        ),
        ({"start": "yesterday", "kind": "sign_off"}, "invalid_request", "body.start"),
        ({"kind": "sign_off"}, "invalid_request", "body.start"),
        (
            {"start": "2026-12-04T10:00:00", "kind": "sign_off", "unit": "x"},
            "invalid_request",
            "body.unit",
        ),
    ],
)
async def test_sla_preview_refuses_bad_input_naming_the_field(
    clients: dict[str, httpx.AsyncClient],
    body: dict[str, str],
    code: str,
    field: str,
) -> None:
    answer = await clients["operator"].post("/v1/deadlines/preview", json=body)

    assert answer.status_code == 422
    error = answer.json()["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"]


# The overdue list (Art. 40) and what a clock came to.


async def test_sla_overdue_lists_what_ran_out_with_by_how_much(
    clients: dict[str, httpx.AsyncClient],
    apply: Callable[[EventData], Awaitable[None]],
    reach: Callable[[datetime], Awaitable[None]],
    make_dispatched: Callable[..., Any],
    shared_clock: SharedClock,
) -> None:
    """Art. 40: the center sees every unit's overdue orders, or one unit's."""
    await apply(make_dispatched("wo-1", created_at=CREATED))
    other = make_dispatched("wo-2", created_at=CREATED)
    await apply(other.model_copy(update={"unit_id": OTHER_UNIT}))
    await reach(DUE)
    shared_clock.set_now(NOW)

    everything = (await clients["operator"].get("/v1/overdue")).json()
    one_unit = (
        await clients["operator"].get("/v1/overdue", params={"unit": UNIT})
    ).json()

    assert everything["total"] == 2
    assert {item["work_order_id"] for item in everything["items"]} == {"wo-1", "wo-2"}
    [item] = one_unit["items"]
    assert (item["work_order_id"], item["kind"], item["status"]) == (
        "wo-1",
        "handling",
        "reached",
    )
    assert item["outcome"] == "missed"
    late = item["late_by"]
    assert abs(late["working_seconds"] - 4 * 3600) < 60
    assert abs(late["natural_seconds"] - 21 * 3600) < 60
    assert late["final"] is False
    # Run out before any watcher urged it: urged only as overdue (Art. 39).
    assert [(u["step"], u["level"]) for u in item["urgings"]] == [
        ("half", 1),
        ("two_thirds", 2),
        ("overdue", 3),
    ]
    assert item["urged_level"] == 3


async def test_sla_a_unit_sees_only_its_own_overdue_orders(
    clients: dict[str, httpx.AsyncClient],
    apply: Callable[[EventData], Awaitable[None]],
    reach: Callable[[datetime], Awaitable[None]],
    make_dispatched: Callable[..., Any],
) -> None:
    """Art. 40, 41: another unit's overdue orders are not shown to a unit."""
    await apply(make_dispatched("wo-1", created_at=CREATED))
    other = make_dispatched("wo-2", created_at=CREATED)
    await apply(other.model_copy(update={"unit_id": OTHER_UNIT}))
    await reach(DUE)

    own = (await clients["unit"].get("/v1/overdue")).json()
    asked_for_other = await clients["unit"].get(
        "/v1/overdue", params={"unit": OTHER_UNIT}
    )
    theirs = (await clients["other-unit"].get("/v1/overdue")).json()

    assert [item["work_order_id"] for item in own["items"]] == ["wo-1"]
    assert asked_for_other.status_code == 200
    assert asked_for_other.json() == {"items": [], "total": 0}
    assert [item["work_order_id"] for item in theirs["items"]] == ["wo-2"]
    assert (await clients["leader"].get("/v1/overdue")).status_code == 403


async def test_sla_a_work_orders_clocks_say_met_or_missed_and_by_how_much(
    clients: dict[str, httpx.AsyncClient],
    apply: Callable[[EventData], Awaitable[None]],
    reach: Callable[[datetime], Awaitable[None]],
    make_dispatched: Callable[..., Any],
    make_signed: Callable[..., Any],
    shared_clock: SharedClock,
) -> None:
    """Art. 13, 17: sign-off met in time; handling done the morning after its due
    time keeps "missed by 2 working hours (17 natural hours)"."""
    await apply(make_dispatched("wo-1", created_at=CREATED))
    await apply(make_signed("wo-1", at=CREATED + timedelta(minutes=20)))
    await reach(DUE)
    handled_at = datetime(2026, 12, 16, 11, 0, tzinfo=SHANGHAI)
    await apply(
        WorkOrderClosureRequested(
            work_order_id="wo-1",
            appeal_id="appeal-of-wo-1",
            unit_id=UNIT,
            handled_at=handled_at,
            requested_at=handled_at,
            requested_by="clerk-7",
        )
    )
    shared_clock.set_now(NOW + timedelta(days=3))

    answer = await clients["unit"].get("/v1/work-orders/wo-1/deadlines")

    clocks = {clock["kind"]: clock for clock in answer.json()}
    sign_off, handling = clocks["sign_off"], clocks["handling"]
    assert (sign_off["outcome"], sign_off["late_by"]) == ("met", None)
    assert (handling["outcome"], handling["late"]) == ("missed", True)
    assert handling["late_by"]["working_seconds"] == 2 * 3600
    assert handling["late_by"]["natural_seconds"] == 17 * 3600
    assert handling["late_by"]["final"] is True
    assert handling["late_by"]["text"] == (
        "2 working hours late (17:00:00 in natural time)"
    )
    assert datetime.fromisoformat(handling["late_by"]["until"]) == handled_at
    assert clocks["handling_notice"]["outcome"] is None
