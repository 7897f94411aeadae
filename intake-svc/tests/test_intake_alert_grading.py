"""Grades raised by analytics' warnings (Art. 9, 23) on SQLite and PostgreSQL: a
hotspot, high-frequency or safety-hazard warning makes every level-3 appeal of its
event cluster, and every appeal it lists, level 2 with `appeal.graded`; later
reports joining the cluster are filed at level 2; a sensitive-topic warning changes
no grade; level 1 stays; an operator's grade wins."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from minsheng_common.bus import inbox
from minsheng_common.events import WarningRaised, seal
from minsheng_common.runtime import ServiceRuntime
from minsheng_common.timeutil import SHANGHAI
from minsheng_intake import consumers

ClientFor = Callable[[str | None], AbstractAsyncContextManager[httpx.AsyncClient]]
Submit = Callable[..., Awaitable[dict[str, Any]]]
Events = Callable[[], Awaitable[list[dict[str, Any]]]]

STREETLIGHT = {
    "category_hint": "municipal-facilities",
    "title": "路灯不亮",
    "content": "石井街道田心社区路灯编号 SJ-0231 晚上不亮，行人看不清路。",
    "address": "石井街道田心社区",
}
CAVE_IN = {
    "title": "路面塌陷",
    "content": "马峦街道江岭社区江岭路18号门口路面塌陷出一个大坑，车辆差点掉进去。",
}
RAISED_AT = datetime(2026, 12, 4, 15, 0, tzinfo=SHANGHAI)


def caller(number: int) -> dict[str, str]:
    return {"kind": "phone", "value": f"1390000{number:04d}"}


def warning(
    kind: str = "hotspot",
    *,
    cluster_id: str | None = None,
    appeal_ids: list[str] | None = None,
) -> WarningRaised:
    return WarningRaised(
        warning_id="warning-1",
        kind=kind,  # type: ignore[arg-type]
        cluster_id=cluster_id,
        appeal_ids=appeal_ids or [],
        subdistrict_id="shijing-jd",
        count=5,
        window_hours=24,
        raised_at=RAISED_AT,
    )


async def deliver(app: FastAPI, data: WarningRaised) -> None:
    """Apply the warning as intake's consumer of the alerts topic does: the inbox
    row and the grades in one transaction."""
    runtime: ServiceRuntime = app.state.runtime
    alerts = next(
        spec for spec in consumers.specs(app.state.context) if spec.name == "alerts"
    )
    envelope = seal(data, producer="analytics", occurred_at=data.raised_at)
    async with runtime.sessions() as session:
        await inbox.claim(
            session,
            envelope,
            topic=data.topic,
            partition=0,
            offset=0,
            applied_at=data.raised_at,
        )
        await alerts.handlers[envelope.type](session, envelope, data)
        await session.commit()


async def grade_of(client_for: ClientFor, appeal_id: str) -> dict[str, Any] | None:
    async with client_for("operator") as http:
        answer = await http.get(f"/v1/appeals/{appeal_id}")
    grade: dict[str, Any] | None = answer.json()["grade"]
    return grade


def graded(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The last appeal.graded of each appeal."""
    return {
        event["data"]["appeal_id"]: event["data"]
        for event in events
        if event["type"] == "appeal.graded"
    }


async def streetlight_reports(submit: Submit, count: int) -> list[dict[str, Any]]:
    """`count` callers reporting the same streetlight: one event cluster."""
    return [
        await submit(**STREETLIGHT, channel_ref=f"light-{n}", contact=caller(n))
        for n in range(count)
    ]


@pytest.mark.parametrize("kind", ["hotspot", "high_frequency", "safety_hazard"])
async def test_art_9_a_warning_raises_its_cluster_to_level_2(
    app: FastAPI,
    submit: Submit,
    client_for: ClientFor,
    events: Events,
    kind: str,
) -> None:
    reports = await streetlight_reports(submit, 2)
    unrelated = await submit(channel_ref="bins", contact=caller(9))
    cluster_id = reports[0]["cluster_id"]
    assert reports[1]["cluster_id"] == cluster_id != unrelated["cluster_id"]

    await deliver(app, warning(kind, cluster_id=cluster_id, appeal_ids=[]))

    by_appeal = graded(await events())
    for report in reports:
        grade = await grade_of(client_for, report["id"])
        assert grade is not None and grade["level"] == 2
        assert kind in grade["basis"] and "Art. 9" in grade["basis"]
        event = by_appeal[report["id"]]
        assert (event["level"], event["previous_level"]) == (2, 3)
        assert event["graded_by"] == "warning"
        assert cluster_id in event["basis"]
    assert (await grade_of(client_for, unrelated["id"])) == unrelated["grade"]
    assert unrelated["id"] not in by_appeal


async def test_art_9_a_sensitive_topic_warning_changes_no_grade(
    app: FastAPI, submit: Submit, client_for: ClientFor, events: Events
) -> None:
    [report] = await streetlight_reports(submit, 1)

    await deliver(
        app,
        warning(
            "sensitive", cluster_id=report["cluster_id"], appeal_ids=[report["id"]]
        ),
    )
    later = await submit(**STREETLIGHT, channel_ref="later", contact=caller(7))

    assert (await grade_of(client_for, report["id"]))["level"] == 3  # type: ignore[index]
    assert later["grade"]["level"] == 3
    assert graded(await events()) == {}


async def test_art_9_the_appeals_a_warning_lists_are_raised_too(
    app: FastAPI, submit: Submit, client_for: ClientFor
) -> None:
    """A warning names its evidence; an appeal listed there is raised even if it is
    in no cluster of the warning."""
    listed = await submit(channel_ref="bins", contact=caller(9))

    await deliver(app, warning("high_frequency", appeal_ids=[listed["id"]]))

    assert (await grade_of(client_for, listed["id"]))["level"] == 2  # type: ignore[index]


async def test_art_9_later_reports_joining_the_cluster_are_filed_at_level_2(
    app: FastAPI, submit: Submit, events: Events
) -> None:
    [first] = await streetlight_reports(submit, 1)
    await deliver(app, warning(cluster_id=first["cluster_id"]))

    later = await submit(**STREETLIGHT, channel_ref="later", contact=caller(7))

    assert later["cluster_id"] == first["cluster_id"]
    assert later["grade"]["level"] == 2
    assert "hotspot warning-1" in later["grade"]["basis"]
    staged = await events()
    filed = [
        event["data"]
        for event in staged
        if event["type"] == "appeal.filed" and event["data"]["appeal_id"] == later["id"]
    ]
    assert filed[0]["level"] == 2
    assert graded(staged)[later["id"]]["level"] == 2


async def test_art_9_level_1_stays_level_1(
    app: FastAPI, submit: Submit, client_for: ClientFor, events: Events
) -> None:
    cave_in = await submit(**CAVE_IN, channel_ref="cave", contact=caller(3))
    assert cave_in["grade"]["level"] == 1
    before = len(await events())

    await deliver(app, warning("safety_hazard", appeal_ids=[cave_in["id"]]))

    assert (await grade_of(client_for, cave_in["id"]))["level"] == 1  # type: ignore[index]
    assert len(await events()) == before


async def test_art_9_an_operator_s_grade_wins_over_a_warning(
    app: FastAPI, submit: Submit, client_for: ClientFor, events: Events
) -> None:
    """The operator checked on site and kept the appeal at level 3: the warning does
    not override that; the other report of the cluster is raised."""
    kept, other = await streetlight_reports(submit, 2)
    async with client_for("operator") as http:
        answer = await http.post(
            f"/v1/appeals/{kept['id']}/grade",
            json={"level": 3, "reason": "现场核实为单盏路灯故障，无安全隐患"},
        )
    assert answer.status_code == 200, answer.text

    await deliver(app, warning(cluster_id=kept["cluster_id"]))

    assert (await grade_of(client_for, kept["id"]))["level"] == 3  # type: ignore[index]
    assert (await grade_of(client_for, other["id"]))["level"] == 2  # type: ignore[index]
    assert graded(await events())[kept["id"]]["graded_by"].startswith("operator")


async def test_art_9_a_rejected_appeal_is_not_graded(
    app: FastAPI, submit: Submit, client_for: ClientFor, events: Events
) -> None:
    rejected = await submit(channel_ref="no-contact", contact=None)
    assert rejected["decision"]["status"] == "rejected"

    await deliver(app, warning(appeal_ids=[rejected["id"]]))

    assert await grade_of(client_for, rejected["id"]) is None
    assert graded(await events()) == {}


async def test_art_9_the_same_warning_twice_grades_once(
    app: FastAPI, submit: Submit, events: Events
) -> None:
    reports = await streetlight_reports(submit, 2)

    await deliver(app, warning(cluster_id=reports[0]["cluster_id"]))
    await deliver(app, warning(cluster_id=reports[0]["cluster_id"]))

    graded_events = [e for e in await events() if e["type"] == "appeal.graded"]
    assert sorted(e["data"]["appeal_id"] for e in graded_events) == sorted(
        report["id"] for report in reports
    )
