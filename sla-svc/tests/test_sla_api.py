"""SLA's API: a work order's clocks, the operators' list, and the working calendar
(SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from minsheng_common.clock import SharedClock
from minsheng_common.events import (
    EventData,
    WorkOrderExtensionDecided,
    WorkOrderReturnDecided,
    seal,
)
from minsheng_common.runtime import ServiceRuntime
from minsheng_common.timeutil import SHANGHAI
from minsheng_sla.consumers import WorkOrderEvents
from minsheng_sla.settings import SlaSettings

CREATED = datetime(2026, 12, 4, 16, 30, tzinfo=SHANGHAI)
DISPATCHED = datetime(2026, 12, 4, 17, 0, tzinfo=SHANGHAI)


@pytest.fixture
def shared_clock(tmp_path: Path) -> SharedClock:
    """The demo clock, standing at Friday 2026-12-04 17:00 in Shanghai."""
    clock = SharedClock(tmp_path / "clock.json")
    clock.set_now(DISPATCHED)
    return clock


@pytest.fixture
async def app(start_app: Any, shared_clock: SharedClock) -> AsyncIterator[FastAPI]:
    # No broker: the relay never connects; the watcher runs against the demo clock.
    async with start_app(shared_clock, scan_interval_ms=20) as application:
        yield application


@pytest.fixture
async def client(
    app: FastAPI, api_keys: dict[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    """An operator's client: every unit's clocks and the calendar."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://sla",
        headers={"X-API-Key": api_keys["operator"]},
    ) as http:
        yield http


@pytest.fixture
def apply(app: FastAPI) -> Callable[[EventData], Awaitable[None]]:
    """Apply an event with the app's own handlers, as its consumer would."""
    runtime: ServiceRuntime = app.state.runtime
    handlers = WorkOrderEvents(app.state.context).handlers()

    async def deliver(data: EventData) -> None:
        envelope = seal(data, producer="dispatch", occurred_at=runtime.clock.now())
        async with runtime.sessions() as session, session.begin():
            await handlers[envelope.type](session, envelope, data)

    return deliver


async def test_sla_lists_a_work_orders_deadlines_with_local_due_times(
    client: httpx.AsyncClient,
    apply: Callable[[EventData], Awaitable[None]],
    make_dispatched: Callable[..., Any],
) -> None:
    await apply(make_dispatched(created_at=CREATED, dispatched_at=DISPATCHED))

    answer = await client.get("/v1/work-orders/wo-1/deadlines")

    assert answer.status_code == 200
    sign_off, handling = answer.json()
    assert sign_off["kind"] == "sign_off"
    assert sign_off["due_at_local"] == "2026-12-07T10:00:00+08:00"
    assert datetime.fromisoformat(sign_off["due_at"]) == datetime(
        2026, 12, 7, 10, 0, tzinfo=SHANGHAI
    )
    assert sign_off["article"] == "Art. 13"
    assert sign_off["period"] == "2 working hours"
    assert handling["kind"] == "handling"
    assert handling["due_at_local"] == "2026-12-15T18:00:00+08:00"
    assert handling["period"] == "7 working days"
    for clock in (sign_off, handling):
        assert clock["status"] == "pending"
        assert clock["provisional"] is False
        assert clock["rules_edition"] == "measures-v4"
        assert clock["late"] is None


async def test_sla_an_unknown_work_order_is_a_clear_404(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/v1/work-orders/no-such-order/deadlines")

    assert answer.status_code == 404
    error = answer.json()["error"]
    assert error["code"] == "work_order_not_found"
    assert "no-such-order" in error["message"]
    assert error["field"] == "work_order_id"


async def test_sla_operators_list_pending_deadlines_due_before_a_time(
    client: httpx.AsyncClient,
    apply: Callable[[EventData], Awaitable[None]],
    make_dispatched: Callable[..., Any],
) -> None:
    await apply(make_dispatched("wo-1", created_at=CREATED, dispatched_at=DISPATCHED))
    await apply(make_dispatched("wo-2", created_at=CREATED + timedelta(days=3)))

    answer = await client.get(
        "/v1/deadlines",
        params={"status": "pending", "due_before": "2026-12-08T00:00:00+08:00"},
    )

    assert answer.status_code == 200
    page = answer.json()
    assert page["total"] == 1
    [due_soon] = page["items"]
    assert (due_soon["work_order_id"], due_soon["kind"]) == ("wo-1", "sign_off")
    everything = (await client.get("/v1/deadlines")).json()
    assert everything["total"] == 4


async def test_sla_moving_the_shared_clock_past_due_reaches_the_deadline(
    client: httpx.AsyncClient,
    apply: Callable[[EventData], Awaitable[None]],
    make_dispatched: Callable[..., Any],
    shared_clock: SharedClock,
    eventually: Callable[..., Awaitable[None]],
) -> None:
    await apply(make_dispatched(created_at=CREATED, dispatched_at=DISPATCHED))

    shared_clock.set_now(datetime(2026, 12, 7, 10, 1, tzinfo=SHANGHAI))

    async def reached() -> bool:
        clocks = (await client.get("/v1/work-orders/wo-1/deadlines")).json()
        return [clock["status"] for clock in clocks] == ["reached", "pending"]

    await eventually(reached)


async def test_sla_calendar_lists_national_day_2026_as_official(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get(
        "/v1/calendar/working-days", params={"from": "2026-09-30", "to": "2026-10-11"}
    )

    assert answer.status_code == 200
    body = answer.json()
    assert (body["from"], body["to"]) == ("2026-09-30", "2026-10-11")
    working = [day["date"] for day in body["days"] if day["working"]]
    assert working == ["2026-09-30", "2026-10-08", "2026-10-09", "2026-10-10"]
    assert body["working_days"] == 4
    assert body["provisional"] is False
    assert {day["basis"] for day in body["days"]} == {"official"}
    saturday = next(day for day in body["days"] if day["date"] == "2026-10-10")
    assert saturday["weekday"] == 6


async def test_sla_calendar_marks_2027_days_provisional(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get(
        "/v1/calendar/working-days", params={"from": "2026-12-31", "to": "2027-01-04"}
    )

    days = {day["date"]: day for day in answer.json()["days"]}
    assert answer.json()["provisional"] is True
    assert days["2026-12-31"]["basis"] == "official"
    assert days["2027-01-01"] == {
        "date": "2027-01-01",
        "weekday": 5,
        "working": False,
        "basis": "provisional",
    }
    assert days["2027-01-04"]["working"] is True


@pytest.mark.parametrize(
    ("params", "due_at_local", "provisional"),
    [
        (
            {"start": "2026-12-04T17:00:00+08:00", "working_hours": "2"},
            "2026-12-07T10:00:00+08:00",
            False,
        ),
        (
            {"start": "2026-09-29T10:00:00", "working_days": "7"},
            "2026-10-14T18:00:00+08:00",
            False,
        ),
        (
            {"start": "2026-12-28T10:00:00+08:00", "working_days": "7"},
            "2027-01-07T18:00:00+08:00",
            True,
        ),
    ],
)
async def test_sla_calendar_adds_working_periods_like_the_deadlines(
    client: httpx.AsyncClient,
    params: dict[str, str],
    due_at_local: str,
    provisional: bool,
) -> None:
    answer = await client.get("/v1/calendar/add", params=params)

    assert answer.status_code == 200
    body = answer.json()
    assert body["due_at_local"] == due_at_local
    assert datetime.fromisoformat(body["due_at"]) == datetime.fromisoformat(
        due_at_local
    )
    assert body["provisional"] is provisional
    assert body["provisional_years"] == ([2027] if provisional else [])


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        ("/v1/calendar/add", {"start": "2026-12-04T17:00:00+08:00"}, "invalid_period"),
        (
            "/v1/calendar/add",
            {"start": "2026-12-04T17:00:00", "working_days": 1, "working_hours": 2},
            "invalid_period",
        ),
        (
            "/v1/calendar/working-days",
            {"from": "2026-10-11", "to": "2026-10-01"},
            "invalid_range",
        ),
        (
            "/v1/calendar/working-days",
            {"from": "2026-01-01", "to": "2027-12-31"},
            "invalid_range",
        ),
        ("/v1/calendar/working-days", {"from": "2026-13-01"}, "invalid_request"),
        ("/v1/deadlines", {"status": "late"}, "invalid_request"),
    ],
)
async def test_sla_bad_questions_are_refused_with_a_clear_code(
    client: httpx.AsyncClient, path: str, params: dict[str, Any], code: str
) -> None:
    answer = await client.get(path, params=params)

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == code


def test_sla_settings_read_the_sla_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLA_SCAN_INTERVAL_MS", "250")
    monkeypatch.setenv("MINSHENG_SCAN_BATCH_SIZE", "7")

    settings = SlaSettings()

    assert settings.scan_interval_ms == 250
    assert settings.scan_batch_size == 7
    assert settings.port == 8003
    assert SlaSettings.model_fields["scan_interval_ms"].default == 500


async def test_sla_a_work_orders_clocks_show_their_extensions_and_cancellation(
    client: httpx.AsyncClient,
    apply: Callable[[EventData], Awaitable[None]],
    make_dispatched: Callable[..., Any],
) -> None:
    ids = {"appeal_id": "appeal-of-wo-1", "unit_id": "pingshan-urban-management"}
    decided_at = datetime(2026, 12, 4, 17, 10, tzinfo=SHANGHAI)
    await apply(make_dispatched("wo-1", created_at=CREATED, dispatched_at=DISPATCHED))
    await apply(
        WorkOrderExtensionDecided(
            work_order_id="wo-1",
            **ids,
            approved=True,
            working_days=2,
            reason="需协调产权单位",
            decided_at=decided_at,
            decided_by="operator-1",
        )
    )
    await apply(
        WorkOrderReturnDecided(
            work_order_id="wo-1",
            **ids,
            approved=True,
            reason="不属本单位职责",
            decided_at=decided_at + timedelta(minutes=5),
            decided_by="operator-1",
        )
    )

    answer = await client.get("/v1/work-orders/wo-1/deadlines")

    assert answer.status_code == 200
    sign_off, handling = answer.json()
    assert handling["due_at_local"] == "2026-12-17T18:00:00+08:00"
    [change] = handling["changes"]
    assert change["working_days"] == 2
    assert datetime.fromisoformat(change["from_due_at"]) == datetime(
        2026, 12, 15, 18, 0, tzinfo=SHANGHAI
    )
    assert datetime.fromisoformat(change["to_due_at"]) == datetime(
        2026, 12, 17, 18, 0, tzinfo=SHANGHAI
    )
    assert sign_off["changes"] == []
    for clock in (sign_off, handling):
        assert clock["status"] == "cancelled"
        assert datetime.fromisoformat(clock["cancelled_at"]) == decided_at + timedelta(
            minutes=5
        )
