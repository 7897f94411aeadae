"""The handlers of appeal.filed and work_order.acceptance_notice_requested, applied
inside a transaction as the consumer loop applies them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, text

from minsheng_notify.models import Notice


async def test_notify_appeal_filed_keeps_recipient_encrypted(
    make_harness: Any,
) -> None:
    notify = await make_harness()

    filed = await notify.file_appeal("a-1", contact="citizen@example.com")

    recipient = await notify.recipient("a-1")
    assert recipient is not None
    assert recipient.contact_encrypted == filed.contact_encrypted
    assert recipient.contact_kind == "phone"
    assert recipient.channel == "hotline-12345"
    assert recipient.tracking_code == "MS20261204000123"
    async with notify.sessions() as session:
        stored = (await session.execute(text("SELECT * FROM recipients"))).all()
    assert "citizen@example.com" not in repr(stored)


async def test_notify_second_appeal_filed_replaces_recipient(
    make_harness: Any,
) -> None:
    notify = await make_harness()
    await notify.file_appeal("a-1", contact="13800138000")

    notify.clock.advance(timedelta(minutes=5))
    second = await notify.file_appeal(
        "a-1", contact="citizen@example.com", contact_kind="email"
    )

    recipient = await notify.recipient("a-1")
    assert recipient is not None
    assert recipient.contact_kind == "email"
    assert recipient.contact_encrypted == second.contact_encrypted
    assert recipient.updated_at == notify.clock.now()


async def test_notify_appeal_filed_keeps_the_second_contact_encrypted(
    make_harness: Any,
) -> None:
    notify = await make_harness()

    filed = await notify.file_appeal("a-1", second=("email", "citizen@example.com"))

    recipient = await notify.recipient("a-1")
    assert recipient is not None
    assert recipient.second_contact_kind == "email"
    assert recipient.second_contact_encrypted == filed.second_contact_encrypted
    assert notify.vault.decrypt(recipient.second_contact_encrypted or "") == (
        "citizen@example.com"
    )


async def test_notify_a_second_contact_of_the_first_kind_is_not_kept(
    make_harness: Any,
) -> None:
    notify = await make_harness()

    await notify.file_appeal("a-1", second=("phone", "13900139000"))

    recipient = await notify.recipient("a-1")
    assert recipient is not None
    assert (recipient.second_contact_kind, recipient.second_contact_encrypted) == (
        None,
        None,
    )


async def test_notify_acceptance_request_queues_pending_notice(
    make_harness: Any,
) -> None:
    notify = await make_harness()

    request = await notify.request_acceptance("a-1", work_order_id="wo-7")

    notice = await notify.notice("a-1")
    assert notice.status == "pending"
    assert notice.kind == "acceptance"
    assert notice.request_id == request.request_id
    assert notice.work_order_id == "wo-7"
    assert notice.unit_id == "cgj"
    assert notice.attempts == 0
    assert notice.created_at == notify.start
    assert notice.body.startswith(
        "【民生诉求】您的诉求（编号MS20261204000123）已由区城市管理和综合执法局受理"
    )


async def test_notify_same_request_id_queues_one_notice(make_harness: Any) -> None:
    notify = await make_harness()
    await notify.request_acceptance("a-1", request_id="req-1")

    # Sent again under a new event id, so the inbox alone would not stop it.
    notify.clock.advance(timedelta(minutes=1))
    await notify.request_acceptance("a-1", request_id="req-1", message="另一段话")

    async with notify.sessions() as session:
        notices = list(await session.scalars(select(Notice)))
    assert len(notify.applied) == 2
    assert len(notices) == 1
    assert notices[0].created_at == notify.start
    assert "另一段话" not in notices[0].body
