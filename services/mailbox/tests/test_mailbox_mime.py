"""Reading mail without a server: charsets as labelled and as written, headers in
every encoding, HTML turned into text, the signs of a machine's mail, attachments'
names, the appeal composed within intake's limits, and folder names in modified
UTF-7."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest

from minsheng_mailbox import charsets, html_text, imap, mapping, mime


@pytest.mark.parametrize(
    ("raw", "label", "text"),
    [
        ("镕堃喆".encode("gbk"), "gb2312", "镕堃喆"),
        ("€".encode("gb18030"), "GB2312", "€"),
        ("𠮷".encode("gb18030"), "gbk", "𠮷"),
        ("路灯".encode("gbk"), "utf-8", "路灯"),
        ("路灯".encode(), "gbk", "路灯"),
        ("路灯".encode(), "us-ascii", "路灯"),
        ("路灯".encode("gbk"), None, "路灯"),
        ("路灯".encode(), "x-no-such-charset", "路灯"),
        ("路灯".encode(), "base64", "路灯"),
    ],
)
def test_mailbox_text_is_read_whatever_its_label_says(
    raw: bytes, label: str | None, text: str
) -> None:
    assert charsets.decode(raw, label) == text


def test_mailbox_bytes_no_charset_reads_become_replacement_marks() -> None:
    text = charsets.decode("井盖松动".encode("gbk") + b"\xff", "utf-8")

    assert text.startswith("井盖松动")
    assert "\ufffd" in text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (
            "=?GB2312?B?" + base64.b64encode("王镕".encode("gbk")).decode() + "?=",
            "王镕",
        ),
        ("=?utf-8?Q?=E8=B7=AF=E7=81=AF_?= =?utf-8?Q?=E4=B8=8D=E4=BA=AE?=", "路灯 不亮"),
        (
            "Re: =?GBK?B?" + base64.b64encode("投诉".encode("gbk")).decode() + "?=",
            "Re: 投诉",
        ),
        (
            "=?unknown-8bit?B?" + base64.b64encode("噪音".encode()).decode() + "?=",
            "噪音",
        ),
        ("=?utf-8?B?not base64?=", "=?utf-8?B?not base64?="),
        ("plain\r\n folded", "plain folded"),
        ("", ""),
    ],
)
def test_mailbox_headers_are_read_in_every_encoding(value: str, text: str) -> None:
    assert charsets.header(value) == text


def test_mailbox_html_becomes_the_text_a_clerk_reads() -> None:
    html = (
        "<html><head><title>t</title><style>p{}</style></head><body>"
        "<div><div><p>您好，<b>坪山</b>街道\n路灯坏了。</p></div></div>"
        "<ul><li>一</li><li>二</li></ul>"
        "<table><tr><td>A</td><td>B</td></tr></table>"
        '详见<a href="https://ps.example.cn/a">公告</a>&amp;&lt;附图&gt;<br>谢谢'
        "<script>alert(1)</script><p>张三<img src=cid:1>"
    )

    assert html_text.to_text(html) == (
        "您好，坪山街道 路灯坏了。\n\n• 一\n• 二\n\nA\tB\n\n"
        "详见公告 (https://ps.example.cn/a)&<附图>\n谢谢\n\n张三"
    )


def test_mailbox_broken_html_is_still_read() -> None:
    assert html_text.to_text("<p>未闭合<b>标签<p></i>第二段") == "未闭合标签\n\n第二段"


def headers(*lines: str, body: str = "正文") -> bytes:
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        (("Auto-Submitted: auto-replied",), "auto_submitted"),
        (("Auto-Submitted: auto-generated; owner=x",), "auto_submitted"),
        (("Auto-Submitted: no",), None),
        (("X-Autoreply: yes",), "autoreply_header"),
        (("X-Autorespond: vacation",), "autoreply_header"),
        (("Precedence: bulk",), "precedence"),
        (("Precedence: auto_reply",), "precedence"),
        (("Precedence: list",), "precedence"),
        (("Precedence: first-class",), None),
        (
            (
                "MIME-Version: 1.0",
                "Content-Type: multipart/report; boundary=b;"
                ' report-type="disposition-notification"',
            ),
            "delivery_report",
        ),
        (("From: postmaster@mx.example.cn",), "mailer_daemon"),
        (("From: Mail System <MAILER-DAEMON@mx.example.cn>",), "mailer_daemon"),
        (("Return-Path: <>",), "null_return_path"),
        (("Return-Path: < >",), "null_return_path"),
        (("Return-Path: <citizen@example.cn>",), None),
    ],
)
def test_mailbox_tells_a_machines_mail_from_a_persons(
    lines: tuple[str, ...], reason: str | None
) -> None:
    raw = headers("From: citizen@example.cn", "Subject: x", *lines)

    assert mime.read(raw).machine == reason


def attachment(disposition: str, content_type: str = "application/pdf") -> bytes:
    return headers(
        "From: citizen@example.cn",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="b"',
        body="--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n正文\r\n"
        f"--b\r\nContent-Type: {content_type}\r\n{disposition}\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n",
    )


@pytest.mark.parametrize(
    ("disposition", "name"),
    [
        ('Content-Disposition: attachment; filename="a.pdf"', "a.pdf"),
        (
            "Content-Disposition: attachment; filename*=UTF-8''%E6%9D%90%E6%96%99.pdf",
            "材料.pdf",
        ),
        (
            "Content-Disposition: attachment; filename*=gb2312''"
            + "".join(f"%{b:02X}" for b in "镕材料.pdf".encode("gbk")),
            "镕材料.pdf",
        ),
        (
            'Content-Disposition: attachment; filename="=?GBK?B?'
            + base64.b64encode("说明.pdf".encode("gbk")).decode()
            + '?="',
            "说明.pdf",
        ),
        (
            'Content-Disposition: attachment; filename="C:\\Users\\li\\证明.pdf"',
            "证明.pdf",
        ),
        ("Content-Disposition: attachment", "附件1"),
    ],
)
def test_mailbox_attachment_names_are_read_in_every_form(
    disposition: str, name: str
) -> None:
    [file] = mime.read(attachment(disposition)).files

    assert file.name == name
    assert file.content == b"%PDF-"
    assert file.ending == "pdf"


def test_mailbox_a_raw_8bit_attachment_name_is_read() -> None:
    raw = attachment('Content-Disposition: attachment; filename="__"').replace(
        b'"__"', b'"' + "照片.pdf".encode("gbk") + b'"'
    )

    assert [f.name for f in mime.read(raw).files] == ["照片.pdf"]


def test_mailbox_sender_date_and_message_id_are_read() -> None:
    letter = mime.read(
        headers(
            'From: "=?utf-8?B?' + base64.b64encode("陈 小明".encode()).decode() + '?="'
            " <chen@example.cn>",
            "Date: Fri, 20 Nov 2026 17:30:00 +0800",
            "Message-ID:  <abc.1@mail.example.cn> ",
        )
    )

    assert (letter.sender_name, letter.sender_address) == ("陈 小明", "chen@example.cn")
    assert letter.sent_at == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    assert letter.message_id == "abc.1@mail.example.cn"
    assert "chen@example.cn" not in repr(letter)


@pytest.mark.parametrize(
    "lines",
    [
        ("From: not an address", "Date: yesterday"),
        ("From: <@example.cn>", "Date: Fri, 99 Nov 2026 17:30:00 +0800"),
        ("Date:",),
    ],
)
def test_mailbox_unreadable_senders_and_dates_are_left_out(
    lines: tuple[str, ...],
) -> None:
    letter = mime.read(headers(*lines))

    assert (letter.sender_address, letter.sent_at, letter.message_id) == (
        None,
        None,
        None,
    )


LIMITS = mapping.Limits(
    attachment_types=frozenset({"jpg", "pdf", "txt"}),
    attachment_max_bytes=10,
    message_max_bytes=1000,
    max_title_chars=12,
    max_content_chars=120,
)


def letter(**changes: Any) -> mime.Letter:
    values: dict[str, Any] = {
        "message_id": "m@x",
        "subject": "路灯不亮",
        "sender_address": "a@example.cn",
        "sender_name": "王五",
        "sent_at": None,
        "text": "坪山街道的路灯不亮。",
        "files": (),
    }
    values.update(changes)
    return mime.Letter(**values)


def test_mailbox_an_appeal_is_the_subject_then_the_text() -> None:
    composed = mapping.compose(letter(), limits=LIMITS)

    assert composed.title == "路灯不亮"
    assert composed.content == "路灯不亮\n\n坪山街道的路灯不亮。"
    assert composed.files == ()


def test_mailbox_files_intake_cannot_take_are_named_not_attached() -> None:
    files = (
        mime.File("照片.jpg", "image/jpeg", b"jpeg"),
        mime.File("scan", "application/pdf", b"pdf"),
        mime.File("大图.jpg", "image/jpeg", b"x" * 11),
        mime.File("tool.exe", "application/x-msdownload", b"MZ"),
    )

    composed = mapping.compose(letter(files=files), limits=LIMITS)

    assert [kept.ending for kept in composed.files] == ["jpg", "pdf"]
    assert "附件：照片.jpg、scan" in composed.content
    assert "大图.jpg（超过 10 字节）" in composed.content
    assert "tool.exe（文件类型不受理）" in composed.content


def test_mailbox_a_long_letter_is_shortened_and_attached_whole() -> None:
    text = "路灯" * 200
    composed = mapping.compose(
        letter(subject="很长很长很长很长的主题一二三", text=text), limits=LIMITS
    )

    assert composed.title == "很长很长很长很长的主题…"
    assert len(composed.content) == LIMITS.max_content_chars
    assert composed.content.endswith("（正文过长，全文见附件“邮件全文.txt”）")
    [full] = composed.files
    assert full.content.decode() == f"很长很长很长很长的主题一二三\n\n{text}"


def test_mailbox_a_message_too_large_to_download_says_so() -> None:
    unread = mapping.too_large(5000, LIMITS.message_max_bytes)

    composed = mapping.compose(letter(text=""), limits=LIMITS, unread=unread)

    assert composed.content == f"路灯不亮\n\n{unread}"
    assert "5000 字节，超过 1000 字节的上限" in unread


@pytest.mark.parametrize(
    ("name", "kept"),
    [("王五", "王五"), ("wang@example.cn", None), ("名" * 51, None), (None, None)],
)
def test_mailbox_a_display_name_is_the_name_when_it_reads_as_one(
    name: str | None, kept: str | None
) -> None:
    assert mapping.name_of(letter(sender_name=name)) == kept


@pytest.mark.parametrize(
    ("folder", "written"),
    [
        ("INBOX", '"INBOX"'),
        ("台北", '"&U,BTFw-"'),  # RFC 3501 5.1.3's own example
        ('A&B "x"', '"A&-B \\"x\\""'),
        ("政府信箱/2026", '"&ZT9enE,he7E-/2026"'),
    ],
)
def test_mailbox_folder_names_are_written_in_modified_utf7(
    folder: str, written: str
) -> None:
    assert imap.folder_name(folder) == written
