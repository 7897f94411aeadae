"""Delivering an adapter's stored items to intake, in order, exactly once per channel
reference.

Each source is a queue: only its first pending item may be sent, so the channel's
order holds. Intake's answer settles the item: 201 or 200 (already received)
delivers it, 422 refuses it for good; anything else (down, timed out, 5xx) leaves it
pending with an exponential backoff, and the items behind it wait. The channel's own
reference travels as the channel reference, so a resend after a lost answer returns
the first result.

An answer the queue cannot keep (a value longer than its column, or one the store
refuses) would be the same on every resend: the item is refused with the reason,
logged at WARNING, and the items behind it go on.

A 401 or 403 is the key's fault, not the appeal's, and an operator can fix it: the
item stays pending, waits the longest backoff between tries, and each try logs a
WARNING naming the problem (never the key).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

import httpx
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common.adapters import queue
from minsheng_common.adapters.errors import (
    AnswerNotRecordable,
    AppealRefused,
    IntakeCredentialsRejected,
)
from minsheng_common.adapters.intake import Answer, IntakeClient
from minsheng_common.adapters.settings import AdapterSettings
from minsheng_common.clock import Clock
from minsheng_common.errors import MinshengError
from minsheng_common.runtime import ServiceRuntime


@dataclass(frozen=True)
class Backoff:
    """Seconds to wait before attempt n+1: base × 2^(n-1), never more than cap."""

    base_seconds: float
    cap_seconds: float

    def delay(self, attempts: int) -> timedelta:
        exponent = min(max(attempts - 1, 0), 32)
        return timedelta(seconds=min(self.base_seconds * 2**exponent, self.cap_seconds))


def _item_id(item: queue.QueueItem) -> str:
    return f"item {item.id}"


@dataclass
class Delivery:
    """One adapter's delivery: its table, its logger (so lines name the adapter), how
    its logs name an item, and the event that wakes the loop when items are stored."""

    model: type[queue.QueueItem]
    log: logging.Logger
    describe: Callable[[Any], str] = _item_id
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    async def deliver_due(self, runtime: ServiceRuntime) -> None:
        """The background loop: deliver what is due, then wait for the next poll or
        for new items to wake it."""
        settings = cast(AdapterSettings, runtime.settings)
        backoff = Backoff(settings.retry_base_seconds, settings.retry_cap_seconds)

        # trust_env=False: intake is called directly, never through a proxy from the
        # environment.
        async with httpx.AsyncClient(
            base_url=settings.intake_url,
            timeout=settings.intake_timeout_seconds,
            trust_env=False,
        ) as http:
            intake = IntakeClient(http, keys=settings.intake_keys())
            while True:
                self.wake.clear()
                settled = await self.deliver_ready(
                    sessions=runtime.sessions,
                    intake=intake,
                    clock=runtime.clock,
                    backoff=backoff,
                )
                if settled:
                    continue
                # Not `asyncio.wait_for`: on Python 3.11 it drops a cancellation that
                # arrives as the event is set (an item stored just as the service
                # stops), and the loop would then never stop.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(settings.delivery_poll_seconds):
                        await self.wake.wait()

    async def deliver_ready(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        intake: IntakeClient,
        clock: Clock,
        backoff: Backoff,
    ) -> int:
        """Send every item that is due and whose turn it is; the number settled
        (delivered or refused)."""
        async with sessions() as session:
            sources = await queue.pending_sources(session, self.model)

        settled = 0
        for source in sources:
            settled += await self._drain(
                source, sessions=sessions, intake=intake, clock=clock, backoff=backoff
            )
        return settled

    async def _drain(
        self,
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
                item = await queue.head(session, self.model, source)
            if item is None or not _ready(item, clock.now()):
                return settled

            if not await self._attempt(
                item, sessions=sessions, intake=intake, clock=clock, backoff=backoff
            ):
                return settled
            settled += 1

    async def _attempt(
        self,
        item: queue.QueueItem,
        *,
        sessions: async_sessionmaker[AsyncSession],
        intake: IntakeClient,
        clock: Clock,
        backoff: Backoff,
    ) -> bool:
        """One try at the item; True when it is settled, False when it stays
        pending."""
        attempts = item.attempts + 1
        try:
            answer = await intake.submit(item.payload, trace_id=item.id)
        except MinshengError as error:
            values = self.failed(
                item, error, attempts=attempts, now=clock.now(), backoff=backoff
            )
        else:
            values = self.delivered(item, answer, attempts=attempts, now=clock.now())

        try:
            await self._settle(item, values, sessions=sessions)
        except (DataError, IntegrityError) as error:
            if values["status"] != "delivered":
                raise
            # The store refuses the answer (a constraint, a width): that would
            # happen again on every try, so this item alone is settled as refused
            # and the loop goes on with the next.
            refusal = AnswerNotRecordable(
                f"the store refused intake's answer: {_first_line(error.orig)}",
                answer_status=values["answer_status"],
            )
            values = self.failed(
                item, refusal, attempts=attempts, now=clock.now(), backoff=backoff
            )
            await self._settle(item, values, sessions=sessions)
        return values["status"] != "pending"

    async def _settle(
        self,
        item: queue.QueueItem,
        values: dict[str, Any],
        *,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        async with sessions() as session:
            await queue.settle(session, self.model, item.id, values)
            await session.commit()

    def delivered(
        self, item: queue.QueueItem, answer: Answer, *, attempts: int, now: datetime
    ) -> dict[str, Any]:
        """What a delivered item records: intake's appeal and decision."""
        self.log.info(
            "%s delivered: appeal %s %s%s",
            self.describe(item),
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

    def failed(
        self,
        item: queue.QueueItem,
        error: MinshengError,
        *,
        attempts: int,
        now: datetime,
        backoff: Backoff,
    ) -> dict[str, Any]:
        """What a failed try records: refused for good, or pending until the next
        try."""
        if isinstance(error, AnswerNotRecordable):
            self.log.warning(
                "%s taken by intake but its answer cannot be recorded, not retried: %s",
                self.describe(item),
                error.message,
            )
            return {
                "status": "refused",
                "attempts": attempts,
                "answer_status": error.answer_status,
                "last_error": error.message,
                "next_attempt_at": None,
            }

        if not error.retriable:
            body = error.body if isinstance(error, AppealRefused) else error.message
            self.log.warning(
                "%s refused by intake, not retried: %s",
                self.describe(item),
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
            self.log.warning(
                "%s not delivered (attempt %d): %s; the adapter's credentials for "
                "intake must be fixed (a key of the channel's system with "
                "appeals:submit); next try in %.1fs",
                self.describe(item),
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
        self.log.error(
            "%s not delivered (attempt %d): %s; next try in %.1fs",
            self.describe(item),
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


def _first_line(error: BaseException | None) -> str:
    """The driver's own words, without the statement, its parameters or the detail
    lines, which may quote what the citizen wrote."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _ready(item: queue.QueueItem, now: datetime) -> bool:
    if item.due_at > now:
        return False
    return item.next_attempt_at is None or item.next_attempt_at <= now
