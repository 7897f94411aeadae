"""The background loop that reads the mailbox every MAILBOX_POLL_SECONDS.

Each poll opens the folder read-only, compares its UIDVALIDITY with the cursor's,
and takes the messages above the cursor's UID in ascending order, each in its own
transaction with the cursor (see `service.take`). When UIDVALIDITY changed (the
server rebuilt the folder), every message is read again and those whose
Message-ID is known are skipped. A poll takes at most MAILBOX_FETCH_BATCH
messages; when there were more, the next poll starts at once.

A mail server that is down, slow or refuses the login never stops the service:
the poll is tried again after a wait that doubles from MAILBOX_POLL_SECONDS up to
MAILBOX_POLL_BACKOFF_CAP_SECONDS, each failure logged (ERROR, or WARNING for a
refused login, which an operator must fix). `POST /v1/poll` asks for a poll at
once. Without MAILBOX_IMAP_HOST the loop says so once and ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common.runtime import ServiceRuntime
from minsheng_mailbox import imap, repository, service
from minsheng_mailbox.errors import MailboxLoginRefused, MailboxUnavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pace:
    """How often the mailbox is read, how much at once, and the longest wait
    after failures."""

    poll_seconds: float
    backoff_cap_seconds: float
    batch: int

    def delay(self, failures: int) -> float:
        if failures == 0:
            return self.poll_seconds
        exponent = min(failures - 1, 32)
        return min(self.poll_seconds * 2**exponent, self.backoff_cap_seconds)


@dataclass(frozen=True)
class Poller:
    """Reads `server` into the store the context's delivery loop sends from."""

    server: imap.ImapServer | None
    context: service.MailboxContext
    pace: Pace

    async def run(self, runtime: ServiceRuntime) -> None:
        """The background loop."""
        if self.server is None:
            log.info(
                "no mail server is set (MAILBOX_IMAP_HOST): the mailbox is not read"
            )
            return
        log.info(
            "reading folder %r of %s:%d (%s) every %gs",
            self.server.folder,
            self.server.host,
            self.server.port,
            self.server.security,
            self.pace.poll_seconds,
        )
        state = self.context.state
        while True:
            self.context.poll_now.clear()
            state.last_poll_at = self.context.clock.now()
            try:
                taken = await self.poll(self.server, runtime.sessions)
            except (MailboxUnavailable, SQLAlchemyError) as error:
                self._failed(error)
                delay = self.pace.delay(state.consecutive_failures)
            else:
                state.consecutive_failures, state.last_error = 0, None
                state.last_success_at = self.context.clock.now()
                delay = 0.0 if taken >= self.pace.batch else self.pace.poll_seconds
            if delay:
                await self._wait(delay)

    async def poll(
        self, server: imap.ImapServer, sessions: async_sessionmaker[AsyncSession]
    ) -> int:
        """Read the folder once; the number of messages taken."""
        async with imap.opened(server) as mailbox:
            uidvalidity = mailbox.uidvalidity
            self.context.state.uidvalidity = uidvalidity
            async with sessions() as session:
                cursor = await repository.cursor_of(session, self.context.folder)
            last_uid = 0
            if cursor is not None and cursor.uidvalidity == uidvalidity:
                last_uid = cursor.last_uid
            elif cursor is not None:
                log.warning(
                    "folder %r: UIDVALIDITY changed from %d to %d; every message is "
                    "read again and those taken before are skipped by Message-ID",
                    self.context.folder,
                    cursor.uidvalidity,
                    uidvalidity,
                )

            uids = (await mailbox.uids_after(last_uid))[: self.pace.batch]
            taken = 0
            for uid in uids:
                fetched = await mailbox.fetch(
                    uid, max_bytes=self.context.limits.message_max_bytes
                )
                if fetched is None:
                    continue
                async with sessions() as session:
                    await service.take(
                        session, self.context, fetched, uidvalidity=uidvalidity
                    )
                taken += 1
                self.context.wake.set()
            return taken

    def _failed(self, error: MailboxUnavailable | SQLAlchemyError) -> None:
        state = self.context.state
        state.consecutive_failures += 1
        message = (
            error.message
            if isinstance(error, MailboxUnavailable)
            else f"the store failed: {type(error).__name__}"
        )
        state.last_error = message
        delay = self.pace.delay(state.consecutive_failures)
        if isinstance(error, MailboxLoginRefused):
            log.warning(
                "mailbox not read (attempt %d): %s; MAILBOX_IMAP_USERNAME and "
                "MAILBOX_IMAP_PASSWORD must be fixed; next try in %.1fs",
                state.consecutive_failures,
                message,
                delay,
            )
        else:
            log.error(
                "mailbox not read (attempt %d): %s; next try in %.1fs",
                state.consecutive_failures,
                message,
                delay,
            )

    async def _wait(self, seconds: float) -> None:
        """Until the next poll is due, or an operator asks for one."""
        # Not `asyncio.wait_for`: on Python 3.11 it drops a cancellation that
        # arrives as the event is set, and the loop would then never stop.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self.context.poll_now.wait()
