"""What the adapter sends to intake, and what its own API gives."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from minsheng_common.adapters.schemas import (
    CanonicalAppeal,
    DeliveryState,
    ItemStatus,
)

Outcome = Literal["queued", "ignored", "repeated"]


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


class MessagePlace(BaseModel):
    """Where a message was read: the folder's UIDVALIDITY then, and its UID."""

    uidvalidity: int
    uid: int


class MessageOut(BaseModel):
    """A message read from the mailbox and what became of it."""

    folder: str
    uidvalidity: int
    uid: int
    size: int
    outcome: Outcome = Field(
        description="what reading it decided: queued as an appeal, ignored (an "
        "auto-reply or bounce), or repeated (an earlier message had its "
        "Message-ID; nothing was sent for it); where the appeal stands since is "
        "`delivery`"
    )
    reason: str | None = Field(
        description="why it was ignored: auto_submitted, autoreply_header, "
        "precedence, delivery_report, mailer_daemon, null_return_path; why it is "
        "a repeat: same_message_id (the same mail in the folder again, a resend "
        "or a copy), read_again (read again after the folder's UIDVALIDITY "
        "changed)"
    )
    item: str | None = Field(
        description="the item carrying it to intake (of a repeated message, the "
        "earlier message's item)"
    )
    delivery: ItemStatus | None = Field(
        description="where that item stands: pending, delivered to intake or "
        "refused by intake; none for a message without an item"
    )
    appeal_id: str | None = Field(
        description="the appeal intake recorded it as, once delivered"
    )
    repeats: MessagePlace | None = Field(
        description="of a repeated message, the earlier message it repeats"
    )
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
