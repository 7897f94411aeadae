"""Unit assessment (考核, Art. 32–35): scores computed by hand from a seeded March,
the plan's weights and the edition in force, the top-ten bonus (Art. 34),
commendations and fallbacks, appeals against a deduction accepted and refused with
every score version kept (Art. 35), the unit wall and the errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from minsheng_analytics.app import create_app
from minsheng_analytics.assessment import periods, scoring, service
from minsheng_analytics.assessment.errors import InvalidPeriod
from minsheng_analytics.assessment.models import AssessmentAward
from minsheng_analytics.assessment.plan import AssessmentPlan, load_plan
from minsheng_analytics.assessment.schemas import (
    AppealIn,
    CommendationIn,
    DecisionIn,
    EvidenceRef,
    FallbackIn,
)
from minsheng_analytics.service import AnalyticsContext
from minsheng_analytics.settings import AnalyticsSettings
from minsheng_common.auth import provisioning
from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Role
from minsheng_common.clock import FixedClock, SharedClock
from minsheng_common.events import (
    DeadlineReached,
    ReturnVisitAnswered,
    WorkOrderClosed,
    WorkOrderClosureRejected,
    WorkOrderReturnDecided,
    WorkOrderReturnRequested,
)
from minsheng_common.reference import load_reference
from minsheng_common.rules import load_rule_book

Step = tuple[Any, datetime]

MARCH = "2026-03"
# 3 April 2026 in Shanghai: March is over, its appeal period (10 days) is not.
APRIL_3 = datetime(2026, 4, 3, 2, 0, tzinfo=UTC)
# The units the packaged plan assesses: 19 district units and 6 subdistrict offices.
ASSESSED = 25


@pytest.fixture
def settings(settings: AnalyticsSettings, tmp_path: Path) -> AnalyticsSettings:
    """The app's settings with a clock the test sets, at 3 April 2026 from the
    start."""
    clock_file = tmp_path / "clock.json"
    SharedClock(clock_file).set_now(APRIL_3)
    return settings.model_copy(update={"clock_file": clock_file})


@pytest.fixture
def credentials(credentials: Any, settings: AnalyticsSettings) -> Any:
    """The common keys, and one of the housing bureau's (zjj) system."""
    credentials.keys["unit_zjj"] = provisioning.add_key(
        settings.credentials_path(), name="zjj (test)", role=Role.UNIT, unit_id="zjj"
    )
    return credentials


@pytest.fixture
def clock(settings: AnalyticsSettings) -> SharedClock:
    assert settings.clock_file is not None
    return SharedClock(settings.clock_file)


class Callers:
    """One client per caller the assessment knows."""

    def __init__(self, app: FastAPI, keys: dict[str, str]) -> None:
        self.app = app
        self.keys = keys
        self._open: list[httpx.AsyncClient] = []

    def as_(self, who: str) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app),
            base_url="http://analytics",
            headers={"X-API-Key": self.keys[who]},
        )
        self._open.append(client)
        return client

    async def close(self) -> None:
        for client in self._open:
            await client.aclose()


@pytest.fixture
async def callers(
    app: FastAPI, credentials: Any, clock: SharedClock
) -> AsyncIterator[Callers]:
    made = Callers(app, credentials.keys)
    yield made
    await made.close()


def order_events(story: Any, *later: str) -> list[Step]:
    """An appeal of March received, filed and dispatched to the story's unit, then
    what `later` names: closed on_time or overdue, overdue_open (its handling
    deadline reached), rejected once (a closure sent back), returned (approved)."""
    steps: list[Step] = [
        story.appeal_received(),
        story.appeal_filed(),
        story.dispatched(),
    ]
    ids = {
        "work_order_id": story.work_order_id,
        "appeal_id": story.appeal_id,
        "unit_id": story.unit_id,
    }
    at = story.at(story.received + 600)
    for step in later:
        if step in ("on_time", "overdue"):
            steps.append(
                (
                    WorkOrderClosed(
                        **ids,
                        outcome=step,
                        handled_at=at,
                        closed_at=at,
                        closed_by="operator",
                    ),
                    at,
                )
            )
        elif step == "overdue_open":
            steps.append(
                (
                    DeadlineReached(
                        deadline_id=f"dl-handling-{story.appeal_id}",
                        **ids,
                        kind="handling",
                        due_at=at,
                        reached_at=at,
                    ),
                    at,
                )
            )
        elif step == "rejected":
            steps.append(
                (
                    WorkOrderClosureRejected(
                        **ids, reason="未附照片", rejected_at=at, rejected_by="operator"
                    ),
                    at,
                )
            )
        elif step == "returned":
            steps += [
                (
                    WorkOrderReturnRequested(
                        **ids,
                        reason="不属本单位职责",
                        requested_at=at,
                        requested_by="c",
                    ),
                    at,
                ),
                (
                    WorkOrderReturnDecided(
                        **ids,
                        approved=True,
                        reason="同意",
                        decided_at=at,
                        decided_by="operator",
                        redispatched_to=f"{story.work_order_id}-b",
                    ),
                    at,
                ),
            ]
        else:
            raise AssertionError(step)
        at += timedelta(minutes=1)
    return steps


async def seed_march(projector: Any, story: Callable[..., Any]) -> None:
    """The city management bureau (cgj) handles five orders in March:

    - c1 closed on time, the citizen told of acceptance in time, satisfied;
    - c2 closed overdue, its acceptance-notice clock ran out, though an SMS went
      out (the evidence of its appeals);
    - c3 still open past its deadline;
    - c4 closed on time after one closure was sent back (feedback quality), the
      citizen not satisfied;
    - c5 returned, the return approved.

    The housing bureau (zjj) closes z1 on time.
    """
    cgj = {
        name: story(name, received=60 * i)
        for i, name in enumerate(("c1", "c2", "c3", "c4", "c5"))
    }
    z1 = story("z1", unit_id="zjj", received=30)
    steps = (
        order_events(cgj["c1"], "on_time")
        + order_events(cgj["c2"], "overdue")
        + order_events(cgj["c3"], "overdue_open")
        + order_events(cgj["c4"], "rejected", "on_time")
        + order_events(cgj["c5"], "returned")
        + order_events(z1, "on_time")
        + [
            cgj["c1"].acceptance_requested(minutes=30),
            cgj["c1"].deadline_met(minutes=30, kind="acceptance_notice"),
            cgj["c1"].notice_sent(minutes=31),
            cgj["c2"].deadline_reached("acceptance_notice"),
            cgj["c2"].acceptance_requested(minutes=300),
            cgj["c2"].notice_sent(minutes=301),
            return_visit(cgj["c1"], satisfied=True),
            return_visit(cgj["c4"], satisfied=False),
        ]
    )
    await projector.apply_all(steps)


def return_visit(story: Any, *, satisfied: bool) -> Step:
    at = story.at(story.received + 2000)
    rating = 5 if satisfied else 2
    event = ReturnVisitAnswered(
        survey_id=f"sv-{story.appeal_id}",
        work_order_id=story.work_order_id,
        appeal_id=story.appeal_id,
        unit_id=story.unit_id,
        channel="sms",
        speed=rating,
        effect=rating,
        service=rating,
        system=rating,
        satisfied=satisfied,
        answered_at=at,
    )
    return event, at


def by_key(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["key"]: item for item in items}


def numbers(deduction: dict[str, Any]) -> tuple[Any, ...]:
    """(numerator, denominator, points) of a rate, (count, points) of a count."""
    if deduction["kind"] == "count":
        return (deduction["count"], deduction["points"])
    return (deduction["numerator"], deduction["denominator"], deduction["points"])


def orders(deduction: dict[str, Any]) -> list[str]:
    return [order["work_order_id"] for order in deduction["orders"]]


def appeal_body(
    *work_order_ids: str, deduction: str = "on_time_closure"
) -> dict[str, Any]:
    return {
        "deduction": deduction,
        "work_order_ids": list(work_order_ids),
        "reason": "市民电话停机，超期系因产权单位未到场，非本单位原因",
        "evidence": [
            {"kind": "notice", "ref": "nt-1-c2"},
            {"kind": "evidence_export", "ref": "wo-c2", "sha256": "a" * 64},
        ],
    }


def refusal(answer: httpx.Response, part: str = "code") -> tuple[int, Any]:
    """A refused call's status and one part of its error: its code or its field."""
    return answer.status_code, answer.json()["error"][part]


def april_assessor() -> service.Assessor:
    """The packaged plan's assessor as the service builds it, on 3 April 2026."""
    return service.Assessor(
        context=AnalyticsContext(
            reference=load_reference(),
            rule_book=load_rule_book(),
            clock=FixedClock(APRIL_3),
            refresh_seconds=10,
            recent=20,
        ),
        plan=load_plan(),
    )


# Scores by hand.


async def test_analytics_march_scores_as_computed_by_hand_art_33_34(
    app_projector: Any, story: Callable[..., Any], callers: Callers
) -> None:
    """Art. 33, 34 with the packaged plan (base 100), cgj's deductions:

    - on-time closure: 2 of 4 due on time (c1, c4) → 25 × (1 − 2/4) = 12.5;
    - total closure: 3 of 4 handled closed → 15 × (1 − 3/4) = 3.75;
    - acceptance notice: 1 of 2 clocks met in time → 10 × (1 − 1/2) = 5;
    - handling notice: no clock ended → 0;
    - returns: 1 of 5 dispatched → 10 × 1/5 = 2;
    - satisfaction: 1 of 2 return visits satisfied → 20 × (1 − 1/2) = 10;
    - feedback quality: one closure sent back → 1 × 1 = 1;

    34.25 in all. cgj handled 4, zjj 1, nobody else anything: both are in the top
    ten, +2 each. cgj = 100 − 34.25 + 2 = 67.75; zjj = 100 + 2 = 102; every other
    unit 100.
    """
    await seed_march(app_projector, story)
    center = callers.as_("operator")

    answer = await center.get(f"/v1/assessment/cgj/{MARCH}")

    assert answer.status_code == 200, answer.text
    score = answer.json()
    deductions = by_key(score["deductions"])
    assert {key: numbers(item) for key, item in deductions.items()} == {
        "on_time_closure": (2, 4, 12.5),
        "total_closure": (3, 4, 3.75),
        "acceptance_notice": (1, 2, 5.0),
        "handling_notice": (0, 0, 0.0),
        "returns": (1, 5, 2.0),
        "satisfaction": (1, 2, 10.0),
        "feedback_quality": (1, 1.0),
    }
    assert {key: orders(item) for key, item in deductions.items()} == {
        "on_time_closure": ["wo-c2", "wo-c3"],
        "total_closure": ["wo-c3"],
        "acceptance_notice": ["wo-c2"],
        "handling_notice": [],
        "returns": ["wo-c5"],
        "satisfaction": ["wo-c4"],
        "feedback_quality": ["wo-c4"],
    }
    assert deductions["on_time_closure"]["article"] == "Art. 17, 33"
    assert deductions["satisfaction"]["indicator"] == "satisfied"
    bonuses = by_key(score["bonuses"])
    assert bonuses["top_volume"]["points"] == 2.0
    assert bonuses["top_volume"]["volume_rank"] == 1
    assert (bonuses["fallback"]["points"], bonuses["commendation"]["points"]) == (0, 0)
    assert (score["base"], score["deducted"], score["bonus"], score["total"]) == (
        100.0,
        34.25,
        2.0,
        67.75,
    )
    assert (score["volume"], score["rank"], score["units"]) == (4, ASSESSED, ASSESSED)
    assert score["appeal_until"] == "2026-04-10T16:00:00Z"

    ranking = (await center.get("/v1/assessment", params={"period": MARCH})).json()
    lines = {line["unit_id"]: line for line in ranking["items"]}
    assert ranking["units"] == ASSESSED
    assert ranking["items"][0]["unit_id"] == "zjj"
    standing = {
        unit: (line["total"], line["rank"], line["top_volume"])
        for unit, line in lines.items()
    }
    assert standing["zjj"] == (102.0, 1, True)
    assert standing["swj"] == (100.0, 2, False)
    assert standing["cgj"] == (67.75, ASSESSED, True)
    assert ranking["items"][-1] == lines["cgj"]
    # Neither the center nor the warning recipients are assessed.
    assert not {"center", "zfw", "xfj"} & set(lines)


async def test_analytics_a_period_outside_the_appeals_received_loses_nothing(
    app_projector: Any, story: Callable[..., Any], callers: Callers
) -> None:
    """Only the work orders of appeals received in the period count: in February
    cgj has nothing, so it loses nothing and gets no volume bonus."""
    await seed_march(app_projector, story)

    score = (await callers.as_("leader").get("/v1/assessment/cgj/2026-02")).json()

    assert (score["deducted"], score["bonus"], score["total"]) == (0, 0, 100.0)
    assert all(item["orders"] == [] for item in score["deductions"])


async def test_analytics_the_same_march_by_a_span_of_days_and_the_quarter(
    app_projector: Any, story: Callable[..., Any], callers: Callers
) -> None:
    """A span that makes the month is the month; the quarter holds March whole,
    and so does 2 March alone, the day every appeal was received."""
    await seed_march(app_projector, story)
    reader = callers.as_("dashboard")

    month = await reader.get(
        "/v1/assessment", params={"from": "2026-03-01", "to": "2026-04-01"}
    )
    quarter = await reader.get(
        "/v1/assessment", params={"period": "2026-Q1", "unit": "cgj"}
    )
    span = await reader.get(
        "/v1/assessment",
        params={"from": "2026-03-02", "to": "2026-03-03", "unit": "cgj"},
    )

    assert month.json()["period"]["key"] == MARCH
    assert quarter.json()["items"][0]["total"] == 67.75
    assert span.json()["period"] == {
        "key": "2026-03-02..2026-03-03",
        "kind": "span",
        "first_day": "2026-03-02",
        "last_day": "2026-03-02",
        "start": "2026-03-01T16:00:00Z",
        "end": "2026-03-02T16:00:00Z",
    }
    assert span.json()["items"][0]["total"] == 67.75


# The plan's weights and editions.


def plan_with(**changes: Any) -> AssessmentPlan:
    """The packaged plan with `changes` made to its first edition, each keyed by its
    path there with `__` between the steps (deductions__0__weight)."""
    raw = json.loads(load_plan().model_dump_json())
    edition = raw["editions"][0]
    for path, value in changes.items():
        target = edition
        *parents, last = path.split("__")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value
    return AssessmentPlan.model_validate(raw)


async def test_analytics_weights_change_the_score(
    app: FastAPI, app_projector: Any, story: Callable[..., Any], callers: Callers
) -> None:
    """With on-time closure weighted 40 and only the first unit by volume getting
    4 points: cgj = 100 − (40 × 1/2 + 3.75 + 5 + 2 + 10 + 1) + 4 = 62.25; zjj,
    second by volume, gets nothing: 100."""
    await seed_march(app_projector, story)
    app.state.assessment_plan = plan_with(
        deductions__0__weight=40,
        bonuses__top_volume__ranks=1,
        bonuses__top_volume__points=4,
    )
    reader = callers.as_("leader")

    cgj = (await reader.get(f"/v1/assessment/cgj/{MARCH}")).json()
    zjj = (await reader.get(f"/v1/assessment/zjj/{MARCH}")).json()

    assert by_key(cgj["deductions"])["on_time_closure"]["points"] == 20.0
    assert (cgj["deducted"], cgj["bonus"], cgj["total"]) == (41.75, 4.0, 62.25)
    assert (zjj["volume_rank"], zjj["bonus"], zjj["total"]) == (2, 0, 100.0)


async def test_analytics_a_period_is_scored_by_the_edition_in_force_on_its_first_day(
    app: FastAPI, app_projector: Any, story: Callable[..., Any], callers: Callers
) -> None:
    """An edition from 1 March 2026 weighs on-time closure 40: March is scored by
    it (cgj 100 − 41.75 + 2 = 60.25), the first quarter, begun before, by the
    older one (cgj 67.75)."""
    await seed_march(app_projector, story)
    raw = json.loads(load_plan().model_dump_json())
    newer = json.loads(json.dumps(raw["editions"][0]))
    newer.update(id="plan-2026-03", effective_from="2026-03-01")
    newer["deductions"][0]["weight"] = 40
    raw["editions"].append(newer)
    app.state.assessment_plan = AssessmentPlan.model_validate(raw)
    reader = callers.as_("leader")

    march = (await reader.get(f"/v1/assessment/cgj/{MARCH}")).json()
    quarter = (await reader.get("/v1/assessment/cgj/2026-Q1")).json()
    plan = (await reader.get("/v1/assessment/plan", params={"period": MARCH})).json()

    assert (march["edition"]["id"], march["total"]) == ("plan-2026-03", 60.25)
    assert (quarter["edition"]["id"], quarter["total"]) == (
        "assessment-default-2020",
        67.75,
    )
    assert plan["deductions"][0]["weight"] == 40


def test_analytics_the_plan_comes_from_the_settings_path(
    settings: AnalyticsSettings, tmp_path: Path
) -> None:
    raw = json.loads(load_plan().model_dump_json())
    raw["editions"][0]["id"] = "district-plan"
    path = tmp_path / "assessment.json"
    path.write_text(json.dumps(raw), encoding="utf-8")

    app = create_app(settings.model_copy(update={"assessment_file": path}))

    assert app.state.assessment_plan.editions[0].id == "district-plan"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"deductions__0__indicator": "no_such_indicator"}, "no indicator"),
        ({"deductions__0__indicator": "closure_rejected"}, "is a count indicator"),
        ({"deductions__0__indicator": "instant_answer"}, "not a unit's work orders"),
        ({"deductions__1__key": "on_time_closure"}, "two deductions are keyed"),
        ({"bonuses__top_volume__measure": "count"}, "has no count"),
    ],
)
def test_analytics_a_plan_that_names_no_fitting_indicator_is_refused(
    change: dict[str, Any], words: str
) -> None:
    with pytest.raises(ValueError, match=words):
        plan_with(**change)


# The top-ten bonus (Art. 34).


def test_analytics_the_ten_units_handling_most_get_the_bonus_ties_included() -> None:
    """Nine units handled 14, 13, …, 6 events, two 5 each, one 4: the two at 5 share
    rank 10 and both get the bonus, the one at 4 is twelfth and does not; a unit
    that handled nothing never does."""
    volumes = {f"u{n:02d}": 15 - n for n in range(1, 10)}  # u01: 14 … u09: 6
    volumes.update(u10=5, u11=5, u12=4, idle=0)
    edition = load_plan().editions[0]

    scores = scoring.score_units(
        edition=edition, unit_ids=volumes, tallies={}, volumes=volumes, awards={}
    )

    top = {s.unit_id for s in scores if s.bonuses[1].points == Decimal(2)}
    ranks = {s.unit_id: s.volume_rank for s in scores}
    assert ranks["u09"] == 9
    assert ranks["u10"] == ranks["u11"] == 10
    assert ranks["u12"] == 12
    assert ranks["idle"] is None
    assert top == {f"u{n:02d}" for n in range(1, 12)}


def test_analytics_bonuses_are_capped_each_and_together() -> None:
    """Six fallbacks at 1 point earn the fallback cap of 5; with commendations
    worth 5 and the top-ten 2, the overall cap of 10 holds: 100 + 10."""
    edition = load_plan().editions[0]
    awards: list[Any] = [_award("fallback", "territorial", n) for n in range(6)] + [
        _award("commendation", "national", 9)
    ]

    [score] = scoring.score_units(
        edition=edition,
        unit_ids=["cgj"],
        tallies={},
        volumes={"cgj": 3},
        awards={"cgj": awards},
    )

    assert [b.points for b in score.bonuses] == [Decimal(5), Decimal(2), Decimal(5)]
    assert (score.bonus_before_cap, score.bonus, score.total) == (12, 10, 110)


def _award(kind: str, level: str, number: int) -> Any:
    return AssessmentAward(award_id=f"a{number}", kind=kind, level=level, unit_id="cgj")


# Commendations and fallbacks (Art. 21, 34).


async def test_analytics_a_commendation_adds_its_level_and_is_kept_once(
    app_projector: Any, story: Callable[..., Any], callers: Callers
) -> None:
    """A city-level commendation on 20 March: +2, cgj 67.75 → 69.75, in March, the
    first quarter and 2026; sent again it is the same one (200)."""
    await seed_march(app_projector, story)
    center = callers.as_("operator")
    body = {
        "unit_id": "cgj",
        "level": "city",
        "awarded_on": "2026-03-20",
        "reason": "深圳市通报表扬：龙田片区环境整治",
        "reference": "深城管〔2026〕12号",
    }

    first = await center.post("/v1/assessment/commendations", json=body)
    again = await center.post("/v1/assessment/commendations", json=body)
    changed = await center.post(
        "/v1/assessment/commendations", json={**body, "level": "province"}
    )

    assert first.status_code == 201, first.text
    assert again.status_code == 200
    assert again.json()["award_id"] == first.json()["award_id"]
    assert changed.status_code == 409
    assert changed.json()["error"]["code"] == "bonus_exists"
    for period in (MARCH, "2026-Q1", "2026"):
        score = (await center.get(f"/v1/assessment/cgj/{period}")).json()
        commendation = by_key(score["bonuses"])["commendation"]
        assert commendation["points"] == 2.0, period
        assert [a["award_id"] for a in commendation["awards"]] == [
            first.json()["award_id"]
        ]
        assert score["total"] == 69.75
        assert (score["latest_version"], score["latest_version_current"]) == (1, True)
    april = (await center.get("/v1/assessment/cgj/2026-04")).json()
    assert by_key(april["bonuses"])["commendation"]["points"] == 0
    history = (await center.get(f"/v1/assessment/cgj/{MARCH}/history")).json()
    assert [(v["version"], v["trigger"], v["total"]) for v in history["versions"]] == [
        (1, "commendation", 69.75)
    ]


async def test_analytics_a_fallback_event_earns_its_points(
    app_projector: Any, story: Callable[..., Any], callers: Callers
) -> None:
    """c3, taken on as territorial fallback (属地兜底, Art. 21): +1, cgj 68.75. Only
    the unit of the order earns it, and only for an order analytics has seen."""
    await seed_march(app_projector, story)
    center = callers.as_("supervisor")
    body = {
        "unit_id": "cgj",
        "work_order_id": "wo-c3",
        "kind": "territorial",
        "awarded_on": "2026-03-10",
        "reason": "无主边坡，属地兜底处置",
    }

    recorded = await center.post("/v1/assessment/fallbacks", json=body)
    other_unit = await center.post(
        "/v1/assessment/fallbacks", json={**body, "unit_id": "zjj"}
    )
    unknown = await center.post(
        "/v1/assessment/fallbacks", json={**body, "work_order_id": "wo-none"}
    )
    wrong_kind = await center.post(
        "/v1/assessment/fallbacks", json={**body, "kind": "heroic"}
    )

    assert recorded.status_code == 201, recorded.text
    assert refusal(other_unit) == (409, "work_order_of_another_unit")
    assert refusal(unknown, "field") == (422, "work_order_id")
    assert refusal(wrong_kind) == (422, "unknown_bonus_kind")
    score = (await center.get(f"/v1/assessment/cgj/{MARCH}")).json()
    assert by_key(score["bonuses"])["fallback"]["points"] == 1.0
    assert score["total"] == 68.75


# Appeals (Art. 35).


async def test_analytics_an_accepted_appeal_changes_the_score_and_keeps_the_old_one(
    app_projector: Any, story: Callable[..., Any], callers: Callers
) -> None:
    """cgj appeals the overdue c2 on on-time closure; accepted, c2 leaves that
    indicator: 2 of 3 due → 25 × 1/3 = 8.33 instead of 12.5, so 67.75 → 71.92.
    Total closure still counts c2 as closed (3.75). Version 1 (67.75, as
    contested) stays in the history beside version 2 (71.92)."""
    await seed_march(app_projector, story)
    clerk = callers.as_("unit")
    center = callers.as_("operator")

    filed = await clerk.post(
        f"/v1/assessment/cgj/{MARCH}/appeals", json=appeal_body("wo-c2")
    )
    replayed = await clerk.post(
        f"/v1/assessment/cgj/{MARCH}/appeals", json=appeal_body("wo-c2")
    )

    assert filed.status_code == 201, filed.text
    appeal = filed.json()
    assert (appeal["status"], appeal["contested_version"]) == ("pending", 1)
    assert (appeal["contested_points"], appeal["article"]) == (12.5, "Art. 17, 33")
    assert appeal["evidence"][0] == {"kind": "notice", "ref": "nt-1-c2"}
    assert replayed.status_code == 200
    assert replayed.json()["appeal_id"] == appeal["appeal_id"]
    pending = (await center.get(f"/v1/assessment/cgj/{MARCH}")).json()
    listed = by_key(pending["deductions"])["on_time_closure"]["orders"]
    assert listed[0] == {
        "work_order_id": "wo-c2",
        "appeal_id": appeal["appeal_id"],
        "appeal_status": "pending",
        # March's appeal period: 10 days, to 11 April 00:00 in Shanghai.
        "appeal_until": "2026-04-10T16:00:00Z",
    }
    assert pending["total"] == 67.75
    queue = (
        await center.get("/v1/assessment/appeals", params={"status": "pending"})
    ).json()
    assert [item["appeal_id"] for item in queue["items"]] == [appeal["appeal_id"]]

    decided = await center.post(
        f"/v1/assessment/appeals/{appeal['appeal_id']}/decision",
        json={"outcome": "accepted", "reason": "通话记录证实市民失联，非单位原因"},
    )

    assert decided.status_code == 201, decided.text
    assert (decided.json()["status"], decided.json()["resulting_version"]) == (
        "accepted",
        2,
    )
    score = (await clerk.get(f"/v1/assessment/cgj/{MARCH}")).json()
    deductions = by_key(score["deductions"])
    on_time = deductions["on_time_closure"]
    assert numbers(on_time) == (2, 3, 8.33)
    assert orders(on_time) == ["wo-c3"]
    assert [o["work_order_id"] for o in on_time["excluded_orders"]] == ["wo-c2"]
    assert deductions["total_closure"]["points"] == 3.75
    assert (score["deducted"], score["total"]) == (30.08, 71.92)
    history = (await clerk.get(f"/v1/assessment/cgj/{MARCH}/history")).json()
    assert [(v["version"], v["trigger"], v["total"]) for v in history["versions"]] == [
        (1, "appeal_filed", 67.75),
        (2, "appeal_accepted", 71.92),
    ]
    old = by_key(history["versions"][0]["score"]["deductions"])["on_time_closure"]
    assert old["points"] == 12.5
    assert [a["decision_reason"] for a in history["appeals"]] == [
        "通话记录证实市民失联，非单位原因"
    ]
    assert history["appeals"][0]["decided_by"].startswith("operator:")


async def test_analytics_an_appeal_on_low_satisfaction_takes_out_the_return_visit(
    app_projector: Any, story: Callable[..., Any], callers: Callers
) -> None:
    """Art. 35 names low satisfaction: c4's citizen was unsatisfied with what was
    not cgj's doing. Accepted, c4's return visit leaves the satisfaction rate (1 of
    1 → 0 instead of 10), not the closure sent back: 67.75 → 77.75."""
    await seed_march(app_projector, story)
    clerk = callers.as_("unit")
    body = {
        **appeal_body("wo-c4", deduction="satisfaction"),
        "reason": "市民不满意系对政策本身，非办理原因",
        "evidence": [
            {"kind": "document", "ref": "坪城管函〔2026〕7号", "note": "情况说明"}
        ],
    }
    filed = (await clerk.post(f"/v1/assessment/cgj/{MARCH}/appeals", json=body)).json()

    await callers.as_("supervisor").post(
        f"/v1/assessment/appeals/{filed['appeal_id']}/decision",
        json={"outcome": "accepted", "reason": "回访录音证实"},
    )

    score = (await clerk.get(f"/v1/assessment/cgj/{MARCH}")).json()
    deductions = by_key(score["deductions"])
    assert (filed["indicator"], filed["contested_points"]) == ("satisfied", 10.0)
    assert numbers(deductions["satisfaction"]) == (1, 1, 0.0)
    assert [
        o["work_order_id"] for o in deductions["satisfaction"]["excluded_orders"]
    ] == ["wo-c4"]
    assert orders(deductions["feedback_quality"]) == ["wo-c4"]
    assert score["total"] == 77.75


async def test_analytics_a_refused_appeal_leaves_the_score(
    app_projector: Any, story: Callable[..., Any], callers: Callers
) -> None:
    await seed_march(app_projector, story)
    clerk = callers.as_("unit")
    center = callers.as_("operator")
    filed = (
        await clerk.post(
            f"/v1/assessment/cgj/{MARCH}/appeals",
            json={
                **appeal_body("wo-c3"),
                "evidence": [{"kind": "document", "ref": "情况说明"}],
            },
        )
    ).json()

    refused = await center.post(
        f"/v1/assessment/appeals/{filed['appeal_id']}/decision",
        json={"outcome": "refused", "reason": "未提供有效证据"},
    )
    again = await center.post(
        f"/v1/assessment/appeals/{filed['appeal_id']}/decision",
        json={"outcome": "refused", "reason": "未提供有效证据"},
    )
    overturned = await center.post(
        f"/v1/assessment/appeals/{filed['appeal_id']}/decision",
        json={"outcome": "accepted", "reason": "改判"},
    )
    second_try = await clerk.post(
        f"/v1/assessment/cgj/{MARCH}/appeals",
        json={**appeal_body("wo-c3"), "reason": "再次申诉"},
    )

    assert refused.status_code == 201
    assert (refused.json()["status"], refused.json()["resulting_version"]) == (
        "refused",
        1,
    )
    assert again.status_code == 200
    assert refusal(overturned) == (409, "appeal_already_decided")
    assert refusal(second_try) == (409, "appeal_exists")
    score = (await clerk.get(f"/v1/assessment/cgj/{MARCH}")).json()
    assert score["total"] == 67.75
    assert orders(by_key(score["deductions"])["on_time_closure"]) == ["wo-c2", "wo-c3"]
    history = (await clerk.get(f"/v1/assessment/cgj/{MARCH}/history")).json()
    assert [v["version"] for v in history["versions"]] == [1]
    assert history["appeals"][0]["status"] == "refused"


async def test_analytics_an_order_is_appealed_once_per_deduction(
    app_projector: Any, story: Callable[..., Any], callers: Callers
) -> None:
    await seed_march(app_projector, story)
    clerk = callers.as_("unit")
    await clerk.post(f"/v1/assessment/cgj/{MARCH}/appeals", json=appeal_body("wo-c2"))

    overlapping = await clerk.post(
        f"/v1/assessment/cgj/{MARCH}/appeals",
        json={
            **appeal_body("wo-c3", "wo-c2"),
            "evidence": [{"kind": "document", "ref": "x"}],
        },
    )

    assert overlapping.status_code == 409
    assert overlapping.json()["error"] == {
        "code": "order_already_appealed",
        "message": overlapping.json()["error"]["message"],
        "field": "work_order_ids[1]",
    }


async def test_analytics_a_unit_cannot_appeal_or_read_another_units_score(
    app_projector: Any, story: Callable[..., Any], callers: Callers
) -> None:
    """The unit wall (Art. 41): zjj neither appeals cgj's deductions nor reads its
    score, history or appeals (404, as if missing); cgj cannot slip zjj's order
    into its own appeal; the center files no appeal, a leader decides none."""
    await seed_march(app_projector, story)
    zjj = callers.as_("unit_zjj")
    cgj = callers.as_("unit")
    filed = (
        await cgj.post(f"/v1/assessment/cgj/{MARCH}/appeals", json=appeal_body("wo-c2"))
    ).json()

    answers = {
        "appeal": await zjj.post(
            f"/v1/assessment/cgj/{MARCH}/appeals", json=appeal_body("wo-c2")
        ),
        "score": await zjj.get(f"/v1/assessment/cgj/{MARCH}"),
        "history": await zjj.get(f"/v1/assessment/cgj/{MARCH}/history"),
        "appeal_read": await zjj.get(f"/v1/assessment/appeals/{filed['appeal_id']}"),
        "appeals_of_cgj": await zjj.get(
            "/v1/assessment/appeals", params={"unit": "cgj"}
        ),
    }
    own_list = await zjj.get("/v1/assessment/appeals")
    smuggled = await cgj.post(
        f"/v1/assessment/cgj/{MARCH}/appeals",
        json={**appeal_body("wo-z1"), "evidence": [{"kind": "document", "ref": "x"}]},
    )
    by_center = await callers.as_("operator").post(
        f"/v1/assessment/cgj/{MARCH}/appeals", json=appeal_body("wo-c3")
    )
    by_leader = await callers.as_("leader").post(
        f"/v1/assessment/appeals/{filed['appeal_id']}/decision",
        json={"outcome": "accepted", "reason": "x"},
    )
    ranking = await cgj.get("/v1/assessment", params={"period": MARCH})

    for name, answer in answers.items():
        assert answer.status_code == 404, name
    assert own_list.json() == {"items": [], "total": 0}
    assert refusal(smuggled) == (422, "order_not_deducted")
    assert by_center.status_code == 403
    assert by_leader.status_code == 403
    assert ranking.status_code == 403


async def test_analytics_evidence_must_be_of_the_appealed_orders(
    app_projector: Any, story: Callable[..., Any], callers: Callers
) -> None:
    """c1's SMS proves nothing about c2; an export names the order it exports."""
    await seed_march(app_projector, story)
    clerk = callers.as_("unit")

    notice = await clerk.post(
        f"/v1/assessment/cgj/{MARCH}/appeals",
        json={
            **appeal_body("wo-c2"),
            "evidence": [{"kind": "notice", "ref": "nt-1-c1"}],
        },
    )
    export = await clerk.post(
        f"/v1/assessment/cgj/{MARCH}/appeals",
        json={
            **appeal_body("wo-c2"),
            "evidence": [
                {"kind": "document", "ref": "x"},
                {"kind": "evidence_export", "ref": "wo-c1"},
            ],
        },
    )

    assert refusal(notice, "field") == (422, "evidence[0].ref")
    assert refusal(export) == (422, "evidence_not_of_appeal")
    assert export.json()["error"]["field"] == "evidence[1].ref"


async def test_analytics_appeals_close_with_the_appeal_period(
    app_projector: Any, story: Callable[..., Any], callers: Callers, clock: SharedClock
) -> None:
    """Art. 35: within the appeal period the center sets (10 days after March)."""
    await seed_march(app_projector, story)
    clock.set_now(datetime(2026, 4, 10, 16, 0, tzinfo=UTC))  # 11 April, 00:00 Shanghai

    late = await callers.as_("unit").post(
        f"/v1/assessment/cgj/{MARCH}/appeals", json=appeal_body("wo-c2")
    )

    assert refusal(late) == (409, "appeal_period_over")


async def test_analytics_publishing_keeps_one_version_per_unit_once(
    app_projector: Any, story: Callable[..., Any], callers: Callers
) -> None:
    """The center publishes March (考核通报): a version per unit; publishing again
    with nothing changed keeps them."""
    await seed_march(app_projector, story)
    center = callers.as_("operator")

    first = await center.post(f"/v1/assessment/{MARCH}/versions")
    again = await center.post(f"/v1/assessment/{MARCH}/versions")
    span = await center.post("/v1/assessment/2026-03-01..2026-03-08/versions")

    assert first.status_code == 200, first.text
    lines = {line["unit_id"]: line for line in first.json()["items"]}
    assert len(lines) == ASSESSED
    assert lines["cgj"] == {"unit_id": "cgj", "version": 1, "new": True}
    assert all(not line["new"] for line in again.json()["items"])
    assert refusal(span) == (422, "period_not_assessed")
    history = (await center.get(f"/v1/assessment/cgj/{MARCH}/history")).json()
    assert [(v["trigger"], v["total"]) for v in history["versions"]] == [
        ("published", 67.75)
    ]


# Who may call what.

EVERYONE = ("operator", "supervisor", "leader", "dashboard", "unit", "channel")
# Route → the roles whose scope lets them in; every other role gets 403.
ACCESS: dict[tuple[str, str], set[str]] = {
    ("GET", "/v1/assessment"): {"operator", "supervisor", "leader", "dashboard"},
    ("GET", "/v1/assessment/plan"): {
        "operator",
        "supervisor",
        "leader",
        "dashboard",
        "unit",
    },
    ("GET", "/v1/assessment/appeals"): {
        "operator",
        "supervisor",
        "leader",
        "dashboard",
        "unit",
    },
    ("GET", f"/v1/assessment/cgj/{MARCH}"): {
        "operator",
        "supervisor",
        "leader",
        "dashboard",
        "unit",
    },
    ("GET", f"/v1/assessment/cgj/{MARCH}/history"): {
        "operator",
        "supervisor",
        "leader",
        "dashboard",
        "unit",
    },
    ("POST", f"/v1/assessment/cgj/{MARCH}/appeals"): {"unit"},
    ("POST", "/v1/assessment/appeals/a-1/decision"): {"operator", "supervisor"},
    ("POST", "/v1/assessment/commendations"): {"operator", "supervisor"},
    ("POST", "/v1/assessment/fallbacks"): {"operator", "supervisor"},
    ("POST", f"/v1/assessment/{MARCH}/versions"): {"operator", "supervisor"},
}


async def test_analytics_each_assessment_route_lets_in_exactly_its_callers(
    callers: Callers,
) -> None:
    """Readers of analytics read every score; a unit its own (the unit key is
    cgj's) and appeals; only the center decides, commends and publishes. A caller
    let in may still be refused for what it sent (an empty body: 422)."""
    clients = {role: callers.as_(role) for role in EVERYONE}

    for (method, path), allowed in ACCESS.items():
        for role, client in clients.items():
            answer = await client.request(method, path, json={})

            if role in allowed:
                assert answer.status_code not in (401, 403), (method, path, role)
            else:
                assert answer.status_code == 403, (method, path, role)
                assert answer.json()["error"]["code"] == "forbidden"


# On both stores.


async def test_analytics_an_appeal_decided_on_each_store(
    store_projector: Any, store: Any, story: Callable[..., Any]
) -> None:
    """The same March on SQLite and PostgreSQL: 67.75, the appeal on c2 accepted
    through the service, 71.92, both versions kept."""
    await seed_march(store_projector, story)
    assessor = april_assessor()
    march = periods.parse(MARCH)
    clerk = Principal(subject="key-cgj", role=Role.UNIT, unit_id="cgj")
    operator = Principal(subject="key-op", role=Role.OPERATOR)

    async with store() as session:
        before = await service.unit_score(
            session=session, assessor=assessor, period=march, unit_id="cgj"
        )
        appeal, _ = await service.file_appeal(
            session=session,
            assessor=assessor,
            period=march,
            unit_id="cgj",
            incoming=AppealIn.model_validate(appeal_body("wo-c2")),
            principal=clerk,
        )
    async with store() as session:
        await service.decide(
            session=session,
            assessor=assessor,
            appeal_id=appeal.appeal_id,
            incoming=DecisionIn(outcome="accepted", reason="证据充分"),
            principal=operator,
        )
    async with store() as session:
        after = await service.unit_score(
            session=session, assessor=assessor, period=march, unit_id="cgj"
        )
        history = await service.history(
            session=session, assessor=assessor, period=march, unit_id="cgj"
        )

    assert (before.total, after.total) == (67.75, 71.92)
    assert [(v.version, v.total) for v in history.versions] == [
        (1, 67.75),
        (2, 71.92),
    ]
    assert history.appeals[0].status == "accepted"
    assert after.latest_version_current is True


# Bad input.

BAD_READS: list[tuple[str, dict[str, str], int, str, str]] = [
    ("/v1/assessment/cgj/2026-13", {}, 422, "invalid_period", "period"),
    ("/v1/assessment/cgj/2026-03-05..2026-03-01", {}, 422, "invalid_period", "period"),
    ("/v1/assessment/cgj/0001", {}, 422, "invalid_period", "period"),
    ("/v1/assessment/center/2026-03", {}, 404, "unit_not_assessed", "unit"),
    ("/v1/assessment", {"period": "March"}, 422, "invalid_period", "period"),
    ("/v1/assessment", {"from": "2026-03-01"}, 422, "invalid_period", "to"),
    (
        "/v1/assessment",
        {"period": MARCH, "from": "2026-03-01", "to": "2026-04-01"},
        422,
        "invalid_period",
        "period",
    ),
    ("/v1/assessment", {"period": "2019-05"}, 422, "no_plan_in_force", "period"),
    (
        "/v1/assessment",
        {"period": MARCH, "unit": "x"},
        404,
        "unit_not_assessed",
        "unit",
    ),
]


async def test_analytics_a_bad_period_or_unit_is_refused_clearly(
    callers: Callers,
) -> None:
    center = callers.as_("operator")

    for path, params, status, code, field in BAD_READS:
        answer = await center.get(path, params=params)

        assert answer.status_code == status, (path, params, answer.text)
        assert answer.json()["error"]["code"] == code, (path, params)
        assert answer.json()["error"]["field"] == field, (path, params)
        assert answer.json()["error"]["message"]


BAD_APPEALS: list[tuple[dict[str, Any], int, str, str]] = [
    ({"deduction": "courtesy"}, 422, "unknown_deduction", "deduction"),
    ({"work_order_ids": ["wo-c1"]}, 422, "order_not_deducted", "work_order_ids[0]"),
    ({"work_order_ids": []}, 422, "invalid_request", "body.work_order_ids"),
    ({"work_order_ids": ["wo c2"]}, 422, "invalid_request", "body.work_order_ids.0"),
    ({"evidence": []}, 422, "invalid_request", "body.evidence"),
    ({"reason": ""}, 422, "invalid_request", "body.reason"),
    ({"surprise": 1}, 422, "invalid_request", "body.surprise"),
]


async def test_analytics_a_bad_appeal_or_decision_is_refused_clearly(
    app_projector: Any, story: Callable[..., Any], callers: Callers
) -> None:
    await seed_march(app_projector, story)
    clerk = callers.as_("unit")

    for change, status, code, field in BAD_APPEALS:
        answer = await clerk.post(
            f"/v1/assessment/cgj/{MARCH}/appeals",
            json={**appeal_body("wo-c2"), **change},
        )

        assert answer.status_code == status, (change, answer.text)
        assert answer.json()["error"]["code"] == code, change
        assert answer.json()["error"]["field"] == field, change

    on_a_span = await clerk.post(
        "/v1/assessment/cgj/2026-03-01..2026-03-08/appeals", json=appeal_body("wo-c2")
    )
    # zjj lost nothing in March: nothing to contest.
    nothing = await callers.as_("unit_zjj").post(
        f"/v1/assessment/zjj/{MARCH}/appeals",
        json={**appeal_body("wo-z1"), "evidence": [{"kind": "document", "ref": "x"}]},
    )
    no_appeal = await callers.as_("operator").post(
        "/v1/assessment/appeals/nope/decision",
        json={"outcome": "accepted", "reason": "x"},
    )
    no_outcome = await callers.as_("operator").post(
        "/v1/assessment/appeals/nope/decision",
        json={"outcome": "maybe", "reason": "x"},
    )

    assert refusal(on_a_span) == (422, "period_not_assessed")
    assert refusal(nothing) == (409, "nothing_deducted")
    assert refusal(no_appeal) == (404, "appeal_not_found")
    assert refusal(no_outcome, "field") == (422, "body.outcome")


BAD_COMMENDATIONS: list[tuple[dict[str, Any], str, str]] = [
    ({"unit_id": "center"}, "unknown_unit", "unit_id"),
    ({"level": "galactic"}, "unknown_bonus_kind", "level"),
    ({"awarded_on": "2026-04-04"}, "awarded_in_future", "awarded_on"),
    ({"awarded_on": "2019-01-01"}, "no_plan_in_force", "awarded_on"),
    ({"reason": "  "}, "invalid_request", "body.reason"),
]


async def test_analytics_a_bad_commendation_is_refused_clearly(
    callers: Callers,
) -> None:
    center = callers.as_("operator")
    valid = {
        "unit_id": "cgj",
        "level": "district",
        "reason": "表扬",
        "awarded_on": "2026-03-02",
    }

    for change, code, field in BAD_COMMENDATIONS:
        answer = await center.post(
            "/v1/assessment/commendations", json={**valid, **change}
        )

        assert answer.status_code == 422, (change, answer.text)
        assert answer.json()["error"]["code"] == code, change
        assert answer.json()["error"]["field"] == field, change
    by_unit = await callers.as_("unit").post("/v1/assessment/commendations", json=valid)
    assert by_unit.status_code == 403


# Periods.


@pytest.mark.parametrize(
    ("key", "first", "end"),
    [
        ("2026", date(2026, 1, 1), date(2027, 1, 1)),
        ("2026-H2", date(2026, 7, 1), date(2027, 1, 1)),
        ("2026-Q4", date(2026, 10, 1), date(2027, 1, 1)),
        ("2026-12", date(2026, 12, 1), date(2027, 1, 1)),
        ("2026-02-27..2026-03-02", date(2026, 2, 27), date(2026, 3, 2)),
    ],
)
def test_analytics_period_keys_name_their_days(
    key: str, first: date, end: date
) -> None:
    period = periods.parse(key)

    assert (period.first_day, period.end_day) == (first, end)
    assert periods.span(first, end).key == key


# OpenAPI.


async def test_analytics_the_assessment_api_is_documented(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    paths = document["paths"]

    assert set(paths["/v1/assessment/{unit_id}/{period}/appeals"]) == {"post"}
    appeal = paths["/v1/assessment/{unit_id}/{period}/appeals"]["post"]
    assert "Art. 35" in appeal["description"]
    assert {"201", "200", "404", "409", "422"} <= set(appeal["responses"])
    for path in (
        "/v1/assessment",
        "/v1/assessment/plan",
        "/v1/assessment/{unit_id}/{period}",
        "/v1/assessment/{unit_id}/{period}/history",
        "/v1/assessment/appeals",
        "/v1/assessment/appeals/{appeal_id}/decision",
        "/v1/assessment/commendations",
        "/v1/assessment/fallbacks",
        "/v1/assessment/{period}/versions",
    ):
        assert path in paths, path
    assert "DeductionOut" in document["components"]["schemas"]


# Appeals belong to a month (Art. 35).

# 20 April 2026 in Shanghai: March's appeal period ended on 10 April.
APRIL_20 = datetime(2026, 4, 20, 2, 0, tzinfo=UTC)


def document_appeal(*work_order_ids: str) -> dict[str, Any]:
    return {
        **appeal_body(*work_order_ids),
        "evidence": [{"kind": "document", "ref": "x"}],
    }


async def test_analytics_a_longer_period_is_no_way_around_the_months_appeal_period(
    app_projector: Any, story: Callable[..., Any], callers: Callers, clock: SharedClock
) -> None:
    """March's deductions are appealed on March, within March's appeal period: the
    year, half-year or quarter holding March takes no appeal, in time or late, so
    March's score cannot change after its period through them."""
    await seed_march(app_projector, story)
    clerk = callers.as_("unit")
    center = callers.as_("operator")

    in_time = await clerk.post(
        "/v1/assessment/cgj/2026-Q1/appeals", json=document_appeal("wo-c2")
    )
    clock.set_now(APRIL_20)
    before = (await center.get(f"/v1/assessment/cgj/{MARCH}")).json()
    month = await clerk.post(
        f"/v1/assessment/cgj/{MARCH}/appeals", json=document_appeal("wo-c3")
    )
    longer = {
        key: await clerk.post(
            f"/v1/assessment/cgj/{key}/appeals", json=document_appeal("wo-c3")
        )
        for key in ("2026", "2026-H1", "2026-Q1")
    }
    after = (await center.get(f"/v1/assessment/cgj/{MARCH}")).json()

    assert refusal(in_time) == (422, "period_not_appealed")
    assert refusal(month) == (409, "appeal_period_over")
    for key, answer in longer.items():
        assert answer.status_code == 422, key
        assert answer.json()["error"] == {
            "code": "period_not_appealed",
            "message": answer.json()["error"]["message"],
            "field": "period",
        }
    assert after["total"] == before["total"] == 67.75
    appeals = (await center.get("/v1/assessment/appeals")).json()
    assert appeals["total"] == 0
    quarter = (await center.get("/v1/assessment/cgj/2026-Q1")).json()
    assert quarter["appeal_until"] is None
    assert all(
        order["appeal_until"] is None
        for deduction in quarter["deductions"]
        for order in deduction["orders"]
    )


async def test_analytics_an_accepted_appeal_keeps_a_version_of_every_period_it_changes(
    app_projector: Any, story: Callable[..., Any], callers: Callers
) -> None:
    """Accepted, c2 leaves on-time closure in every period: the quarter, half-year
    and year holding March change with March (67.75 → 71.92) and each keeps the new
    score as a version naming the appeal."""
    await seed_march(app_projector, story)
    clerk = callers.as_("unit")
    center = callers.as_("operator")
    await center.post("/v1/assessment/2026-Q1/versions")
    filed = (
        await clerk.post(
            f"/v1/assessment/cgj/{MARCH}/appeals", json=appeal_body("wo-c2")
        )
    ).json()

    await center.post(
        f"/v1/assessment/appeals/{filed['appeal_id']}/decision",
        json={"outcome": "accepted", "reason": "证据充分"},
    )

    histories = {
        key: (await center.get(f"/v1/assessment/cgj/{key}/history")).json()
        for key in (MARCH, "2026-Q1", "2026-H1", "2026")
    }
    lines = {
        key: [(v["trigger"], v["trigger_ref"], v["total"]) for v in history["versions"]]
        for key, history in histories.items()
    }
    accepted = ("appeal_accepted", filed["appeal_id"], 71.92)
    assert lines == {
        MARCH: [("appeal_filed", filed["appeal_id"], 67.75), accepted],
        "2026-Q1": [("published", None, 67.75), accepted],
        "2026-H1": [accepted],
        "2026": [accepted],
    }
    quarter = (await center.get("/v1/assessment/cgj/2026-Q1")).json()
    assert quarter["latest_version_current"] is True


def late_order(story: Callable[..., Any], name: str) -> list[Step]:
    """An appeal received on 31 March whose handling deadline is reached on 21
    April, after March's appeal period: its on-time deduction appears then."""
    received = (datetime(2026, 3, 31, 2, 0, tzinfo=UTC) - story.at(0)).total_seconds()
    late = story(name, received=received / 60)
    due = datetime(2026, 4, 21, 2, 0, tzinfo=UTC)
    reached = DeadlineReached(
        deadline_id=f"dl-handling-{late.appeal_id}",
        work_order_id=late.work_order_id,
        appeal_id=late.appeal_id,
        unit_id=late.unit_id,
        kind="handling",
        due_at=due,
        reached_at=due,
    )
    return [
        late.appeal_received(),
        late.appeal_filed(),
        late.dispatched(),
        (reached, due),
    ]


async def test_analytics_a_deduction_appearing_after_the_appeal_period_has_its_own(
    app_projector: Any, story: Callable[..., Any], callers: Callers, clock: SharedClock
) -> None:
    """Art. 35: no deduction is beyond appeal from the moment it appears. Two March
    orders become overdue on 21 April; each may be appealed until the end of the
    10th day after that (2 May 00:00 in Shanghai), while c2, overdue in March,
    stays closed to appeal with March."""
    await seed_march(app_projector, story)
    await app_projector.apply_all(
        late_order(story, "late-1") + late_order(story, "late-2")
    )
    clerk = callers.as_("unit")
    clock.set_now(datetime(2026, 4, 22, 2, 0, tzinfo=UTC))

    score = (await clerk.get(f"/v1/assessment/cgj/{MARCH}")).json()
    old = await clerk.post(
        f"/v1/assessment/cgj/{MARCH}/appeals", json=document_appeal("wo-c2")
    )
    new = await clerk.post(
        f"/v1/assessment/cgj/{MARCH}/appeals", json=document_appeal("wo-late-1")
    )
    clock.set_now(datetime(2026, 5, 1, 16, 0, tzinfo=UTC))
    too_late = await clerk.post(
        f"/v1/assessment/cgj/{MARCH}/appeals", json=document_appeal("wo-late-2")
    )

    on_time = by_key(score["deductions"])["on_time_closure"]
    until = {
        order["work_order_id"]: order["appeal_until"] for order in on_time["orders"]
    }
    assert until == {
        "wo-c2": "2026-04-10T16:00:00Z",
        "wo-c3": "2026-04-10T16:00:00Z",
        "wo-late-1": "2026-05-01T16:00:00Z",
        "wo-late-2": "2026-05-01T16:00:00Z",
    }
    assert score["appeal_until"] == "2026-04-10T16:00:00Z"
    assert refusal(old, "field") == (409, "period")
    assert old.json()["error"]["code"] == "appeal_period_over"
    assert new.status_code == 201, new.text
    assert new.json()["work_order_ids"] == ["wo-late-1"]
    assert too_late.status_code == 409
    assert too_late.json()["error"]["code"] == "appeal_period_over"
    assert too_late.json()["error"]["field"] == "work_order_ids[0]"


# Publishing and history.


async def test_analytics_a_period_is_published_once_it_has_ended(
    app_projector: Any, story: Callable[..., Any], callers: Callers
) -> None:
    """On 3 April, March is over; April, the second quarter and the year are not
    (Art. 40: the assessment notice reports a period past)."""
    await seed_march(app_projector, story)
    center = callers.as_("operator")

    answers = {
        key: await center.post(f"/v1/assessment/{key}/versions")
        for key in (MARCH, "2026-04", "2026-Q2", "2026", "2027-01")
    }

    assert answers[MARCH].status_code == 200
    for key in ("2026-04", "2026-Q2", "2026", "2027-01"):
        assert answers[key].status_code == 409, key
        assert answers[key].json()["error"]["code"] == "period_not_over"
        assert answers[key].json()["error"]["field"] == "period"
    history = (await center.get("/v1/assessment/cgj/2026/history")).json()
    assert history["versions"] == []


async def test_analytics_the_history_of_a_unit_not_scored_is_404_as_its_score(
    app_projector: Any, story: Callable[..., Any], callers: Callers
) -> None:
    """A unit the reference data does not know is scored only from its orders:
    with none in the period, its history answers 404 as its score does."""
    await seed_march(app_projector, story)
    await app_projector.apply_all(order_events(story("n1", unit_id="newunit")))
    center = callers.as_("operator")

    unknown = await center.get(f"/v1/assessment/nobody/{MARCH}/history")
    unknown_score = await center.get(f"/v1/assessment/nobody/{MARCH}")
    from_orders = await center.get(f"/v1/assessment/newunit/{MARCH}/history")
    no_orders_then = await center.get("/v1/assessment/newunit/2026-02/history")

    for answer in (unknown, unknown_score, no_orders_then):
        assert answer.status_code == 404, answer.text
        assert answer.json()["error"]["code"] == "unit_not_assessed"
    assert from_orders.status_code == 200
    assert from_orders.json()["versions"] == []


# Text as sent and kept.

# Each schema, a valid body, and its free-text fields, each with whether text of
# invisible characters only is refused (required) or left empty (an optional note).
FREE_TEXT: list[tuple[type[Any], dict[str, Any], dict[str, bool]]] = [
    (AppealIn, appeal_body("wo-c2"), {"reason": True}),
    (DecisionIn, {"outcome": "accepted", "reason": "x"}, {"reason": True}),
    (
        CommendationIn,
        {"unit_id": "cgj", "level": "district", "reason": "x", "reference": "x"},
        {"reason": True, "reference": True},
    ),
    (
        FallbackIn,
        {
            "unit_id": "cgj",
            "work_order_id": "wo-c1",
            "kind": "territorial",
            "reason": "x",
        },
        {"reason": True},
    ),
    (
        EvidenceRef,
        {"kind": "document", "ref": "x", "note": "x"},
        {"ref": True, "note": False},
    ),
]


@pytest.mark.parametrize(("schema", "valid", "fields"), FREE_TEXT)
def test_analytics_free_text_loses_what_no_one_sees_and_no_store_holds(
    schema: type[Any], valid: dict[str, Any], fields: dict[str, bool]
) -> None:
    """NUL (which PostgreSQL refuses in text), escapes and zero-width or
    bidirectional marks leave every free-text field; a required text of nothing
    else is refused as empty."""
    for name, required in fields.items():
        kept = schema.model_validate({**valid, name: "坪\x00城\u200b管\x1b函\u202e7号"})
        assert getattr(kept, name) == "坪城管函7号", name

        if required:
            with pytest.raises(ValidationError) as refused:
                schema.model_validate({**valid, name: "\x00\u200b\x1b"})
            assert refused.value.errors()[0]["loc"] == (name,)
        else:
            empty = schema.model_validate({**valid, name: "\x00\u200b\x1b"})
            assert getattr(empty, name) == ""


async def test_analytics_a_reason_with_invisible_characters_is_kept_without_them(
    store_projector: Any, store: Any, story: Callable[..., Any]
) -> None:
    """On SQLite and PostgreSQL: an appeal, its decision and a commendation whose
    texts hold a NUL are recorded, without it."""
    await seed_march(store_projector, story)
    assessor = april_assessor()
    clerk = Principal(subject="key-cgj", role=Role.UNIT, unit_id="cgj")
    operator = Principal(subject="key-op", role=Role.OPERATOR)
    body = {
        **appeal_body("wo-c2"),
        "reason": "市民失联\x00，非本单位原因",
        "evidence": [{"kind": "document", "ref": "情况说明", "note": "附\x00件"}],
    }

    async with store() as session:
        appeal, _ = await service.file_appeal(
            session=session,
            assessor=assessor,
            period=periods.parse(MARCH),
            unit_id="cgj",
            incoming=AppealIn.model_validate(body),
            principal=clerk,
        )
    async with store() as session:
        decided, _ = await service.decide(
            session=session,
            assessor=assessor,
            appeal_id=appeal.appeal_id,
            incoming=DecisionIn.model_validate(
                {"outcome": "refused", "reason": "证据\x00不足"}
            ),
            principal=operator,
        )
    async with store() as session:
        award, _ = await service.commend(
            session=session,
            assessor=assessor,
            incoming=CommendationIn.model_validate(
                {"unit_id": "cgj", "level": "district", "reason": "表\x00扬"}
            ),
            principal=operator,
        )

    assert (appeal.reason, appeal.evidence[0]["note"]) == (
        "市民失联，非本单位原因",
        "附件",
    )
    assert decided.decision_reason == "证据不足"
    assert award.reason == "表扬"


# Lists and keys.


async def test_analytics_an_offset_past_any_list_of_appeals_is_refused_by_name(
    callers: Callers,
) -> None:
    answer = await callers.as_("operator").get(
        "/v1/assessment/appeals", params={"offset": str(2**63)}
    )

    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "query.offset"


@pytest.mark.parametrize(
    ("key", "read"),
    [
        ("２０２６－０３", "2026-03"),
        ("２０２６-Ｑ１", "2026-Q1"),
        ("２０２６-Ｈ２", "2026-H2"),
        ("２０２６", "2026"),
        ("２０２６-03-01..2026-03-08", "2026-03-01..2026-03-08"),
    ],
)
def test_analytics_a_period_typed_in_full_width_is_read_as_ascii(
    key: str, read: str
) -> None:
    assert periods.parse(key).key == read


@pytest.mark.parametrize("key", ["٢٠٢٦", "२०२६-03", "2026-٠٣", "𝟐𝟎𝟐𝟔", "2026-q1"])
def test_analytics_digits_of_other_scripts_name_no_period(key: str) -> None:
    with pytest.raises(InvalidPeriod):
        periods.parse(key)


async def test_analytics_a_full_width_period_is_kept_under_its_ascii_key(
    app_projector: Any, story: Callable[..., Any], callers: Callers
) -> None:
    await seed_march(app_projector, story)
    center = callers.as_("operator")

    published = await center.post("/v1/assessment/２０２６－０３/versions")
    score = await center.get("/v1/assessment/cgj/２０２６-０３")
    history = (await center.get(f"/v1/assessment/cgj/{MARCH}/history")).json()

    assert published.json()["period"]["key"] == MARCH
    assert score.json()["period"]["key"] == MARCH
    assert [v["trigger"] for v in history["versions"]] == ["published"]


# The same request at the same moment (PostgreSQL).


@pytest.fixture
def pg_url(create_database: Callable[[str], str]) -> str:
    # A plain fixture: the factory runs its own event loop.
    return create_database("assessment")


@pytest.fixture
async def pg_app(
    settings: AnalyticsSettings, credentials: Any, pg_url: str
) -> AsyncIterator[FastAPI]:
    application = create_app(settings.model_copy(update={"database_url": pg_url}))
    async with application.router.lifespan_context(application):
        yield application


async def test_analytics_the_same_post_at_the_same_moment_is_recorded_once(
    pg_app: FastAPI, projector: Any, story: Callable[..., Any], credentials: Any
) -> None:
    """Four copies of one appeal and two of one commendation sent at once: one is
    recorded (201), the others answer with it (200), as a copy sent later does."""
    await seed_march(type(projector)(pg_app.state.runtime.sessions), story)
    callers = Callers(pg_app, credentials.keys)
    try:
        clerk = callers.as_("unit")
        center = callers.as_("operator")
        body = document_appeal("wo-c2")
        commendation = {"unit_id": "cgj", "level": "district", "reason": "表扬"}

        appeals = await asyncio.gather(
            *[
                clerk.post(f"/v1/assessment/cgj/{MARCH}/appeals", json=body)
                for _ in range(4)
            ]
        )
        awards = await asyncio.gather(
            *[
                center.post("/v1/assessment/commendations", json=commendation)
                for _ in range(2)
            ]
        )
        listed = (await center.get("/v1/assessment/appeals")).json()
    finally:
        await callers.close()

    assert sorted(a.status_code for a in appeals) == [200, 200, 200, 201]
    assert len({a.json()["appeal_id"] for a in appeals}) == 1
    assert listed["total"] == 1
    assert sorted(a.status_code for a in awards) == [200, 201]
    assert len({a.json()["award_id"] for a in awards}) == 1
