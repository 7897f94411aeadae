"""The daily morning report (民生诉求每日早报, Art. 23): at 08:00 Asia/Shanghai the
previous day's level-1 appeals, warnings and overdue orders, to every leader by
SMS or government WeChat, compiled once per day; its content for a seeded day."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from minsheng_common.events import (
    AppealFiled,
    AppealGraded,
    DeadlineUrged,
    WarningRaised,
)
from minsheng_notify import morning_report
from minsheng_notify.official_errors import MorningReportNotFound

REPORT_DAY = date(2026, 12, 4)
EIGHT = datetime(2026, 12, 4, 0, 0, tzinfo=UTC)  # 08:00 on 4 December in Shanghai


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant given in Shanghai time in December 2026, as UTC."""
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


def filed(
    officials: Any,
    appeal_id: str,
    code: str,
    *,
    when: datetime,
    level: int = 3,
    title: str = "小区围墙出现裂缝并倾斜",
    category_id: str | None = "safety",
    subdistrict_id: str | None = "longtian-jd",
) -> AppealFiled:
    return AppealFiled(
        appeal_id=appeal_id,
        tracking_code=code,
        channel="hotline-12345",
        appeal_type="complaint",
        category_id=category_id,
        subdistrict_id=subdistrict_id,
        title=title,
        content=title,
        received_at=when,
        filed_at=when,
        contact_kind="phone",
        contact_encrypted=officials.notify.vault.encrypt("13800138000"),
        level=level,  # type: ignore[arg-type]
    )


def urged(deadline_id: str, kind: str, step: str, *, when: datetime) -> DeadlineUrged:
    return DeadlineUrged(
        deadline_id=deadline_id,
        work_order_id=f"wo-{deadline_id}",
        appeal_id="a-1",
        unit_id="swj",
        kind=kind,  # type: ignore[arg-type]
        step=step,  # type: ignore[arg-type]
        level=3 if step == "overdue" else 2,
        due_at=when,
        urged_at=when,
    )


async def seed_day(officials: Any) -> None:
    """3 December 2026 and its edges: what the report of the 4th must hold."""
    apply = officials.apply
    # Level 1: filed so on the day; graded so late on the day; either side of it.
    await apply(filed(officials, "a-1", "MS20261203000001", when=at(3, 10), level=1))
    await apply(
        filed(
            officials,
            "a-2",
            "MS20261202000002",
            when=at(2, 23, 59),
            title="工地夜间施工噪音扰民",
            category_id="environment-water",
            subdistrict_id="pingshan-jd",
        )
    )
    await apply(
        AppealGraded(
            appeal_id="a-2",
            tracking_code="MS20261202000002",
            level=1,
            basis="operator: 群体性投诉",
            graded_at=at(3, 23, 59),
            graded_by="operator-1",
        )
    )
    await apply(filed(officials, "a-3", "MS20261202000003", when=at(2, 23), level=1))
    await apply(filed(officials, "a-4", "MS20261204000004", when=at(4, 0), level=1))

    # Warnings: a hotspot on the day (two of its appeals known), one the day after.
    for number in (5, 6):
        await apply(
            filed(
                officials,
                f"a-{number}",
                f"MS2026120300000{number}",
                when=at(3, 8),
                title="公交站台损坏",
                subdistrict_id="pingshan-jd",
            )
        )
    await apply(
        WarningRaised(
            warning_id="w-1",
            kind="hotspot",
            appeal_ids=["a-5", "a-6", "a-x7", "a-x8", "a-x9"],
            subdistrict_id="pingshan-jd",
            count=5,
            window_hours=24,
            raised_at=at(3, 11),
        )
    )
    await apply(
        WarningRaised(
            warning_id="w-2",
            kind="sensitive",
            appeal_ids=["a-1"],
            count=1,
            raised_at=at(4, 0, 30),
        )
    )

    # Orders that ran out: handling and a staged check on the day; not a sign-off,
    # not two thirds, not the day before.
    await apply(urged("d-1", "handling", "overdue", when=at(3, 18)))
    await apply(urged("d-2", "sign_off", "overdue", when=at(3, 11)))
    await apply(urged("d-3", "handling", "two_thirds", when=at(3, 12)))
    await apply(urged("d-4", "staged_check", "overdue", when=at(3, 20)))
    await apply(urged("d-5", "handling", "overdue", when=at(2, 18)))


EXPECTED = (
    "【民生诉求每日早报】2026年12月3日\n"
    "一、一级诉求（2件）\n"
    "1. MS20261203000001 小区围墙出现裂缝并倾斜（龙田街道，安全管理）\n"
    "2. MS20261202000002 工地夜间施工噪音扰民（坪山街道，环保水务）\n"
    "二、预警（1条）\n"
    "1. 热点：坪山街道24小时内5件（MS20261203000005、MS20261203000006等）\n"
    "三、超期未办结（2件）\n"
    "1. MS20261203000001 区水务局，办理时限2026年12月3日18:00届满\n"
    "2. MS20261203000001 区水务局，阶段性办结复查时限2026年12月3日20:00届满"
)


async def compile_at(officials: Any, moment: datetime) -> Any:
    officials.notify.clock.advance(moment - officials.notify.clock.now())
    return await morning_report.run_due(
        sessions=officials.notify.sessions, context=officials.context
    )


async def test_notify_morning_report_of_a_seeded_day_is_exact(
    make_officials: Any,
) -> None:
    officials = await make_officials()
    await seed_day(officials)

    report = await compile_at(officials, EIGHT)

    assert report is not None
    assert report.report_date == REPORT_DAY
    assert report.covers == date(2026, 12, 3)
    assert report.body == EXPECTED
    assert (report.level_1_count, report.warning_count, report.overdue_count) == (
        2,
        1,
        2,
    )
    content = json.loads(report.content)
    assert [item["appeal_id"] for item in content["level_1"]] == ["a-1", "a-2"]
    assert [item["warning_id"] for item in content["warnings"]] == ["w-1"]
    assert [item["work_order_id"] for item in content["overdue"]] == [
        "wo-d-1",
        "wo-d-4",
    ]


async def test_notify_morning_report_goes_to_every_leader_by_their_channel(
    make_officials: Any,
) -> None:
    officials = await make_officials()
    await seed_day(officials)

    await compile_at(officials, EIGHT)

    messages = await officials.messages("morning_report")
    by_leader = {m.request_id.split(":")[-1]: m for m in messages}
    assert sorted(by_leader) == ["deputy-head", "head", "plc-secretary", "secretary"]
    assert {m.body for m in messages} == {EXPECTED}
    assert {m.audience for m in messages} == {"leader"}
    assert officials.addresses(by_leader["head"]) == [
        ("gov_wechat_user", "zwwx-placeholder-leader-head"),
        ("phone", "100-0000-0202"),
    ]
    assert officials.addresses(by_leader["deputy-head"]) == [
        ("phone", "100-0000-0203"),
        ("gov_wechat_user", "zwwx-placeholder-leader-deputy-head"),
    ]


async def test_notify_morning_report_waits_for_eight_and_is_sent_once_a_day(
    make_officials: Any,
) -> None:
    officials = await make_officials()

    early = await compile_at(officials, EIGHT - timedelta(seconds=1))
    first = await compile_at(officials, EIGHT)
    again = await compile_at(officials, EIGHT + timedelta(hours=3))

    assert early is None
    assert first is not None
    assert again is None
    assert len(await officials.messages("morning_report")) == 4


async def test_notify_morning_report_of_a_quiet_day_says_none(
    make_officials: Any,
) -> None:
    officials = await make_officials()

    report = await compile_at(officials, EIGHT + timedelta(minutes=5))

    assert report is not None
    assert report.body == (
        "【民生诉求每日早报】2026年12月3日\n"
        "一、一级诉求（0件）\n无\n"
        "二、预警（0条）\n无\n"
        "三、超期未办结（0件）\n无"
    )


async def test_notify_morning_report_of_a_day_missed_entirely_is_not_sent_later(
    make_officials: Any,
) -> None:
    officials = await make_officials()

    report = await compile_at(officials, EIGHT + timedelta(days=2, hours=1))

    assert report is not None
    assert report.report_date == date(2026, 12, 6)
    async with officials.notify.sessions() as session:
        with pytest.raises(MorningReportNotFound):
            await morning_report.get_report(session=session, report_date=REPORT_DAY)
        kept = await morning_report.get_report(
            session=session, report_date=date(2026, 12, 6)
        )
    assert kept.covers == date(2026, 12, 5)


async def test_notify_morning_report_of_the_next_day_is_its_own(
    make_officials: Any,
) -> None:
    officials = await make_officials()
    await seed_day(officials)
    await compile_at(officials, EIGHT)

    next_day = await compile_at(officials, EIGHT + timedelta(days=1))

    assert next_day is not None
    assert next_day.covers == date(2026, 12, 4)
    # a-4 became level 1 at midnight; the sensitive warning came half an hour on.
    assert next_day.level_1_count == 1
    assert next_day.warning_count == 1
    assert "MS20261204000004" in next_day.body
    assert len(await officials.messages("morning_report")) == 8
