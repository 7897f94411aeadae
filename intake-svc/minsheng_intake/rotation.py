"""Re-encrypting stored contacts and names under the newest PII key.

Rotating a key: put the new key first in INTAKE_PII_KEYS ("new,old"), restart, and
everything still decrypts (the old key only decrypts). Then run
`python -m minsheng_intake rotate-pii-keys`, which re-encrypts every contact and name
under the new key, a batch per transaction; running it again changes nothing. The
old key can leave INTAKE_PII_KEYS once notify no longer needs it either (notify
keeps its own copy of each contact) and the outbox has no event older than the
rotation.
"""

from __future__ import annotations

import logging

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common import pii
from minsheng_intake.models import Appeal

log = logging.getLogger(__name__)


async def rotate_all(
    *,
    sessions: async_sessionmaker[AsyncSession],
    keys: list[str],
    batch_size: int,
) -> int:
    """Re-encrypt every value not yet under the newest of `keys`; returns how many
    values were re-encrypted."""
    vault = pii.PiiVault(keys)
    newest = pii.PiiVault(keys[:1])
    rotated = 0
    after = ""
    while True:
        async with sessions() as session:
            # FOR UPDATE: anonymisation running meanwhile must not have its erased
            # values written back.
            rows = list(
                await session.scalars(
                    select(Appeal)
                    .where(
                        Appeal.id > after,
                        or_(
                            Appeal.contact_encrypted.is_not(None),
                            Appeal.second_contact_encrypted.is_not(None),
                            Appeal.name_encrypted.is_not(None),
                        ),
                    )
                    .order_by(Appeal.id)
                    .limit(batch_size)
                    .with_for_update()
                )
            )
            if not rows:
                return rotated
            for appeal in rows:
                rotated += _rotate(appeal, vault=vault, newest=newest)
            after = rows[-1].id
            await session.commit()
        log.info("re-encrypted personal data up to appeal %s", after)


def _rotate(appeal: Appeal, *, vault: pii.PiiVault, newest: pii.PiiVault) -> int:
    count = 0
    if appeal.contact_encrypted and not _under(newest, appeal.contact_encrypted):
        appeal.contact_encrypted = vault.rotate(appeal.contact_encrypted)
        count += 1
    second = appeal.second_contact_encrypted
    if second and not _under(newest, second):
        appeal.second_contact_encrypted = vault.rotate(second)
        count += 1
    if appeal.name_encrypted and not _under(newest, appeal.name_encrypted):
        appeal.name_encrypted = vault.rotate(appeal.name_encrypted)
        count += 1
    return count


def _under(newest: pii.PiiVault, token: str) -> bool:
    try:
        newest.decrypt(token)
    except pii.PiiKeyError:
        return False
    return True
