"""The transactional outbox: events are written in the same transaction as the state
change that causes them, and published afterwards by the relay."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import event, insert, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from minsheng_common.bus.tables import outbox as outbox_table
from minsheng_common.clock import Clock
from minsheng_common.events import Envelope, EventData, TopicNames, seal
from minsheng_common.tracing import current_trace_id

log = logging.getLogger(__name__)

_STAGED = "minsheng_outbox_staged"
_COMMITTED = "minsheng_outbox_observed"

Observer = Callable[[EventData], None]
"""Told of each event once the transaction that staged it has committed."""


class Outbox:
    """Stages a service's outgoing events in its store."""

    def __init__(self, *, producer: str, topics: TopicNames, clock: Clock) -> None:
        self.producer = producer
        self.topics = topics
        self.clock = clock
        self._observers: list[Observer] = []

    def observe(self, observer: Observer) -> None:
        """Tell `observer` of every event this outbox stages, after its transaction
        committed (a rolled-back event is never seen): how a service counts what it
        decided, such as deadlines reached or notices sent, for its metrics."""
        self._observers.append(observer)

    def _remember(self, session: AsyncSession, events: Sequence[EventData]) -> None:
        session.info[_STAGED] = True
        if self._observers:
            observed = session.info.setdefault(_COMMITTED, [])
            observed.extend(
                (observer, data) for data in events for observer in self._observers
            )

    async def stage(
        self,
        session: AsyncSession,
        data: EventData,
        *,
        occurred_at: datetime | None = None,
    ) -> Envelope:
        """Add an event to the caller's transaction; it is published only if that
        transaction commits."""
        envelope = seal(
            data,
            producer=self.producer,
            occurred_at=occurred_at or self.clock.now(),
            trace_id=current_trace_id.get(),
        )
        await session.execute(
            insert(outbox_table).values(
                event_id=envelope.event_id,
                event_type=envelope.type,
                topic=self.topics.name(data.topic),
                key=envelope.key,
                payload=envelope.model_dump_json(),
                trace_id=envelope.trace_id,
                created_at=self.clock.now(),
            )
        )
        self._remember(session, [data])
        return envelope

    async def stage_all(
        self,
        session: AsyncSession,
        events: Sequence[EventData],
        *,
        occurred_at: datetime | None = None,
    ) -> list[Envelope]:
        """Add many events to the caller's transaction in one statement, in order;
        for a batch (a watcher's claim) where one INSERT per event would cost a
        round trip each."""
        if not events:
            return []
        now = self.clock.now()
        envelopes = [
            seal(
                data,
                producer=self.producer,
                occurred_at=occurred_at or now,
                trace_id=current_trace_id.get(),
            )
            for data in events
        ]
        await session.execute(
            insert(outbox_table),
            [
                {
                    "event_id": envelope.event_id,
                    "event_type": envelope.type,
                    "topic": self.topics.name(data.topic),
                    "key": envelope.key,
                    "payload": envelope.model_dump_json(),
                    "trace_id": envelope.trace_id,
                    "created_at": now,
                }
                for envelope, data in zip(envelopes, events, strict=True)
            ],
        )
        self._remember(session, events)
        return envelopes


def wake_after_commit(session_class: type[Session], wake: Callable[[], None]) -> None:
    """Call `wake` right after any transaction that staged events commits, so the
    relay publishes at once instead of at its next poll, and tell the outbox's
    observers what that transaction staged."""

    def _after_commit(session: Session) -> None:
        if session.info.pop(_STAGED, False):
            wake()
        for observer, data in session.info.pop(_COMMITTED, ()):
            try:
                observer(data)
            except Exception:
                # Counting must never turn a committed change into an error.
                log.exception("outbox observer failed on %s", data.event_type)

    def _after_rollback(session: Session) -> None:
        session.info.pop(_STAGED, None)
        session.info.pop(_COMMITTED, None)

    event.listen(session_class, "after_commit", _after_commit)
    event.listen(session_class, "after_rollback", _after_rollback)


async def mark_for_republish(session: AsyncSession, *, since: datetime) -> int:
    """Make every retained event created at or after `since` unpublished again, so the
    relay sends it once more (after a broker lost its data). Consumers' inboxes make
    the second delivery harmless."""
    result = await session.execute(
        update(outbox_table)
        .where(outbox_table.c.created_at >= since)
        .where(outbox_table.c.published_at.is_not(None))
        .values(published_at=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
