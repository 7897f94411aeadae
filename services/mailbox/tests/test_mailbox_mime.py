"""Reading mail without a server: charsets as labelled and as written, headers in
every encoding, HTML turned into text, the signs of a machine's mail, attachments'
names, the appeal composed within intake's limits, and folder names in modified
UTF-7."""

from __future__ import annotations

import base64
from dataclasses import replace
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


# --- forwarded mail (message/rfc822) -------------------------------------------------

WIDE = replace(LIMITS, max_content_chars=2000)
COMPLAINT = "镕堃路12号旁的路灯连续三天不亮，请尽快维修。"


def message(*headers: str | bytes, body: bytes) -> bytes:
    """Raw MIME: header lines (bytes for raw 8-bit ones), a blank line, the body."""
    lines = [h if isinstance(h, bytes) else h.encode() for h in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def mixed(boundary: str, *parts: bytes) -> bytes:
    """The body of a multipart of `parts` (each its headers and body)."""
    glue = f"--{boundary}\r\n".encode()
    return b"".join(glue + p + b"\r\n" for p in parts) + f"--{boundary}--\r\n".encode()


def gbk_complaint() -> bytes:
    """A complaint as a Chinese client writes it: the sender's name as raw GBK
    bytes, the subject an encoded word labelled GB2312, the body GBK in base64."""
    return message(
        b"From: " + "王镕".encode("gbk") + b" <wang.rong@example.cn>",
        "Subject: =?GB2312?B?"
        + base64.b64encode("路灯不亮".encode("gbk")).decode()
        + "?=",
        "Date: Fri, 20 Nov 2026 17:30:00 +0800",
        "Message-ID: <orig.1@mail.example.cn>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=gb2312",
        "Content-Transfer-Encoding: base64",
        body=base64.encodebytes(COMPLAINT.encode("gbk")),
    )


def test_mailbox_a_gbk_mail_forwarded_in_a_utf8_one_is_read_into_the_appeal() -> None:
    raw = message(
        "From: =?utf-8?B?" + base64.b64encode("李娜".encode()).decode() + "?="
        " <li.na@example.cn>",
        "Subject: =?utf-8?B?"
        + base64.b64encode("转发：路灯不亮".encode()).decode()
        + "?=",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="out"',
        body=mixed(
            "out",
            message(
                "Content-Type: text/plain; charset=utf-8",
                body="请处理下面这封邻居的投诉。".encode(),
            ),
            message(
                "Content-Type: message/rfc822",
                "Content-Disposition: attachment; filename*=UTF-8''"
                "%E8%BD%AC%E5%8F%91.eml",
                body=gbk_complaint(),
            ),
        ),
    )

    letter = mime.read(raw)
    composed = mapping.compose(letter, limits=WIDE)

    assert letter.text == "请处理下面这封邻居的投诉。"
    assert letter.files == ()
    [forwarded] = letter.forwarded
    assert (forwarded.subject, forwarded.sender_name) == ("路灯不亮", "王镕")
    assert forwarded.sent_at == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    assert forwarded.text == COMPLAINT
    assert composed.title == "转发：路灯不亮"
    assert composed.content == (
        "转发：路灯不亮\n\n请处理下面这封邻居的投诉。\n\n"
        "—— 转发的邮件 ——\n主题：路灯不亮\n发件人：王镕\n"
        "日期：2026-11-20 17:30 (UTC+08:00)\n\n"
        f"{COMPLAINT}"
    )
    assert composed.files == ()


def test_mailbox_a_forwarded_mails_attachments_are_kept_like_the_mails_own() -> None:
    inner = message(
        "From: <report@example.cn>",
        "Subject: =?utf-8?B?" + base64.b64encode("违建举报".encode()).decode() + "?=",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="in"',
        body=mixed(
            "in",
            message(
                "Content-Type: text/plain; charset=utf-8",
                body="楼顶加建铁皮房，材料见附件。".encode(),
            ),
            message(
                "Content-Type: application/pdf",
                "Content-Disposition: attachment; filename*=UTF-8''"
                "%E6%9D%90%E6%96%99.pdf",
                "Content-Transfer-Encoding: base64",
                body=b"JVBERi0=",
            ),
            message(
                "Content-Type: application/x-msdownload",
                'Content-Disposition: attachment; filename="tool.exe"',
                body=b"MZ",
            ),
        ),
    )
    raw = message(
        "From: <citizen@example.cn>",
        "Subject: Fw: report",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="out"',
        body=mixed(
            "out",
            # Inline, as some clients forward: read all the same.
            message("Content-Type: message/rfc822", body=inner),
            message(
                "Content-Type: image/jpeg",
                'Content-Disposition: attachment; filename="site.jpg"',
                "Content-Transfer-Encoding: base64",
                body=base64.encodebytes(b"\xff\xd8\xff\xd9"),
            ),
        ),
    )

    letter = mime.read(raw)
    composed = mapping.compose(letter, limits=WIDE)

    assert [f.name for f in letter.files] == ["材料.pdf", "tool.exe", "site.jpg"]
    assert [f.content for f in letter.files] == [b"%PDF-", b"MZ", b"\xff\xd8\xff\xd9"]
    assert [kept.content for kept in composed.files] == [b"%PDF-", b"\xff\xd8\xff\xd9"]
    assert composed.content == (
        "Fw: report\n\n—— 转发的邮件 ——\n主题：违建举报\n\n"
        "楼顶加建铁皮房，材料见附件。\n\n"
        "附件：材料.pdf、site.jpg\n\n"
        "未转交的附件（请到政府信箱查看）：tool.exe（文件类型不受理）"
    )


def test_mailbox_a_forward_inside_a_forward_is_read_in_order() -> None:
    html = "<html><body><p>工地<b>每晚</b>施工到凌晨。</p><p>𠮷野家</p></body></html>"
    innermost = message(
        "From: =?gb18030?B?"
        + base64.b64encode("周吉".encode("gb18030")).decode()
        + "?= <zhou.ji@example.cn>",
        "Subject: =?gb18030?B?"
        + base64.b64encode("夜间施工噪音".encode("gb18030")).decode()
        + "?=",
        "Date: Thu, 19 Nov 2026 23:05:00 +0800",
        "Content-Type: text/html; charset=gb18030",
        body=html.encode("gb18030"),
    )
    middle = message(
        "From: <no.name@example.cn>",
        "Subject: Fwd: noise",
        "Date: not a date",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="mid"',
        body=mixed(
            "mid",
            message(
                "Content-Type: text/plain; charset=utf-8", body="再次反映：".encode()
            ),
            message("Content-Type: message/rfc822", body=innermost),
        ),
    )
    # The tester's shape: a mail whose only part is the forwarded one.
    raw = message(
        "From: <citizen@example.cn>",
        "Subject: Fwd: Fwd: noise",
        "MIME-Version: 1.0",
        "Content-Type: message/rfc822",
        body=middle,
    )

    composed = mapping.compose(mime.read(raw), limits=WIDE)

    assert composed.content == (
        "Fwd: Fwd: noise\n\n"
        "—— 转发的邮件 ——\n主题：Fwd: noise\n\n再次反映：\n\n"
        "—— 转发的邮件（第 2 层）——\n主题：夜间施工噪音\n发件人：周吉\n"
        "日期：2026-11-19 23:05 (UTC+08:00)\n\n工地每晚施工到凌晨。\n\n𠮷野家"
    )
    assert composed.files == ()


def test_mailbox_forwards_deeper_than_the_limit_are_attached_as_files() -> None:
    raw = message("Subject: level 9", body=b"the bottom")
    for level in range(8, -1, -1):
        raw = message(
            f"Subject: level {level}", "Content-Type: message/rfc822", body=raw
        )

    letter = mime.read(raw)

    chain = []
    while letter.forwarded:
        [letter] = letter.forwarded
        chain.append(letter.subject)
    assert chain == [f"level {n}" for n in range(1, mime.MAX_FORWARD_DEPTH + 1)]
    [kept] = mime.read(raw).files
    assert (kept.name, kept.content_type) == ("转发的邮件.eml", "message/rfc822")
    assert mime.read(kept.content).subject == f"level {mime.MAX_FORWARD_DEPTH + 1}"


def test_mailbox_an_encoded_forward_is_read_and_titles_a_mail_without_subject() -> None:
    raw = message(
        "From: <citizen@example.cn>",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="out"',
        body=mixed(
            "out",
            # Against RFC 2046, yet sent: the enclosed mail itself in base64.
            message(
                "Content-Type: message/rfc822",
                "Content-Transfer-Encoding: base64",
                body=base64.encodebytes(gbk_complaint()),
            ),
        ),
    )

    composed = mapping.compose(mime.read(raw), limits=WIDE)

    assert composed.title == "路灯不亮"
    assert composed.content.startswith("—— 转发的邮件 ——\n主题：路灯不亮\n发件人：王镕")
    assert composed.content.endswith(COMPLAINT)
