"""Alerts to agencies and units through the consumer handlers: a level-1 appeal at
once to the agencies the reference routes level 1 to (Art. 9); warnings to the
agencies of their kind, the subdistrict office and the units handling their
appeals (Art. 23); OA letters, with a telephone letter (电函) for the urgent cases,
each once however often its event arrives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from minsheng_common.events import (
    AppealFiled,
    AppealGraded,
    WarningRaised,
    WorkOrderDispatched,
)
from minsheng_common.reference import Addresses, Contacts, load_reference

NOW = datetime(2026, 12, 4, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai


def filed(
    officials: Any,
    appeal_id: str = "a-1",
    *,
    level: int = 3,
    code: str = "MS20261204000123",
    subdistrict_id: str = "longtian-jd",
) -> AppealFiled:
    notify = officials.notify
    return AppealFiled(
        appeal_id=appeal_id,
        tracking_code=code,
        channel="hotline-12345",
        appeal_type="complaint",
        category_id="safety",
        subdistrict_id=subdistrict_id,
        title="小区围墙出现裂缝并倾斜",
        content="龙田街道某小区围墙出现裂缝并倾斜",
        received_at=notify.clock.now(),
        filed_at=notify.clock.now(),
        contact_kind="phone",
        contact_encrypted=notify.vault.encrypt("13800138000"),
        level=level,  # type: ignore[arg-type]
    )


def graded(appeal_id: str = "a-1", level: int = 1, *, at: datetime = NOW):
    return AppealGraded(
        appeal_id=appeal_id,
        tracking_code="MS20261204000123",
        level=level,  # type: ignore[arg-type]
        basis="operator: 可能危及公共安全",
        graded_at=at,
        graded_by="operator-1",
    )


def dispatched(appeal_id: str, unit_id: str, work_order_id: str) -> WorkOrderDispatched:
    return WorkOrderDispatched(
        work_order_id=work_order_id,
        appeal_id=appeal_id,
        tracking_code="MS20261204000123",
        unit_id=unit_id,
        appeal_type="complaint",
        filed_at=NOW,
        created_at=NOW,
        dispatched_at=NOW,
        route_basis="category default",
        rules_edition="2020-12",
    )


def warning(
    kind: str,
    appeal_ids: list[str],
    *,
    warning_id: str = "w-1",
    subdistrict_id: str | None = "pingshan-jd",
    count: int | None = None,
    window_hours: int | None = None,
) -> WarningRaised:
    return WarningRaised(
        warning_id=warning_id,
        kind=kind,  # type: ignore[arg-type]
        cluster_id=None,
        appeal_ids=appeal_ids,
        subdistrict_id=subdistrict_id,
        count=count or len(appeal_ids),
        window_hours=window_hours,
        raised_at=NOW + timedelta(minutes=30),
    )


async def test_notify_art9_level_1_filing_alerts_the_three_agencies_at_once(
    make_officials: Any,
) -> None:
    officials = await make_officials()

    await officials.apply(filed(officials, level=1))

    letters = await officials.messages("level_1_alert")
    assert [m.unit_id for m in letters] == ["xfj", "yjglj", "zfw"]
    assert {m.audience for m in letters} == {"agency"}
    assert {m.appeal_id for m in letters} == {"a-1"}
    zfw = next(m for m in letters if m.unit_id == "zfw")
    assert zfw.body == (
        "【一级民生诉求】区委政法委：2026年12月4日09:30受理一级诉求（编号"
        "MS20261204000123），小区围墙出现裂缝并倾斜，地点龙田街道，类别安全管理。"
        "请即研判，联动处置。"
    )
    assert officials.addresses(zfw) == [("oa", "oa://placeholder.pingshan.invalid/zfw")]


async def test_notify_art23_level_1_also_gets_a_telephone_letter_for_staff(
    make_officials: Any,
) -> None:
    officials = await make_officials()
    await officials.apply(filed(officials, level=1))

    report = await officials.notify.send()

    calls = await officials.messages("telephone_letter")
    assert [m.unit_id for m in calls] == ["xfj", "yjglj", "zfw"]
    zfw = next(m for m in calls if m.unit_id == "zfw")
    assert zfw.body == (
        "【电函】致区委政法委：编号MS20261204000123的一级民生诉求“小区围墙出现裂缝"
        "并倾斜”，请即研判处置。（区民生诉求服务中心电话告知）"
    )
    assert officials.addresses(zfw) == [("telephone", "0755-0000-0102")]
    # A telephone letter is for staff to call and record: never sent by a sender.
    assert {m.status for m in calls} == {"manual"}
    letters = await officials.messages("level_1_alert")
    assert {m.status for m in letters} == {"sent"}
    assert len(list(officials.oa_folder.iterdir())) == 3
    assert report.sent == 4  # three OA letters and the citizen's filing notice


async def test_notify_art9_grading_to_level_1_alerts_once(
    make_officials: Any,
) -> None:
    officials = await make_officials()
    await officials.apply(filed(officials, level=3))
    assert await officials.messages("level_1_alert") == []

    await officials.apply(graded(level=1))
    await officials.apply(graded(level=1, at=NOW + timedelta(hours=1)))
    await officials.apply(filed(officials, level=1))

    letters = await officials.messages("level_1_alert")
    assert len(letters) == 3
    assert len(await officials.messages("telephone_letter")) == 3
    assert "定级依据：operator: 可能危及公共安全。" in letters[0].body


async def test_notify_level_2_grading_alerts_nobody(make_officials: Any) -> None:
    officials = await make_officials()

    await officials.apply(graded(level=2))

    assert await officials.messages("level_1_alert") == []
    assert await officials.messages("telephone_letter") == []


async def test_notify_level_1_graded_before_filing_names_the_code(
    make_officials: Any,
) -> None:
    officials = await make_officials()

    await officials.apply(graded(level=1))

    letters = await officials.messages("level_1_alert")
    assert letters[0].body == (
        "【一级民生诉求】区信访局：2026年12月4日09:30受理一级诉求（编号"
        "MS20261204000123）。定级依据：operator: 可能危及公共安全。请即研判，联动处置。"
    )


async def test_notify_level_1_routing_and_urgency_come_from_the_reference(
    make_officials: Any,
) -> None:
    packaged = load_reference()
    reference = packaged.model_copy(
        update={"warning_routes": {"level_1": ["xfj"], "hotspot": ["xfj"]}}
    )
    contacts = packaged.contacts.model_copy(update={"telephone_letters_for": []})
    officials = await make_officials(reference=reference, contacts=contacts)

    await officials.apply(filed(officials, level=1))

    letters = await officials.messages("level_1_alert")
    assert [m.unit_id for m in letters] == ["xfj"]
    assert await officials.messages("telephone_letter") == []


async def test_notify_art23_hotspot_warning_goes_to_plc_petition_office_and_units(
    make_officials: Any,
) -> None:
    officials = await make_officials()
    for number in range(1, 7):
        appeal_id = f"a-{number}"
        code = f"MS2026120400012{number}"
        await officials.apply(filed(officials, appeal_id, code=code))
    await officials.apply(dispatched("a-1", "cgj", "wo-1"))
    await officials.apply(dispatched("a-2", "cgj", "wo-2"))

    raised = warning(
        "hotspot", [f"a-{n}" for n in range(1, 7)], count=6, window_hours=24
    )
    await officials.apply(raised)
    await officials.apply(raised)

    messages = await officials.messages("warning")
    assert sorted(m.unit_id for m in messages) == ["cgj", "pingshan-jd", "xfj", "zfw"]
    xfj = next(m for m in messages if m.unit_id == "xfj")
    assert xfj.body == (
        "【热点预警】区信访局：坪山街道24小时内同一事项诉求6件（MS20261204000121、"
        "MS20261204000122、MS20261204000123、MS20261204000124、MS20261204000125等），"
        "2026年12月4日10:00预警。请及时研判处置。"
    )
    assert {m.audience for m in messages if m.unit_id in ("xfj", "zfw")} == {"agency"}
    assert await officials.messages("telephone_letter") == []


async def test_notify_art23_safety_hazard_goes_to_emergency_bureau_with_a_call(
    make_officials: Any,
) -> None:
    officials = await make_officials()
    await officials.apply(filed(officials))
    await officials.apply(dispatched("a-1", "zjj", "wo-1"))

    await officials.apply(warning("safety_hazard", ["a-1"], subdistrict_id=None))

    messages = await officials.messages("warning")
    assert sorted(m.unit_id for m in messages) == ["yjglj", "zjj"]
    assert messages[0].body.endswith(
        "：涉及诉求1件（MS20261204000123），2026年12月4日10:00预警。请及时研判处置。"
    )
    (call,) = await officials.messages("telephone_letter")
    assert call.unit_id == "yjglj"
    assert call.body == (
        "【电函】致区应急管理局：安全隐患预警，涉及诉求1件，请即研判处置。"
        "（区民生诉求服务中心电话告知）"
    )


async def test_notify_art23_unit_dispatched_after_the_warning_is_told_once(
    make_officials: Any,
) -> None:
    officials = await make_officials()
    await officials.apply(filed(officials))
    await officials.apply(warning("sensitive", ["a-1"], subdistrict_id=None))
    assert sorted(m.unit_id for m in await officials.messages("warning")) == [
        "xfj",
        "zfw",
    ]

    await officials.apply(dispatched("a-1", "rlzyj", "wo-1"))
    await officials.apply(dispatched("a-1", "rlzyj", "wo-1"))

    messages = await officials.messages("warning")
    assert sorted(m.unit_id for m in messages) == ["rlzyj", "xfj", "zfw"]
    rlzyj = next(m for m in messages if m.unit_id == "rlzyj")
    assert rlzyj.body.startswith("【敏感预警】区人力资源局：涉及诉求1件")


async def test_notify_warning_to_an_office_without_address_fails_at_once(
    make_officials: Any,
) -> None:
    contacts = Contacts(units={"zfw": Addresses(oa="oa://zfw")})
    officials = await make_officials(contacts=contacts)

    await officials.apply(warning("high_frequency", ["a-1"], subdistrict_id=None))

    messages = {m.unit_id: m for m in await officials.messages("warning")}
    assert messages["zfw"].status == "pending"
    assert messages["xfj"].status == "failed"
