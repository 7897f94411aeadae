"""Delivering stored items to intake, in order, exactly once per channel reference.

Each source is a queue: only its first pending item may be sent, so the forum's order
holds. Intake's answer settles the item: 201 or 200 (already received) delivers it,
422 refuses it for good; anything else (down, timed out, 5xx) leaves it pending with an
exponential backoff, and the items behind it wait. The message id travels as the
channel reference, so a resend after a lost answer returns the first result.

The adapter calls intake as a channel system, with its own key (FORUM_INTAKE_API_KEY)
in X-API-Key. A 401 or 403 is the key's fault, not the appeal's, and an operator can
fix it: the item stays pending, waits the longest backoff between tries, and each
try logs a WARNING naming the problem (never the key).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common.auth import hashing
from minsheng_common.auth.api import api_key_header
from minsheng_common.clock import Clock
from minsheng_common.errors import MinshengError
from minsheng_common.runtime import ServiceRuntime
from minsheng_common.web import TRACE_HEADER
from minsheng_forum import repository
from minsheng_forum.errors import (
    AppealRefused,
    IntakeCredentialsRejected,
    IntakeUnavailable,
)
from minsheng_forum.models import ForumItem
from minsheng_forum.service import ForumContext
from minsheng_forum.settings import ForumSettings

log = logging.getLogger(__name__)

APPEALS_PATH = "/v1/appeals"
KEY_HEADER = api_key_header.model.name


@dataclass(frozen=True)
class Backoff:
    """Seconds to wait before attempt n+1: base × 2^(n-1), never more than cap."""

    base_seconds: float
    cap_seconds: float

    def delay(self, attempts: int) -> timedelta:
        exponent = min(max(attempts - 1, 0), 32)
        return timedelta(seconds=min(self.base_seconds * 2**exponent, self.cap_seconds))


@dataclass(frozen=True)
class Answer:
    """Intake's answer to a delivered appeal."""

    status_code: int
    appeal_id: str
    tracking_code: str
    decision: str


class IntakeClient:
    """Intake's `POST /v1/appeals` called with the adapter's own key, with its
    answers turned into our vocabulary."""

    def __init__(self, http: httpx.AsyncClient, *, api_key: str | None) -> None:
        self._http = http
        self._api_key = api_key

    @property
    def key_label(self) -> str:
        """How logs name the key: its public id only, never its secret."""
        if self._api_key is None:
            return "no key (FORUM_INTAKE_API_KEY is not set)"
        parts = hashing.split_api_key(self._api_key)
        if parts is None:
            return "a key not shaped like a Minsheng key (FORUM_INTAKE_API_KEY)"
        return f"key {parts[0]} (FORUM_INTAKE_API_KEY)"

    async def submit(self, payload: dict[str, Any], *, trace_id: str) -> Answer:
        """Send one canonical appeal; `AppealRefused` on 422,
        `IntakeCredentialsRejected` on 401/403, `IntakeUnavailable` when trying
        again later may succeed."""
        headers = {TRACE_HEADER: trace_id}
        if self._api_key is not None:
            headers[KEY_HEADER] = self._api_key
        try:
            response = await self._http.post(
                APPEALS_PATH, json=payload, headers=headers
            )
        except httpx.TimeoutException as error:
            raise IntakeUnavailable("intake did not answer in time") from error
        except httpx.HTTPError as error:
            raise IntakeUnavailable(
                f"intake unreachable: {type(error).__name__}"
            ) from error

        if response.status_code in (401, 403):
            raise IntakeCredentialsRejected(
                f"intake answered {response.status_code} to {self.key_label}",
                answer_status=response.status_code,
            )
        if response.status_code == 422:
            raise AppealRefused("intake refused the appeal", body=response.text)
        if response.status_code not in (200, 201):
            raise IntakeUnavailable(f"intake answered {response.status_code}")
        return _answer(response)


def _answer(response: httpx.Response) -> Answer:
    try:
        body = response.json()
        return Answer(
            status_code=response.status_code,
            appeal_id=str(body["id"]),
            tracking_code=str(body["tracking_code"]),
            decision=str(body["decision"]["status"]),
        )
    except (ValueError, KeyError, TypeError) as error:
        # Intake has the appeal but its answer was unreadable: sending again returns
        # the first result, by the channel reference.
        raise IntakeUnavailable("intake's answer could not be read") from error


async def deliver_due(runtime: ServiceRuntime) -> None:
    """The background loop: deliver what is due, then wait for the next poll or for
    a replay to wake it."""
    context: ForumContext = runtime.extras["context"]
    settings = cast(ForumSettings, runtime.settings)
    backoff = Backoff(settings.retry_base_seconds, settings.retry_cap_seconds)

    # trust_env=False: intake is called directly, never through a proxy from the
    # environment.
    async with httpx.AsyncClient(
        base_url=settings.intake_url,
        timeout=settings.intake_timeout_seconds,
        trust_env=False,
    ) as http:
        intake = IntakeClient(http, api_key=settings.intake_key())
        while True:
            context.wake.clear()
            settled = await deliver_ready(
                sessions=runtime.sessions,
                intake=intake,
                clock=runtime.clock,
                backoff=backoff,
            )
            if settled:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    context.wake.wait(), settings.delivery_poll_seconds
                )


async def deliver_ready(
    *,
    sessions: async_sessionmaker[AsyncSession],
    intake: IntakeClient,
    clock: Clock,
    backoff: Backoff,
) -> int:
    """Send every item that is due and whose turn it is; the number settled
    (delivered or refused)."""
    async with sessions() as session:
        sources = await repository.pending_sources(session)

    settled = 0
    for source in sources:
        settled += await _drain(
            source, sessions=sessions, intake=intake, clock=clock, backoff=backoff
        )
    return settled


async def _drain(
    source: str,
    *,
    sessions: async_sessionmaker[AsyncSession],
    intake: IntakeClient,
    clock: Clock,
    backoff: Backoff,
) -> int:
    settled = 0
    while True:
        # The session closes before intake is called: no transaction stays open
        # across the network.
        async with sessions() as session:
            item = await repository.head(session, source)
        if item is None or not _ready(item, clock.now()):
            return settled

        if not await _attempt(
            item, sessions=sessions, intake=intake, clock=clock, backoff=backoff
        ):
            return settled
        settled += 1


def _ready(item: ForumItem, now: datetime) -> bool:
    if item.due_at > now:
        return False
    return item.next_attempt_at is None or item.next_attempt_at <= now


async def _attempt(
    item: ForumItem,
    *,
    sessions: async_sessionmaker[AsyncSession],
    intake: IntakeClient,
    clock: Clock,
    backoff: Backoff,
) -> bool:
    """One try at the item; True when it is settled, False when it stays pending."""
    attempts = item.attempts + 1
    try:
        answer = await intake.submit(item.payload, trace_id=item.id)
    except MinshengError as error:
        values = _failed(
            item, error, attempts=attempts, now=clock.now(), backoff=backoff
        )
    else:
        values = _delivered(item, answer, attempts=attempts, now=clock.now())

    async with sessions() as session:
        await repository.settle(session, item.id, values)
        await session.commit()
    return values["status"] != "pending"


def _delivered(
    item: ForumItem, answer: Answer, *, attempts: int, now: datetime
) -> dict[str, Any]:
    log.info(
        "forum item %s (message %s) delivered: appeal %s %s%s",
        item.id,
        item.message_id,
        answer.appeal_id,
        answer.decision,
        " (already received)" if answer.status_code == 200 else "",
    )
    return {
        "status": "delivered",
        "attempts": attempts,
        "delivered_at": now,
        "answer_status": answer.status_code,
        "appeal_id": answer.appeal_id,
        "tracking_code": answer.tracking_code,
        "decision": answer.decision,
        "last_error": None,
        "next_attempt_at": None,
    }


def _failed(
    item: ForumItem,
    error: MinshengError,
    *,
    attempts: int,
    now: datetime,
    backoff: Backoff,
) -> dict[str, Any]:
    if not error.retriable:
        body = error.body if isinstance(error, AppealRefused) else error.message
        log.warning(
            "forum item %s (message %s) refused by intake, not retried: %s",
            item.id,
            item.message_id,
            error.code,
        )
        return {
            "status": "refused",
            "attempts": attempts,
            "answer_status": error.status_code,
            "last_error": body,
            "next_attempt_at": None,
        }

    if isinstance(error, IntakeCredentialsRejected):
        delay = timedelta(seconds=backoff.cap_seconds)
        log.warning(
            "forum item %s (message %s) not delivered (attempt %d): %s; the "
            "adapter's credentials for intake must be fixed (a key of a channel "
            "system with appeals:submit); next try in %.1fs",
            item.id,
            item.message_id,
            attempts,
            error.message,
            delay.total_seconds(),
        )
        return {
            "status": "pending",
            "attempts": attempts,
            "answer_status": error.answer_status,
            "last_error": error.message,
            "next_attempt_at": now + delay,
        }

    delay = backoff.delay(attempts)
    log.error(
        "forum item %s (message %s) not delivered (attempt %d): %s; next try in %.1fs",
        item.id,
        item.message_id,
        attempts,
        error.message,
        delay.total_seconds(),
    )
    return {
        "status": "pending",
        "attempts": attempts,
        "last_error": error.message,
        "next_attempt_at": now + delay,
    }
