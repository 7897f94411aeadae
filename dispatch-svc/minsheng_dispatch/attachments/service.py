"""Uploading attachments, and who may use and see them.

A unit may use in its requests what its own unit uploaded and what its order already
refers to; it may see the same. The center sees every attachment. Anyone else is
answered as if the attachment did not exist.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Scope
from minsheng_dispatch.attachments import sniffing
from minsheng_dispatch.attachments.models import (
    Attachment,
    AttachmentUpload,
    WorkOrderAttachment,
)
from minsheng_dispatch.attachments.store import Store, is_digest
from minsheng_dispatch.errors import (
    AttachmentEmpty,
    AttachmentNotFound,
    AttachmentRefused,
    AttachmentTooLarge,
    AttachmentTypeRefused,
)
from minsheng_dispatch.models import WorkOrder

log = logging.getLogger(__name__)

CHUNK = 256 * 1024
MAX_FILENAME = 255

Read = Callable[[int], Awaitable[bytes]]


@dataclass(frozen=True)
class Stored:
    """An attachment as its uploader learns it."""

    id: str
    content_type: str
    size: int
    filename: str | None
    uploaded_at: datetime


async def read_limited(read: Read, *, max_bytes: int) -> bytes:
    """The whole upload, refused with 413 as soon as it passes `max_bytes`."""
    parts: list[bytes] = []
    seen = 0
    while chunk := await read(CHUNK):
        seen += len(chunk)
        if seen > max_bytes:
            raise AttachmentTooLarge(
                f"the attachment is over the limit of {max_bytes} bytes", field="file"
            )
        parts.append(chunk)
    return b"".join(parts)


async def upload(
    *,
    session: AsyncSession,
    store: Store,
    principal: Principal,
    filename: str | None,
    content: bytes,
    now: datetime,
) -> Stored:
    """Keep an uploaded file once per content and record who uploaded it; commits.

    The kind is told by the first bytes (JPEG, PNG, GIF, WebP, HEIC, TIFF, PDF); a
    name whose extension says otherwise is refused too.
    """
    if not content:
        raise AttachmentEmpty("the attachment is empty", field="file")
    kind = sniffing.sniff(content[: sniffing.HEAD_BYTES])
    if kind is None:
        raise AttachmentTypeRefused(
            "the file is none of the accepted kinds (JPEG, PNG, GIF, WebP, HEIC, "
            "TIFF, PDF), judged by its content",
            field="file",
        )
    name = _plain_name(filename)
    if not sniffing.name_agrees(name, kind):
        raise AttachmentTypeRefused(
            f"the file's name says another kind than its content ({kind.content_type})",
            field="file",
        )

    digest = hashlib.sha256(content).hexdigest()
    await store.put(digest, content)
    if await session.get(Attachment, digest) is None:
        session.add(
            Attachment(
                id=digest,
                content_type=kind.content_type,
                size=len(content),
                stored_at=now,
            )
        )
    session.add(
        AttachmentUpload(
            attachment_id=digest,
            unit_id=principal.unit_id,
            uploaded_by=principal.label(),
            filename=name,
            uploaded_at=now,
        )
    )
    await session.commit()
    log.info(
        "attachment %s (%s, %d bytes) uploaded by %s",
        digest,
        kind.content_type,
        len(content),
        principal.label(),
    )
    return Stored(
        id=digest,
        content_type=kind.content_type,
        size=len(content),
        filename=name,
        uploaded_at=now,
    )


def _plain_name(filename: str | None) -> str | None:
    # Kept only for the uploader's records, never as a path or in a header.
    if not filename:
        return None
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:MAX_FILENAME] or None


async def visible(
    *, session: AsyncSession, principal: Principal, attachment_id: str
) -> Attachment:
    """The attachment if the caller may see it: the center always; a unit when its
    unit uploaded it or one of its orders refers to it. Otherwise not found, worded
    the same as a missing one."""
    missing = AttachmentNotFound(
        f"no attachment {attachment_id}", field="attachment_id"
    )
    if not is_digest(attachment_id):
        raise missing
    attachment = await session.get(Attachment, attachment_id)
    if attachment is None:
        raise missing
    if principal.can(Scope.WORK_ORDERS_READ):
        return attachment
    if principal.unit_id is not None and (
        await _uploaded_by(session, attachment_id, principal.unit_id)
        or await _referenced_by_unit(session, attachment_id, principal.unit_id)
    ):
        return attachment
    raise missing


async def _uploaded_by(session: AsyncSession, attachment_id: str, unit_id: str) -> bool:
    return bool(
        await session.scalar(
            select(
                exists().where(
                    AttachmentUpload.attachment_id == attachment_id,
                    AttachmentUpload.unit_id == unit_id,
                )
            )
        )
    )


async def _referenced_by_unit(
    session: AsyncSession, attachment_id: str, unit_id: str
) -> bool:
    return bool(
        await session.scalar(
            select(
                exists().where(
                    WorkOrderAttachment.attachment_id == attachment_id,
                    WorkOrderAttachment.work_order_id == WorkOrder.id,
                    WorkOrder.unit_id == unit_id,
                )
            )
        )
    )


async def usable(
    *,
    session: AsyncSession,
    principal: Principal,
    order: WorkOrder,
    named: Sequence[tuple[str, str]],
) -> dict[str, Attachment]:
    """The attachments a request names, as (field, id) pairs, each checked: it
    exists and the caller's unit uploaded it or the order already refers to it. 422
    naming the field of the first that is not."""
    found: dict[str, Attachment] = {}
    for field, attachment_id in named:
        refused = AttachmentRefused(
            f"attachment {attachment_id} is unknown or not yours to use; upload it "
            "with POST /v1/attachments first",
            field=field,
        )
        if not is_digest(attachment_id):
            raise refused
        attachment = await session.get(Attachment, attachment_id)
        if attachment is None:
            raise refused
        owned = principal.unit_id is not None and await _uploaded_by(
            session, attachment_id, principal.unit_id
        )
        if not owned and not await _referenced_by_order(
            session, attachment_id, order.id
        ):
            raise refused
        found[attachment_id] = attachment
    return found


async def _referenced_by_order(
    session: AsyncSession, attachment_id: str, work_order_id: str
) -> bool:
    return bool(
        await session.scalar(
            select(
                exists().where(
                    WorkOrderAttachment.attachment_id == attachment_id,
                    WorkOrderAttachment.work_order_id == work_order_id,
                )
            )
        )
    )


async def link(
    session: AsyncSession,
    *,
    order: WorkOrder,
    attachment_id: str,
    role: str,
    added_by: str,
    at: datetime,
) -> None:
    """Make the order refer to the attachment in `role` (once per role)."""
    key = (order.id, attachment_id, role)
    if await session.get(WorkOrderAttachment, key) is not None:
        return
    session.add(
        WorkOrderAttachment(
            work_order_id=order.id,
            attachment_id=attachment_id,
            role=role,
            round=order.round,
            added_by=added_by,
            added_at=at,
        )
    )


async def of_order(
    session: AsyncSession, work_order_id: str
) -> list[WorkOrderAttachment]:
    rows = await session.scalars(
        select(WorkOrderAttachment)
        .where(WorkOrderAttachment.work_order_id == work_order_id)
        .order_by(WorkOrderAttachment.added_at, WorkOrderAttachment.attachment_id)
    )
    return list(rows)


async def file_of(store: Store, attachment: Attachment) -> Path:
    path = await store.path(attachment.id)
    if path is None:
        log.warning(
            "attachment %s is recorded but its file is missing from the store",
            attachment.id,
        )
        raise AttachmentNotFound(
            f"no attachment {attachment.id}", field="attachment_id"
        )
    return path


async def stored(session: AsyncSession, attachment_id: str) -> Attachment:
    attachment = await session.get(Attachment, attachment_id)
    if attachment is None:
        raise AttachmentNotFound(
            f"no attachment {attachment_id}", field="attachment_id"
        )
    return attachment
