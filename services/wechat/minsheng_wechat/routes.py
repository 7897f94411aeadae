"""The WeChat adapter's HTTP API: the official account's message push (WeChat's
servers, verified by the token's signature, no key); the messages and appeals
(the scope channel:operate: center operators and supervisors); the pictures
attached to the appeals (the center and the units)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, cast

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import PlainTextResponse

from minsheng_common.adapters import kept_files, schemas
from minsheng_common.adapters.routes import queue_router
from minsheng_wechat import photos, repository, service
from minsheng_wechat.deps import Context, Operator, PhotoReader, Session
from minsheng_wechat.errors import PhotoNotFound
from minsheng_wechat.models import Photo, WechatAppeal, WechatMessage
from minsheng_wechat.schemas import (
    AppealOut,
    Kind,
    MessageOut,
    MessagePage,
    Outcome,
)

router = APIRouter(prefix="/v1", tags=["wechat"])

_XML_BODY = {
    "requestBody": {
        "required": True,
        "content": {"text/xml": {"schema": {"type": "string"}}},
    }
}
Signature = Annotated[str | None, Query(max_length=100)]
Timestamp = Annotated[str | None, Query(max_length=20, description="Unix seconds")]
Nonce = Annotated[str | None, Query(max_length=100)]


@router.get("/push", response_class=PlainTextResponse)
async def check_url(
    context: Context,
    echostr: Annotated[str, Query(min_length=1, max_length=200)],
    signature: Signature = None,
    timestamp: Timestamp = None,
    nonce: Nonce = None,
) -> PlainTextResponse:
    """WeChat's check of the server URL (服务器配置验证): answers `echostr` as
    plain text when `signature` is the SHA-1 of the token, `timestamp` and `nonce`
    sorted and joined. 401 `bad_signature` otherwise, 401 `stale_request` for a
    timestamp outside five minutes, 503 when WECHAT_TOKEN is not set."""
    query = service.PushQuery(signature=signature, timestamp=timestamp, nonce=nonce)
    service.check_url(context, query, now=datetime.now(UTC))
    return PlainTextResponse(echostr)


@router.post(
    "/push",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}, "text/plain": {}}}},
    openapi_extra=_XML_BODY,
)
async def push_message(
    request: Request,
    session: Session,
    context: Context,
    signature: Signature = None,
    timestamp: Timestamp = None,
    nonce: Nonce = None,
    openid: Annotated[str | None, Query(max_length=64)] = None,
    encrypt_type: Annotated[str | None, Query(max_length=10)] = None,
    msg_signature: Signature = None,
) -> Response:
    """A message or event the official account's server pushes (消息推送): XML,
    plain or encrypted (`encrypt_type=aes`, verified by `msg_signature`).

    Answered within WeChat's five seconds with the passive reply: a text message to
    the citizen (encrypted when the push was) with the tracking code or intake's
    instant answer, or saying the message was received when intake did not answer
    within WECHAT_REPLY_BUDGET_SECONDS; "success" for events other than subscribe.
    The same message pushed again (WeChat's retry, same MsgId) stores nothing and
    gets the reply at once.

    401 `bad_signature` for a missing or wrong signature, 401 `stale_request` for
    a timestamp outside five minutes, 409 `replayed_request` for a signature seen
    before with another message, 400 `invalid_xml` for a body that is not WeChat's
    XML (DTDs and entities refused), 400 `undecryptable_message`, 401
    `wrong_app_id`, 422 `invalid_message` with the element at fault, 503 when the
    token (or, for encrypted pushes, the EncodingAESKey and AppID) is not set.
    """
    query = service.PushQuery(
        signature=signature,
        timestamp=timestamp,
        nonce=nonce,
        openid=openid,
        encrypt_type=encrypt_type,
        msg_signature=msg_signature,
    )
    reply = await service.receive(
        session=session,
        context=context,
        query=query,
        body=await request.body(),
        now=datetime.now(UTC),
    )
    return Response(content=reply.body, media_type=reply.media_type)


@router.get("/messages", response_model=MessagePage)
async def list_messages(
    _operator: Operator,
    session: Session,
    context: Context,
    outcome: Annotated[Outcome | None, Query()] = None,
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
) -> MessagePage:
    """Every message and event the account received, in order, with what became of
    it: opened an appeal, attached to one, an event, or ignored. Names citizens by
    a pseudonym, never by openid. Needs the scope channel:operate."""
    rows, total = await repository.messages(
        session, outcome=outcome, limit=limit, offset=offset
    )
    return MessagePage(items=[_message(row, context) for row in rows], total=total)


@router.get(
    "/photos/{name}",
    response_class=Response,
    responses={
        200: {
            "content": {
                "image/jpeg": {},
                "image/png": {},
                "image/gif": {},
                "image/webp": {},
            }
        }
    },
)
async def get_photo(
    _reader: PhotoReader,
    session: Session,
    name: Annotated[str, Path(pattern=photos.NAME)],
) -> Response:
    """A citizen's picture attached to an appeal, by the name in the attachment's
    URL (`<sha256>.<ending>`). Needs the scope appeals:read, appeals:read-unit or
    channel:operate."""
    kept = await kept_files.named(session, Photo, name)
    if kept is None:
        raise PhotoNotFound("no such picture", field="name")
    return kept_files.picture_response(kept)


def _message(row: WechatMessage, context: service.WechatContext) -> MessageOut:
    return MessageOut(
        message_key=row.message_key,
        citizen=row.citizen,
        msg_type=row.msg_type,
        event=row.event,
        outcome=cast(Outcome, row.outcome),
        appeal_item=row.appeal_item_id,
        photo_url=context.photo_url(row.photo) if row.photo else None,
        sent_at=row.sent_at,
        received_at=row.received_at,
    )


def present(item: WechatAppeal) -> AppealOut:
    return AppealOut(
        **schemas.delivery_of(item),
        citizen=item.source,
        opened_by=cast(Kind, item.opened_by),
        first_message_key=item.first_message_key,
        follow_ups=item.follow_ups,
        title=item.payload.get("title", ""),
        instant_answer=item.instant_answer,
    )


items = queue_router(
    model=WechatAppeal,
    present=present,
    out=AppealOut,
    tag="wechat",
    what="appeals from the official account",
)
