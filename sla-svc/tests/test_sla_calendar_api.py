"""The calendar the center keeps (rules.md §11), through sla's API on SQLite and
PostgreSQL: each year's official schedule seeded from `chinese-calendar`, loaded and
corrected with `PUT /v1/calendar/{year}`, every version kept; loading a year
recounts the open deadlines that touch it and announces them again."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from minsheng_common.bus.tables import outbox
from minsheng_common.clock import SharedClock
from minsheng_common.events import (
    EventData,
    WorkOrderClosureRequested,
    WorkOrderExtensionDecided,
    seal,
)
from minsheng_common.runtime import ServiceRuntime
from minsheng_common.timeutil import SHANGHAI
from minsheng_sla import periods
from minsheng_sla.consumers import WorkOrderEvents
from minsheng_sla.models import Deadline

UNIT = "pingshan-urban-management"
# Monday 2026-12-28, 15:00 in Shanghai: the service's "now" in these tests.
NOW = datetime(2026, 12, 28, 15, 0, tzinfo=SHANGHAI)


def closing(year: int, month: int, day: int) -> datetime:
    """When business stops on a day (18:00 Asia/Shanghai)."""
    return datetime(year, month, day, 18, 0, tzinfo=SHANGHAI)


def named(days: list[date], name: str) -> list[dict[str, str]]:
    return [{"date": day.isoformat(), "name": name} for day in days]


def span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


# An illustrative 2027 schedule, not the State Council's: New Year's Day 1-3
# January with Saturday 9 January worked, Spring Festival 5-13 February with
# Saturday 20 February worked.
SCHEDULE_2027: dict[str, Any] = {
    "holidays": named(span(date(2027, 1, 1), date(2027, 1, 3)), "元旦")
    + named(span(date(2027, 2, 5), date(2027, 2, 13)), "春节"),
    "makeup_workdays": named([date(2027, 1, 9)], "元旦")
    + named([date(2027, 2, 20)], "春节"),
    "note": "illustrative schedule for tests",
}


@pytest.fixture
def shared_clock(tmp_path: Path) -> SharedClock:
    clock = SharedClock(tmp_path / "clock.json")
    clock.set_now(NOW)
    return clock


@pytest.fixture
async def app(start_app: Any, shared_clock: SharedClock) -> AsyncIterator[FastAPI]:
    async with start_app(shared_clock, scan_interval_ms=20) as application:
        yield application


@pytest.fixture
async def clients(
    app: FastAPI, api_keys: dict[str, str]
) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """A client per role name (supervisor, operator, unit, ...)."""
    transport = httpx.ASGITransport(app=app)
    made: dict[str, httpx.AsyncClient] = {}
    for role in ("supervisor", "operator", "unit", "leader"):
        made[role] = httpx.AsyncClient(
            transport=transport,
            base_url="http://sla",
            headers={"X-API-Key": api_keys[role]},
        )
    made["anonymous"] = httpx.AsyncClient(transport=transport, base_url="http://sla")
    yield made
    for client in made.values():
        await client.aclose()


@pytest.fixture
def supervisor(clients: dict[str, httpx.AsyncClient]) -> httpx.AsyncClient:
    return clients["supervisor"]


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


@pytest.fixture
def clocks_of(app: FastAPI) -> Callable[[str], Awaitable[dict[str, Deadline]]]:
    runtime: ServiceRuntime = app.state.runtime

    async def read(work_order_id: str) -> dict[str, Deadline]:
        async with runtime.sessions() as session:
            rows = await session.scalars(
                select(Deadline).where(Deadline.work_order_id == work_order_id)
            )
            return {row.kind: row for row in rows}

    return read


@pytest.fixture
def announced(app: FastAPI) -> Callable[[str], Awaitable[list[dict[str, Any]]]]:
    """The data of every event of a type in the outbox, oldest first."""
    runtime: ServiceRuntime = app.state.runtime

    async def read(event_type: str) -> list[dict[str, Any]]:
        async with runtime.sessions() as session:
            rows = await session.execute(
                select(outbox.c.payload)
                .where(outbox.c.event_type == event_type)
                .order_by(outbox.c.id)
            )
            return [json.loads(row.payload)["data"] for row in rows]

    return read


def error_of(answer: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = answer.json()["error"]
    return error


# --- reading the calendar -------------------------------------------------------


async def test_sla_calendar_2026_is_seeded_from_the_package_as_version_1(
    clients: dict[str, httpx.AsyncClient],
) -> None:
    answer = await clients["unit"].get("/v1/calendar/2026")

    assert answer.status_code == 200
    year = answer.json()
    assert (year["basis"], year["version"], year["source"]) == (
        "official",
        1,
        "chinese-calendar",
    )
    holidays = {entry["date"] for entry in year["holidays"]}
    makeup = {entry["date"] for entry in year["makeup_workdays"]}
    assert {"2026-02-16", "2026-10-01"} <= holidays
    assert {"2026-01-04", "2026-02-14", "2026-02-28"} <= makeup
    assert holidays.isdisjoint(makeup)
    versions = (await clients["unit"].get("/v1/calendar/2026/versions")).json()
    assert [version["version"] for version in versions] == [1]


async def test_sla_calendar_a_year_without_a_schedule_reads_as_provisional(
    clients: dict[str, httpx.AsyncClient],
) -> None:
    answer = await clients["leader"].get("/v1/calendar/2027")

    assert answer.status_code == 200
    year = answer.json()
    assert (year["basis"], year["version"], year["makeup_workdays"]) == (
        "provisional",
        None,
        [],
    )
    holidays = {entry["date"]: entry["name"] for entry in year["holidays"]}
    assert holidays["2027-01-01"] == "元旦"
    assert holidays["2027-02-06"] == "春节"
    # 261 weekdays in 2027, less the 7 statutory holidays that fall on one.
    assert year["working_days"] == 254
    assert (await clients["leader"].get("/v1/calendar/2027/versions")).json() == []


@pytest.mark.parametrize("year", ["1900", "2100", "99999"])
async def test_sla_calendar_a_year_beyond_the_tables_is_refused(
    clients: dict[str, httpx.AsyncClient], year: str
) -> None:
    answer = await clients["operator"].get(f"/v1/calendar/{year}")

    assert answer.status_code == 422
    assert error_of(answer)["field"] == "path.year"


# --- loading and correcting a year ----------------------------------------------


async def test_sla_calendar_loading_2027_stores_version_1_and_counts_with_it(
    clients: dict[str, httpx.AsyncClient], supervisor: httpx.AsyncClient
) -> None:
    answer = await supervisor.put("/v1/calendar/2027", json=SCHEDULE_2027)

    assert answer.status_code == 201
    body = answer.json()
    assert (body["created"], body["recomputed"]) == (True, 0)
    assert (body["year"]["basis"], body["year"]["version"]) == ("official", 1)
    assert body["year"]["source"] == "center"
    assert body["year"]["loaded_by"].startswith("supervisor:")
    assert body["year"]["note"] == "illustrative schedule for tests"
    # The clocks' calendar knows it: Saturday 9 January is a working day now.
    days = await clients["operator"].get(
        "/v1/calendar/working-days", params={"from": "2027-01-08", "to": "2027-01-11"}
    )
    working = [day["date"] for day in days.json()["days"] if day["working"]]
    assert working == ["2027-01-08", "2027-01-09", "2027-01-11"]
    assert days.json()["provisional"] is False


async def test_sla_calendar_a_correction_is_a_new_version_and_both_are_kept(
    clients: dict[str, httpx.AsyncClient], supervisor: httpx.AsyncClient
) -> None:
    await supervisor.put("/v1/calendar/2027", json=SCHEDULE_2027)
    corrected = {
        **SCHEDULE_2027,
        "makeup_workdays": named([date(2027, 2, 20)], "春节"),
        "base_version": 1,
    }

    answer = await supervisor.put("/v1/calendar/2027", json=corrected)

    assert answer.status_code == 201
    assert answer.json()["year"]["version"] == 2
    current = (await clients["operator"].get("/v1/calendar/2027")).json()
    assert current["version"] == 2
    assert [entry["date"] for entry in current["makeup_workdays"]] == ["2027-02-20"]
    versions = (await clients["operator"].get("/v1/calendar/2027/versions")).json()
    assert [version["version"] for version in versions] == [1, 2]
    assert [len(version["makeup_workdays"]) for version in versions] == [2, 1]
    days = await clients["operator"].get(
        "/v1/calendar/working-days", params={"from": "2027-01-09", "to": "2027-01-09"}
    )
    assert days.json()["working_days"] == 0


async def test_sla_calendar_the_same_schedule_again_changes_nothing(
    clients: dict[str, httpx.AsyncClient], supervisor: httpx.AsyncClient
) -> None:
    await supervisor.put("/v1/calendar/2027", json=SCHEDULE_2027)

    again = await supervisor.put("/v1/calendar/2027", json=SCHEDULE_2027)

    assert again.status_code == 200
    assert (again.json()["created"], again.json()["year"]["version"]) == (False, 1)
    versions = (await clients["operator"].get("/v1/calendar/2027/versions")).json()
    assert len(versions) == 1


async def test_sla_calendar_the_seeded_2026_can_be_corrected(
    clients: dict[str, httpx.AsyncClient], supervisor: httpx.AsyncClient
) -> None:
    seeded = (await clients["operator"].get("/v1/calendar/2026")).json()
    # Say the State Council moved the make-up day of 10 October to 11 October.
    makeup = [
        entry if entry["date"] != "2026-10-10" else {**entry, "date": "2026-10-11"}
        for entry in seeded["makeup_workdays"]
    ]

    answer = await supervisor.put(
        "/v1/calendar/2026",
        json={
            "holidays": seeded["holidays"],
            "makeup_workdays": makeup,
            "base_version": 1,
        },
    )

    assert answer.status_code == 201
    assert answer.json()["year"]["version"] == 2
    days = await clients["operator"].get(
        "/v1/calendar/working-days", params={"from": "2026-10-10", "to": "2026-10-11"}
    )
    assert [day["working"] for day in days.json()["days"]] == [False, True]


async def test_sla_calendar_a_stale_base_version_is_a_conflict(
    supervisor: httpx.AsyncClient,
) -> None:
    await supervisor.put("/v1/calendar/2027", json=SCHEDULE_2027)

    answer = await supervisor.put(
        "/v1/calendar/2027",
        json={**SCHEDULE_2027, "makeup_workdays": [], "base_version": 0},
    )

    assert answer.status_code == 409
    error = error_of(answer)
    assert (error["code"], error["field"]) == (
        "calendar_version_conflict",
        "base_version",
    )
    assert "version 1" in error["message"]


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        (
            {"holidays": named([date(2027, 1, 1), date(2028, 1, 1)], "元旦")},
            "date_outside_year",
            "holidays.1.date",
        ),
        (
            {"makeup_workdays": named([date(2026, 12, 26)], "元旦")},
            "date_outside_year",
            "makeup_workdays.0.date",
        ),
        (
            {"holidays": named([date(2027, 1, 1), date(2027, 1, 1)], "元旦")},
            "duplicate_date",
            "holidays.1.date",
        ),
        (
            {"makeup_workdays": named([date(2027, 2, 20), date(2027, 2, 6)], "春节")},
            "holiday_and_workday",
            "makeup_workdays.1.date",
        ),
        (
            # Monday 4 January is a working day anyway.
            {"makeup_workdays": named([date(2027, 1, 4)], "元旦")},
            "workday_not_weekend",
            "makeup_workdays.0.date",
        ),
        ({"holidays": []}, "invalid_request", "body.holidays"),
        (
            {"holidays": [{"date": "2027-01-01", "name": " "}]},
            "invalid_request",
            "body.holidays.0.name",
        ),
        (
            {"holidays": [{"date": "2027-02-30", "name": "春节"}]},
            "invalid_request",
            "body.holidays.0.date",
        ),
        ({"base_version": -1}, "invalid_request", "body.base_version"),
        ({"source": "center"}, "invalid_request", "body.source"),
    ],
    ids=[
        "holiday-next-year",
        "makeup-last-year",
        "holiday-twice",
        "holiday-and-makeup",
        "makeup-on-a-weekday",
        "no-holidays",
        "blank-name",
        "no-such-date",
        "negative-base",
        "unknown-field",
    ],
)
async def test_sla_calendar_a_schedule_that_cannot_be_the_years_is_refused(
    clients: dict[str, httpx.AsyncClient],
    supervisor: httpx.AsyncClient,
    change: dict[str, Any],
    code: str,
    field: str,
) -> None:
    answer = await supervisor.put("/v1/calendar/2027", json={**SCHEDULE_2027, **change})

    assert answer.status_code == 422
    error = error_of(answer)
    assert (error["code"], error["field"]) == (code, field)
    assert (await clients["operator"].get("/v1/calendar/2027/versions")).json() == []


@pytest.mark.parametrize(
    ("role", "status", "code"),
    [
        ("operator", 403, "forbidden"),
        ("unit", 403, "forbidden"),
        ("leader", 403, "forbidden"),
        ("anonymous", 401, "unauthenticated"),
    ],
)
async def test_sla_calendar_only_the_center_supervisor_loads_a_year(
    clients: dict[str, httpx.AsyncClient], role: str, status: int, code: str
) -> None:
    answer = await clients[role].put("/v1/calendar/2027", json=SCHEDULE_2027)

    assert answer.status_code == status
    assert error_of(answer)["code"] == code
    assert (await clients["operator"].get("/v1/calendar/2027")).json()["basis"] == (
        "provisional"
    )


# --- loading a year recounts the open deadlines ----------------------------------


async def test_sla_calendar_a_december_complaint_is_provisional_until_2027_is_loaded(
    supervisor: httpx.AsyncClient,
    apply: Callable[[EventData], Awaitable[None]],
    make_dispatched: Callable[..., Any],
    clocks_of: Callable[[str], Awaitable[dict[str, Deadline]]],
    announced: Callable[[str], Awaitable[list[dict[str, Any]]]],
    app: FastAPI,
) -> None:
    """A 7-working-day complaint created on Thursday 31 December 2026 at 17:00 is
    counted on a guessed 2027 (Art. 15, rules.md §11)."""
    created = datetime(2026, 12, 31, 17, 0, tzinfo=SHANGHAI)
    await apply(make_dispatched("wo-dec", created_at=created))
    before = await clocks_of("wo-dec")
    # Guessed: 1 January off, then 4-8 and 11-12 January.
    assert before["handling"].due_at == closing(2027, 1, 12)
    assert before["handling"].provisional is True
    # Sign-off: an hour on the 31st, the second on Monday 4 January.
    assert before["sign_off"].due_at == datetime(2027, 1, 4, 10, 0, tzinfo=SHANGHAI)
    assert before["sign_off"].provisional is True

    answer = await supervisor.put("/v1/calendar/2027", json=SCHEDULE_2027)

    assert answer.json()["recomputed"] == 2
    after = await clocks_of("wo-dec")
    handling = after["handling"]
    # Official: 4-8 January, then the make-up Saturday 9th and Monday 11th.
    assert handling.id == before["handling"].id
    assert handling.due_at == closing(2027, 1, 11)
    assert handling.provisional is False
    assert after["sign_off"].due_at == before["sign_off"].due_at
    assert after["sign_off"].provisional is False
    # Its urging points (Art. 39) moved with it, on the official calendar.
    edition = app.state.context.rules.by_id(handling.rules_edition)
    points = periods.urging_points(
        calendar=app.state.context.calendar,
        edition=edition,
        kind="handling",
        starts_at=handling.starts_at,
        due_at=handling.due_at,
    )
    assert handling.next_urge_at == points[0].at
    assert handling.urge_two_thirds_at == points[1].at

    sets = [
        event
        for event in await announced("deadline.set")
        if event["deadline_id"] == handling.id
    ]
    assert len(sets) == 2
    assert sets[-1]["provisional"] is False
    assert datetime.fromisoformat(sets[-1]["due_at"]) == closing(2027, 1, 11)
    versions = (await supervisor.get("/v1/calendar/2027/versions")).json()
    assert versions[0]["recomputed"] == 2


async def test_sla_calendar_only_open_deadlines_touching_the_year_are_recounted(
    supervisor: httpx.AsyncClient,
    apply: Callable[[EventData], Awaitable[None]],
    make_dispatched: Callable[..., Any],
    clocks_of: Callable[[str], Awaitable[dict[str, Deadline]]],
    announced: Callable[[str], Awaitable[list[dict[str, Any]]]],
) -> None:
    # Handled already: its met handling clock keeps its outcome.
    handled = datetime(2026, 12, 30, 11, 0, tzinfo=SHANGHAI)
    await apply(
        make_dispatched(
            "wo-met", created_at=datetime(2026, 12, 29, 9, 0, tzinfo=SHANGHAI)
        )
    )
    await apply(
        WorkOrderClosureRequested(
            work_order_id="wo-met",
            appeal_id="appeal-of-wo-met",
            unit_id=UNIT,
            handled_at=handled,
            requested_at=handled,
            requested_by="clerk-7",
        )
    )
    # Inside 2026 entirely: a consultation due on 29 December.
    await apply(
        make_dispatched(
            "wo-2026",
            created_at=datetime(2026, 12, 28, 10, 0, tzinfo=SHANGHAI),
            appeal_type="consultation",
        )
    )
    met_before = await clocks_of("wo-met")
    sets_before = len(await announced("deadline.set"))

    answer = await supervisor.put("/v1/calendar/2027", json=SCHEDULE_2027)

    met_after = await clocks_of("wo-met")
    assert met_after["handling"].status == "met"
    assert met_after["handling"].due_at == met_before["handling"].due_at
    assert met_after["handling"].provisional is True
    # The handling notice (1 working day after 30 December) is the 31st: 2026 only.
    assert met_after["handling_notice"].due_at == closing(2026, 12, 31)
    assert (await clocks_of("wo-2026"))["handling"].due_at == closing(2026, 12, 29)
    assert answer.json()["recomputed"] == 0
    assert len(await announced("deadline.set")) == sets_before


async def test_sla_calendar_an_extended_complaint_is_recounted_with_its_extensions(
    supervisor: httpx.AsyncClient,
    apply: Callable[[EventData], Awaitable[None]],
    make_dispatched: Callable[..., Any],
    clocks_of: Callable[[str], Awaitable[dict[str, Deadline]]],
    app: FastAPI,
) -> None:
    """Seven working days from Thursday 24 December, extended by five (Art. 16),
    then by thirteen more: the total never passes 20 working days, on the guessed
    2027 and again on the official one."""
    created = datetime(2026, 12, 24, 10, 0, tzinfo=SHANGHAI)
    await apply(make_dispatched("wo-ext", created_at=created))
    for event_days in (5, 13):
        await apply(
            WorkOrderExtensionDecided(
                work_order_id="wo-ext",
                appeal_id="appeal-of-wo-ext",
                unit_id=UNIT,
                approved=True,
                working_days=event_days,
                reason="需协调产权单位",
                decided_at=NOW,
                decided_by="operator-1",
            )
        )
    calendar = app.state.context.calendar
    guessed = (await clocks_of("wo-ext"))["handling"]
    assert guessed.due_at == calendar.add_working_days(created, 20).at
    assert guessed.provisional is True

    await supervisor.put("/v1/calendar/2027", json=SCHEDULE_2027)

    official = (await clocks_of("wo-ext"))["handling"]
    # 25, 28-31 December (5); 4-8, 9 (make-up), 11-15 January (16); 18-21 (20).
    assert official.due_at == closing(2027, 1, 21)
    assert official.due_at == calendar.add_working_days(created, 20).at
    assert official.due_at < guessed.due_at
    assert official.provisional is False


async def test_sla_calendar_loading_spring_festival_moves_a_february_clock(
    supervisor: httpx.AsyncClient,
    apply: Callable[[EventData], Awaitable[None]],
    make_dispatched: Callable[..., Any],
    clocks_of: Callable[[str], Awaitable[dict[str, Deadline]]],
) -> None:
    # A suggestion (3 working days) created on Wednesday 3 February 2027.
    created = datetime(2027, 2, 3, 10, 0, tzinfo=SHANGHAI)
    await apply(make_dispatched("wo-feb", created_at=created, appeal_type="suggestion"))
    # Guessed: the eve and the first three days (5-8 February) off.
    assert (await clocks_of("wo-feb"))["handling"].due_at == closing(2027, 2, 10)

    await supervisor.put("/v1/calendar/2027", json=SCHEDULE_2027)

    # Official: Thursday the 4th, then 5-14 off: Monday 15th and Tuesday 16th.
    handling = (await clocks_of("wo-feb"))["handling"]
    assert handling.due_at == closing(2027, 2, 16)
    assert handling.provisional is False
