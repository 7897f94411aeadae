"""What the adapter sends to intake, and what its own API gives."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from minsheng_common.adapters.schemas import CanonicalAppeal, DeliveryState

Outcome = Literal["queued", "ignored"]


class MailAppeal(CanonicalAppeal):
    """A citizen's mail in intake's canonical form: the subject as the title, the
    subject and text as the content, the sender's address as the contact and
    display name as the name (intake keeps both encrypted)."""

    name: str | None = Field(
        default=None, max_length=50, description="the sender's display name"
    )


class ItemOut(DeliveryState):
    """One mail on its way to intake; the sender is not shown."""

    uid: int = Field(description="the message's UID in the folder (the queue)")
    title: str
    sent_at: AwareDatetime = Field(description="the Date the mail was sent, UTC")
    attachments: int = Field(description="files attached to the appeal")


class MessageOut(BaseModel):
    """A message read from the mailbox and what became of it."""

    folder: str
    uidvalidity: int
    uid: int
    size: int
    outcome: Outcome = Field(
        description="queued as an appeal, or ignored (an auto-reply or bounce)"
    )
    reason: str | None = Field(
        description="why it was ignored: auto_submitted, autoreply_header, "
        "precedence, delivery_report, mailer_daemon, null_return_path"
    )
    item: str | None = Field(description="the item carrying it to intake")
    sent_at: AwareDatetime
    read_at: AwareDatetime


class MessagePage(BaseModel):
    items: list[MessageOut]
    total: int


class MailboxState(BaseModel):
    """How reading the mailbox goes (信箱读取状态)."""

    configured: bool = Field(description="a mail server is set (MAILBOX_IMAP_HOST)")
    folder: str
    uidvalidity: int | None = Field(description="of the folder, as last read")
    last_uid: int | None = Field(description="the highest UID taken")
    last_poll_at: AwareDatetime | None
    last_success_at: AwareDatetime | None
    consecutive_failures: int
    last_error: str | None = Field(
        description="why the last poll failed (a response code at most)"
    )


class PollRequested(BaseModel):
    """A poll asked for: the poller reads the mailbox now."""

    requested: bool = True
