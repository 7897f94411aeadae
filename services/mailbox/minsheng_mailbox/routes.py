"""The mailbox adapter's HTTP API: follow the mail and how reading goes, ask for a
poll (the scope channel:operate: center operators and supervisors); serve the
attachments of the appeals (the center and the units)."""

from __future__ import annotations

import mimetypes
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from minsheng_common.adapters import kept_files, schemas
from minsheng_common.adapters.routes import queue_router
from minsheng_mailbox import repository
from minsheng_mailbox.deps import AttachmentReader, Context, Operator, Session
from minsheng_mailbox.errors import AttachmentNotFound, MailboxNotConfigured
from minsheng_mailbox.models import Attachment, MailboxItem
from minsheng_mailbox.schemas import (
    ItemOut,
    MailboxState,
    MessageOut,
    MessagePage,
    MessagePlace,
    Outcome,
    PollRequested,
)

router = APIRouter(prefix="/v1", tags=["mailbox"])

ATTACHMENT_NAME = r"^[0-9a-f]{64}\.[a-z0-9]{1,10}$"
"""How a kept attachment is named: its SHA-256 and ending."""
_SHOWN_INLINE = ("image/", "application/pdf")


@router.get("/mailbox", response_model=MailboxState)
async def mailbox_state(
    _operator: Operator, session: Session, context: Context
) -> MailboxState:
    """How reading the government mailbox goes: the folder, where reading stands
    (UIDVALIDITY and the highest UID taken), the last poll and the last failure.
    Needs the scope channel:operate."""
    cursor = await repository.cursor_of(session, context.folder)
    state = context.state
    return MailboxState(
        configured=context.configured,
        folder=context.folder,
        uidvalidity=cursor.uidvalidity if cursor else state.uidvalidity,
        last_uid=cursor.last_uid if cursor else None,
        last_poll_at=state.last_poll_at,
        last_success_at=state.last_success_at,
        consecutive_failures=state.consecutive_failures,
        last_error=state.last_error,
    )


@router.post(
    "/poll", response_model=PollRequested, status_code=status.HTTP_202_ACCEPTED
)
async def request_poll(_operator: Operator, context: Context) -> PollRequested:
    """Read the mailbox now instead of at the next interval (after a mail server
    came back, for instance). 503 `mailbox_not_configured` without a mail server.
    Needs the scope channel:operate."""
    if not context.configured:
        raise MailboxNotConfigured("no mail server is set (MAILBOX_IMAP_HOST)")
    context.poll_now.set()
    return PollRequested()


@router.get("/messages", response_model=MessagePage)
async def list_messages(
    _operator: Operator,
    session: Session,
    outcome: Annotated[Outcome | None, Query()] = None,
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
) -> MessagePage:
    """Every message read from the mailbox, in order, with what became of it:
    queued as an appeal (and where its delivery to intake stands), ignored as an
    auto-reply or bounce, or repeated (the Message-ID of an earlier message, which
    it names), with the reason. Needs the scope channel:operate."""
    rows, total = await repository.messages(
        session, outcome=outcome, limit=limit, offset=offset
    )
    return MessagePage(items=[_message(row) for row in rows], total=total)


@router.get(
    "/attachments/{name}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
async def get_attachment(
    _reader: AttachmentReader,
    session: Session,
    name: Annotated[str, Path(pattern=ATTACHMENT_NAME)],
) -> Response:
    """A file attached to an appeal, by the name in the attachment's URL
    (`<sha256>.<ending>`). Needs the scope appeals:read, appeals:read-unit or
    channel:operate."""
    kept = await kept_files.named(session, Attachment, name)
    if kept is None:
        raise AttachmentNotFound("no such attachment", field="name")
    media_type = mimetypes.guess_type(name, strict=False)[0]
    media_type = media_type or "application/octet-stream"
    # A citizen's file is served as what its ending says and never sniffed: an
    # HTML page dressed as a picture does not run in a clerk's browser.
    disposition = "inline" if media_type.startswith(_SHOWN_INLINE) else "attachment"
    return Response(
        content=kept.content,
        media_type=media_type,
        headers={
            "Cache-Control": kept_files.CACHE_CONTROL,
            "Content-Disposition": f'{disposition}; filename="{name}"',
            "Content-Security-Policy": "sandbox",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _message(listed: repository.Listed) -> MessageOut:
    row = listed.message
    earlier = listed.earlier
    repeats = MessagePlace(uidvalidity=earlier[0], uid=earlier[1]) if earlier else None
    return MessageOut(
        folder=row.folder,
        uidvalidity=row.uidvalidity,
        uid=row.uid,
        size=row.size,
        outcome=row.outcome,
        reason=row.reason,
        item=row.item_id,
        delivery=listed.delivery,
        appeal_id=listed.appeal_id,
        repeats=repeats,
        sent_at=row.sent_at,
        read_at=row.read_at,
    )


def present(item: MailboxItem) -> ItemOut:
    return ItemOut(
        **schemas.delivery_of(item),
        uid=item.uid,
        title=item.payload.get("title", ""),
        sent_at=item.sent_at,
        attachments=item.attachments,
    )


items = queue_router(
    model=MailboxItem,
    present=present,
    out=ItemOut,
    tag="mailbox",
    what="mails from the government mailbox",
)
