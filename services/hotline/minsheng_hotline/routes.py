"""The hotline adapter's HTTP API: take the call records each line's call centre
pushes (a valid signature with the line's secret, no key), and follow the items and
count them (the scope channel:operate: center operators and supervisors)."""

from __future__ import annotations

from fastapi import APIRouter, Path, status

from minsheng_common.adapters import push, schemas
from minsheng_common.adapters.routes import queue_router
from minsheng_hotline import service
from minsheng_hotline.deps import Context, Session
from minsheng_hotline.models import HotlineCall
from minsheng_hotline.schemas import CallAccepted, CallOut, CallRecord

router = APIRouter(prefix="/v1", tags=["hotline"])


@router.post(
    "/lines/{line}/calls",
    response_model=CallAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    openapi_extra=push.body_schema(CallRecord),
)
async def push_call(
    pushed: push.Push,
    session: Session,
    context: Context,
    line: str = Path(
        max_length=20, description="the hotline: 12345, 12319 or 28339260"
    ),
) -> CallAccepted:
    """A call record the line's call centre pushes (来电工单推送): {call_id,
    caller_number, called_at, agent, summary, title, type, category, address,
    recording_url}, signed with the line's secret instead of a key.

    404 `unknown_line` for a line not served here. 401 `bad_signature` for a
    missing or wrong signature (also one made with another line's secret),
    401 `stale_request` for one made outside the five-minute window, 409
    `replayed_request` for a signed request received before, 503 when the line has
    no secret configured. 422 with the field at fault for a body that is not a call
    record (`invalid_call`) or that intake would refuse (`too_long` over intake's
    limits): such a record is not stored. An accepted record is stored and
    delivered to intake under the line's channel (hotline-<line>); the same call id
    pushed again answers its first item.
    """
    return await service.receive(
        session=session, context=context, line_number=line, pushed=pushed
    )


def present(item: HotlineCall) -> CallOut:
    payload = item.payload
    return CallOut(
        **schemas.delivery_of(item),
        line=item.source,
        call_id=item.call_id,
        agent=item.agent,
        title=payload.get("title", ""),
        type=payload.get("type"),
        type_as_entered=item.type_as_entered,
        category_hint=payload.get("category_hint"),
        category_as_entered=item.category_as_entered,
        has_recording=bool(payload.get("attachments")),
        called_at=item.called_at,
    )


items = queue_router(
    model=HotlineCall, present=present, out=CallOut, tag="hotline", what="call records"
)
