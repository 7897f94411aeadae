"""Several handlers of one event type in notify's one consumer group.

Notify's consumers share one inbox, keyed by the event id alone, so an event type
has one handler per service: where two parts of notify both need an event
(appeal.filed tells the citizen and may alert the agencies), their handlers run in
turn, in the same transaction as the inbox row.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.bus.consumer import Handler
from minsheng_common.events import Envelope


def combine(*tables: Mapping[str, Handler]) -> dict[str, Handler]:
    """One handler per event type: where several tables handle a type, each runs
    in turn, in the order the tables are given."""
    by_type: dict[str, list[Handler]] = {}
    for table in tables:
        for event_type, handler in table.items():
            by_type.setdefault(event_type, []).append(handler)
    return {
        event_type: handlers[0] if len(handlers) == 1 else _chain(handlers)
        for event_type, handlers in by_type.items()
    }


def _chain(handlers: list[Handler]) -> Handler:
    async def run_all(session: AsyncSession, envelope: Envelope, data: object) -> None:
        for handler in handlers:
            await handler(session, envelope, data)

    return run_all
