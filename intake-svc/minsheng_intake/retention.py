"""Retention of personal data: an appeal closed longer ago than the retention period
loses its contact and name, and its texts keep only their redacted form. What the
statistics need stays: type, channel, category, subdistrict, dates and decision."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common import pii, redaction
from minsheng_common.runtime import Background, ServiceRuntime
from minsheng_intake.models import Appeal

log = logging.getLogger(__name__)

CHECK_EVERY = timedelta(hours=1)
BATCH = 200


async def anonymise_expired(
    *,
    sessions: async_sessionmaker[AsyncSession],
    vault: pii.PiiVault,
    now: datetime,
    retention: timedelta,
    batch_size: int = BATCH,
) -> int:
    """Anonymise every appeal closed before `now - retention`, a batch per
    transaction; returns how many were anonymised."""
    cutoff = now - retention
    done = 0
    while True:
        async with sessions() as session:
            # SKIP LOCKED: two replicas share the work instead of waiting for each
            # other (SQLite ignores it; its writers take turns anyway).
            rows = list(
                await session.scalars(
                    select(Appeal)
                    .where(Appeal.closed_at < cutoff, Appeal.anonymised_at.is_(None))
                    .order_by(Appeal.closed_at, Appeal.id)
                    .limit(batch_size)
                    .with_for_update(skip_locked=True)
                )
            )
            for appeal in rows:
                anonymise(appeal, vault=vault, now=now)
            await session.commit()
        for appeal in rows:
            log.info("appeal %s anonymised after its retention period", appeal.id)
        done += len(rows)
        if len(rows) < batch_size:
            return done


def anonymise(appeal: Appeal, *, vault: pii.PiiVault, now: datetime) -> None:
    """Drop the contact and name; keep the texts only redacted."""
    name = _name_or_none(appeal, vault)
    appeal.title = redaction.redact(appeal.title, name=name)
    appeal.content = redaction.redact(appeal.content, name=name)
    appeal.address = redaction.redact_optional(appeal.address, name=name)
    appeal.contact_encrypted = None
    appeal.contact_hash = None
    appeal.contact_masked = None
    appeal.second_contact_encrypted = None
    appeal.second_contact_masked = None
    appeal.name_encrypted = None
    appeal.anonymised_at = now


def _name_or_none(appeal: Appeal, vault: pii.PiiVault) -> str | None:
    if appeal.name_encrypted is None:
        return None
    try:
        return vault.decrypt(appeal.name_encrypted)
    except pii.PiiKeyError:
        # The key is gone: the name cannot be masked in the texts, but the rest of
        # the anonymisation must not wait for it.
        log.warning(
            "appeal %s: the name cannot be decrypted to mask it in the texts",
            appeal.id,
        )
        return None


def loop(*, vault: pii.PiiVault, retention: timedelta) -> Background:
    """The background loop: anonymise at start, then every hour."""

    async def anonymise_expired_appeals(runtime: ServiceRuntime) -> None:
        while True:
            count = await anonymise_expired(
                sessions=runtime.sessions,
                vault=vault,
                now=runtime.clock.now(),
                retention=retention,
            )
            if count:
                log.info("%d appeals anonymised after their retention period", count)
            await asyncio.sleep(CHECK_EVERY.total_seconds())

    return anonymise_expired_appeals
