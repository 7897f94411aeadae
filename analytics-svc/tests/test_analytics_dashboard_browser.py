"""The dashboard in a real browser: Debian's chromium, headless, driven by selenium
against the app served by uvicorn on a free loopback port.

It renders in Chinese with CJK glyphs, draws one map region per subdistrict with the
hotspot on the right one, ranks the units as their closure rates say, and a person
signs in, switches the period, follows a subdistrict from the map and signs out.

Skipped when chromium or its driver is missing, except under `CI=true`, where that
is a failure: `.ci/run` installs them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import struct
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from minsheng_analytics.settings import AnalyticsSettings
from minsheng_common.clock import FixedClock
from minsheng_common.devstack.broker import free_port
from minsheng_common.events import (
    DeadlineReached,
    EventData,
    WarningRaised,
    WorkOrderClosed,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PASSWORD = "correct horse battery staple"

# Friday 13 March 2026, 15:00 in Shanghai; the stories start on Monday 2 March.
NOW = datetime(2026, 3, 13, 7, 0, tzinfo=UTC)
TODAY = 11 * 24 * 60
"""Minutes from the stories' start (Monday 09:00) to 09:00 on the day of NOW."""

SUBDISTRICTS = {
    "pingshan-jd": "坪山街道",
    "maluan-jd": "马峦街道",
    "biling-jd": "碧岭街道",
    "shijing-jd": "石井街道",
    "kengzi-jd": "坑梓街道",
    "longtian-jd": "龙田街道",
}

Step = tuple[EventData, datetime]


def _browser_missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            return f"{path} is missing (apt-get install chromium chromium-driver)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    """Headless chromium at a desktop size, shared by the tests of this file."""
    missing = _browser_missing()
    if missing is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        # The tests run as root in CI, where chromium's sandbox cannot start.
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1300,1000",
        "--lang=zh-CN",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()


@pytest.fixture
def settings(tmp_path: Path) -> AnalyticsSettings:
    """As the suite's, without the page's meta refresh: a reload while the test
    reads the page would pull the elements from under it."""
    return AnalyticsSettings(
        database_url=f"sqlite:///{tmp_path / 'analytics-app.db'}",
        data_dir=tmp_path,
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
        environment="test",
        dashboard_refresh_seconds=0,
    )


@pytest.fixture
async def served(app: FastAPI) -> AsyncIterator[str]:
    """The app on a free loopback port, its clock standing at NOW; its base URL."""
    app.state.context = dataclasses.replace(app.state.context, clock=FixedClock(NOW))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )
    serving = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            # uvicorn's server says it started by a flag, not an event.
            while not server.started:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


def _in(subdistrict_id: str, step: Step) -> Step:
    data, occurred_at = step
    return data.model_copy(update={"subdistrict_id": subdistrict_id}), occurred_at


def _closed(appeal: Any, outcome: str, *, minutes: float) -> Step:
    at = appeal.at(appeal.received + minutes)
    return (
        WorkOrderClosed(
            work_order_id=appeal.work_order_id,
            appeal_id=appeal.appeal_id,
            unit_id=appeal.unit_id,
            outcome=outcome,
            handled_at=at,
            closed_at=at,
            closed_by="operator",
        ),
        at,
    )


def _handling_due(appeal: Any, *, minutes: float) -> Step:
    at = appeal.at(appeal.received + minutes)
    return (
        DeadlineReached(
            deadline_id=f"dl-handling-{appeal.appeal_id}",
            work_order_id=appeal.work_order_id,
            appeal_id=appeal.appeal_id,
            unit_id=appeal.unit_id,
            kind="handling",
            due_at=at,
            reached_at=at,
        ),
        at,
    )


def _warning(warning_id: str, subdistrict_id: str, raised_at: datetime) -> Step:
    return (
        WarningRaised(
            warning_id=warning_id,
            kind="hotspot",
            cluster_id=f"cluster-{warning_id}",
            appeal_ids=[f"{warning_id}-{n}" for n in range(5)],
            subdistrict_id=subdistrict_id,
            count=5,
            window_hours=24,
            raised_at=raised_at,
        ),
        raised_at,
    )


def history(story: Callable[..., Any]) -> list[Step]:
    """Nine appeals over two weeks, three of them today, in three units:

    - 水务局 (swj): one closed on time, one open not yet due: on time 1/1, total 1/2;
    - 城管局 (cgj): one closed on time, one closed late: on time 1/2, total 2/2;
    - 住建局 (zjj): one closed on time, one open and overdue: on time 1/2, total 1/2;
    - 交通局 (jtj): one open not yet due: nothing due, total 0/1; one not dispatched.

    Open work: two in 坑梓 (one overdue), one in 坪山. A hotspot in 坑梓 two hours
    ago; one in 碧岭 five days ago, no longer active."""
    steps: list[Step] = []

    def appeal(
        appeal_id: str, unit: str, subdistrict: str, received: int
    ) -> tuple[Any, list[Step]]:
        told = story(appeal_id, unit_id=unit, received=received)
        life = [
            told.appeal_received(),
            _in(subdistrict, told.appeal_filed()),
            _in(subdistrict, told.dispatched()),
        ]
        return told, life

    swj_done, life = appeal("a-swj-1", "swj", "maluan-jd", 0)
    steps += [*life, _closed(swj_done, "on_time", minutes=600)]
    # 23:30 the day before, in Shanghai: not today's.
    _, life = appeal("a-swj-2", "swj", "kengzi-jd", TODAY - 570)
    steps += life
    cgj_on_time, life = appeal("a-cgj-1", "cgj", "shijing-jd", 1440)
    steps += [*life, _closed(cgj_on_time, "on_time", minutes=600)]
    cgj_late, life = appeal("a-cgj-2", "cgj", "shijing-jd", 2 * 1440)
    steps += [*life, _closed(cgj_late, "overdue", minutes=5 * 1440)]
    zjj_done, life = appeal("a-zjj-1", "zjj", "longtian-jd", 3 * 1440)
    steps += [*life, _closed(zjj_done, "on_time", minutes=600)]
    zjj_late, life = appeal("a-zjj-2", "zjj", "kengzi-jd", 4 * 1440)
    steps += [*life, _handling_due(zjj_late, minutes=7 * 1440)]
    _, life = appeal("a-jtj-1", "jtj", "pingshan-jd", TODAY + 60)
    steps += life
    # Received today (the first at 00:30 in Shanghai, still the day before in UTC)
    # and waiting for their filing decision.
    steps.append(story("a-new-1", received=TODAY - 510).appeal_received())
    steps.append(story("a-new-2", received=TODAY + 150).appeal_received())

    steps.append(_warning("w-kengzi", "kengzi-jd", NOW - timedelta(hours=2)))
    steps.append(_warning("w-biling", "biling-jd", NOW - timedelta(days=5)))
    return steps


def _sign_in(browser: WebDriver, base: str, username: str) -> None:
    browser.get(f"{base}/")
    WebDriverWait(browser, 10).until(expected_conditions.url_to_be(f"{base}/login"))
    browser.find_element(By.ID, "username").send_keys(username)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(browser, 10).until(expected_conditions.url_to_be(f"{base}/"))


def _headline(browser: WebDriver, section: str, label: str) -> str:
    for item in browser.find_elements(By.CSS_SELECTOR, f"#{section} + ul li"):
        if item.find_element(By.CLASS_NAME, "label").text == label:
            return item.find_element(By.CLASS_NAME, "value").text
    raise AssertionError(f"no {label} under #{section}")


def _png_pixels(png: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the RGB rows of a PNG as chromium writes it (8-bit RGB or
    RGBA, not interlaced): enough to look at a screenshot without an imaging
    library."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    position, idat, header = 8, b"", b""
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = png[position + 4 : position + 8]
        body = png[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert (depth, interlace) == (8, 0) and colour in _CHANNELS, header
    channels = _CHANNELS[colour]
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    for row in range(height):
        start = row * (stride + 1)
        line = _unfilter(
            raw[start],
            bytearray(raw[start + 1 : start + 1 + stride]),
            previous,
            channels,
        )
        rows.append(b"".join(line[x : x + 3] for x in range(0, stride, channels)))
        previous = line
    return width, height, rows


# PNG colour types chromium writes: RGB and RGBA, and their bytes per pixel.
_CHANNELS = {2: 3, 6: 4}


def _unfilter(
    kind: int, line: bytearray, previous: bytearray, channels: int
) -> bytearray:
    if kind == 0:
        return line
    for i in range(len(line)):
        left = line[i - channels] if i >= channels else 0
        up = previous[i]
        corner = previous[i - channels] if i >= channels else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 2:
            line[i] = (line[i] + up) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        else:
            line[i] = (line[i] + _paeth(left, up, corner)) & 0xFF
    return line


def _paeth(left: int, up: int, corner: int) -> int:
    estimate = left + up - corner
    distances = (abs(estimate - left), abs(estimate - up), abs(estimate - corner))
    return (left, up, corner)[distances.index(min(distances))]


def _ink(width: int, height: int, rows: list[bytes]) -> float:
    """The share of a screenshot's pixels that are ink: dark on the light page."""
    dark = sum(
        1 for row in rows for x in range(0, width * 3, 3) if sum(row[x : x + 3]) < 384
    )
    return dark / (width * height)


async def test_analytics_dashboard_renders_in_chromium(
    browser: WebDriver,
    served: str,
    app_projector: Any,
    story: Callable[..., Any],
    tmp_path: Path,
) -> None:
    await app_projector.apply_all(history(story))

    def look() -> None:
        _sign_in(browser, served, "leader")

        headings = [h.text for h in browser.find_elements(By.TAG_NAME, "h2")]
        for heading in (
            "今日概况",
            "街道分布",
            "当前预警",
            "近14日受理趋势",
            "总体情况",
            "承办单位排名",
        ):
            assert heading in headings
        assert browser.find_element(By.TAG_NAME, "h1").text == "坪山区民生诉求数据看板"
        assert _headline(browser, "today", "今日受理") == "3"
        assert _headline(browser, "today", "在办工单") == "3"
        assert _headline(browser, "today", "超期在办") == "1"
        assert _headline(browser, "today", "预警（近72小时）") == "1"

        regions = browser.find_elements(By.CSS_SELECTOR, "#district-map .region")
        shown = {
            region.get_attribute("data-subdistrict"): region.find_element(
                By.CLASS_NAME, "region-name"
            ).text
            for region in regions
        }
        assert len(regions) == len(SUBDISTRICTS)
        assert shown == SUBDISTRICTS
        marked = {
            region.get_attribute("data-subdistrict"): region.find_element(
                By.CSS_SELECTOR, ".marker text"
            ).text
            for region in regions
            if region.find_elements(By.CLASS_NAME, "marker")
        }
        assert marked == {"kengzi-jd": "1"}
        # Every region is drawn, apart from the others, at a readable size.
        boxes = [region.rect for region in regions]
        assert all(box["width"] > 60 and box["height"] > 60 for box in boxes)
        centres = {
            (round(box["x"] + box["width"] / 2), round(box["y"] + box["height"] / 2))
            for box in boxes
        }
        assert len(centres) == len(SUBDISTRICTS)
        kengzi = browser.find_element(
            By.CSS_SELECTOR, '#district-map .region[data-subdistrict="kengzi-jd"]'
        )
        assert "在办 2 · 超期 1" in kengzi.text

        ranking = [
            [cell.text for cell in row.find_elements(By.CSS_SELECTOR, "td, th")]
            for row in browser.find_elements(By.CSS_SELECTOR, "table.ranking tbody tr")
        ]
        assert [row[:2] for row in ranking] == [
            ["1", "区水务局"],
            ["2", "区城市管理和综合执法局"],
            ["3", "区住房和建设局"],
            ["—", "区交通运输局"],
        ]
        assert ranking[0][2:4] == ["100.0%（1/1）", "50.0%（1/2）"]

        bars = browser.find_elements(By.CSS_SELECTOR, "#trend-chart .day")
        assert len(bars) == 14
        assert bars[-1].get_attribute("class") == "day today"
        assert bars[-1].get_attribute("data-received") == "3"
        assert bars[-1].find_element(By.TAG_NAME, "rect").size["height"] > 0

        # CJK glyphs are drawn: the title has ink, and two names of the same length
        # look different (without a CJK font both are the same four boxes).
        title = browser.find_element(By.TAG_NAME, "h1")
        assert _ink(*_png_pixels(title.screenshot_as_png)) > 0.02
        names = browser.find_elements(By.CSS_SELECTOR, "table.by-subdistrict th")
        first, second = (
            name for name in names if name.text in ("坪山街道", "马峦街道")
        )
        assert first.screenshot_as_png != second.screenshot_as_png

        screenshot = tmp_path / "dashboard.png"
        assert browser.save_screenshot(str(screenshot))
        width, height, rows = _png_pixels(screenshot.read_bytes())
        assert width == 1300 and height > 600
        assert len(set(rows)) > 100, "the screenshot is not blank"
        assert 0.005 < _ink(width, height, rows) < 0.5

    await asyncio.to_thread(look)


async def test_analytics_a_person_signs_in_changes_period_and_signs_out(
    browser: WebDriver,
    served: str,
    app_projector: Any,
    story: Callable[..., Any],
) -> None:
    await app_projector.apply_all(history(story))

    def use() -> None:
        browser.get(f"{served}/")
        assert browser.current_url == f"{served}/login"
        assert browser.find_element(By.TAG_NAME, "h1").text.endswith("登录")

        _sign_in(browser, served, "operator")
        assert (
            "当前用户：operator" in browser.find_element(By.CLASS_NAME, "session").text
        )
        assert _headline(browser, "headline", "受理总数") == "9"
        current = browser.find_element(
            By.CSS_SELECTOR, '.periods [aria-current="page"]'
        )
        assert current.text == "全部"

        browser.find_element(By.LINK_TEXT, "今日").click()
        WebDriverWait(browser, 10).until(
            lambda page: (
                page.find_element(
                    By.CSS_SELECTOR, '.periods [aria-current="page"]'
                ).text
                == "今日"
            )
        )
        assert "from=2026-03-13T00%3A00%3A00%2B08%3A00" in browser.current_url
        assert _headline(browser, "headline", "受理总数") == "3"
        assert _headline(browser, "headline", "已派单") == "1"
        # The figures of the moment do not depend on the period.
        assert _headline(browser, "today", "在办工单") == "3"

        browser.find_element(
            By.CSS_SELECTOR, '#district-map .region[data-subdistrict="kengzi-jd"] a'
        ).click()
        WebDriverWait(browser, 10).until(
            expected_conditions.url_contains("#sd-kengzi-jd")
        )
        row = browser.find_element(By.ID, "sd-kengzi-jd")
        assert [cell.text for cell in row.find_elements(By.CSS_SELECTOR, "th, td")] == [
            "坑梓街道",
            "2",
            "1",
            "1",
        ]
        assert row.value_of_css_property("background-color") == "rgba(255, 243, 205, 1)"

        browser.find_element(By.CSS_SELECTOR, ".session button").click()
        WebDriverWait(browser, 10).until(
            expected_conditions.url_to_be(f"{served}/login")
        )
        browser.get(f"{served}/")
        assert browser.current_url == f"{served}/login"

    await asyncio.to_thread(use)
