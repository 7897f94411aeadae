"""The dashboard page: plain Chinese HTML, unit names from the reference data, times
in Asia/Shanghai, and citizens' text always escaped."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx

from minsheng_analytics import dashboard


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

    tables = page.count("<table>")
    boxes = re.findall(r'<div class="table-scroll"[^>]*>\s*<table>', page)
    assert tables == 5
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
