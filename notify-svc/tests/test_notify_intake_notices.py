"""Intake's decisions told to the citizen (issue 4, rules §7): the tracking code of a
filed appeal, the reason a rejected one is not filed and where to turn instead, and
the instant answer to a consultation (Art. 44); one notice per appeal and kind."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, update

from minsheng_common.events import AppealAnswered, AppealRejected
from minsheng_notify.models import Notice, Recipient

TRACKING = "MS20261204000123"


def rejected(
    notify: Any,
    appeal_id: str = "a-1",
    *,
    contact: str | None = "13800138000",
    reason_code: str = "address_not_precise",
    detail: str = "只写明本区，未写明街道、社区或门牌等具体地址（address, content）",
    advice: str | None = None,
    repeat_of: str | None = None,
) -> AppealRejected:
    return AppealRejected(
        appeal_id=appeal_id,
        tracking_code=TRACKING,
        channel="hotline-12345",
        appeal_type="complaint",
        reason_code=reason_code,
        article="Art. 11(2)3, 11(3)2",
        detail=detail,
        received_at=notify.clock.now(),
        rejected_at=notify.clock.now(),
        contact_kind="phone" if contact else None,
        contact_encrypted=notify.vault.encrypt(contact) if contact else None,
        repeat_of=repeat_of,
        advice=advice,
    )


def answered(
    notify: Any,
    appeal_id: str = "a-1",
    *,
    contact: str | None = "13800138000",
    answer: str = "社保卡补办可到坪山区政务服务中心一楼社保窗口办理，请携带身份证",
) -> AppealAnswered:
    return AppealAnswered(
        appeal_id=appeal_id,
        tracking_code=TRACKING,
        channel="wechat",
        knowledge_entry_id="kb-17",
        answer=answer,
        confidence=0.92,
        answered_at=notify.clock.now(),
        contact_kind="phone" if contact else None,
        contact_encrypted=notify.vault.encrypt(contact) if contact else None,
    )


async def reject(notify: Any, event: AppealRejected) -> None:
    await notify.apply(event, notify.consumers.on_appeal_rejected)


async def answer(notify: Any, event: AppealAnswered) -> None:
    await notify.apply(event, notify.consumers.on_appeal_answered)


def mailbox_bodies(notify: Any) -> dict[str, str]:
    """Kind to body of every message the mailbox sender left."""
    documents = [
        json.loads(path.read_text(encoding="utf-8"))
        for path in notify.mailbox.glob("*.json")
    ]
    return {document["kind"]: document["body"] for document in documents}


async def test_notify_filed_appeal_gets_its_tracking_code(make_harness: Any) -> None:
    notify = await make_harness()

    await notify.file_appeal("a-1", told=False)

    notice = await notify.notice("a-1", "filed")
    assert notice.request_id == "filed:a-1"
    assert notice.status == "pending"
    assert notice.unit_id is None
    assert notice.body == (
        f"【民生诉求】您的诉求已受理登记，编号{TRACKING}，"
        "可凭编号和联系电话后四位查询办理进度。"
    )
    report = await notify.send()
    assert report.sent == 1
    assert mailbox_bodies(notify) == {"filed": notice.body}
    (event,) = await notify.events("notice.sent")
    assert (event["kind"], event["request_id"]) == ("filed", "filed:a-1")


async def test_notify_filed_by_email_names_no_phone_digits(make_harness: Any) -> None:
    notify = await make_harness()

    await notify.file_appeal(
        "a-1", contact="citizen@example.com", contact_kind="email", told=False
    )

    notice = await notify.notice("a-1", "filed")
    assert notice.body == (
        f"【民生诉求】您的诉求已受理登记，编号{TRACKING}，可凭编号查询办理进度。"
    )


async def test_notify_filing_delivered_twice_gives_one_notice(
    make_harness: Any,
) -> None:
    notify = await make_harness()
    await notify.file_appeal("a-1", told=False)

    # A new event id each time: the inbox alone would not stop it.
    notify.clock.advance(timedelta(minutes=3))
    await notify.file_appeal("a-1", told=False)

    notices = await notify.notices("a-1", "filed")
    assert len(notify.applied) == 2
    assert [notice.created_at for notice in notices] == [notify.start]


async def test_notify_replayed_filing_after_erasure_queues_nothing(
    make_harness: Any,
) -> None:
    notify = await make_harness()
    await notify.file_appeal("a-1")
    # As for an appeal filed before filing notices existed, its contact since
    # erased for retention: the replayed filing must not queue a notice to nobody.
    async with notify.sessions() as session, session.begin():
        await session.execute(delete(Notice))
        await session.execute(
            update(Recipient).values(
                contact_encrypted=None, contact_erased_at=notify.clock.now()
            )
        )

    await notify.file_appeal("a-1", told=False)

    assert await notify.notices("a-1", "filed") == []


async def test_notify_rejection_tells_the_reason_and_what_to_do(
    make_harness: Any,
) -> None:
    notify = await make_harness()

    await reject(notify, rejected(notify))

    notice = await notify.notice("a-1", "rejected")
    assert notice.request_id == "rejected:a-1"
    assert notice.body == (
        f"【民生诉求】您的诉求（编号{TRACKING}）未予立案，原因是地址不够具体，"
        "未写明街道、社区、小区或门牌号等。"
        "请补充街道、社区、小区及门牌号（或路灯杆号）后重新反映。"
    )
    assert "address" not in notice.body
    assert " " not in notice.body


async def test_notify_rejection_keeps_the_recipient_from_the_event_and_sends(
    make_harness: Any,
) -> None:
    notify = await make_harness()
    event = rejected(notify)

    await reject(notify, event)
    report = await notify.send()

    recipient = await notify.recipient("a-1")
    assert recipient is not None
    assert recipient.contact_encrypted == event.contact_encrypted
    assert recipient.contact_kind == "phone"
    assert recipient.filed_at == event.rejected_at
    assert report.sent == 1
    notice = await notify.notice("a-1", "rejected")
    assert notice.status == "sent"
    assert notice.recipient_masked == "138****8000"
    assert set(mailbox_bodies(notify)) == {"rejected"}


async def test_notify_rejection_uses_intake_advice_and_names_the_earlier_appeal(
    make_harness: Any,
) -> None:
    notify = await make_harness()
    await notify.file_appeal("a-0")
    earlier = await notify.recipient("a-0")
    assert earlier is not None

    await reject(
        notify,
        rejected(
            notify,
            reason_code="repeat",
            detail="同一人同一渠道3个工作日内反映同一问题",
            advice="原诉求正由区城市管理和综合执法局办理，请耐心等待答复",
            repeat_of="a-0",
        ),
    )

    notice = await notify.notice("a-1", "rejected")
    assert notice.body == (
        f"【民生诉求】您的诉求（编号{TRACKING}）未予立案，原因是与您此前反映的同一"
        f"诉求重复，该诉求仍在办理中（原诉求编号{earlier.tracking_code}）。"
        "原诉求正由区城市管理和综合执法局办理，请耐心等待答复。"
    )


async def test_notify_rejection_with_an_unknown_code_explains_with_the_detail(
    make_harness: Any,
) -> None:
    notify = await make_harness()

    await reject(
        notify,
        rejected(
            notify,
            reason_code="outside_district_unit",
            detail="被反映单位在本区无办事机构（unit）。",
            advice="可向该单位所在地的12345热线反映",
        ),
    )

    notice = await notify.notice("a-1", "rejected")
    assert notice.body == (
        f"【民生诉求】您的诉求（编号{TRACKING}）未予立案，原因是被反映单位在本区无"
        "办事机构。可向该单位所在地的12345热线反映。"
    )


async def test_notify_rejection_delivered_twice_gives_one_notice(
    make_harness: Any,
) -> None:
    notify = await make_harness()
    await reject(notify, rejected(notify))

    notify.clock.advance(timedelta(minutes=1))
    await reject(notify, rejected(notify, advice="另一段建议"))

    (notice,) = await notify.notices("a-1", "rejected")
    assert notice.created_at == notify.start
    assert "另一段建议" not in notice.body


async def test_notify_rejection_without_contact_is_kept_failed_as_no_contact(
    make_harness: Any,
) -> None:
    notify = await make_harness()
    event = rejected(
        notify,
        contact=None,
        reason_code="missing_contact",
        detail="未留真实有效的联系方式（contact）",
    )

    await reject(notify, event)
    await reject(notify, event.model_copy())
    report = await notify.send()

    notice = await notify.notice("a-1", "rejected")
    assert notice.status == "failed"
    assert notice.failed_at == notify.start
    assert notice.attempts == 0
    assert notice.last_error is not None
    assert notice.last_error.startswith("no_contact")
    assert "未留下真实有效的联系方式" in notice.body
    assert [attempt.outcome for attempt in await notify.attempts(notice.id)] == [
        "no_contact"
    ]
    (failed,) = await notify.events("notice.failed")
    assert (failed["reason"], failed["kind"], failed["channel"]) == (
        "no_contact",
        "rejected",
        "none",
    )
    assert await notify.recipient("a-1") is None
    assert (report.sent, report.failed) == (0, 0)


async def test_notify_instant_answer_is_sent_as_a_notice(make_harness: Any) -> None:
    notify = await make_harness()
    event = answered(notify)

    await answer(notify, event)
    report = await notify.send()

    notice = await notify.notice("a-1", "instant_answer")
    assert notice.request_id == "instant_answer:a-1"
    assert notice.body == (
        f"【民生诉求】您咨询的问题（编号{TRACKING}）答复如下：社保卡补办可到坪山区"
        "政务服务中心一楼社保窗口办理，请携带身份证。如仍有疑问，可凭编号再次咨询。"
    )
    assert report.sent == 1
    assert notice.status == "sent"
    recipient = await notify.recipient("a-1")
    assert recipient is not None
    assert recipient.channel == "wechat"
    assert recipient.contact_encrypted == event.contact_encrypted
    assert mailbox_bodies(notify) == {"instant_answer": notice.body}


async def test_notify_instant_answer_delivered_twice_gives_one_notice(
    make_harness: Any,
) -> None:
    notify = await make_harness()
    await answer(notify, answered(notify))

    notify.clock.advance(timedelta(seconds=30))
    await answer(notify, answered(notify, answer="另一个答复"))

    (notice,) = await notify.notices("a-1", "instant_answer")
    assert "另一个答复" not in notice.body
    assert len(notify.applied) == 2


async def test_notify_instant_answer_keeps_public_numbers_but_not_the_contact(
    make_harness: Any,
) -> None:
    notify = await make_harness()

    await answer(
        notify,
        answered(
            notify,
            answer="已为13800138000的市民查询；办理咨询请拨打区政务服务中心0755-28339260",
        ),
    )
    await notify.send()

    notice = await notify.notice("a-1", "instant_answer")
    assert "13800138000" not in notice.body
    assert "0755-28339260" in notice.body
    assert "13800138000" not in mailbox_bodies(notify)["instant_answer"]
    assert "0755-28339260" in mailbox_bodies(notify)["instant_answer"]


async def test_notify_instant_answer_does_not_replace_the_filing_recipient(
    make_harness: Any,
) -> None:
    notify = await make_harness()
    filed = await notify.file_appeal("a-1")

    notify.clock.advance(timedelta(minutes=1))
    await answer(notify, answered(notify, contact="13912345678"))

    recipient = await notify.recipient("a-1")
    assert recipient is not None
    assert recipient.contact_encrypted == filed.contact_encrypted
    assert recipient.updated_at == notify.start


async def test_notify_instant_answer_without_contact_is_kept_failed(
    make_harness: Any,
) -> None:
    notify = await make_harness()

    await answer(notify, answered(notify, contact=None))

    notice = await notify.notice("a-1", "instant_answer")
    assert notice.status == "failed"
    (failed,) = await notify.events("notice.failed")
    assert failed["reason"] == "no_contact"
