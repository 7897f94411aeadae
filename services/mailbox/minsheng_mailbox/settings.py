"""The mailbox adapter's settings (environment prefix `MAILBOX_`): intake and the
delivery's pace are every adapter's (`AdapterSettings`); the mail server it reads
(IMAP), what it keeps of a message, and the mail server its replies leave by
(SMTP) are its own."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from minsheng_common import smtp
from minsheng_common.adapters.intake import IntakeKey, IntakeKeys
from minsheng_common.adapters.settings import AdapterSettings

ImapSecurity = Literal["tls", "starttls", "plain"]
DEFAULT_FROM = "政府信箱 <mailbox@localhost>"

INTAKE_ATTACHMENT_TYPES = (
    "jpg,jpeg,png,gif,webp,heic,pdf,doc,docx,xls,xlsx,txt,mp3,amr,m4a,wav,mp4,mov"
)
"""Intake's own list (INTAKE_ATTACHMENT_TYPES): an appeal with another kind of file
attached is refused whole, so only these are attached."""


class MailboxSettings(AdapterSettings):
    service_name: ClassVar[str] = "mailbox"
    model_config = SettingsConfigDict(env_prefix="MAILBOX_", extra="ignore")

    port: int = 8015
    channel: str = Field(
        default="mailbox",
        min_length=1,
        max_length=50,
        description="the channel id the appeals arrive under (政府信箱)",
    )
    intake_api_key: SecretStr = Field(
        default=SecretStr(""),
        description="the adapter's own channel key for intake, sent as X-API-Key "
        "with every appeal; required in production",
    )

    imap_host: str = Field(
        default="",
        description="the mail server the government mailbox is read from; empty "
        "(outside production) leaves the adapter idle",
    )
    imap_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="default 993 for tls, 143 for starttls and plain",
    )
    imap_security: ImapSecurity = Field(
        default="tls",
        description="tls (IMAPS), starttls, or plain: plain only outside production "
        "or to a server on loopback",
    )
    imap_username: str = ""
    imap_password: SecretStr = SecretStr("")
    imap_folder: str = Field(default="INBOX", min_length=1, max_length=200)
    imap_ca_file: Path | None = Field(
        default=None,
        description="a CA the mail server's certificate is checked against besides "
        "the system's (a government CA)",
    )
    imap_timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    poll_seconds: float = Field(
        default=60.0, gt=0, description="how often the mailbox is read"
    )
    poll_backoff_cap_seconds: float = Field(
        default=300.0,
        gt=0,
        description="the longest wait between two tries at a mail server that is "
        "down (the wait doubles from MAILBOX_POLL_SECONDS)",
    )
    fetch_batch: int = Field(
        default=50, ge=1, le=1000, description="messages stored a poll at most"
    )

    message_max_bytes: int = Field(
        default=25_000_000,
        ge=10_000,
        description="a larger message is not downloaded: its appeal says so and "
        "carries its headers only",
    )
    attachment_max_bytes: int = Field(
        default=10_000_000,
        ge=1024,
        description="a larger attachment is not kept; the appeal names it",
    )
    attachment_types: str = Field(
        default=INTAKE_ATTACHMENT_TYPES,
        description="file endings attached to the appeal, comma-separated: intake's "
        "own list (INTAKE_ATTACHMENT_TYPES); others are named, not attached",
    )
    max_title_chars: int = Field(
        default=200,
        ge=10,
        description="intake's own limit (INTAKE_MAX_TITLE_CHARS): a longer subject "
        "is shortened in the title",
    )
    max_content_chars: int = Field(
        default=5000,
        ge=100,
        description="intake's own limit (INTAKE_MAX_CONTENT_CHARS): a longer text "
        "is shortened in the appeal and attached whole",
    )
    public_url: str = Field(
        default="",
        description="where intake's readers reach this adapter, to open the "
        "attachments of the appeals; default http://<host>:<port>; required in "
        "production",
    )

    smtp_host: str = Field(
        default="", description="the mail server replies leave by; empty: no replies"
    )
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_starttls: bool = True
    smtp_implicit_tls: bool = Field(
        default=False, description="TLS from the first byte (port 465)"
    )
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_ca_file: Path | None = None
    smtp_timeout_seconds: float = Field(default=15.0, gt=0, le=300)
    smtp_from: str = Field(
        default=DEFAULT_FROM,
        description="the sender of replies; each Message-ID is <notice id@its domain>",
    )

    @field_validator("smtp_from")
    @classmethod
    def _sender_or_default(cls, value: str) -> str:
        # An empty value (a deployment passing an unset variable) is the default.
        return value.strip() or DEFAULT_FROM

    def intake_key(self) -> str | None:
        """The key sent to intake, or None when none is configured."""
        return self.intake_api_key.get_secret_value().strip() or None

    def intake_keys(self) -> IntakeKeys:
        """The one key, for the one channel."""
        return IntakeKeys(
            default=IntakeKey(self.intake_key(), self.setting_name("intake_api_key"))
        )

    def imap_port_or_default(self) -> int:
        if self.imap_port is not None:
            return self.imap_port
        return 993 if self.imap_security == "tls" else 143

    def attachment_type_set(self) -> frozenset[str]:
        return frozenset(
            ending.strip().lower().lstrip(".")
            for ending in self.attachment_types.split(",")
            if ending.strip()
        )

    def attachment_base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def smtp_server(self) -> smtp.SmtpServer | None:
        """The mail server replies leave by, or None when none is set."""
        if not self.smtp_host.strip():
            return None
        return smtp.SmtpServer(
            host=self.smtp_host.strip(),
            port=self.smtp_port,
            username=self.smtp_username or None,
            password=self.smtp_password.get_secret_value() or None,
            starttls=self.smtp_starttls and not self.smtp_implicit_tls,
            implicit_tls=self.smtp_implicit_tls,
            ca_file=self.smtp_ca_file,
            timeout=self.smtp_timeout_seconds,
        )

    def check_production(self) -> None:
        """Refuse to start in production without the intake key, the mail server
        and its login, or the address intake's readers open attachments at; or
        with plain IMAP to a server off this machine, which would send the
        mailbox password in clear. Elsewhere all may be absent (the adapter then
        idles) and plain IMAP goes anywhere."""
        if not self.is_production:
            return
        for field, missing in (
            ("intake_api_key", self.intake_key() is None),
            ("imap_host", not self.imap_host.strip()),
            ("imap_username", not self.imap_username.strip()),
            ("imap_password", not self.imap_password.get_secret_value()),
            ("public_url", not self.public_url.strip()),
        ):
            if missing:
                raise ValueError(f"production needs {self.setting_name(field)}")
        if self.imap_security == "plain" and not _loopback(self.imap_host.strip()):
            raise ValueError(
                f"{self.setting_name('imap_security')}=plain sends the mailbox "
                "password in clear: production allows it only to a server on "
                "loopback; use tls or starttls"
            )
        self.check_answers()


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
