"""Messages to handling units (Art. 39–40) through the consumer handlers: urging at
half, two thirds and overdue with a rising level, by government WeChat first; the
weekly overdue supervision list as an OA document; each once however often its
event arrives, and sent through the same delivery as every notice."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from minsheng_common.events import (
    AppealFiled,
    DeadlineUrged,
    OverdueOrder,
    OverdueSupervised,
)
from minsheng_common.reference import Addresses, Contacts
from minsheng_notify.senders import GOV_WECHAT, OutgoingNotice, SendResult

DUE = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai


def filed(officials: Any, appeal_id: str = "a-1", code: str = "MS20261204000123"):
    notify = officials.notify
    return AppealFiled(
        appeal_id=appeal_id,
        tracking_code=code,
        channel="hotline-12345",
        appeal_type="complaint",
        category_id="city-sanitation",
        subdistrict_id="pingshan-jd",
        title="垃圾未清运",
        content="坪山街道六和社区垃圾三天未清运",
        received_at=notify.clock.now(),
        filed_at=notify.clock.now(),
        contact_kind="phone",
        contact_encrypted=notify.vault.encrypt("13800138000"),
    )


def urged(
    step: str,
    level: int,
    *,
    kind: str = "handling",
    appeal_id: str = "a-1",
    deadline_id: str = "d-1",
) -> DeadlineUrged:
    return DeadlineUrged(
        deadline_id=deadline_id,
        work_order_id="wo-1",
        appeal_id=appeal_id,
        unit_id="cgj",
        kind=kind,  # type: ignore[arg-type]
        step=step,  # type: ignore[arg-type]
        level=level,
        due_at=DUE,
        urged_at=datetime(2026, 12, 4, 2, 0, tzinfo=UTC),
    )


async def test_notify_art39_urges_the_unit_at_each_step_with_a_rising_level(
    make_officials: Any,
) -> None:
    officials = await make_officials()
    await officials.apply(filed(officials))

    for step, level in (("half", 1), ("two_thirds", 2), ("overdue", 3)):
        await officials.apply(urged(step, level))
        # The bus delivers each urging again, under a new event id.
        await officials.apply(urged(step, level))

    messages = await officials.messages("urging")
    by_step = {m.request_id.split(":")[2]: m for m in messages}
    assert len(messages) == 3
    assert by_step["half"].body == (
        "【一级催办】区城市管理和综合执法局：诉求MS20261204000123的办理时限已过半"
        "（2026年12月8日18:00到期），请抓紧办理。"
    )
    assert by_step["two_thirds"].body == (
        "【二级催办】区城市管理和综合执法局：诉求MS20261204000123的办理时限已过三分"
        "之二（2026年12月8日18:00到期），请抓紧办理。"
    )
    assert by_step["overdue"].body == (
        "【三级催办】区城市管理和综合执法局：诉求MS20261204000123的办理时限已于"
        "2026年12月8日18:00届满，现已超期，请立即办理并说明超期原因。"
    )
    for message in messages:
        assert message.audience == "unit"
        assert message.unit_id == "cgj"
        assert message.work_order_id == "wo-1"
        assert message.appeal_id == "a-1"
        assert message.status == "pending"


async def test_notify_art39_urging_goes_by_government_wechat_then_oa(
    make_officials: Any,
) -> None:
    officials = await make_officials()

    await officials.apply(urged("half", 1))

    (message,) = await officials.messages("urging")
    assert officials.addresses(message) == [
        ("gov_wechat_user", "zwwx-placeholder-cgj"),
        ("oa", "oa://placeholder.pingshan.invalid/cgj"),
    ]


async def test_notify_urging_names_the_clock_and_without_appeal_the_order(
    make_officials: Any,
) -> None:
    officials = await make_officials()

    await officials.apply(urged("two_thirds", 2, kind="sign_off", appeal_id="a-9"))

    (message,) = await officials.messages("urging")
    assert message.body == (
        "【二级催办】区城市管理和综合执法局：诉求wo-1的签收时限已过三分之二"
        "（2026年12月8日18:00到期），请抓紧办理。"
    )


class GovWeChat:
    """Takes every message, as a government WeChat gateway would."""

    channel = GOV_WECHAT

    def __init__(self) -> None:
        self.sent: list[OutgoingNotice] = []

    async def send(self, message: OutgoingNotice) -> SendResult:
        self.sent.append(message)
        return SendResult(provider_ref=f"wx-{len(self.sent)}")


async def test_notify_art39_urging_is_pushed_by_government_wechat_when_configured(
    make_officials: Any,
) -> None:
    officials = await make_officials()
    gateway = GovWeChat()
    officials.notify.context.senders.register("gov_wechat_user", gateway)
    await officials.apply(filed(officials))
    await officials.apply(urged("half", 1))

    report = await officials.notify.send()

    (sent,) = [m for m in gateway.sent if m.kind == "urging"]
    assert sent.contact == "zwwx-placeholder-cgj"
    assert sent.body.startswith("【一级催办】区城市管理和综合执法局")
    (message,) = await officials.messages("urging")
    assert message.status == "sent"
    assert message.channel == GOV_WECHAT
    assert report.sent == 2  # the citizen's filing notice, and the urging
    assert not officials.oa_folder.exists()


async def test_notify_urging_without_government_wechat_lands_in_the_oa_folder(
    make_officials: Any,
) -> None:
    officials = await make_officials()
    await officials.apply(urged("overdue", 3))

    await officials.notify.send()

    (message,) = await officials.messages("urging")
    assert message.status == "sent"
    assert message.channel == "oa"
    assert message.provider_ref == f"oa:{message.id}.json"
    document = json.loads(
        (officials.oa_folder / f"{message.id}.json").read_text(encoding="utf-8")
    )
    assert document["contact"] == "oa://placeholder.pingshan.invalid/cgj"
    assert document["body"] == message.body
    attempts = await officials.notify.attempts(message.id)
    assert [a.outcome for a in attempts] == ["sent"]
    # Messages to units are not announced to dispatch or analytics as notices.
    assert await officials.notify.events("notice.sent") == []


async def test_notify_urging_a_unit_without_an_address_fails_at_once(
    make_officials: Any,
) -> None:
    contacts = Contacts(units={"swj": Addresses(oa="oa://swj")})
    officials = await make_officials(contacts=contacts)

    await officials.apply(urged("half", 1))

    (message,) = await officials.messages("urging")
    assert message.status == "failed"
    assert message.last_error is not None
    assert "no address" in message.last_error
    assert [a.outcome for a in await officials.notify.attempts(message.id)] == [
        "no_contact"
    ]


def listed(orders: list[OverdueOrder]) -> OverdueSupervised:
    return OverdueSupervised(
        supervision_id="s-1",
        unit_id="cgj",
        week_of=date(2026, 12, 7),
        orders=orders,
        listed_at=datetime(2026, 12, 7, 1, 0, tzinfo=UTC),  # Monday 09:00
    )


async def test_notify_art40_weekly_supervision_lists_the_units_overdue_orders(
    make_officials: Any,
) -> None:
    officials = await make_officials()
    await officials.apply(filed(officials))
    orders = [
        OverdueOrder(
            work_order_id="wo-1",
            appeal_id="a-1",
            kind="handling",
            due_at=datetime(2026, 12, 3, 10, 0, tzinfo=UTC),
        ),
        OverdueOrder(
            work_order_id="wo-2",
            appeal_id="a-unknown",
            kind="staged_check",
            due_at=datetime(2026, 12, 4, 10, 0, tzinfo=UTC),
        ),
    ]

    await officials.apply(listed(orders))
    await officials.apply(listed(orders))

    (message,) = await officials.messages("supervision")
    assert message.body == (
        "【超期督办】区城市管理和综合执法局：截至2026年12月7日09:00，贵单位有2件诉求"
        "超期未办结，现予督办，请立即办理并在平台反馈：\n"
        "1. 诉求MS20261204000123，办理时限2026年12月3日18:00届满；\n"
        "2. 诉求wo-2，阶段性办结复查时限2026年12月4日18:00届满；\n"
        "区民生诉求服务中心 2026年12月7日"
    )
    assert message.unit_id == "cgj"
    assert officials.addresses(message)[0] == (
        "oa",
        "oa://placeholder.pingshan.invalid/cgj",
    )
