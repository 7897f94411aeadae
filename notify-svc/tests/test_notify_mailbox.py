"""The embedded mailbox folder sender: one UTF-8 JSON file per notice."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from minsheng_notify.senders import MailboxFolderSender, OutgoingNotice

START = datetime(2026, 12, 4, 1, 30, tzinfo=UTC)
PHONE = "13800138000"


def _message(**changes: str) -> OutgoingNotice:
    values = {
        "notice_id": "n-1",
        "appeal_id": "a-1",
        "kind": "acceptance",
        "contact_kind": "phone",
        "contact": PHONE,
        "body": "【民生诉求】您的诉求已受理",
    }
    values.update(changes)
    return OutgoingNotice(at=START, **values)


async def test_notify_folder_sender_writes_one_file_per_notice(
    tmp_path: Path,
) -> None:
    sender = MailboxFolderSender(tmp_path / "mailbox")

    first = await sender.send(_message())
    second = await sender.send(_message(body="【民生诉求】第二次"))

    files = list((tmp_path / "mailbox").iterdir())
    assert [path.name for path in files] == ["n-1.json"]
    assert first.provider_ref == second.provider_ref == "mailbox:n-1.json"
    written = json.loads(files[0].read_text(encoding="utf-8"))
    assert written["body"] == "【民生诉求】第二次"
    assert written["sent_at"] == START.isoformat()


async def test_notify_folder_file_is_readable_utf8(tmp_path: Path) -> None:
    sender = MailboxFolderSender(tmp_path)

    await sender.send(_message())

    raw = (tmp_path / "n-1.json").read_bytes()
    assert "【民生诉求】您的诉求已受理".encode() in raw


def test_notify_outgoing_notice_repr_hides_the_contact() -> None:
    assert PHONE not in repr(_message())


async def test_notify_sent_file_holds_the_decrypted_contact(
    make_harness: Any,
) -> None:
    notify = await make_harness()
    filed = await notify.file_appeal("a-1", contact=PHONE)
    await notify.request_acceptance("a-1")

    report = await notify.send()

    notice = await notify.notice("a-1")
    files = list(notify.mailbox.iterdir())
    assert report.sent == 1
    assert [path.name for path in files] == [f"{notice.id}.json"]
    written = json.loads(files[0].read_text(encoding="utf-8"))
    assert written == {
        "notice_id": notice.id,
        "appeal_id": "a-1",
        "kind": "acceptance",
        "contact_kind": "phone",
        "contact": PHONE,
        "body": notice.body,
        "sent_at": START.isoformat(),
    }
    recipient = await notify.recipient("a-1")
    assert recipient is not None
    assert recipient.contact_encrypted == filed.contact_encrypted
    assert notice.recipient_masked == "138****8000"


async def test_notify_folder_files_are_private(tmp_path: Path) -> None:
    folder = tmp_path / "mailbox"
    sender = MailboxFolderSender(folder)

    await sender.send(_message())
    await sender.send(_message(body="【民生诉求】第二次"))

    assert stat.S_IMODE((folder / "n-1.json").stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert [path.name for path in folder.iterdir()] == ["n-1.json"]


async def test_notify_body_repeating_the_contact_is_masked_everywhere(
    make_harness: Any,
) -> None:
    notify = await make_harness()
    await notify.file_appeal("a-1", contact=PHONE)
    await notify.request_acceptance(
        "a-1", message=f"我单位将致电{PHONE}（或+86 {PHONE}）联系您"
    )

    await notify.send()

    notice = await notify.notice("a-1")
    (file,) = notify.mailbox.iterdir()
    written = json.loads(file.read_text(encoding="utf-8"))
    assert PHONE not in notice.body
    assert "138****8000" in notice.body
    assert PHONE not in written["body"]
    assert written["contact"] == PHONE
    (event,) = await notify.events("notice.sent")
    assert PHONE not in json.dumps(event)


async def test_notify_body_is_masked_when_the_recipient_comes_later(
    make_harness: Any,
) -> None:
    # An account name, which only the recipient's contact tells apart from other
    # words (a phone number is masked at once, whoever the recipient).
    account = "oLiMing2026wx"
    notify = await make_harness()
    await notify.request_acceptance("a-1", message=f"请关注{account}的消息")
    assert account in (await notify.notice("a-1")).body

    await notify.file_appeal("a-1", contact=account, contact_kind="wechat_openid")
    await notify.send()

    notice = await notify.notice("a-1")
    assert notice.status == "sent"
    assert account not in notice.body
