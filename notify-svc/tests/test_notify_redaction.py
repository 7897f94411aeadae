"""Personal data in a unit's words is masked in every notice body notify keeps, sends
and shows, besides the citizen's own contact (defence in depth, Art. 41)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from minsheng_notify.models import Notice

# What a unit's clerk might write: an ID number, another phone, an email, a landline.
PERSONAL_MESSAGE = (
    "请身份证440306199001011234的张先生携带材料，联系13911112222、"
    "zxs@163.com或座机84000204"
)
MASKED_MESSAGE = (
    "请身份证[身份证号]的张先生携带材料，联系139****2222、[邮箱]或座机840***04"
)
PERSONAL = ("440306199001011234", "13911112222", "zxs@163.com", "84000204")


def assert_masked(body: str) -> None:
    for personal in PERSONAL:
        assert personal not in body
    assert MASKED_MESSAGE in body
    # The tracking code the citizen reads out on the phone stays whole.
    assert "MS20261204000123" in body


async def test_notify_keeps_the_notice_body_masked_before_the_recipient_is_known(
    make_harness: Any,
) -> None:
    notify = await make_harness()

    await notify.request_acceptance("a-1", message=PERSONAL_MESSAGE)

    assert_masked((await notify.notice("a-1")).body)


async def test_notify_sends_the_body_masked_and_keeps_what_it_sent(
    make_harness: Any, flaky_sender: Any
) -> None:
    sender = flaky_sender(failures=0)
    notify = await make_harness(sender=sender)
    await notify.file_appeal("a-1")
    await notify.request_acceptance("a-1", message=PERSONAL_MESSAGE)

    report = await notify.send()

    assert report.sent == 1
    (message,) = sender.calls
    assert_masked(message.body)
    assert_masked((await notify.notice("a-1")).body)


async def test_notify_masks_a_body_kept_before_masking_when_it_sends_it(
    make_harness: Any, flaky_sender: Any
) -> None:
    sender = flaky_sender(failures=0)
    notify = await make_harness(sender=sender)
    await notify.request_acceptance("a-1")
    notice = await notify.notice("a-1")
    unmasked = f"【民生诉求】您的诉求（编号MS20261204000123）已受理：{PERSONAL_MESSAGE}"
    async with notify.sessions() as session, session.begin():
        await session.execute(
            update(Notice).where(Notice.id == notice.id).values(body=unmasked)
        )
    await notify.file_appeal("a-1")

    await notify.send()

    (message,) = sender.calls
    assert_masked(message.body)
    assert_masked((await notify.notice("a-1")).body)
