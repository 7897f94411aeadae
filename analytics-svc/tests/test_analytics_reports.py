"""Periodic reports (Art. 40): period boundaries in Asia/Shanghai, the numbers of a
seeded history worked out by hand, compilation at a period's end and on demand, each
format opened and read back, and the errors a caller can make."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import dataclasses
import io
from collections.abc import Callable
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import httpx
import openpyxl
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_analytics import report_periods, report_repository, reports
from minsheng_analytics.report_errors import InvalidPeriod
from minsheng_analytics.report_periods import Period
from minsheng_analytics.report_schemas import PeriodicReport
from minsheng_analytics.service import AnalyticsContext
from minsheng_common.clock import FixedClock
from minsheng_common.events import (
    DeadlineReached,
    EventData,
    WarningRaised,
    WorkOrderClosed,
    WorkOrderDispatched,
    WorkOrderReopened,
)
from minsheng_common.reference import load_reference
from minsheng_common.rules import load_rule_book
from minsheng_common.timeutil import SHANGHAI

Step = tuple[EventData, datetime]

# The stories' clock starts on Monday 2 March 2026, 09:00 in Shanghai (conftest T0).
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
WEEK = date(2026, 3, 2)
DELAY = timedelta(minutes=10)
FORMULA_TITLE = "=1+2 河道发臭"
SCRIPT_TITLE = "<script>alert(1)</script>路灯不亮"

CGJ = "区城市管理和综合执法局"
SWJ = "区水务局"
JTJ = "区交通运输局"


def sh(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall-clock time of 2026 in Shanghai."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def minutes(moment: datetime) -> float:
    return (moment - T0).total_seconds() / 60


def changed(step: Step, **update: Any) -> Step:
    data, at = step
    return data.model_copy(update=update), at


class Appeal:
    """One appeal of the history and its work order, at Shanghai wall-clock times."""

    def __init__(
        self,
        story: Callable[..., Any],
        name: str,
        received: datetime,
        *,
        title: str = "垃圾桶满了没人清理",
        unit: str = "cgj",
        appeal_type: str = "complaint",
    ) -> None:
        self.story = story(
            name,
            received=minutes(received),
            title=title,
            unit_id=unit,
            appeal_type=appeal_type,
        )
        self.ids = {
            "work_order_id": self.story.work_order_id,
            "appeal_id": self.story.appeal_id,
            "unit_id": self.story.unit_id,
        }

    def received(self, hint: str = "city-sanitation") -> Step:
        return changed(self.story.appeal_received(), category_hint=hint)

    def filed(
        self, category: str, subdistrict: str, cluster: str, level: int = 3
    ) -> list[Step]:
        filed = self.story.appeal_filed(level=level, cluster_id=cluster)
        return [
            self.received(category),
            changed(filed, category_id=category, subdistrict_id=subdistrict),
        ]

    def dispatched(self) -> Step:
        return self.story.dispatched()

    def handling(self, due: datetime, *, reached: bool) -> list[Step]:
        steps = [self.story.deadline_set("handling", due=due)]
        if reached:
            event = DeadlineReached(
                deadline_id=f"dl-handling-{self.story.appeal_id}",
                **self.ids,
                kind="handling",
                due_at=due,
                reached_at=due,
            )
            steps.append((event, due))
        return steps

    def closed(self, at: datetime, outcome: str = "on_time") -> Step:
        event = WorkOrderClosed(
            **self.ids,
            outcome=outcome,
            handled_at=at - timedelta(hours=1),
            closed_at=at,
            closed_by="operator",
        )
        return event, at

    def reopened(self, at: datetime, second_round: str) -> list[Step]:
        reopened = WorkOrderReopened(
            **self.ids, round=2, reason="回访不满意", reopened_at=at, reopened_by="op"
        )
        dispatched, _ = self.story.dispatched()
        assert isinstance(dispatched, WorkOrderDispatched)
        later = at + timedelta(minutes=30)
        again = dispatched.model_copy(
            update={
                "work_order_id": second_round,
                "round": 2,
                "created_at": later,
                "dispatched_at": later,
            }
        )
        return [(reopened, at), (again, later)]


def warning(
    warning_id: str,
    kind: str,
    cluster: str | None,
    appeals: list[str],
    subdistrict: str,
    count: int,
    at: datetime,
    window: int | None = None,
) -> Step:
    event = WarningRaised(
        warning_id=warning_id,
        kind=kind,
        cluster_id=cluster,
        appeal_ids=appeals,
        subdistrict_id=subdistrict,
        count=count,
        window_hours=window,
        raised_at=at,
    )
    return event, at


def history(story: Callable[..., Any]) -> list[Step]:
    """The week of Monday 2 March 2026 (Shanghai) and the one before it.

    Before: p1 (closed Sat 28 Feb, cluster c-1), p2 (jtj, overdue since Thu 5 Mar),
    p3 (rejected Sun 1 Mar 23:59, the previous week's last minute).
    The week: a1 (Mon 00:00, the first instant, c-1, closed Tue), a2 (c-1, level 1,
    overdue since Wed 4 Mar), a3 (c-2, closed overdue Thu, reopened Fri as a second
    round), a4 (c-3, due 20 Mar, closed Tue 10 Mar after the week), a5 (a
    consultation answered at once), a8 (c-2 again on Sat, after a3's closure), a6
    (rejected Sun 8 Mar 23:30). After: a7 (Mon 9 Mar 00:00, the next week's first
    instant). Warnings: a hotspot and a high-frequency one in the week, a sensitive
    one the week before, a hotspot the next Monday at 00:00.
    """
    p1 = Appeal(story, "p-1", sh(2, 27, 10))
    p2 = Appeal(story, "p-2", sh(2, 27, 11), unit="jtj", title="公交站台破损")
    p3 = Appeal(story, "p-3", sh(3, 1, 23, 59))
    a1 = Appeal(story, "a-1", sh(3, 2), title="小区门口垃圾堆积")
    a2 = Appeal(story, "a-2", sh(3, 2, 10), title=SCRIPT_TITLE)
    a3 = Appeal(story, "a-3", sh(3, 3, 9), unit="swj", title="河道发臭")
    a4 = Appeal(story, "a-4", sh(3, 4, 9), title="夜间施工噪音")
    a5 = Appeal(story, "a-5", sh(3, 5, 9), appeal_type="consultation")
    a8 = Appeal(story, "a-8", sh(3, 7, 9), unit="swj", title=FORMULA_TITLE)
    a6 = Appeal(story, "a-6", sh(3, 8, 23, 30))
    a7 = Appeal(story, "a-7", sh(3, 9))
    return [
        *p1.filed("city-sanitation", "kengzi-jd", "c-1"),
        p1.dispatched(),
        p1.closed(sh(2, 28, 10)),
        *p2.filed("transport", "pingshan-jd", "c-9"),
        p2.dispatched(),
        *p2.handling(sh(3, 5, 18), reached=True),
        p3.received(),
        p3.story.appeal_rejected(),
        *a1.filed("city-sanitation", "kengzi-jd", "c-1"),
        a1.dispatched(),
        a1.closed(sh(3, 3, 10)),
        *a2.filed("city-sanitation", "kengzi-jd", "c-1", level=1),
        a2.dispatched(),
        *a2.handling(sh(3, 4, 18), reached=True),
        *a3.filed("environment-water", "maluan-jd", "c-2"),
        a3.dispatched(),
        a3.closed(sh(3, 5, 10), outcome="overdue"),
        *a3.reopened(sh(3, 6, 9), "wo-a-3-r2"),
        *a4.filed("city-sanitation", "maluan-jd", "c-3"),
        a4.dispatched(),
        *a4.handling(sh(3, 20, 18), reached=False),
        a4.closed(sh(3, 10, 10)),
        a5.received("labour-social-security"),
        a5.story.appeal_answered(),
        *a8.filed("environment-water", "maluan-jd", "c-2"),
        a6.received("transport"),
        a6.story.appeal_rejected(),
        a7.received(),
        a7.story.appeal_rejected(),
        warning(
            "w-1", "hotspot", "c-1", ["a-1", "a-2"], "kengzi-jd", 5, sh(3, 3, 12), 24
        ),
        warning("w-2", "high_frequency", "c-3", ["a-4"], "maluan-jd", 3, sh(3, 4, 12)),
        warning("w-3", "sensitive", None, ["p-2"], "pingshan-jd", 1, sh(2, 27, 12)),
        warning("w-4", "hotspot", "c-1", ["a-1"], "kengzi-jd", 20, sh(3, 9), 72),
    ]


def context_at(moment: datetime) -> AnalyticsContext:
    return AnalyticsContext(
        reference=load_reference(),
        rule_book=load_rule_book(),
        clock=FixedClock(moment),
        refresh_seconds=10,
        recent=20,
    )


async def compiled(
    sessions: async_sessionmaker[AsyncSession], kind: str, first_day: date
) -> PeriodicReport:
    period = report_periods.starting(kind, first_day)  # type: ignore[arg-type]
    async with sessions() as session:
        return await reports.compile_report(
            session=session,
            context=context_at(period.ends_at + DELAY),
            period=period,
            trigger="demand",
            now=period.ends_at + DELAY,
        )


def by_key(items: list[Any]) -> dict[str, Any]:
    return {item.key: item for item in items}


# Period boundaries.


def test_reports_a_week_runs_from_monday_midnight_in_shanghai() -> None:
    week = report_periods.containing("weekly", date(2026, 3, 4))

    assert (week.first_day, week.last_day) == (date(2026, 3, 2), date(2026, 3, 8))
    assert week.starts_at == sh(3, 2)
    # 00:00 in Shanghai is 16:00 UTC the day before.
    assert week.starts_at.isoformat() == "2026-03-01T16:00:00+00:00"
    assert week.ends_at.isoformat() == "2026-03-08T16:00:00+00:00"
    assert week.previous().first_day == date(2026, 2, 23)
    assert week.label == "2026年第10周"


def test_reports_a_fortnight_is_half_a_month() -> None:
    first = report_periods.starting("fortnightly", date(2026, 3, 1))
    second = report_periods.starting("fortnightly", date(2026, 3, 16))

    assert (first.first_day, first.last_day) == (date(2026, 3, 1), date(2026, 3, 15))
    assert (second.first_day, second.last_day) == (
        date(2026, 3, 16),
        date(2026, 3, 31),
    )
    assert first.previous() == Period(
        "fortnightly", date(2026, 2, 16), date(2026, 3, 1)
    )
    assert second.label == "2026年3月下半月"


def test_reports_quarterly_reports_cover_q1_and_q3_only() -> None:
    q1 = report_periods.starting("quarterly", date(2026, 1, 1))
    q3 = report_periods.starting("quarterly", date(2026, 7, 1))

    assert (q1.first_day, q1.last_day, q1.label) == (
        date(2026, 1, 1),
        date(2026, 3, 31),
        "2026年第一季度",
    )
    assert q3.next_day == date(2026, 10, 1)
    # Trends compare Q1 with the quarter just before, though it has no report.
    assert q1.previous().label == "2025年第四季度"
    for not_reported in (date(2026, 4, 1), date(2026, 10, 1)):
        with pytest.raises(InvalidPeriod, match="Q1"):
            report_periods.starting("quarterly", not_reported)


def test_reports_a_day_that_starts_no_period_is_refused_naming_the_right_one() -> None:
    with pytest.raises(InvalidPeriod, match="2026-03-02") as refused:
        report_periods.starting("weekly", date(2026, 3, 4))
    assert refused.value.field == "period"
    with pytest.raises(InvalidPeriod, match="2026-03-16"):
        report_periods.starting("fortnightly", date(2026, 3, 20))
    with pytest.raises(InvalidPeriod, match="range"):
        report_periods.starting("weekly", date(1, 1, 1))


def test_reports_cover_periods_from_2000_on() -> None:
    """The first week of 2000 has a report, compared with the last week of 1999;
    that week has none of its own."""
    first = report_periods.starting("weekly", date(2000, 1, 3))

    assert first.previous().first_day == date(1999, 12, 27)
    with pytest.raises(InvalidPeriod, match="2000-01-01") as refused:
        report_periods.starting("weekly", date(1999, 12, 27))
    assert refused.value.field == "period"


@pytest.mark.parametrize(
    ("moment", "kind", "first_day"),
    [
        (sh(3, 9), "weekly", date(2026, 3, 2)),
        (sh(3, 8, 23, 59), "weekly", date(2026, 2, 23)),
        (sh(3, 16), "fortnightly", date(2026, 3, 1)),
        (sh(4, 1), "monthly", date(2026, 3, 1)),
        (sh(4, 1), "quarterly", date(2026, 1, 1)),
        (sh(9, 30, 23), "quarterly", date(2026, 1, 1)),
        (sh(10, 1), "quarterly", date(2026, 7, 1)),
        (sh(7, 1), "half_year", date(2026, 1, 1)),
        (sh(1, 1), "annual", date(2025, 1, 1)),
    ],
)
def test_reports_the_latest_finished_period_of_each_kind(
    moment: datetime, kind: Any, first_day: date
) -> None:
    assert report_periods.latest_finished(kind, moment).first_day == first_day


# The seeded history.


async def test_reports_the_weekly_report_of_the_seeded_history(
    store: async_sessionmaker[AsyncSession],
    store_projector: Any,
    story: Callable[..., Any],
) -> None:
    await store_projector.apply_all(history(story))

    report = await compiled(store, "weekly", WEEK)

    assert report.title == "坪山区民生诉求周报（2026年第10周）"
    assert report.previous_period.first_day == date(2026, 2, 23)
    # a1, a2, a3, a4, a5, a8, a6 against p1, p2, p3; a7 is the next week's.
    volumes = by_key(report.volumes)
    assert [(v.current, v.previous, v.change) for v in report.volumes[:6]] == [
        (7, 3, 4),  # received
        (5, 2, 3),  # filed
        (1, 1, 0),  # rejected
        (1, 0, 1),  # level 1: a2
        (5, 2, 3),  # dispatched: a1, a2, a3, a3's second round, a4
        (3, 1, 2),  # closed: a1, a3, a4 (on 10 March, as compiled later)
    ]
    assert volumes["received"].change_ratio == 1.3333
    assert volumes["level_1"].change_ratio is None
    assert volumes["closed_overdue"].current == 1

    rates = by_key(report.rates)
    # Due: a1, a2 (reached), a3, a4 (closed); on time: a1, a4. The second round is
    # neither closed nor due.
    assert rates["on_time_closure"].current.model_dump() == {
        "numerator": 2,
        "denominator": 4,
        "rate": 0.5,
    }
    assert rates["on_time_closure"].previous.rate == 0.5
    assert rates["on_time_closure"].change_points == 0.0
    assert (rates["total_closure"].current.numerator, 5) == (3, 5)
    assert rates["total_closure"].previous.rate == 0.5
    assert rates["total_closure"].change_points == 10.0
    assert rates["instant_answer"].current.rate == 1.0
    assert rates["instant_answer"].change_points is None

    assert [(p.first_day.day, p.received) for p in report.trend] == [
        (2, 2),
        (3, 1),
        (4, 1),
        (5, 1),
        (6, 0),
        (7, 1),
        (8, 1),
    ]
    assert [
        (r.name, r.received, r.previous, r.change, r.share)
        for r in report.top_categories
    ] == [
        ("市容环卫", 3, 2, 1, 0.4286),
        ("环保水务", 2, 0, 2, 0.2857),
        ("劳动社保", 1, 0, 1, 0.1429),
        ("交通运输", 1, 1, 0, 0.1429),
    ]
    assert [(r.name, r.received, r.previous) for r in report.top_subdistricts] == [
        ("马峦街道", 3, 0),
        ("坑梓街道", 2, 1),
        ("未知", 2, 1),
    ]

    counts = {w.kind: (w.current, w.previous) for w in report.warnings.counts}
    assert counts == {
        "hotspot": (1, 0),
        "high_frequency": (1, 0),
        "safety_hazard": (0, 0),
        "sensitive": (0, 1),
    }
    assert [
        (w.warning_id, w.label, w.title, w.category, w.subdistrict, w.count)
        for w in report.warnings.items
    ] == [
        ("w-1", "热点", "小区门口垃圾堆积", "市容环卫", "坑梓街道", 5),
        ("w-2", "高频", "夜间施工噪音", "市容环卫", "马峦街道", 3),
    ]

    overdue = report.overdue
    # Open when the week ended: p2, a2 (both overdue), a4 (closed only on 10 March)
    # and a3's second round.
    assert (overdue.unclosed, overdue.overdue, overdue.orders_total) == (4, 2, 2)
    assert [(u.unit, u.unclosed, u.overdue) for u in overdue.by_unit] == [
        (CGJ, 2, 1),
        (JTJ, 1, 1),
        (SWJ, 1, 0),
    ]
    assert [
        (o.work_order_id, o.unit, o.due_at, o.overdue_days) for o in overdue.orders
    ] == [
        ("wo-a-2", CGJ, sh(3, 4, 18), 4),
        ("wo-p-2", JTJ, sh(3, 5, 18), 3),
    ]

    recurring = report.recurring
    assert [
        (p.cluster_id, p.reports, p.title, p.first_closed_at, p.last_reported_at)
        for p in recurring.problems
    ] == [
        ("c-1", 2, SCRIPT_TITLE, sh(2, 28, 10), sh(3, 2, 10)),
        ("c-2", 1, FORMULA_TITLE, sh(3, 5, 10), sh(3, 7, 9)),
    ]
    assert [(o.work_order_id, o.round, o.unit) for o in recurring.reopened] == [
        ("wo-a-3-r2", 2, SWJ)
    ]
    assert recurring.reopened_total == 1

    assert [
        (
            u.rank,
            u.unit,
            u.dispatched,
            u.closed,
            u.on_time_closure.rate,
            u.total_closure.rate,
            u.overdue,
        )
        for u in report.unit_ranking
    ] == [
        (1, CGJ, 3, 2, 0.6667, 0.6667, 1),
        (2, SWJ, 2, 1, 0.0, 0.5, 0),
        (None, JTJ, 0, 0, None, None, 1),
    ]


async def test_reports_the_q1_report_counts_by_month_against_the_fourth_quarter(
    sessions: async_sessionmaker[AsyncSession],
    projector: Any,
    story: Callable[..., Any],
) -> None:
    await projector.apply_all(history(story))

    report = await compiled(sessions, "quarterly", date(2026, 1, 1))

    assert report.period.label == "2026年第一季度"
    assert report.previous_period.label == "2025年第四季度"
    # Every appeal of the history, a7 included: p1 and p2 in February, the rest in
    # March (p3 at 23:59 on 1 March).
    assert [(p.label, p.received) for p in report.trend] == [
        ("2026年1月", 0),
        ("2026年2月", 2),
        ("2026年3月", 9),
    ]
    received = by_key(report.volumes)["received"]
    assert (received.current, received.previous, received.change_ratio) == (
        11,
        0,
        None,
    )
    assert report.warnings.items_total == 3


async def test_reports_the_fortnight_report_counts_its_half_month(
    sessions: async_sessionmaker[AsyncSession],
    projector: Any,
    story: Callable[..., Any],
) -> None:
    await projector.apply_all(history(story))

    report = await compiled(sessions, "fortnightly", date(2026, 3, 1))

    assert len(report.trend) == 15
    # p3, the week's seven and a7, against p1 and p2 in 16–28 February.
    received = by_key(report.volumes)["received"]
    assert (received.current, received.previous) == (9, 2)
    assert report.previous_period.first_day == date(2026, 2, 16)
    # The end of the fortnight is 16 March: a4 was closed by then.
    assert (report.overdue.unclosed, report.overdue.overdue) == (3, 2)


async def test_reports_units_with_equal_rates_share_a_rank(
    sessions: async_sessionmaker[AsyncSession],
    projector: Any,
    story: Callable[..., Any],
) -> None:
    steps: list[Step] = []
    for name, unit in (("u-1", "swj"), ("u-2", "cgj"), ("u-3", "zjj")):
        appeal = Appeal(story, name, sh(3, 3, 9), unit=unit)
        steps += [
            *appeal.filed("city-sanitation", "kengzi-jd", name),
            appeal.dispatched(),
        ]
        if unit == "zjj":
            steps += appeal.handling(sh(3, 5, 18), reached=True)
        else:
            steps.append(appeal.closed(sh(3, 4, 10)))
    await projector.apply_all(steps)

    report = await compiled(sessions, "weekly", WEEK)

    assert [(u.rank, u.unit_id) for u in report.unit_ranking] == [
        (1, "cgj"),
        (1, "swj"),
        (3, "zjj"),
    ]


# Compiled on schedule and on demand.


async def test_reports_compiled_on_schedule_once_the_period_has_ended(
    sessions: async_sessionmaker[AsyncSession],
    projector: Any,
    story: Callable[..., Any],
) -> None:
    await projector.apply_all(history(story))
    week_end = sh(3, 9)

    clock = FixedClock(week_end + DELAY - timedelta(seconds=1))
    reporting = reports.Reporting(
        context=dataclasses.replace(context_at(week_end), clock=clock),
        delay=DELAY,
        check_seconds=60,
    )

    before = await reports.compile_due(sessions=sessions, reporting=reporting)
    # The latest finished period of every kind, but not yet the week just ended.
    assert {(row.kind, row.period_start) for row in before} == {
        ("weekly", date(2026, 2, 23)),
        ("fortnightly", date(2026, 2, 16)),
        ("monthly", date(2026, 2, 1)),
        ("quarterly", date(2025, 7, 1)),
        ("half_year", date(2025, 7, 1)),
        ("annual", date(2025, 1, 1)),
    }

    clock.advance(timedelta(seconds=1))
    at_due = await reports.compile_due(sessions=sessions, reporting=reporting)
    again = await reports.compile_due(sessions=sessions, reporting=reporting)

    assert [(row.kind, row.period_start) for row in at_due] == [("weekly", WEEK)]
    assert again == []
    async with sessions() as session:
        row = await report_repository.stored(session, "weekly", WEEK)
    assert row is not None
    assert (row.trigger, row.requested_by, row.period_end) == (
        "schedule",
        None,
        date(2026, 3, 9),
    )
    assert row.generated_at == week_end + DELAY
    content = reports.content(row)
    assert content.trigger == "schedule"
    assert by_key(content.volumes)["received"].current == 7


async def stored_soon(
    sessions: async_sessionmaker[AsyncSession], kind: str, first_day: date
) -> Any:
    """The stored report of the period, waiting up to five seconds for it."""
    for _ in range(500):
        async with sessions() as session:
            row = await report_repository.stored(session, kind, first_day)
        if row is not None:
            return row
        await asyncio.sleep(0.01)
    raise AssertionError(f"no {kind} report of {first_day} was compiled")


async def test_reports_the_service_loop_compiles_the_week_once_its_end_has_passed(
    app: FastAPI, app_projector: Any, story: Callable[..., Any]
) -> None:
    runtime = app.state.runtime
    configured: reports.Reporting = runtime.extras[reports.REPORTING_KEY]
    assert reports.compile_on_schedule in runtime.background
    assert configured.delay == timedelta(minutes=10)
    await app_projector.apply_all(history(story))

    # The service's reporting, its clock standing 10 minutes after the week's end
    # and looking every 10 ms.
    runtime.extras[reports.REPORTING_KEY] = dataclasses.replace(
        configured,
        context=dataclasses.replace(
            configured.context, clock=FixedClock(sh(3, 9) + DELAY)
        ),
        check_seconds=0.01,
    )
    loop = asyncio.create_task(reports.compile_on_schedule(runtime))
    try:
        row = await stored_soon(runtime.sessions, "weekly", WEEK)
    finally:
        loop.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loop

    assert row.trigger == "schedule"
    assert by_key(reports.content(row).volumes)["received"].current == 7


async def test_reports_compiled_on_demand_once_then_served_and_listed(
    client: httpx.AsyncClient, app_projector: Any, story: Callable[..., Any]
) -> None:
    await app_projector.apply_all(history(story))

    first = await client.post(
        "/v1/reports", json={"kind": "weekly", "period_start": "2026-03-02"}
    )
    again = await client.post(
        "/v1/reports", json={"kind": "weekly", "period_start": "2026-03-02"}
    )
    listed = await client.get("/v1/reports")

    assert first.status_code == 201
    assert first.headers["location"] == "/v1/reports/weekly/2026-03-02?format=json"
    body = first.json()
    assert body["trigger"] == "demand"
    assert body["volumes"][0] == {
        "key": "received",
        "label": "受理总数",
        "current": 7,
        "previous": 3,
        "change": 4,
        "change_ratio": 1.3333,
    }
    assert again.status_code == 200
    assert again.json() == body
    assert listed.status_code == 200
    page = listed.json()
    assert page["total"] == 1
    assert page["items"][0]["kind"] == "weekly"
    assert page["items"][0]["period"]["first_day"] == "2026-03-02"
    assert page["items"][0]["links"]["xlsx"] == (
        "/v1/reports/weekly/2026-03-02?format=xlsx"
    )


async def test_reports_a_compiled_report_is_served_as_compiled(
    client: httpx.AsyncClient, app_projector: Any, story: Callable[..., Any]
) -> None:
    await app_projector.apply_all(history(story))
    first = await client.get("/v1/reports/weekly/2026-03-02")

    late = Appeal(story, "a-9", sh(3, 6, 9))
    await app_projector.apply(late.received())
    second = await client.get("/v1/reports/weekly/2026-03-02")

    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert second.json()["volumes"][0]["current"] == 7


async def test_reports_the_list_filters_by_kind_latest_period_first(
    client: httpx.AsyncClient,
) -> None:
    for kind, first_day in (
        ("fortnightly", "2026-02-16"),
        ("weekly", "2026-03-02"),
        ("monthly", "2026-02-01"),
    ):
        answer = await client.post(
            "/v1/reports", json={"kind": kind, "period_start": first_day}
        )
        assert answer.status_code == 201

    weekly = (await client.get("/v1/reports", params={"kind": "weekly"})).json()
    first = (await client.get("/v1/reports", params={"limit": 2})).json()
    rest = (await client.get("/v1/reports", params={"offset": 2})).json()

    assert [i["period"]["first_day"] for i in weekly["items"]] == ["2026-03-02"]
    assert (weekly["total"], first["total"], rest["total"]) == (1, 3, 3)
    # The latest end first; of two ending on 1 March, the longer one.
    assert [(i["kind"], i["period"]["first_day"]) for i in first["items"]] == [
        ("weekly", "2026-03-02"),
        ("monthly", "2026-02-01"),
    ]
    assert [i["kind"] for i in rest["items"]] == ["fortnightly"]


# Each format opened and read back.


async def test_reports_csv_has_a_bom_and_every_table_under_its_heading(
    client: httpx.AsyncClient, app_projector: Any, story: Callable[..., Any]
) -> None:
    await app_projector.apply_all(history(story))

    answer = await client.get("/v1/reports/weekly/2026-03-02", params={"format": "csv"})

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == (
        'attachment; filename="report-weekly-2026-03-02.csv"'
    )
    assert answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0] == ["坪山区民生诉求周报（2026年第10周）"]
    assert ["统计周期", "2026-03-02 至 2026-03-08"] in rows
    assert section(rows, "一、总体情况")[:3] == [
        ["指标", "本期", "上期", "增减", "增减幅度"],
        ["受理总数", "7", "3", "4", "+133.3%"],
        ["立案", "5", "2", "3", "+150.0%"],
    ]
    rates = section(rows, "二、办理质量")
    assert ["按期办结率", "50.0%", "2", "4", "50.0%", "+0.0"] in rates
    assert ["总办结率", "60.0%", "3", "5", "50.0%", "+10.0"] in rates
    assert section(rows, "五、高发区域（街道）")[1] == [
        "1",
        "马峦街道",
        "3",
        "0",
        "3",
        "42.9%",
    ]
    a2_row = ["wo-a-2", "MS000a-2", CGJ, "市容环卫", "坑梓街道", "办理时限"]
    p2_row = ["wo-p-2", "MS000p-2", JTJ, "交通运输", "坪山街道", "办理时限"]
    assert section(rows, "九、超期未办结工单")[1:] == [
        [*a2_row, "2026-03-04 18:00", "4"],
        [*p2_row, "2026-03-05 18:00", "3"],
    ]
    recurring = section(rows, "十、回潮问题")
    # A citizen's title that looks like a formula stays text in a spreadsheet.
    assert recurring[2][1] == f"'{FORMULA_TITLE}"
    assert section(rows, "十二、单位排名")[1:] == [
        ["1", CGJ, "3", "2", "66.7%", "2", "3", "66.7%", "1"],
        ["2", SWJ, "2", "1", "0.0%", "0", "1", "50.0%", "0"],
        ["—", JTJ, "0", "0", "—", "0", "0", "—", "1"],
    ]


def invisible_title(story: Callable[..., Any]) -> list[Step]:
    """p-1 of cluster c-1 closed on Saturday 28 February; a-1 reports c-1 again on
    Tuesday 3 March under a title holding an escape, a NUL and a zero-width space,
    so it is listed among the week's recurring problems."""
    p1 = Appeal(story, "p-1", sh(2, 27, 10))
    a1 = Appeal(story, "a-1", sh(3, 3, 9), title="路灯\x1b不亮\x00\u200b")
    return [
        *p1.filed("city-sanitation", "kengzi-jd", "c-1"),
        p1.dispatched(),
        p1.closed(sh(2, 28, 10)),
        *a1.filed("city-sanitation", "kengzi-jd", "c-1"),
    ]


async def test_reports_a_title_with_control_characters_is_exported_without_them(
    client: httpx.AsyncClient, app_projector: Any, story: Callable[..., Any]
) -> None:
    """A workbook cannot hold an escape or a NUL, and nobody sees them: every
    format shows the title without them, as the page does."""
    await app_projector.apply_all(invisible_title(story))
    path = "/v1/reports/weekly/2026-03-02"

    workbook = await client.get(path, params={"format": "xlsx"})
    table = await client.get(path, params={"format": "csv"})
    page = await client.get(path, params={"format": "html"})

    assert workbook.status_code == table.status_code == page.status_code == 200
    recurring = openpyxl.load_workbook(io.BytesIO(workbook.content))["回潮问题"]
    assert (recurring["A3"].value, recurring["B3"].value) == ("c-1", "路灯不亮")
    rows = list(csv.reader(io.StringIO(table.content.decode("utf-8-sig"))))
    assert section(rows, "十、回潮问题")[1][:2] == ["c-1", "路灯不亮"]
    for text in (table.content.decode("utf-8-sig"), page.text):
        assert not {"\x1b", "\x00", "\u200b"} & set(text)


def section(rows: list[list[str]], title: str) -> list[list[str]]:
    """The rows under a heading of the CSV, up to the blank line after them."""
    start = rows.index([title]) + 1
    end = rows.index([], start) if [] in rows[start:] else len(rows)
    return rows[start:end]


async def test_reports_xlsx_has_the_particulars_and_a_sheet_per_table(
    client: httpx.AsyncClient, app_projector: Any, story: Callable[..., Any]
) -> None:
    await app_projector.apply_all(history(story))

    answer = await client.get(
        "/v1/reports/weekly/2026-03-02", params={"format": "xlsx"}
    )

    assert answer.status_code == 200
    assert answer.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == [
        "报告信息",
        "总体情况",
        "办理质量",
        "受理走势",
        "高发类别",
        "高发街道",
        "预警概况",
        "热点高频",
        "超期未办结",
        "超期工单",
        "回潮问题",
        "重办工单",
        "单位排名",
    ]
    about = book["报告信息"]
    assert about["A1"].value == "坪山区民生诉求周报（2026年第10周）"
    assert (about["A3"].value, about["B3"].value) == (
        "统计周期",
        "2026-03-02 至 2026-03-08",
    )

    volumes = book["总体情况"]
    assert volumes["A1"].value == "一、总体情况"
    assert [cell.value for cell in volumes[2]] == [
        "指标",
        "本期",
        "上期",
        "增减",
        "增减幅度",
    ]
    assert [cell.value for cell in volumes[3]] == ["受理总数", 7, 3, 4, 1.3333]
    assert volumes["E3"].number_format == "+0.0%;-0.0%;0.0%"

    trend = book["受理走势"]
    assert [[c.value for c in row] for row in trend.iter_rows(min_row=3)] == [
        ["3月2日", 2],
        ["3月3日", 1],
        ["3月4日", 1],
        ["3月5日", 1],
        ["3月6日", 0],
        ["3月7日", 1],
        ["3月8日", 1],
    ]

    recurring = book["回潮问题"]
    title_cell = recurring["B4"]
    assert title_cell.value == FORMULA_TITLE
    assert title_cell.data_type == "s"

    ranking = book["单位排名"]
    assert [cell.value for cell in ranking[3]] == [
        1,
        CGJ,
        3,
        2,
        0.6667,
        2,
        3,
        0.6667,
        1,
    ]
    assert ranking["E3"].number_format == "0.0%"
    assert [cell.value for cell in ranking[5]] == [None, JTJ, 0, 0, None, 0, 0, None, 1]


class Page(HTMLParser):
    """The headings of a page and the text of each table's rows."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[tuple[str, str]] = []
        self.tables: list[list[list[str]]] = []
        self._tag: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        if tag in ("h1", "h2", "td", "th"):
            self._tag, self._text = tag, ""

    def handle_data(self, data: str) -> None:
        if self._tag is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag != self._tag:
            return
        if tag in ("h1", "h2"):
            self.headings.append((tag, self._text.strip()))
        else:
            self.tables[-1][-1].append(self._text.strip())
        self._tag = None


async def test_reports_the_printable_page_has_chinese_headings_and_the_numbers(
    client: httpx.AsyncClient, app_projector: Any, story: Callable[..., Any]
) -> None:
    await app_projector.apply_all(history(story))

    answer = await client.get(
        "/v1/reports/weekly/2026-03-02", params={"format": "html"}
    )

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    page = Page()
    page.feed(answer.text)
    assert page.headings == [
        ("h1", "坪山区民生诉求周报（2026年第10周）"),
        ("h2", "一、总体情况"),
        ("h2", "二、办理质量"),
        ("h2", "三、受理量走势"),
        ("h2", "四、高发类别"),
        ("h2", "五、高发区域（街道）"),
        ("h2", "六、预警情况"),
        ("h2", "七、热点与高频事件"),
        ("h2", "八、超期未办结（按单位）"),
        ("h2", "九、超期未办结工单"),
        ("h2", "十、回潮问题"),
        ("h2", "十一、重办工单"),
        ("h2", "十二、单位排名"),
        ("h2", "说明"),
    ]
    volumes, *_, ranking = page.tables
    assert volumes[:2] == [
        ["指标", "本期", "上期", "增减", "增减幅度"],
        ["受理总数", "7", "3", "4", "+133.3%"],
    ]
    assert ranking[1] == ["1", CGJ, "3", "2", "66.7%", "2", "3", "66.7%", "1"]
    # A citizen's title is text on the page, never markup.
    assert "<script>" not in answer.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;路灯不亮" in answer.text
    assert "@media print" in answer.text
    assert '<a href="/v1/reports/weekly/2026-03-02?format=xlsx">XLSX</a>' in answer.text


# Errors.


@pytest.mark.parametrize(
    ("path", "status", "code", "field"),
    [
        ("/v1/reports/daily/2026-03-02", 422, "invalid_request", "path.kind"),
        ("/v1/reports/weekly/2026-03-04", 422, "invalid_period", "period"),
        ("/v1/reports/quarterly/2026-04-01", 422, "invalid_period", "period"),
        ("/v1/reports/weekly/0001-01-01", 422, "invalid_period", "period"),
        ("/v1/reports/weekly/2026-02-30", 422, "invalid_request", "path.period"),
        (
            "/v1/reports/weekly/2026-03-02?format=pdf",
            422,
            "invalid_request",
            "query.format",
        ),
        ("/v1/reports/weekly/2099-01-05", 409, "period_not_over", "period"),
        ("/v1/reports?kind=daily", 422, "invalid_request", "query.kind"),
        # No report before 2000: a typo, whose empty report would be kept.
        ("/v1/reports/weekly/1999-12-27", 422, "invalid_period", "period"),
        ("/v1/reports/annual/1970-01-01", 422, "invalid_period", "period"),
        (f"/v1/reports?offset={2**63}", 422, "invalid_request", "query.offset"),
    ],
)
async def test_reports_refuse_what_names_no_report(
    client: httpx.AsyncClient, path: str, status: int, code: str, field: str
) -> None:
    answer = await client.get(path)

    assert answer.status_code == status
    error = answer.json()["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"]


async def test_reports_refuse_a_request_body_that_names_no_report(
    client: httpx.AsyncClient,
) -> None:
    wednesday = await client.post(
        "/v1/reports", json={"kind": "weekly", "period_start": "2026-03-04"}
    )
    last_century = await client.post(
        "/v1/reports", json={"kind": "monthly", "period_start": "1999-12-01"}
    )
    unknown = await client.post(
        "/v1/reports", json={"kind": "daily", "period_start": "2026-03-02"}
    )
    running = await client.post(
        "/v1/reports", json={"kind": "annual", "period_start": "2099-01-01"}
    )

    assert wednesday.status_code == 422
    assert wednesday.json()["error"]["field"] == "period_start"
    assert "Monday" in wednesday.json()["error"]["message"]
    assert (last_century.status_code, last_century.json()["error"]["field"]) == (
        422,
        "period_start",
    )
    assert unknown.status_code == 422
    assert unknown.json()["error"]["field"] == "body.kind"
    assert running.status_code == 409
    assert running.json()["error"]["code"] == "period_not_over"
    assert "2100-01-01 00:10 Asia/Shanghai" in running.json()["error"]["message"]


async def test_reports_need_the_scope_analytics_read(
    anonymous: httpx.AsyncClient, credentials: Any
) -> None:
    unit = {"X-API-Key": credentials.keys["unit"]}

    nobody = await anonymous.get("/v1/reports/weekly/2026-03-02")
    a_unit = await anonymous.post(
        "/v1/reports",
        json={"kind": "weekly", "period_start": "2026-03-02"},
        headers=unit,
    )

    assert nobody.status_code == 401
    assert a_unit.status_code == 403
