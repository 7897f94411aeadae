"""The mailbox adapter against a real mail server: Debian's Dovecot, started as a
child process with its own configuration in a temporary folder (loopback only,
plain IMAP with STARTTLS and IMAPS on a certificate made here, a user per test),
once per test module. Mail is put in with IMAP APPEND as the raw bytes real mail
clients send. Intake itself runs over real HTTP on loopback.

Without Dovecot (`apt-get install dovecot-imapd`) the tests that need it are
skipped, except under CI, where its absence is a failure.
"""

from __future__ import annotations

import base64
import contextlib
import grp
import imaplib
import ipaddress
import itertools
import os
import pwd
import quopri
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi import FastAPI

from minsheng_common.devstack.broker import free_port
from minsheng_mailbox.app import create_app
from minsheng_mailbox.settings import MailboxSettings

# The fixtures shared by every adapter's tests, registered here by their names.
from tests.adapter_support import (
    LoopbackIntake,
    anonymous_fixture,  # noqa: F401
    app_fixture,  # noqa: F401
    client_fixture,  # noqa: F401
    delivery_settings,
    intake_fixture,  # noqa: F401
    keys_fixture,  # noqa: F401
    poll_fixture,  # noqa: F401
)

PUBLIC_URL = "http://mailbox.test"
PASSWORD = "mailbox-test-password"
USERS = 12
"""Mail users the server knows: each test reads a mailbox of its own."""


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/sbin")


class Dovecot:
    """Debian's Dovecot on 127.0.0.1, configured and run from `folder`: plain IMAP
    (offering STARTTLS) on `port`, IMAPS on `tls_port`, users `user1`… with one
    password, mail in maildirs under the folder, logging to its own file."""

    def __init__(self, binary: str, folder: Path) -> None:
        self.binary = binary
        self.folder = folder
        self.port = free_port()
        self.tls_port = free_port()
        self.cert_file = folder / "cert.pem"
        self.log_file = folder / "dovecot.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._users = itertools.count(1)
        self._write_config()

    def _write_config(self) -> None:
        folder = self.folder
        mail_owner, login_user, internal_user = _accounts()
        for name in ("run", "state", "mail", "home"):
            (folder / name).mkdir(exist_ok=True)
        for name in ("mail", "home"):
            shutil.chown(folder / name, mail_owner.pw_uid, mail_owner.pw_gid)
        key_file = _self_signed(self.cert_file, folder / "key.pem")
        (folder / "passwd").write_text(
            "".join(f"user{n}:{{PLAIN}}{PASSWORD}\n" for n in range(1, USERS + 1))
        )
        group = grp.getgrgid(mail_owner.pw_gid).gr_name
        (folder / "dovecot.conf").write_text(
            f"""
instance_name = minsheng-test-{folder.name}
base_dir = {folder}/run
state_dir = {folder}/state
listen = 127.0.0.1
protocols = imap
log_path = {self.log_file}
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {group}
first_valid_uid = 1
disable_plaintext_auth = no
auth_failure_delay = 0
auth_mechanisms = plain login
ssl = yes
ssl_cert = <{self.cert_file}
ssl_key = <{key_file}
mail_location = maildir:{folder}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_owner.pw_uid} gid={mail_owner.pw_gid} home={folder}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
  }}
}}
service anvil {{
  chroot =
}}
"""
        )

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "-F", "-c", str(self.folder / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited at start:\n{self.log()}")
            if _answers(self.port) and _answers(self.tls_port):
                return
            time.sleep(0.05)
        raise RuntimeError(f"dovecot did not listen within 15s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
        # The master's children go with it; wait until nothing listens.
        deadline = time.monotonic() + 10
        while _answers(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def log(self) -> str:
        if not self.log_file.exists():
            return ""
        return self.log_file.read_text(encoding="utf-8", errors="replace")[-3000:]

    def new_user(self) -> str:
        number = next(self._users)
        assert number <= USERS, "give the test server more users"
        return f"user{number}"

    @contextlib.contextmanager
    def client(self, user: str) -> Iterator[imaplib.IMAP4]:
        imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=5)
        try:
            imap.login(user, PASSWORD)
            yield imap
        finally:
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                imap.logout()

    def append(self, user: str, *mails: bytes, folder: str = "INBOX") -> None:
        """Deliver `mails` as a mail client would store them: IMAP APPEND."""
        with self.client(user) as imap:
            for raw in mails:
                status, answer = imap.append(folder, None, None, raw)
                assert status == "OK", answer


def _accounts() -> tuple[pwd.struct_passwd, str, str]:
    """Who owns the mail, who runs the login and internal processes. Dovecot
    refuses root for both: as root, Debian's own dovecot and dovenull users;
    otherwise the user running the tests."""
    if os.geteuid() == 0:
        return pwd.getpwnam("dovecot"), "dovenull", "dovecot"
    me = pwd.getpwuid(os.getuid())
    return me, me.pw_name, me.pw_name


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _self_signed(cert_file: Path, key_file: Path) -> Path:
    """A certificate for 127.0.0.1 and its key, as PEM files; the key's path."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_file.chmod(0o600)
    return key_file


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    """One Dovecot for the test module."""
    binary = dovecot_binary()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("dovecot is not installed (.ci/run installs dovecot-imapd)")
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")
    # Not pytest's tmp_path: Dovecot's own users must reach the mail folder, and
    # pytest's base folder is its owner's alone.
    folder = Path(tempfile.mkdtemp(prefix="minsheng-dovecot-"))
    folder.chmod(0o755)
    server = Dovecot(binary, folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def mail_user(dovecot: Dovecot) -> str:
    """A mailbox of this test's own on the module's server."""
    return dovecot.new_user()


@pytest.fixture
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """SQLite, or PostgreSQL for a test parametrised with "postgresql"."""
    if getattr(request, "param", "sqlite") == "sqlite":
        return f"sqlite:///{tmp_path / 'mailbox.db'}"
    create_database: Callable[[str], str] = request.getfixturevalue("create_database")
    return create_database("mailbox")


@pytest.fixture
def settings_of(
    store_url: str, tmp_path: Path, intake: LoopbackIntake
) -> Callable[..., MailboxSettings]:
    """The adapter's settings for a test: its store, intake on loopback, a quick
    poll; `changes` on top."""
    key = intake.channel_key("mailbox")

    def make(**changes: Any) -> MailboxSettings:
        values: dict[str, Any] = {
            **delivery_settings(store_url, tmp_path / "mailbox", intake),
            "intake_api_key": key,
            "public_url": PUBLIC_URL,
            "poll_seconds": 0.1,
            "poll_backoff_cap_seconds": 0.4,
            "imap_timeout_seconds": 5.0,
        }
        values.update(changes)
        return MailboxSettings(**values)

    return make


@pytest.fixture
def settings(
    settings_of: Callable[..., MailboxSettings], dovecot: Dovecot, mail_user: str
) -> MailboxSettings:
    """Reading this test's mailbox over plain IMAP (the server is on loopback)."""
    return settings_of(
        imap_host="127.0.0.1",
        imap_port=dovecot.port,
        imap_security="plain",
        imap_username=mail_user,
        imap_password=PASSWORD,
    )


@pytest.fixture
def channel() -> str:
    return "mailbox"


@pytest.fixture
def app_factory() -> Callable[[MailboxSettings], FastAPI]:
    return create_app


@pytest.fixture
def base_url() -> str:
    return PUBLIC_URL


# --- real mail, as raw bytes ---------------------------------------------------------

SENT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
"""When the sample mails were sent (each a minute after the one before)."""


def b64(text: str, charset: str) -> str:
    return base64.b64encode(text.encode(charset)).decode()


def encoded_word(text: str, charset: str) -> str:
    """An RFC 2047 encoded word (base64)."""
    return f"=?{charset}?B?{b64(text, charset)}?="


def mail(
    *,
    headers: dict[str, str],
    body: bytes,
    content_type: str = 'text/plain; charset="utf-8"',
    encoding: str = "8bit",
    minute: int = 0,
) -> bytes:
    """A single-part mail: `headers` first (From, Subject…), then the MIME ones."""
    lines = [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"Date: {format_datetime(SENT + timedelta(minutes=minute))}")
    lines += [
        "MIME-Version: 1.0",
        f"Content-Type: {content_type}",
        f"Content-Transfer-Encoding: {encoding}",
    ]
    return "\r\n".join(lines).encode() + b"\r\n\r\n" + body + b"\r\n"


def multipart(
    *,
    headers: dict[str, str],
    kind: str,
    parts: list[bytes],
    minute: int = 0,
    extra: str = "",
) -> bytes:
    """A multipart mail of `parts` (each its own headers and body)."""
    boundary = f"=_boundary_{kind}_{minute}"
    lines = [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"Date: {format_datetime(SENT + timedelta(minutes=minute))}")
    lines += [
        "MIME-Version: 1.0",
        f'Content-Type: multipart/{kind}; boundary="{boundary}"{extra}',
    ]
    head = "\r\n".join(lines).encode() + b"\r\n\r\n"
    glue = f"\r\n--{boundary}\r\n".encode()
    return (
        head
        + b"This is a multi-part message in MIME format."
        + glue
        + glue.join(parts)
        + f"\r\n--{boundary}--\r\n".encode()
    )


def part(
    content_type: str, body: bytes, *extra: str, encoding: str = "base64"
) -> bytes:
    lines = [f"Content-Type: {content_type}", f"Content-Transfer-Encoding: {encoding}"]
    lines += extra
    return "\r\n".join(lines).encode() + b"\r\n\r\n" + body


def quoted_printable(text: str, charset: str) -> bytes:
    return quopri.encodestring(text.encode(charset))


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + bytes(range(256)) + b"\xff\xd9"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


class Samples:
    """Real shapes of citizens' mail, and what a clerk should read in each."""

    JPEG = JPEG
    PDF = PDF
    GB2312_TEXT = "镕堃路12号旁的路灯连续三天不亮，夜里行人看不清路，请尽快维修。"
    GB2312_SUBJECT = "坪山街道镕堃路路灯不亮"
    GB2312_NAME = "王镕"
    GBK_TEXT = "龙田街道竹坑社区垃圾站臭味很大，夏天蚊蝇多，希望能增加清运次数。"
    GBK_SUBJECT = "建议增加垃圾清运"
    GB18030_TEXT = "石井街道𠮷野家门前的人行道被㙍占，轮椅过不去。"
    GB18030_SUBJECT = "人行道被占用"
    UTF8_TEXT = "碧岭街道沙湖社区的公交站没有遮雨棚，下雨天等车很不方便。"
    UTF8_SUBJECT = "公交站遮雨棚"
    UTF8_NAME = "陈小明"
    HTML_SUBJECT = "噪音扰民"
    ATTACHED_SUBJECT = "违建举报"
    MISLABELLED_TEXT = "马峦街道的井盖松动，车辆经过时响声很大。"
    FORWARD_SUBJECT = "转发：垃圾站臭味"
    FORWARD_NOTE = "邻居的投诉一直没人管，转给你们。"
    FORWARDED_SUBJECT = "垃圾站臭味扰民"
    FORWARDED_NAME = "刘芳"
    FORWARDED_TEXT = (
        "坪山街道六和社区和平路8号旁的垃圾站每天下午才清运，夏天臭味很大，"
        "请增加清运次数。"
    )
    ADDRESSES: ClassVar[dict[str, str]] = {
        "gb2312": "wang.rong@example.cn",
        "gbk": "li.na@example.cn",
        "gb18030": "zhou.ji@example.cn",
        "utf8": "chen.xm@example.cn",
        "html": "html.only@example.cn",
        "attached": "report@example.cn",
        "mislabelled": "mislabelled@example.cn",
        "no_message_id": "no.id@example.cn",
        "autoreply": "away@example.cn",
        "bounce": "MAILER-DAEMON@mx.example.cn",
        "deep": "deep@example.cn",
        "forward": "forward@example.cn",
    }

    def __init__(self) -> None:
        a = self.ADDRESSES
        self.mails: dict[str, bytes] = {
            "gb2312": mail(
                headers={
                    "From": f"{encoded_word(self.GB2312_NAME, 'gbk')} <{a['gb2312']}>",
                    "To": "mailbox@pingshan.example.cn",
                    "Subject": encoded_word(self.GB2312_SUBJECT, "gbk").replace(
                        "=?gbk?", "=?GB2312?"
                    ),
                    "Message-ID": "<gb2312.1@mail.example.cn>",
                },
                content_type='text/plain; charset="gb2312"',
                encoding="base64",
                body=b64(self.GB2312_TEXT, "gbk").encode(),
                minute=0,
            ),
            "gbk": mail(
                headers={
                    "From": f"{encoded_word('李娜', 'gbk')} <{a['gbk']}>",
                    # Raw 8-bit GBK in the header, as some clients still send it.
                    "Subject": "__GBK_SUBJECT__",
                    "Message-ID": "<gbk.2@mail.example.cn>",
                },
                content_type="text/plain; charset=GBK",
                encoding="quoted-printable",
                body=quoted_printable(self.GBK_TEXT, "gbk"),
                minute=1,
            ).replace(b"__GBK_SUBJECT__", self.GBK_SUBJECT.encode("gbk")),
            "gb18030": mail(
                headers={
                    "From": f"{encoded_word('周吉', 'gb18030')} <{a['gb18030']}>",
                    "Subject": encoded_word(self.GB18030_SUBJECT, "gb18030"),
                    "Message-ID": "<gb18030.3@mail.example.cn>",
                },
                content_type="text/plain; charset=GB18030",
                body=self.GB18030_TEXT.encode("gb18030"),
                minute=2,
            ),
            "utf8": multipart(
                headers={
                    "From": f'"{encoded_word(self.UTF8_NAME, "utf-8")}" <{a["utf8"]}>',
                    "Subject": "=?UTF-8?Q?"
                    + quote(self.UTF8_SUBJECT).replace("%", "=")
                    + "?=",
                    "Message-ID": "<utf8.4@mail.example.cn>",
                },
                kind="alternative",
                parts=[
                    part(
                        'text/plain; charset="UTF-8"',
                        b64(self.UTF8_TEXT, "utf-8").encode(),
                    ),
                    part(
                        'text/html; charset="UTF-8"',
                        b64(
                            f"<div><b>HTML</b>{self.UTF8_TEXT}</div>", "utf-8"
                        ).encode(),
                    ),
                ],
                minute=3,
            ),
            "html": mail(
                headers={
                    "From": f"<{a['html']}>",
                    "Subject": encoded_word(self.HTML_SUBJECT, "utf-8"),
                    "Message-ID": "<html.5@mail.example.cn>",
                },
                content_type="text/html; charset=utf-8",
                encoding="quoted-printable",
                body=quoted_printable(
                    "<html><head><style>p {color: red}</style></head><body>"
                    "<p>您好：</p><p>坑梓街道秀新社区工地<b>每晚</b>施工到凌晨&nbsp;2&nbsp;点"
                    "&amp;噪音很大。</p><ul><li>第一次：11月18日</li>"
                    "<li>第二次：11月19日</li></ul><script>track()</script>"
                    "</body></html>",
                    "utf-8",
                ),
                minute=4,
            ),
            "attached": multipart(
                headers={
                    "From": f"{encoded_word('举报人', 'utf-8')} <{a['attached']}>",
                    "Subject": encoded_word(self.ATTACHED_SUBJECT, "utf-8"),
                    "Message-ID": "<attached.6@mail.example.cn>",
                },
                kind="mixed",
                parts=[
                    part(
                        "text/plain; charset=utf-8",
                        b64(
                            "坪山街道六和社区有人在楼顶加建铁皮房，照片和材料见附件。",
                            "utf-8",
                        ).encode(),
                    ),
                    part(
                        "image/jpeg",
                        base64.encodebytes(JPEG),
                        "Content-Disposition: attachment; "
                        "filename*=UTF-8''" + quote("现场照片.jpg"),
                    ),
                    part(
                        f'application/pdf; name="{encoded_word("材料.pdf", "gbk")}"',
                        base64.encodebytes(PDF),
                        "Content-Disposition: attachment",
                    ),
                    part(
                        "application/x-msdownload",
                        base64.encodebytes(b"MZ\x90\x00"),
                        'Content-Disposition: attachment; filename="tool.exe"',
                    ),
                ],
                minute=5,
            ),
            "mislabelled": mail(
                headers={
                    "From": f"<{a['mislabelled']}>",
                    "Subject": "=?utf-8?B?" + b64("井盖松动", "gbk") + "?=",
                    "Message-ID": "<mislabelled.7@mail.example.cn>",
                },
                # Labelled UTF-8, written in GBK, with two bytes no charset reads.
                content_type="text/plain; charset=utf-8",
                body=self.MISLABELLED_TEXT.encode("gbk") + b"\xff\xfe\x80",
                minute=6,
            ),
            "no_message_id": mail(
                headers={
                    "From": f"<{a['no_message_id']}>",
                    "Subject": encoded_word("没有编号的来信", "utf-8"),
                },
                body="坪山街道的红绿灯时间太短，老人过马路来不及。".encode(),
                minute=7,
            ),
            "autoreply": mail(
                headers={
                    "From": f"<{a['autoreply']}>",
                    "Subject": encoded_word("自动回复：我正在休假", "utf-8"),
                    "Auto-Submitted": "auto-replied",
                    "Message-ID": "<autoreply.8@mail.example.cn>",
                },
                body="我正在休假，12月1日回来。".encode(),
                minute=8,
            ),
            "bounce": multipart(
                headers={
                    "Return-Path": "<>",
                    "From": f"Mail Delivery System <{a['bounce']}>",
                    "Subject": "Undelivered Mail Returned to Sender",
                    "Message-ID": "<bounce.9@mx.example.cn>",
                },
                kind="report",
                extra="; report-type=delivery-status",
                parts=[
                    part(
                        "text/plain; charset=us-ascii",
                        b"The mail system could not deliver your message.",
                        encoding="7bit",
                    ),
                    part(
                        "message/delivery-status",
                        b"Reporting-MTA: dns; mx.example.cn\r\n\r\n"
                        b"Final-Recipient: rfc822; nobody@example.cn\r\n"
                        b"Action: failed\r\nStatus: 5.1.1\r\n",
                        encoding="7bit",
                    ),
                ],
                minute=9,
            ),
        }

        self.mails["deep"] = _nested(
            headers={
                "From": "<deep@example.cn>",
                "Subject": encoded_word("套娃邮件", "utf-8"),
                "Message-ID": "<deep.11@mail.example.cn>",
            },
            depth=5000,
        )
        self.mails["forward"] = multipart(
            headers={
                "From": f"<{a['forward']}>",
                "Subject": encoded_word(self.FORWARD_SUBJECT, "utf-8"),
                "Message-ID": "<forward.12@mail.example.cn>",
            },
            kind="mixed",
            parts=[
                part(
                    "text/plain; charset=utf-8",
                    b64(self.FORWARD_NOTE, "utf-8").encode(),
                ),
                part(
                    "message/rfc822",
                    self._forwarded(),
                    'Content-Disposition: attachment; filename="fw.eml"',
                    encoding="8bit",
                ),
            ],
            minute=12,
        )

    def _forwarded(self) -> bytes:
        """The neighbour's complaint as forwarded: GBK, with a photo attached."""
        return multipart(
            headers={
                "From": f"{encoded_word(self.FORWARDED_NAME, 'gbk')} "
                "<liu.fang@example.cn>",
                "Subject": encoded_word(self.FORWARDED_SUBJECT, "gbk"),
                "Message-ID": "<neighbour.1@mail.example.cn>",
            },
            kind="mixed",
            parts=[
                part(
                    "text/plain; charset=GBK",
                    quoted_printable(self.FORWARDED_TEXT, "gbk"),
                    encoding="quoted-printable",
                ),
                part(
                    "image/jpeg",
                    base64.encodebytes(JPEG),
                    'Content-Disposition: attachment; filename="photo.jpg"',
                ),
            ],
            minute=11,
        )

    def citizens(self) -> list[str]:
        """The samples a person wrote (the rest are machines')."""
        return [n for n in self.mails if n not in ("autoreply", "bounce")]

    def simple(self, number: int, *, subject: str = "路灯不亮") -> bytes:
        """A plain UTF-8 mail of its own Message-ID and sender."""
        return mail(
            headers={
                "From": f"<citizen{number}@example.cn>",
                "Subject": encoded_word(f"{subject}（{number}）", "utf-8"),
                "Message-ID": f"<simple.{number}@mail.example.cn>",
            },
            body=f"第{number}封来信：坪山街道的路灯不亮。".encode(),
            minute=30 + number,
        )


def _nested(*, headers: dict[str, str], depth: int) -> bytes:
    """A mail of multiparts nested deeper than any parser's recursion goes."""
    lines = [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"Date: {format_datetime(SENT + timedelta(minutes=10))}")
    raw = "\r\n".join([*lines, "MIME-Version: 1.0"]).encode() + b"\r\n"
    for level in range(depth):
        raw += (
            f'Content-Type: multipart/mixed; boundary="n{level}"\r\n\r\n--n{level}\r\n'
        ).encode()
    return raw + b"Content-Type: text/plain\r\n\r\n\xe4\xbd\xa0\xe5\xa5\xbd\r\n"


@pytest.fixture(scope="session")
def samples() -> Samples:
    return Samples()
