"""Erasing citizens' contacts after the retention period (Art. 41: personal data is
kept no longer than needed).

A recipient's encrypted contact is erased once its appeal was filed, and its last
notice created, sent or failed, more than `NOTIFY_PII_RETENTION_DAYS` ago, and no
notice is pending. The notices and the evidence of every attempt stay, with the
recipient masked, so the statistics and the proof of sending (Art. 36) are kept.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common.db import is_connection_error
from minsheng_common.runtime import ServiceRuntime
from minsheng_notify import repository
from minsheng_notify.settings import NotifySettings

log = logging.getLogger(__name__)

BATCH = 500


async def erase_expired_contacts(runtime: ServiceRuntime) -> None:
    """The background loop: erase expired contacts every
    `NOTIFY_RETENTION_CHECK_SECONDS` (hourly), against the runtime's clock."""
    settings = cast(NotifySettings, runtime.settings)
    interval = settings.retention_check_seconds
    while True:
        try:
            await erase_expired(
                sessions=runtime.sessions,
                now=runtime.clock.now(),
                retention=settings.pii_retention,
            )
        except Exception as error:
            if not is_connection_error(error):
                raise
            log.error("store unreachable while erasing contacts: %r; retrying", error)
        await asyncio.sleep(interval)


async def erase_expired(
    *,
    sessions: async_sessionmaker[AsyncSession],
    now: datetime,
    retention: timedelta,
    batch: int = BATCH,
) -> int:
    """One pass: erase every expired contact, a batch per transaction; how many."""
    cutoff = now - retention
    erased = 0
    while True:
        async with sessions() as session, session.begin():
            expired = await repository.claim_expired_recipients(
                session, cutoff=cutoff, limit=batch
            )
            for recipient in expired:
                recipient.contact_encrypted = None
                recipient.second_contact_encrypted = None
                recipient.contact_erased_at = now
                log.debug(
                    "appeal %s: recipient's contact erased after the retention period",
                    recipient.appeal_id,
                )
        erased += len(expired)
        if len(expired) < batch:
            break

    if erased:
        log.info(
            "erased the contact of %d recipients filed and last notified before %s "
            "(retention %d days)",
            erased,
            cutoff.isoformat(),
            retention.days,
        )
    return erased
