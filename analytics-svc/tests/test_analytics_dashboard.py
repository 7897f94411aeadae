"""The dashboard page: plain Chinese HTML, unit names from the reference data, times
in Asia/Shanghai, and citizens' text always escaped; today's volume, open and overdue
work, the schematic map of any district's subdistricts with their active warnings,
the trend, the unit ranking and the period links."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from minsheng_analytics import dashboard, schematic
from minsheng_common.clock import FixedClock
from minsheng_common.events import (
    DeadlineReached,
    EventData,
    WarningRaised,
    WorkOrderClosed,
    WorkOrderReturnDecided,
)
from minsheng_common.reference import load_reference

# Friday 13 March 2026, 15:00 in Shanghai; the stories start on Monday 2 March 09:00.
NOW = datetime(2026, 3, 13, 7, 0, tzinfo=UTC)
TODAY = 11 * 24 * 60
"""Minutes from the stories' start to 09:00 in Shanghai on the day of NOW."""

Step = tuple[EventData, datetime]


@pytest.fixture
def at_now(app: FastAPI) -> datetime:
    """The page's clock stands at NOW."""
    app.state.context = dataclasses.replace(app.state.context, clock=FixedClock(NOW))
    return NOW


def _in(subdistrict_id: str, step: Step) -> Step:
    data, occurred_at = step
    return data.model_copy(update={"subdistrict_id": subdistrict_id}), occurred_at


def _dispatched_in(appeal: Any, subdistrict_id: str) -> list[Step]:
    return [
        appeal.appeal_received(),
        _in(subdistrict_id, appeal.appeal_filed()),
        _in(subdistrict_id, appeal.dispatched()),
    ]


def _closed(appeal: Any, outcome: str = "on_time", *, minutes: float = 600) -> Step:
    at = appeal.at(appeal.received + minutes)
    closed = WorkOrderClosed(
        work_order_id=appeal.work_order_id,
        appeal_id=appeal.appeal_id,
        unit_id=appeal.unit_id,
        outcome=outcome,
        handled_at=at,
        closed_at=at,
        closed_by="operator",
    )
    return closed, at


def _handling_due(appeal: Any, *, minutes: float = 7 * 1440) -> Step:
    at = appeal.at(appeal.received + minutes)
    reached = DeadlineReached(
        deadline_id=f"dl-handling-{appeal.appeal_id}",
        work_order_id=appeal.work_order_id,
        appeal_id=appeal.appeal_id,
        unit_id=appeal.unit_id,
        kind="handling",
        due_at=at,
        reached_at=at,
    )
    return reached, at


def _warning(warning_id: str, subdistrict_id: str | None, raised_at: datetime) -> Step:
    raised = WarningRaised(
        warning_id=warning_id,
        kind="hotspot",
        cluster_id=f"cluster-{warning_id}",
        appeal_ids=[f"{warning_id}-{n}" for n in range(5)],
        subdistrict_id=subdistrict_id,
        count=5,
        window_hours=24,
        raised_at=raised_at,
    )
    return raised, raised_at


def _value(page: str, label: str) -> str:
    found = re.search(
        rf'<span class="label">{re.escape(label)}</span><span class="value">([^<]*)<',
        page,
    )
    assert found, f"no {label} on the page"
    return found.group(1)


def _regions(page: str) -> dict[str, str]:
    """Each map region's subdistrict id and the name written in it."""
    return dict(
        re.findall(
            r'<g class="region[^"]*" data-subdistrict="([^"]*)".*?'
            r'<text class="region-name"[^>]*>([^<]*)</text>',
            page,
            flags=re.DOTALL,
        )
    )


def _markers(page: str) -> dict[str, str]:
    """The subdistricts marked with warnings, and the number in each marker."""
    marked = {}
    for region in re.split(r'(?=<g class="region)', page)[1:]:
        found = re.search(r'<g class="marker".*?<text[^>]*>(\d+)</text>', region)
        if found:
            subdistrict = re.search(r'data-subdistrict="([^"]*)"', region)
            assert subdistrict
            marked[subdistrict.group(1)] = found.group(1)
    return marked


async def test_analytics_page_shows_the_headline_in_chinese(
    client: httpx.AsyncClient, app_projector: Any, story: Callable[..., Any]
) -> None:
    appeal = story("a-1")
    await app_projector.apply_all(appeal.full_life())
    await app_projector.apply_all(
        [story("a-2").appeal_received(), story("a-2").appeal_rejected()]
    )

    answer = await client.get("/")

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    page = answer.text
    assert '<html lang="zh-CN">' in page
    assert '<meta charset="utf-8">' in page
    assert '<meta http-equiv="refresh" content="10">' in page
    for label in ("受理总数", "立案", "不予立案", "已派单", "已签收", "默认签收"):
        assert f'<span class="label">{label}</span>' in page
    assert "受理告知（已发送）" in page
    assert "1小时内派单率" in page
    assert "2个工作小时内签收率" in page
    assert '<span class="label">受理总数</span><span class="value">2</span>' in page
    for heading in ("按渠道", "按诉求类型", "按承办单位", "不予立案原因"):
        assert f">{heading}</h2>" in page


async def test_analytics_page_names_units_channels_types_and_reasons(
    client: httpx.AsyncClient, app_projector: Any, story: Callable[..., Any]
) -> None:
    await app_projector.apply_all(story("a-1", channel="wechat").full_life())
    await app_projector.apply(story("a-2").appeal_rejected("no_place_in_district"))

    page = (await client.get("/")).text

    assert '<th scope="row">区城市管理和综合执法局</th>' in page
    assert '<th scope="row">微信</th>' in page
    assert '<th scope="row">12345热线</th>' in page
    assert '<th scope="row">投诉</th>' in page
    assert '<th scope="row">未写明本区范围内的地点</th>' in page


async def test_analytics_page_shows_times_in_shanghai(
    client: httpx.AsyncClient, app_projector: Any, story: Callable[..., Any]
) -> None:
    # Received at 01:00 UTC: 09:00 in Shanghai.
    await app_projector.apply(story("a-1").appeal_received())

    page = (await client.get("/")).text

    assert '<td class="text">2026-03-02 09:00</td>' in page
    assert "数据截至 2026-03-02 09:01" in page
    assert "时间均为北京时间" in page
    # The page's own generation time is the wall clock's, which may read 01:00.
    assert "01:00" not in re.sub(r"页面生成于 [\d-]+ [\d:]+", "", page)


async def test_analytics_page_escapes_a_malicious_title(
    client: httpx.AsyncClient, app_projector: Any, story: Callable[..., Any]
) -> None:
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    appeal = story("a-1", title=attack, channel='"><b>channel</b>')
    await app_projector.apply_all([appeal.appeal_received(), appeal.appeal_filed()])

    page = (await client.get("/")).text

    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&#34;&gt;&lt;b&gt;channel&lt;/b&gt;" in page
    assert "<script" not in page
    assert "<img" not in page
    assert "<b>channel" not in page


async def test_analytics_page_needs_no_script_and_no_outside_asset(
    client: httpx.AsyncClient,
) -> None:
    page = (await client.get("/")).text

    assert "<script" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "暂无数据" in page
    assert "尚无事件" in page


async def test_analytics_page_tables_scroll_in_their_own_box(
    client: httpx.AsyncClient, app_projector: Any, story: Callable[..., Any]
) -> None:
    # Every table at once: a full life, a rejection, and a title far wider than the
    # page, so at 1300 px the tables would push the page sideways.
    long_title = "坪山大道与东纵路交叉口路面塌陷" * 12
    await app_projector.apply_all(story("a-1", title=long_title).full_life())
    await app_projector.apply(story("a-2").appeal_rejected("no_place_in_district"))

    page = (await client.get("/")).text

    tables = len(re.findall(r"<table[ >]", page))
    boxes = re.findall(r'<div class="table-scroll"[^>]*>\s*<table[ >]', page)
    # Channel, type, unit, reason, recent, subdistricts and the ranking.
    assert tables == 7
    assert len(boxes) == tables
    assert page.count("</table>\n</div>") == tables
    style = page[page.index("<style>") : page.index("</style>")]
    assert re.search(r"\.table-scroll \{[^}]*overflow-x: auto", style)
    assert re.search(r"td\.text[^{]*\{[^}]*overflow-wrap: anywhere", style)
    assert "white-space: nowrap; }" not in style.split("th {", 1)[1].split("}")[0]
    assert f'<td class="text">{long_title}</td>' in page
    assert "<script" not in page


async def test_analytics_page_drops_control_and_format_characters(
    client: httpx.AsyncClient, app_projector: Any, story: Callable[..., Any]
) -> None:
    title = "路灯\x00不亮\u202e（夜间）\u200b\x1b\t坑梓\n秀新"
    appeal = story("a-1", title=title, channel="hot\u2066line\x07")
    await app_projector.apply_all([appeal.appeal_received(), appeal.appeal_filed()])

    page = (await client.get("/")).text

    assert '<td class="text">路灯不亮（夜间）\t坑梓\n秀新</td>' in page
    assert '<td class="text">hotline</td>' in page
    for char in ("\x00", "\u202e", "\u200b", "\x1b", "\u2066", "\x07"):
        assert char not in page


def test_analytics_printable_keeps_newlines_tabs_and_text() -> None:
    assert dashboard.printable("甲\t乙\n丙 A&B") == "甲\t乙\n丙 A&B"
    assert dashboard.printable("\r\x7f\u00ad\ufeffx\u061c") == "x"


async def test_analytics_page_counts_today_by_the_shanghai_day(
    client: httpx.AsyncClient,
    app_projector: Any,
    story: Callable[..., Any],
    at_now: datetime,
) -> None:
    # 23:30 the day before in Shanghai; 00:30 today (still the day before in UTC);
    # 14:00 today; and one three days ago.
    received = {"a-1": TODAY - 570, "a-2": TODAY - 510, "a-3": TODAY + 300}
    received["a-4"] = TODAY - 3 * 1440
    for appeal_id, minutes in received.items():
        await app_projector.apply(story(appeal_id, received=minutes).appeal_received())

    page = (await client.get("/")).text

    assert _value(page, "今日受理") == "2"
    days = re.findall(r'<g class="day( today)?" data-received="(\d+)">', page)
    assert len(days) == 14
    assert days[-1] == (" today", "2")
    assert days[-2] == ("", "1")
    assert days[-4] == ("", "1")
    assert sum(int(count) for _, count in days) == 4
    assert "<title>2026-03-13 受理 2 件</title>" in page
    assert ">3/13</text>" in page
    assert ">2/28</text>" in page


async def test_analytics_page_counts_open_and_overdue_work_by_subdistrict(
    client: httpx.AsyncClient,
    app_projector: Any,
    story: Callable[..., Any],
    at_now: datetime,
) -> None:
    open_one, overdue, closed, returned = (
        story(f"a-{n}", received=n * 60) for n in range(1, 5)
    )
    await app_projector.apply_all(_dispatched_in(open_one, "kengzi-jd"))
    await app_projector.apply_all(
        [*_dispatched_in(overdue, "kengzi-jd"), _handling_due(overdue)]
    )
    # Closed late after its deadline ran out: no longer open, nor overdue.
    await app_projector.apply_all(
        [
            *_dispatched_in(closed, "biling-jd"),
            _handling_due(closed),
            _closed(closed, "overdue", minutes=8 * 1440),
        ]
    )
    returned_at = returned.at(returned.received + 60)
    await app_projector.apply_all(
        [
            *_dispatched_in(returned, "biling-jd"),
            (
                WorkOrderReturnDecided(
                    work_order_id=returned.work_order_id,
                    appeal_id=returned.appeal_id,
                    unit_id=returned.unit_id,
                    approved=True,
                    reason="不属本单位职责",
                    decided_at=returned_at,
                    decided_by="operator",
                ),
                returned_at,
            ),
        ]
    )

    page = (await client.get("/")).text

    assert _value(page, "在办工单") == "2"
    assert _value(page, "超期在办") == "1"
    assert (
        '<tr id="sd-kengzi-jd"><th scope="row">坑梓街道</th>'
        "<td>2</td><td>1</td><td>0</td></tr>"
    ) in page
    assert (
        '<tr id="sd-biling-jd"><th scope="row">碧岭街道</th>'
        "<td>0</td><td>0</td><td>0</td></tr>"
    ) in page
    # The busiest subdistrict is the darkest, one with nothing open the lightest.
    assert re.search(
        r'data-subdistrict="kengzi-jd".*?<polygon class="shade-4"', page, re.DOTALL
    )
    assert re.search(
        r'data-subdistrict="biling-jd".*?<polygon class="shade-0"', page, re.DOTALL
    )
    assert "在办 2 · 超期 1" in page


async def test_analytics_page_marks_the_active_warnings_on_their_subdistrict(
    client: httpx.AsyncClient, app_projector: Any, at_now: datetime
) -> None:
    await app_projector.apply_all(
        [
            _warning("w-1", "kengzi-jd", NOW - timedelta(hours=2)),
            _warning("w-2", "kengzi-jd", NOW - timedelta(hours=71)),
            # Older than the longest hotspot window (72 hours): no longer active.
            _warning("w-3", "biling-jd", NOW - timedelta(hours=73)),
            _warning("w-4", None, NOW - timedelta(hours=1)),
        ]
    )

    page = (await client.get("/")).text

    assert _markers(page) == {"kengzi-jd": "2"}
    assert _value(page, "预警（近72小时）") == "3"
    assert "另有在办 0 件、预警 1 条尚未定位到街道。" in page
    assert '<tr id="sd-unknown"><th scope="row">未定位街道</th>' in page
    warnings = page[page.index('id="warnings"') : page.index('id="trend"')]
    assert warnings.count("<tr><td") == 3
    assert '<td class="text">热点</td><td class="text">坑梓街道</td>' in warnings
    assert '<td class="text">2026-03-13 13:00</td>' in warnings
    assert "碧岭街道" not in warnings


async def test_analytics_page_draws_the_subdistricts_of_any_district(
    client: httpx.AsyncClient,
    app: FastAPI,
    app_projector: Any,
    at_now: datetime,
    tmp_path: Path,
) -> None:
    # Another district with ten subdistricts, one name an attempt at markup.
    data = json.loads(load_reference().model_dump_json())
    data["district"]["name"] = "东湖区"
    data["subdistricts"] = [
        {"id": f"sd-{n}", "name": f"第{n}街道", "communities": []} for n in range(9)
    ] + [{"id": "sd-9", "name": '<b onclick="x">湖滨</b>', "communities": []}]
    data["hotspot_rules"] = [{"window_hours": 48, "min_reports": 5}]
    path = tmp_path / "reference.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    app.state.context = dataclasses.replace(
        app.state.context, reference=load_reference(path)
    )
    await app_projector.apply_all(
        [
            _warning("w-1", "sd-7", NOW - timedelta(hours=47)),
            _warning("w-2", "sd-9", NOW - timedelta(hours=49)),
        ]
    )

    page = (await client.get("/")).text

    expected = {f"sd-{n}": f"第{n}街道" for n in range(9)}
    expected["sd-9"] = "&lt;b onclick=&#34;x&#34;&gt;湖滨&lt;/b&gt;"
    assert _regions(page) == expected
    assert _markers(page) == {"sd-7": "1"}
    assert "<title>东湖区民生诉求数据看板</title>" in page
    assert "坪山" not in page
    assert "<b onclick" not in page
    assert _value(page, "预警（近48小时）") == "1"


@pytest.mark.parametrize("count", [1, 2, 3, 5, 6, 7, 10, 13, 24])
def test_analytics_honeycomb_cells_neither_overlap_nor_leave_the_drawing(
    count: int,
) -> None:
    comb = schematic.honeycomb(count)

    assert len(comb.cells) == count
    width = math.sqrt(3) * comb.radius
    for index, cell in enumerate(comb.cells):
        for other in comb.cells[index + 1 :]:
            assert math.dist((cell.x, cell.y), (other.x, other.y)) >= width - 0.2
        corners = [tuple(map(float, p.split(","))) for p in cell.points.split()]
        assert len(corners) == 6
        assert all(0 <= x <= comb.width and 0 <= y <= comb.height for x, y in corners)
        # The warning marker (radius 13) stays inside too.
        assert 13 <= cell.marker_x <= comb.width - 13
        assert 13 <= cell.marker_y <= comb.height - 13
    # Wider than tall, as a page has room for.
    assert count == 1 or comb.width >= comb.height


def test_analytics_honeycomb_of_six_is_two_rows_of_three() -> None:
    comb = schematic.honeycomb(6)

    rows = sorted({cell.y for cell in comb.cells})
    assert len(rows) == 2
    assert [sum(cell.y == y for cell in comb.cells) for y in rows] == [3, 3]


def test_analytics_shading_steps_up_to_the_busiest() -> None:
    assert [schematic.shade(value, 8) for value in (0, 1, 2, 3, 4, 6, 8)] == [
        0,
        1,
        1,
        2,
        2,
        3,
        4,
    ]
    assert schematic.shade(5, 0) == 0


def test_analytics_bar_chart_scales_to_the_highest_day() -> None:
    chart = schematic.bar_chart([0, 2, 4])

    assert [bar.height for bar in chart.bars] == [0.0, 70.0, 140.0]
    assert all(bar.y + bar.height == chart.baseline for bar in chart.bars)
    assert [bar.value for bar in chart.bars] == [0, 2, 4]
    assert schematic.bar_chart([0, 0]).bars[1].height == 0.0


async def test_analytics_page_ranks_units_by_on_time_then_total_closure(
    client: httpx.AsyncClient,
    app_projector: Any,
    story: Callable[..., Any],
    at_now: datetime,
) -> None:
    def orders(unit: str, *ends: str) -> list[Step]:
        steps: list[Step] = []
        for number, end in enumerate(ends):
            appeal = story(f"a-{unit}-{number}", unit_id=unit, received=number * 60)
            steps += _dispatched_in(appeal, "kengzi-jd")
            if end in ("on_time", "overdue"):
                steps.append(_closed(appeal, end))
            elif end == "due":
                steps.append(_handling_due(appeal))
        return steps

    # on time / total: swj 1/1 and 1/2; wjj and cgj 1/2 and 2/2 (a tie, by name);
    # zjj 1/2 and 1/2; jtj nothing due yet and 0/1.
    await app_projector.apply_all(orders("swj", "on_time", "open"))
    await app_projector.apply_all(orders("cgj", "on_time", "overdue"))
    await app_projector.apply_all(orders("wjj", "overdue", "on_time"))
    await app_projector.apply_all(orders("zjj", "on_time", "due"))
    await app_projector.apply_all(orders("jtj", "open"))

    page = (await client.get("/")).text

    ranking = page[page.index('<table class="ranking">') :]
    ranking = ranking[: ranking.index("</table>")]
    rows = re.findall(
        r'<tr><td>([^<]*)</td><th scope="row">([^<]*)</th>'
        r"<td>([^<]*)</td><td>([^<]*)</td><td>(\d+)</td><td>(\d+)</td></tr>",
        ranking,
    )
    assert rows == [
        ("1", "区水务局", "100.0%（1/1）", "50.0%（1/2）", "2", "1"),
        ("2", "区卫生健康局", "50.0%（1/2）", "100.0%（2/2）", "2", "2"),
        ("2", "区城市管理和综合执法局", "50.0%（1/2）", "100.0%（2/2）", "2", "2"),
        ("4", "区住房和建设局", "50.0%（1/2）", "50.0%（1/2）", "2", "1"),
        ("—", "区交通运输局", "—", "0.0%（0/1）", "1", "0"),
    ]
    assert '<th scope="col">按期办结率</th><th scope="col">总办结率</th>' in ranking


async def test_analytics_page_offers_periods_and_marks_the_one_shown(
    client: httpx.AsyncClient,
    app_projector: Any,
    story: Callable[..., Any],
    at_now: datetime,
) -> None:
    await app_projector.apply(story("a-1", received=TODAY).appeal_received())
    await app_projector.apply(story("a-2", received=TODAY - 5 * 1440).appeal_received())
    today = "/?from=2026-03-13T00%3A00%3A00%2B08%3A00"

    everything = (await client.get("/")).text
    since_today = (await client.get(today)).text

    links = re.findall(
        r'<li><a href="([^"]*)"( aria-current="page")?>([^<]*)</a>', everything
    )
    assert links == [
        ("/", ' aria-current="page"', "全部"),
        (today, "", "今日"),
        ("/?from=2026-03-07T00%3A00%3A00%2B08%3A00", "", "近7日"),
        ("/?from=2026-02-12T00%3A00%3A00%2B08%3A00", "", "近30日"),
    ]
    assert _value(everything, "受理总数") == "2"
    assert f'<a href="{today}" aria-current="page">今日</a>' in since_today
    assert '<a href="/">全部</a>' in since_today
    assert _value(since_today, "受理总数") == "1"
    # The figures of the moment stay as they are.
    assert _value(since_today, "今日受理") == "1"
