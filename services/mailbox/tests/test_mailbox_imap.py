"""The mailbox read from a real Dovecot on loopback and delivered to intake itself
over real HTTP: every shape of Chinese mail as the citizen wrote it, attachments
kept and served, auto-replies and bounces ignored; new mail between polls; a
restart that neither skips nor repeats; intake stopped while mail arrives; the
mail server down and back; a refused login; a folder whose UIDVALIDITY changes;
IMAPS and STARTTLS (Art. 4, 5)."""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from minsheng_common import pii
from minsheng_mailbox import imap
from minsheng_mailbox.app import create_app
from minsheng_mailbox.settings import MailboxSettings
from tests.adapter_support import LoopbackIntake, client_of, running

Poll = Callable[..., Awaitable[None]]
PUBLIC_URL = "http://mailbox.test"
SENT_UTC = "2026-11-20T09:30:00+00:00"


async def items(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    answer = await client.get("/v1/items", params={"limit": 500})
    found: list[dict[str, Any]] = answer.json()["items"]
    return found


async def messages(
    client: httpx.AsyncClient, outcome: str | None = None
) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"limit": 500}
    if outcome:
        params["outcome"] = outcome
    found: list[dict[str, Any]] = (
        await client.get("/v1/messages", params=params)
    ).json()["items"]
    return found


async def state(client: httpx.AsyncClient) -> dict[str, Any]:
    found: dict[str, Any] = (await client.get("/v1/mailbox")).json()
    return found


def delivered(client: httpx.AsyncClient, count: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        stats = (await client.get("/v1/stats")).json()
        return bool(stats["delivered"] == count and stats["pending"] == 0)

    return check


def mid(message_id: str) -> str:
    return "mid:" + hashlib.sha256(message_id.encode()).hexdigest()


async def test_mailbox_every_shape_of_mail_reaches_intake_as_the_citizen_wrote_it(
    dovecot: Any,
    mail_user: str,
    samples: Any,
    intake: LoopbackIntake,
    client: httpx.AsyncClient,
    keys: dict[str, str],
    poll: Poll,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    await intake.start()
    dovecot.append(mail_user, *samples.mails.values())

    await poll(delivered(client, len(samples.citizens())), within=20)
    vault = pii.PiiVault(intake.settings.pii_key_list())
    appeals = await intake.appeals("mailbox")
    assert len(appeals) == len(samples.citizens())
    by_sender = {vault.decrypt(a.contact_encrypted or ""): a for a in appeals}
    assert {a.contact_kind for a in appeals} == {"email"}
    address = samples.ADDRESSES

    # GB2312 on the label, GBK characters (镕, 堃) in the bytes; RFC 2047 name.
    first = by_sender[address["gb2312"]]
    assert first.title == samples.GB2312_SUBJECT
    assert first.content == f"{samples.GB2312_SUBJECT}\n\n{samples.GB2312_TEXT}"
    assert vault.decrypt(first.name_encrypted or "") == samples.GB2312_NAME
    assert first.received_at.isoformat() == SENT_UTC
    assert first.channel_ref == mid("gb2312.1@mail.example.cn")

    # GBK quoted-printable, its subject raw 8-bit bytes; GB18030 four-byte
    # characters; UTF-8 alternative read from its plain part.
    assert by_sender[address["gbk"]].title == samples.GBK_SUBJECT
    assert samples.GBK_TEXT in by_sender[address["gbk"]].content
    assert by_sender[address["gb18030"]].title == samples.GB18030_SUBJECT
    assert samples.GB18030_TEXT in by_sender[address["gb18030"]].content
    utf8 = by_sender[address["utf8"]]
    assert utf8.title == samples.UTF8_SUBJECT
    assert utf8.content == f"{samples.UTF8_SUBJECT}\n\n{samples.UTF8_TEXT}"
    assert vault.decrypt(utf8.name_encrypted or "") == samples.UTF8_NAME

    # HTML only: readable text, no markup, no script.
    html = by_sender[address["html"]].content
    assert "坑梓街道秀新社区工地每晚施工到凌晨 2 点&噪音很大。" in html
    assert "• 第一次：11月18日\n• 第二次：11月19日" in html
    assert "<" not in html and "track()" not in html and "color" not in html
    assert by_sender[address["html"]].name_encrypted is None

    # A wrong label and bytes no charset reads: read, with a replacement mark.
    mislabelled = by_sender[address["mislabelled"]]
    assert mislabelled.title == "井盖松动"
    assert samples.MISLABELLED_TEXT in mislabelled.content
    assert "\ufffd" in mislabelled.content

    # No Message-ID: known by its place in the folder.
    uidvalidity = (await state(client))["uidvalidity"]
    without_id = by_sender[address["no_message_id"]]
    assert without_id.channel_ref == f"uid:{uidvalidity}:8"

    # Attachments kept here and attached by URL; a unit opens them with its key.
    attached = by_sender[address["attached"]]
    assert "附件：现场照片.jpg、材料.pdf" in attached.content
    assert "tool.exe（文件类型不受理）" in attached.content
    opened = []
    for url in attached.attachments:
        assert url.startswith(f"{PUBLIC_URL}/v1/attachments/")
        answer = await client.get(
            urlsplit(url).path, headers={"X-API-Key": keys["unit"]}
        )
        assert answer.status_code == 200
        assert answer.headers["x-content-type-options"] == "nosniff"
        opened.append((answer.headers["content-type"], answer.content))
    assert opened == [("image/jpeg", samples.JPEG), ("application/pdf", samples.PDF)]

    # A body no parser survives still makes an appeal, from its headers.
    deep = by_sender[address["deep"]]
    assert (
        deep.content == "套娃邮件\n\n（这封邮件的正文无法读取，请到政府信箱查看原件。）"
    )

    # A forwarded complaint (GBK, with a photo, inside a UTF-8 mail) is read into
    # the appeal after the citizen's own words; its photo is attached.
    forward = by_sender[address["forward"]]
    assert forward.title == samples.FORWARD_SUBJECT
    assert forward.content == (
        f"{samples.FORWARD_SUBJECT}\n\n{samples.FORWARD_NOTE}\n\n"
        f"—— 转发的邮件 ——\n主题：{samples.FORWARDED_SUBJECT}\n"
        f"发件人：{samples.FORWARDED_NAME}\n日期：2026-11-20 17:41 (UTC+08:00)\n\n"
        f"{samples.FORWARDED_TEXT}\n\n附件：photo.jpg"
    )
    [photo] = forward.attachments
    answer = await client.get(urlsplit(photo).path, headers={"X-API-Key": keys["unit"]})
    assert answer.content == samples.JPEG
    # Intake reads the complaint, its place precise enough not to refuse (Art. 11).
    assert (forward.status, forward.reason_code) == ("pending_classification", None)

    # The machines' mail is recorded as ignored, and never reached intake.
    ignored = {m["uid"]: m["reason"] for m in await messages(client, "ignored")}
    assert ignored == {9: "auto_submitted", 10: "delivery_report"}
    assert address["autoreply"] not in by_sender
    assert len(await messages(client)) == len(samples.mails)

    # Nobody's address or name is in our logs, nor in anything at INFO or above
    # (the SQLite driver's DEBUG lines quote statements' parameters).
    logged = "\n".join(
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("minsheng") or record.levelno >= logging.INFO
    )
    names = [samples.GB2312_NAME, samples.UTF8_NAME, samples.FORWARDED_NAME]
    for secret in [*address.values(), *names]:
        assert secret not in logged


@pytest.mark.parametrize("store_url", ["sqlite", "postgresql"], indirect=True)
async def test_mailbox_new_mail_and_a_restart_neither_skip_nor_repeat(
    dovecot: Any,
    mail_user: str,
    samples: Any,
    intake: LoopbackIntake,
    settings: MailboxSettings,
    keys: dict[str, str],
    poll: Poll,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    await intake.start()
    dovecot.append(mail_user, samples.simple(1), samples.simple(2))
    async with (
        running(create_app(settings)) as app,
        client_of(app, PUBLIC_URL, keys["operator"]) as client,
    ):
        await poll(delivered(client, 2))
        # New mail between polls.
        dovecot.append(mail_user, samples.simple(3))
        await poll(delivered(client, 3))

    # Mail arriving while the adapter is stopped.
    dovecot.append(mail_user, samples.simple(4), samples.simple(5))
    async with (
        running(create_app(settings)) as app,
        client_of(app, PUBLIC_URL, keys["operator"]) as client,
    ):
        await poll(delivered(client, 5))
        assert sorted(item["uid"] for item in await items(client)) == [1, 2, 3, 4, 5]
        assert len(await messages(client)) == 5
        assert (await state(client))["last_uid"] == 5

    refs = Counter(appeal.channel_ref for appeal in await intake.appeals("mailbox"))
    assert refs == {mid(f"simple.{n}@mail.example.cn"): 1 for n in range(1, 6)}
    # The restarted adapter started after the cursor: nothing was read twice.
    assert not [r for r in caplog.records if "taken before" in r.getMessage()]


async def test_mailbox_mail_arriving_while_intake_is_stopped_reaches_it_once(
    dovecot: Any,
    mail_user: str,
    samples: Any,
    intake: LoopbackIntake,
    client: httpx.AsyncClient,
    poll: Poll,
) -> None:
    dovecot.append(mail_user, samples.simple(21), samples.simple(22))

    async def head_tried() -> bool:
        found = await items(client)
        return len(found) == 2 and found[0]["attempts"] >= 2

    await poll(head_tried)
    waiting = await items(client)
    assert [i["status"] for i in waiting] == ["pending", "pending"]
    assert waiting[1]["attempts"] == 0, "behind the first in the folder's queue"
    dovecot.append(mail_user, samples.simple(23))
    await intake.start()

    await poll(delivered(client, 3))
    refs = Counter(appeal.channel_ref for appeal in await intake.appeals("mailbox"))
    assert refs == {mid(f"simple.{n}@mail.example.cn"): 1 for n in (21, 22, 23)}


async def test_mailbox_a_repeated_mail_is_listed_and_every_mail_follows_its_item(
    dovecot: Any,
    mail_user: str,
    samples: Any,
    intake: LoopbackIntake,
    client: httpx.AsyncClient,
    poll: Poll,
) -> None:
    # The same mail twice in the folder (a resend keeping its Message-ID).
    dovecot.append(
        mail_user, samples.simple(61), samples.simple(61), samples.simple(62)
    )

    async def read() -> bool:
        return len(await messages(client)) == 3

    await poll(read)
    waiting = await messages(client)
    uidvalidity = waiting[0]["uidvalidity"]
    assert [(m["uid"], m["outcome"], m["reason"]) for m in waiting] == [
        (1, "queued", None),
        (2, "repeated", "same_message_id"),
        (3, "queued", None),
    ]
    assert [m["repeats"] for m in waiting] == [
        None,
        {"uidvalidity": uidvalidity, "uid": 1},
        None,
    ]
    assert waiting[1]["item"] == waiting[0]["item"]
    assert [m["delivery"] for m in waiting] == ["pending"] * 3
    assert [m["appeal_id"] for m in waiting] == [None] * 3

    await intake.start()
    await poll(delivered(client, 2))
    appeal = {a.channel_ref: a.id for a in await intake.appeals("mailbox")}
    first, second = (
        appeal[mid("simple.61@mail.example.cn")],
        appeal[mid("simple.62@mail.example.cn")],
    )
    done = await messages(client)
    assert [(m["outcome"], m["delivery"], m["appeal_id"]) for m in done] == [
        ("queued", "delivered", first),
        ("repeated", "delivered", first),
        ("queued", "delivered", second),
    ]
    assert [m["uid"] for m in await messages(client, "repeated")] == [2]


async def test_mailbox_a_mail_server_that_is_down_is_retried_until_it_is_back(
    dovecot: Any,
    mail_user: str,
    samples: Any,
    intake: LoopbackIntake,
    client: httpx.AsyncClient,
    poll: Poll,
) -> None:
    await intake.start()
    dovecot.append(mail_user, samples.simple(31))
    dovecot.stop()
    try:

        async def failing() -> bool:
            return bool((await state(client))["consecutive_failures"] >= 3)

        await poll(failing)
        now = await state(client)
        assert (
            now["last_error"]
            == "the mail server is unreachable: ConnectionRefusedError"
        )
        assert (await client.get("/healthz")).status_code == 200
        assert await items(client) == []
    finally:
        dovecot.start()

    assert (await client.post("/v1/poll")).status_code == 202
    await poll(delivered(client, 1))
    after = await state(client)
    assert (after["consecutive_failures"], after["last_error"]) == (0, None)


async def test_mailbox_a_refused_login_is_reported_without_the_password(
    dovecot: Any,
    mail_user: str,
    settings_of: Callable[..., MailboxSettings],
    keys: dict[str, str],
    poll: Poll,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    wrong = "not-the-mailbox-password"
    settings = settings_of(
        imap_host="127.0.0.1",
        imap_port=dovecot.port,
        imap_security="plain",
        imap_username=mail_user,
        imap_password=wrong,
    )
    async with (
        running(create_app(settings)) as app,
        client_of(app, PUBLIC_URL, keys["operator"]) as client,
    ):

        async def refused() -> bool:
            return bool((await state(client))["consecutive_failures"] >= 1)

        await poll(refused)
        assert (await state(client))["last_error"] == (
            "the mail server refused the login (AUTHENTICATIONFAILED)"
        )

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any(
        "MAILBOX_IMAP_PASSWORD must be fixed" in r.getMessage() for r in warnings
    )
    assert not [r for r in caplog.records if wrong in r.getMessage()]


async def test_mailbox_a_new_uidvalidity_is_read_again_without_doubles(
    dovecot: Any,
    mail_user: str,
    samples: Any,
    intake: LoopbackIntake,
    settings_of: Callable[..., MailboxSettings],
    keys: dict[str, str],
    poll: Poll,
) -> None:
    folder = "政府信箱"
    with dovecot.client(mail_user) as client:
        assert client.create(imap.folder_name(folder))[0] == "OK"
    dovecot.append(
        mail_user,
        samples.simple(41),
        samples.simple(42),
        folder=imap.folder_name(folder),
    )
    settings = settings_of(
        imap_host="127.0.0.1",
        imap_port=dovecot.port,
        imap_security="plain",
        imap_username=mail_user,
        imap_password="mailbox-test-password",
        imap_folder=folder,
    )
    await intake.start()
    async with (
        running(create_app(settings)) as app,
        client_of(app, PUBLIC_URL, keys["operator"]) as http,
    ):
        await poll(delivered(http, 2))
        before = (await state(http))["uidvalidity"]

        # The folder made anew: new UIDVALIDITY, the same two mails and a third.
        with dovecot.client(mail_user) as client:
            assert client.delete(imap.folder_name(folder))[0] == "OK"
            assert client.create(imap.folder_name(folder))[0] == "OK"
        dovecot.append(
            mail_user,
            samples.simple(41),
            samples.simple(42),
            samples.simple(43),
            folder=imap.folder_name(folder),
        )

        async def reread() -> bool:
            now = await state(http)
            return bool(now["uidvalidity"] != before and now["last_uid"] == 3)

        await poll(reread)
        await poll(delivered(http, 3))
        assert len(await items(http)) == 3
        listed = await messages(http)
        assert [(m["outcome"], m["reason"]) for m in listed[2:]] == [
            ("repeated", "read_again"),
            ("repeated", "read_again"),
            ("queued", None),
        ]
        assert [m["repeats"] for m in listed[2:4]] == [
            {"uidvalidity": before, "uid": 1},
            {"uidvalidity": before, "uid": 2},
        ]

    refs = Counter(appeal.channel_ref for appeal in await intake.appeals("mailbox"))
    assert refs == {mid(f"simple.{n}@mail.example.cn"): 1 for n in (41, 42, 43)}


async def test_mailbox_is_read_over_imaps_and_starttls_with_the_servers_ca(
    dovecot: Any,
    mail_user: str,
    samples: Any,
    settings_of: Callable[..., MailboxSettings],
    keys: dict[str, str],
    tmp_path: Path,
    poll: Poll,
) -> None:
    dovecot.append(mail_user, samples.simple(51))
    ways = [
        ("tls", dovecot.tls_port, dovecot.cert_file, None),
        ("starttls", dovecot.port, dovecot.cert_file, None),
        ("starttls", dovecot.port, None, "TLS failed (CERTIFICATE_VERIFY_FAILED)"),
    ]
    for number, (security, port, ca_file, error) in enumerate(ways):
        settings = settings_of(
            database_url=f"sqlite:///{tmp_path / f'tls{number}.db'}",
            imap_host="127.0.0.1",
            imap_port=port,
            imap_security=security,
            imap_ca_file=ca_file,
            imap_username=mail_user,
            imap_password="mailbox-test-password",
        )
        async with (
            running(create_app(settings)) as app,
            client_of(app, PUBLIC_URL, keys["operator"]) as client,
        ):

            async def polled() -> bool:
                now = await state(client)
                return bool(now["last_success_at"] or now["consecutive_failures"])

            await poll(polled)
            now = await state(client)
            if error is None:
                await poll(lambda: _read_one(client))
            else:
                assert now["last_error"] == f"the mail server: {error}"
                assert await messages(client) == []


async def _read_one(client: httpx.AsyncClient) -> bool:
    return len(await messages(client, "queued")) == 1
