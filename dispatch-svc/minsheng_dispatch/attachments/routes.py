"""The attachment API: upload a file, fetch it back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, UploadFile, status
from fastapi.responses import FileResponse

from minsheng_common.auth.api import require
from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Scope
from minsheng_common.web import ErrorResponse
from minsheng_dispatch.attachments import service
from minsheng_dispatch.attachments.store import Store
from minsheng_dispatch.deps import Context, OrdersReader, Session
from minsheng_dispatch.schemas import AttachmentOut

router = APIRouter(prefix="/v1", tags=["attachments"])

Uploader = Annotated[
    Principal, Depends(require(Scope.WORK_ORDERS_UNIT, Scope.WORK_ORDERS_OPERATE))
]
"""A unit (photos, documents for its orders) or a center operator."""


def _store(request: Request) -> Store:
    store: Store = request.app.state.attachment_store
    return store


AttachmentStore = Annotated[Store, Depends(_store)]


@router.post(
    "/attachments",
    response_model=AttachmentOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        415: {
            "model": ErrorResponse,
            "description": "The file is none of the accepted kinds",
        }
    },
)
async def upload_attachment(
    file: UploadFile,
    request: Request,
    session: Session,
    context: Context,
    store: AttachmentStore,
    principal: Uploader,
) -> AttachmentOut:
    """Upload a photo or a document (multipart/form-data, field `file`) to name it
    later in a request: before and after photos of a closure, a staged closure's
    supporting document, a leader's approval of an extension.

    The kind is judged by the file's first bytes: JPEG, PNG, GIF, WebP, HEIC, TIFF
    and PDF are accepted (415 `unsupported_attachment_type` otherwise, also when
    the name's extension says another kind). 413 `attachment_too_large` over the
    limit (10 MB by default). The id is the content's SHA-256: the same file
    uploaded twice has the same id.
    """
    content = await service.read_limited(
        file.read, max_bytes=request.app.state.attachment_max_bytes
    )
    stored = await service.upload(
        session=session,
        store=store,
        principal=principal,
        filename=file.filename,
        content=content,
        now=context.clock.now(),
    )
    return AttachmentOut(
        id=stored.id,
        content_type=stored.content_type,
        size=stored.size,
        filename=stored.filename,
        uploaded_at=stored.uploaded_at,
    )


@router.get(
    "/attachments/{attachment_id}",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
async def get_attachment(
    attachment_id: str,
    session: Session,
    store: AttachmentStore,
    principal: OrdersReader,
) -> FileResponse:
    """The file, to the center, to a unit whose order refers to it, and to the unit
    that uploaded it. 404 `attachment_not_found` otherwise, worded as for a missing
    one."""
    attachment = await service.visible(
        session=session, principal=principal, attachment_id=attachment_id
    )
    path = await service.file_of(store, attachment)
    kind = service.sniffing.by_content_type(attachment.content_type)
    extension = kind.extension if kind is not None else "bin"
    return FileResponse(
        path,
        media_type=attachment.content_type,
        filename=f"{attachment.id}.{extension}",
        headers={"X-Content-Type-Options": "nosniff"},
    )
