"""`POST /v1/answers/{channel}`: notify hands an adapter the answer for a citizen who
came through its channel, and `GET /v1/answers/stats` counts them.

The answer is taken only with a valid HMAC of its timestamp and body, made with
one of the adapter's answer secrets (notify's NOTIFY_CHANNEL_REPLY_SECRET) within
the five-minute window: an unsigned answer would let anyone message citizens in
the district's name. It is stored before the adapter answers 202, so it is never
lost; the same notice handed over again (with the same signature or another)
answers 200 with the same message id and stores nothing.
"""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from minsheng_common import web
from minsheng_common.adapters import answer_store, push, receipts
from minsheng_common.adapters.answer_carrier import AnswerDesk
from minsheng_common.adapters.routes import Operator
from minsheng_common.auth import webhooks
from minsheng_common.errors import InvalidInput, NotFound, Unavailable
from minsheng_common.runtime import ServiceRuntime

log = logging.getLogger(__name__)


class AnswerIn(BaseModel):
    """What notify hands over (its channel reply sender's body)."""

    model_config = ConfigDict(extra="ignore")

    notice_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    appeal_id: str | None = Field(default=None, max_length=36)
    kind: str = Field(min_length=1, max_length=40)
    contact_kind: str = Field(min_length=1, max_length=30)
    contact: str = Field(min_length=1, max_length=500)
    text: str = Field(min_length=1, max_length=4000)


class AnswerTaken(BaseModel):
    """The adapter's reference for the answer: notify's receipts name it by this."""

    message_id: str
    status: Literal["pending", "delivered", "undelivered"]


class AnswerStats(BaseModel):
    pending: int
    delivered: int
    undelivered: int


class AnswersNotTaken(Unavailable):
    """No answer secret is configured: nothing could tell notify's answers apart
    from anyone's."""

    code = "answers_not_taken"
    retriable = False


class ChannelNotAnswered(NotFound):
    code = "channel_not_answered"


def answers_router(*, tag: str) -> APIRouter:
    """The answers' routes; the adapter's `AnswerDesk` is `app.state.answers`."""
    router = APIRouter(prefix="/v1/answers", tags=[tag])

    @router.post(
        "/{channel}",
        response_model=AnswerTaken,
        status_code=202,
        openapi_extra=push.body_schema(AnswerIn),
    )
    async def take_answer(
        request: Request,
        response: Response,
        pushed: push.Push,
        session: web.StoreSession,
        channel: str = Path(max_length=50),
    ) -> AnswerTaken:
        """Take an answer for a citizen of `channel` (Art. 36: the answer goes back
        the way the appeal came): {notice_id, appeal_id, kind, contact_kind,
        contact, text}, signed like Minsheng's webhooks with an answer secret.
        202 when stored to be carried, 200 when the notice was taken before
        (whatever its signature); 401 for a missing, wrong or stale signature,
        404 for a channel this adapter does not answer, 422 for a body that
        cannot be read, 503 when no answer secret is configured."""
        desk: AnswerDesk = request.app.state.answers
        secrets = desk.secrets
        if not secrets:
            raise AnswersNotTaken(
                "answers are not taken: no answer secret is configured",
                field=webhooks.SIGNATURE_HEADER,
            )
        key = webhooks.verify(
            secrets=secrets,
            timestamp=pushed.timestamp,
            signature=pushed.signature,
            body=pushed.body,
            now=pushed.now,
        )
        # Only notify learns which channels are answered here.
        if channel not in desk.couriers:
            raise ChannelNotAnswered(
                f"this adapter does not answer on channel {channel}", field="channel"
            )
        answer = push.parse(AnswerIn, pushed.body, error=InvalidInput)

        # A notice taken before is answered alike, even by the very same signed
        # request (notify retrying within a second): it changes nothing.
        known = await answer_store.find(session, desk.model, answer.notice_id)
        if known is not None:
            response.status_code = 200
            return AnswerTaken(message_id=known.notice_id, status=_status(known.status))

        # The replay record is kept on the real clock, like the signature's window;
        # the answer on the service's clock, which its carrier and retention read.
        await receipts.record(
            session,
            desk.receipt,
            key,
            received_at=pushed.now,
            what="an answer from notify",
        )
        runtime: ServiceRuntime = request.app.state.runtime
        session.add(
            desk.new_record(
                channel, answer.model_dump(), received_at=runtime.clock.now()
            )
        )
        await session.commit()
        desk.wake.set()
        log.info(
            "answer %s for appeal %s taken for %s",
            answer.notice_id,
            answer.appeal_id,
            channel,
        )
        return AnswerTaken(message_id=answer.notice_id, status="pending")

    @router.get("/stats", response_model=AnswerStats)
    async def answer_stats(
        request: Request, _operator: Operator, session: web.StoreSession
    ) -> AnswerStats:
        """How many answers are waiting to be carried, delivered and undelivered.
        Needs the scope channel:operate."""
        desk: AnswerDesk = request.app.state.answers
        counts = await answer_store.count_by_status(session, desk.model)
        return AnswerStats(
            pending=counts.get(answer_store.PENDING, 0),
            delivered=counts.get(answer_store.DELIVERED, 0),
            undelivered=counts.get(answer_store.UNDELIVERED, 0),
        )

    return router


def _status(value: str) -> Literal["pending", "delivered", "undelivered"]:
    if value == answer_store.DELIVERED:
        return "delivered"
    if value == answer_store.UNDELIVERED:
        return "undelivered"
    return "pending"
