"""Answers to citizens as reply posts (回帖) on the forum their post came from: the
forum's `Courier` (`minsheng_common.adapters.answers`).

The courier finds the item whose appeal the answer is for, and so the source and
the post, then asks the source's `reply_url`:

    POST <reply_url>     Content-Type: application/json; charset=utf-8
                         Idempotency-Key: <notice id>
                         X-API-Key: <the source's key>, if configured
    {"post_id": "884213", "text": "您好，您反映的…", "reference": "<notice id>"}

    200 or 201 {"reply_id": "r-5521"}

The notice id is the idempotency key: a retry after a lost answer must give the
same reply, not a second one. A 4xx (other than 408 and 429) is the forum
refusing the reply for good (`AnswerRefused`); no answer, a 5xx, 408 or 429 may
pass later (`AnswerFailed`). An appeal that came from no polled post of the
courier's channel (one never seen, one replayed or pushed, one of another
channel), or from a source without a `reply_url`, is refused. Logs name the
notice, the appeal, the source and the post, never the text or the contact.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common.adapters.answers import Answer, AnswerFailed, AnswerRefused
from minsheng_forum import repository
from minsheng_forum.feed import KEY_HEADER
from minsheng_forum.settings import FeedSource

log = logging.getLogger(__name__)

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLY_ID_CHARS = 200
RETRIED_CLIENT_ERRORS = frozenset({408, 429})
"""4xx answers that mean "later", not "never"."""


class ForumCourier:
    """Carries answers as reply posts on the polled sources of one channel."""

    def __init__(
        self,
        *,
        channel: str,
        sources: Sequence[FeedSource],
        sessions: async_sessionmaker[AsyncSession],
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.channel = channel
        self._sources = {
            source.queue: source for source in sources if source.channel == channel
        }
        self._sessions = sessions
        self._http = http

    async def carry(self, answer: Answer) -> str:
        """Post `answer` as a reply to the citizen's post; the forum's reply id."""
        source, post_id = await self._post_of(answer)
        if source.reply_url is None:
            raise AnswerRefused(
                f"the forum source {source.name} takes no replies (no reply_url)"
            )

        body = {"post_id": post_id, "text": answer.text, "reference": answer.notice_id}
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            IDEMPOTENCY_HEADER: answer.notice_id,
        }
        key = source.key()
        if key is not None:
            headers[KEY_HEADER] = key
        try:
            async with self._client() as http:
                response = await http.post(
                    str(source.reply_url),
                    content=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                    headers=headers,
                    timeout=source.timeout_seconds,
                )
        except httpx.TimeoutException:
            raise AnswerFailed(
                f"the forum source {source.name} did not answer within "
                f"{source.timeout_seconds:g}s"
            ) from None
        except httpx.HTTPError as error:
            raise AnswerFailed(
                f"the forum source {source.name} is unreachable: {type(error).__name__}"
            ) from None

        reply_id = _reply_id(response, source)
        log.info(
            "answer %s for appeal %s posted as reply %s to post %s of forum source %s",
            answer.notice_id,
            answer.appeal_id,
            reply_id,
            post_id,
            source.name,
        )
        return reply_id

    async def _post_of(self, answer: Answer) -> tuple[FeedSource, str]:
        """The source and the post the answer's appeal came from."""
        appeal_id = answer.appeal_id
        if appeal_id is None:
            raise AnswerRefused("the answer names no appeal to find its post by")
        queues = list(self._sources)
        async with self._sessions() as session:
            item = await repository.item_of_appeal(session, appeal_id, queues=queues)
            if item is not None:
                return self._sources[item.source], item.message_id
            elsewhere = await repository.item_of_appeal(session, appeal_id)
            waiting = await repository.any_pending(session, queues)

        if elsewhere is not None:
            raise AnswerRefused(
                f"appeal {appeal_id} came from {elsewhere.source}, not from a polled "
                f"forum of {self.channel}: no reply post can answer it"
            )
        if waiting:
            # Intake may have taken one of these while its answer is not recorded
            # yet (the adapter stopped in between): the appeal may be found later.
            raise AnswerFailed(
                f"appeal {appeal_id} is not among the posts intake answered yet; "
                f"posts of {self.channel} still wait for intake's answer"
            )
        raise AnswerRefused(f"appeal {appeal_id} came from no post this adapter took")

    @asynccontextmanager
    async def _client(self) -> AsyncIterator[httpx.AsyncClient]:
        """The client given, or one for this answer alone (answers are few)."""
        if self._http is not None:
            yield self._http
            return
        async with httpx.AsyncClient(trust_env=False, follow_redirects=False) as http:
            yield http


def _reply_id(response: httpx.Response, source: FeedSource) -> str:
    status = response.status_code
    if status in (200, 201):
        try:
            reply_id = response.json()["reply_id"]
        except (ValueError, KeyError, TypeError):
            reply_id = None
        if isinstance(reply_id, str | int) and 0 < len(str(reply_id)) <= REPLY_ID_CHARS:
            return str(reply_id)
        # The forum may have posted the reply: asking again with the same
        # idempotency key gives its id without a second reply.
        raise AnswerFailed(
            f"the forum source {source.name} answered {status} without a readable "
            "reply_id"
        )
    if 400 <= status < 500 and status not in RETRIED_CLIENT_ERRORS:
        raise AnswerRefused(
            f"the forum source {source.name} refused the reply: {status} "
            f"{_error_code(response)}".rstrip()
        )
    raise AnswerFailed(f"the forum source {source.name} answered {status}")


def _error_code(response: httpx.Response) -> str:
    """A machine-readable code from the forum's error body, if it gives one; never
    the body itself, which may quote the text."""
    try:
        body = response.json()
    except ValueError:
        return ""
    code = body.get("error") if isinstance(body, dict) else None
    if isinstance(code, dict):
        code = code.get("code")
    if isinstance(code, str) and code.replace("_", "").isalnum() and len(code) <= 50:
        return code
    return ""


def couriers(
    sources: Sequence[FeedSource],
    *,
    sessions: async_sessionmaker[AsyncSession],
    http: httpx.AsyncClient | None = None,
) -> dict[str, ForumCourier]:
    """A courier for each channel of the configured sources, by channel id: one
    adapter serves several forums, and sources of one channel share its courier.
    Without `http`, each answer opens its own connection."""
    channels = dict.fromkeys(source.channel for source in sources)
    return {
        channel: ForumCourier(
            channel=channel, sources=sources, sessions=sessions, http=http
        )
        for channel in channels
    }
