"""The replay record of signed pushes: every accepted signature is kept for twice
the window, so the same signed request arriving again inside the window is refused
(409), and one arriving after it fails the window check anyway."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

import sqlalchemy as sa
from sqlalchemy import Index, String, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from minsheng_common.auth import webhooks
from minsheng_common.db import UTCDateTime
from minsheng_common.runtime import Background, ServiceRuntime

if TYPE_CHECKING:
    from alembic.operations import Operations

log = logging.getLogger(__name__)

TABLE: Final = "webhook_receipts"
RETENTION: Final = 2 * webhooks.WINDOW
PURGE_EVERY_SECONDS: Final = 60.0


class Receipt:
    """A pushed request's signature, kept while a replay of it could still pass the
    time window (a mixin for an adapter's own `webhook_receipts` table, whose
    `__table_args__` are `table_args()`)."""

    __tablename__ = TABLE

    signature: Mapped[str] = mapped_column(String(100), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


def table_args() -> tuple[Index, ...]:
    """The receipts' index, new for each adapter's table."""
    return (Index(f"ix_{TABLE}_received_at", "received_at"),)


def create_table(op: Operations) -> None:
    """Create the receipts table from an adapter's migration."""
    op.create_table(
        TABLE,
        sa.Column("signature", sa.String(100), primary_key=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
    )
    op.create_index(f"ix_{TABLE}_received_at", TABLE, ["received_at"])


async def record(
    session: AsyncSession,
    model: type[Receipt],
    signature: str,
    *,
    received_at: datetime,
    what: str,
) -> None:
    """Keep a pushed request's signature; `ReplayedRequest` (after a rollback) when
    it was kept before. `what` names the push in the log."""
    # Set one by one: the mixin alone has no mapped constructor.
    receipt = model()
    receipt.signature = signature
    receipt.received_at = received_at
    session.add(receipt)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        log.warning("%s refused: its signature was received before", what)
        raise webhooks.ReplayedRequest(
            "this signed request was received before", field=webhooks.SIGNATURE_HEADER
        ) from None


async def purge(session: AsyncSession, model: type[Receipt], *, now: datetime) -> int:
    """Forget signatures older than twice the window; the number forgotten."""
    result = await session.execute(
        delete(model)
        .where(model.received_at < now - RETENTION)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def purger(model: type[Receipt]) -> Background:
    """The background loop that purges old receipts once a minute (real time, like
    the window)."""

    async def purge_receipts(runtime: ServiceRuntime) -> None:
        while True:
            async with runtime.sessions() as session:
                forgotten = await purge(session, model, now=datetime.now(UTC))
                await session.commit()
            if forgotten:
                log.debug("%s forgot %d webhook receipts", runtime.name, forgotten)
            await asyncio.sleep(PURGE_EVERY_SECONDS)

    return purge_receipts
