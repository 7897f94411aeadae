"""Carrying the stored answers over their channel, then telling notify what became
of each (its delivery receipts, `POST /v1/receipts/reply:<channel>`, the evidence
of Art. 36).

An answer the channel refuses (`AnswerRefused`), or one still failing after
`answer_max_attempts` tries, is undelivered; one it takes is delivered with the
channel's reference. A failure waits an exponential backoff. Receipts go to notify
in batches per channel, signed with the adapter's receipt secret; one notify does
not take is sent again later, and a settled answer is never carried twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx

from minsheng_common.adapters import answer_store, receipts
from minsheng_common.adapters.answer_store import AnswerRecord
from minsheng_common.adapters.answers import (
    Answer,
    AnswerFailed,
    AnswerRefused,
    Courier,
)
from minsheng_common.adapters.delivery import Backoff
from minsheng_common.adapters.settings import AdapterSettings
from minsheng_common.auth import webhooks
from minsheng_common.runtime import ServiceRuntime

log = logging.getLogger(__name__)

BATCH = 50
CARRY_TIMEOUT_SECONDS = 60.0
"""The longest one courier may take over one answer, whatever its own timeouts."""
ERROR_CHARS = 500
FORGET_EVERY_SECONDS = 3600.0


@dataclass
class AnswerDesk:
    """An adapter's answers: its table, its couriers by channel id, the secrets
    notify signs with and the event that wakes the carrier."""

    model: type[AnswerRecord]
    receipt: type[receipts.Receipt]
    couriers: Mapping[str, Courier]
    secrets: Sequence[str]
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def new_record(
        self, channel: str, answer: Mapping[str, Any], *, received_at: datetime
    ) -> AnswerRecord:
        record = self.model()
        for name, value in answer.items():
            setattr(record, name, value)
        record.channel = channel
        record.status = answer_store.PENDING
        record.attempts = 0
        record.next_attempt_at = received_at
        record.received_at = received_at
        record.report_attempts = 0
        return record

    async def carry_due(self, runtime: ServiceRuntime) -> None:
        """The background loop: carry what is due, report what is settled, then
        wait for the next poll or a new answer."""
        settings = cast(AdapterSettings, runtime.settings)
        backoff = Backoff(
            settings.retry_base_seconds, settings.answer_retry_cap_seconds
        )
        secret = settings.receipt_secret()
        if secret is None:
            log.info(
                "%s: notify is not told what became of answers (%s is not set)",
                runtime.name,
                settings.setting_name("notify_receipt_secret"),
            )

        async with httpx.AsyncClient(
            base_url=settings.notify_url,
            timeout=settings.notify_timeout_seconds,
            trust_env=False,
        ) as notify:
            forgotten_at = -FORGET_EVERY_SECONDS
            while True:
                self.wake.clear()
                if time.monotonic() - forgotten_at >= FORGET_EVERY_SECONDS:
                    await self.forget_old(
                        runtime,
                        days=settings.answer_retention_days,
                        reported=bool(secret),
                    )
                    forgotten_at = time.monotonic()
                worked = await self.carry_ready(
                    runtime, backoff=backoff, max_attempts=settings.answer_max_attempts
                )
                if secret is not None:
                    worked += await self.report_settled(
                        runtime, notify=notify, secret=secret, backoff=backoff
                    )
                if worked:
                    continue
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(settings.delivery_poll_seconds):
                        await self.wake.wait()

    async def forget_old(
        self, runtime: ServiceRuntime, *, days: int, reported: bool
    ) -> int:
        """Forget the answers settled more than `days` ago (only those notify has
        heard of, when it is told); the number forgotten."""
        before = runtime.clock.now() - timedelta(days=days)
        async with runtime.sessions() as session:
            forgotten = await answer_store.forget_settled(
                session, self.model, before=before, reported=reported
            )
            await session.commit()
        if forgotten:
            log.info("%s forgot %d settled answers", runtime.name, forgotten)
        return forgotten

    async def carry_ready(
        self, runtime: ServiceRuntime, *, backoff: Backoff, max_attempts: int
    ) -> int:
        """Try every answer that is due once; the number settled."""
        async with runtime.sessions() as session:
            records = await answer_store.due(
                session, self.model, now=runtime.clock.now(), limit=BATCH
            )
            # Read out before the session closes: no transaction stays open
            # while a channel is called.
            answers = [
                (record.notice_id, record.attempts, _answer(record), record.channel)
                for record in records
            ]

        settled = 0
        for notice_id, attempts, answer, channel in answers:
            values = await self._try(
                answer,
                channel,
                attempts=attempts + 1,
                max_attempts=max_attempts,
                backoff=backoff,
                now=runtime.clock.now,
            )
            async with runtime.sessions() as session:
                await answer_store.change(session, self.model, [notice_id], values)
                await session.commit()
            if values["status"] != answer_store.PENDING:
                settled += 1
        return settled

    async def _try(
        self,
        answer: Answer,
        channel: str,
        *,
        attempts: int,
        max_attempts: int,
        backoff: Backoff,
        now: Callable[[], datetime],
    ) -> dict[str, Any]:
        try:
            reference = await _carry(self.couriers.get(channel), answer, channel)
        except AnswerFailed as error:
            return self._failed(
                answer,
                channel,
                error,
                attempts=attempts,
                max_attempts=max_attempts,
                backoff=backoff,
                at=now(),
            )

        log.info(
            "answer %s for appeal %s delivered on %s",
            answer.notice_id,
            answer.appeal_id,
            channel,
        )
        return {
            "status": answer_store.DELIVERED,
            "attempts": attempts,
            "provider_ref": reference[:200],
            "last_error": None,
            "settled_at": now(),
            "contact": "",
        }

    def _failed(
        self,
        answer: Answer,
        channel: str,
        error: AnswerFailed,
        *,
        attempts: int,
        max_attempts: int,
        backoff: Backoff,
        at: datetime,
    ) -> dict[str, Any]:
        reason = error.message[:ERROR_CHARS]
        if not error.retriable or attempts >= max_attempts:
            log.warning(
                "answer %s for appeal %s undelivered on %s after %d tries: %s",
                answer.notice_id,
                answer.appeal_id,
                channel,
                attempts,
                reason,
            )
            return {
                "status": answer_store.UNDELIVERED,
                "attempts": attempts,
                "last_error": reason,
                "settled_at": at,
                "contact": "",
            }

        delay = backoff.delay(attempts)
        log.error(
            "answer %s for appeal %s not carried on %s (try %d): %s; next in %.1fs",
            answer.notice_id,
            answer.appeal_id,
            channel,
            attempts,
            reason,
            delay.total_seconds(),
        )
        return {
            "status": answer_store.PENDING,
            "attempts": attempts,
            "last_error": reason,
            "next_attempt_at": at + delay,
        }

    async def report_settled(
        self,
        runtime: ServiceRuntime,
        *,
        notify: httpx.AsyncClient,
        secret: str,
        backoff: Backoff,
    ) -> int:
        """Send notify the receipts of settled answers; the number it took."""
        async with runtime.sessions() as session:
            records = await answer_store.unreported(
                session, self.model, now=runtime.clock.now(), limit=BATCH
            )
            batches: dict[str, list[tuple[str, int, dict[str, Any]]]] = {}
            for record in records:
                batches.setdefault(record.channel, []).append(
                    (record.notice_id, record.report_attempts, _receipt(record))
                )

        taken = 0
        for channel, batch in batches.items():
            ok = await _send_receipts(notify, channel, [r for _, _, r in batch], secret)
            now = runtime.clock.now()
            async with runtime.sessions() as session:
                if ok:
                    await answer_store.change(
                        session,
                        self.model,
                        [notice_id for notice_id, _, _ in batch],
                        {"reported_at": now, "next_report_at": None},
                    )
                    taken += len(batch)
                else:
                    for notice_id, tries, _ in batch:
                        await answer_store.change(
                            session,
                            self.model,
                            [notice_id],
                            {
                                "report_attempts": tries + 1,
                                "next_report_at": now + backoff.delay(tries + 1),
                            },
                        )
                await session.commit()
        return taken


async def _send_receipts(
    notify: httpx.AsyncClient,
    channel: str,
    receipts_: Sequence[dict[str, Any]],
    secret: str,
) -> bool:
    body = json.dumps({"receipts": list(receipts_)}, ensure_ascii=False).encode()
    # notify checks the window against its own real clock.
    stamp = int(datetime.now(UTC).timestamp())
    headers = {
        "Content-Type": "application/json",
        webhooks.TIMESTAMP_HEADER: str(stamp),
        webhooks.SIGNATURE_HEADER: webhooks.sign(secret, stamp, body),
    }
    try:
        response = await notify.post(
            f"/v1/receipts/reply:{channel}", content=body, headers=headers
        )
    except httpx.HTTPError as error:
        log.error(
            "receipts of %d answers on %s not sent to notify: %s",
            len(receipts_),
            channel,
            type(error).__name__,
        )
        return False
    if response.is_success:
        return True
    log.warning(
        "notify refused the receipts of %d answers on %s: %d %s",
        len(receipts_),
        channel,
        response.status_code,
        response.text[:200],
    )
    return False


def _answer(record: AnswerRecord) -> Answer:
    return Answer(
        notice_id=record.notice_id,
        appeal_id=record.appeal_id,
        kind=record.kind,
        contact_kind=record.contact_kind,
        contact=record.contact,
        text=record.text,
    )


def _receipt(record: AnswerRecord) -> dict[str, Any]:
    delivered = record.status == answer_store.DELIVERED
    at = record.settled_at or record.received_at
    return {
        "message_id": record.notice_id,
        "status": "delivered" if delivered else "undelivered",
        "at": at.astimezone(UTC).isoformat(),
        "detail": (
            f"{record.channel}: {record.provider_ref}"
            if delivered
            else (record.last_error or "undelivered")
        )[:ERROR_CHARS],
    }


async def _carry(courier: Courier | None, answer: Answer, channel: str) -> str:
    """The courier's reference for the answer; every way it can fail is an
    `AnswerFailed`, so one broken answer never stops the loop."""
    if courier is None:
        raise AnswerRefused(f"no courier answers on channel {channel}")
    try:
        async with asyncio.timeout(CARRY_TIMEOUT_SECONDS):
            return await courier.carry(answer)
    except AnswerFailed:
        raise
    except TimeoutError:
        raise AnswerFailed(
            f"the channel took longer than {CARRY_TIMEOUT_SECONDS:.0f}s"
        ) from None
    except Exception as error:
        log.exception("answer %s: the %s courier failed", answer.notice_id, channel)
        raise AnswerFailed(f"the courier failed: {type(error).__name__}") from error
