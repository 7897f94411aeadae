"""Polling the forums of FORUM_SOURCES with a cursor (the protocol is in
`minsheng_forum.feed`), so a restart neither skips nor repeats a post (Art. 5:
人民网留言板, 深圳论坛, 家在坪山).

Each source is followed by a task of its own, so a slow or failing forum holds up
no other. A round asks for the page after the stored cursor, stores its new posts
as items of the source's queue (`feed:<name>`, in the feed's order) and moves the
cursor in that same transaction; a full page is followed at once by the next,
otherwise the source waits its interval. Posts already stored from the source
(the same post id) are counted and skipped, so a page asked again after a crash,
or a feed that repeats itself, stores nothing twice. A full page that brought no
new post, or whose `next` is a cursor already asked in the round, ends the round
too: a feed whose cursor cycles over posts already taken is asked once an
interval, not again at once for ever.

A post that cannot be read is skipped on its own (see `minsheng_forum.feed`): it
is logged at WARNING with the source, its id if readable and the field at fault,
counted on the source's row, and the cursor moves past the page as usual.

A feed that is down, too slow or answers something else than a page is logged at
WARNING, recorded on the source's row (see `GET /v1/sources`) and tried again
after a backoff; the cursor stays. Logs name the source and the post ids, never a
post's text, author or contact.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import httpx
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common import ids
from minsheng_common.adapters import queue
from minsheng_common.adapters.delivery import Backoff
from minsheng_common.clock import Clock
from minsheng_common.reference import ReferenceData
from minsheng_common.runtime import ServiceRuntime
from minsheng_common.timeutil import as_utc
from minsheng_forum import feed, repository
from minsheng_forum.errors import FeedUnavailable
from minsheng_forum.models import FeedCursor, ForumItem
from minsheng_forum.schemas import FeedPost
from minsheng_forum.settings import FeedSource

log = logging.getLogger(__name__)

FEED_ROW: Final = 0
"""A polled post is one message, not a row of an export."""
ROUND_PAGES: Final = 20
"""The most pages one round reads before the source waits its interval."""


def check_channels(sources: Sequence[FeedSource], reference: ReferenceData) -> None:
    """Refuse a source whose channel intake does not know: every appeal of it would
    be refused."""
    for source in sources:
        if source.channel not in reference.channel_ids:
            known = ", ".join(sorted(reference.channel_ids))
            raise ValueError(
                f"FORUM_SOURCES: source {source.name} names the channel "
                f"{source.channel!r}, which is not in the reference data ({known})"
            )


@dataclass(frozen=True)
class Poller:
    """The polled sources, how their feeds are read, the wait after a failed poll
    and the event that wakes the delivery when posts are stored."""

    sources: Sequence[FeedSource]
    reader: feed.FeedReader
    backoff: Backoff
    wake: asyncio.Event

    async def follow_all(self, runtime: ServiceRuntime) -> None:
        """The background loop: every source followed by its own task."""
        if not self.sources:
            return
        log.info(
            "polling %d forum sources: %s",
            len(self.sources),
            ", ".join(source.name for source in self.sources),
        )
        # trust_env=False and no redirects: the configured address alone is asked.
        async with (
            httpx.AsyncClient(trust_env=False, follow_redirects=False) as http,
            asyncio.TaskGroup() as group,
        ):
            for source in self.sources:
                group.create_task(
                    self.follow(
                        source,
                        sessions=runtime.sessions,
                        clock=runtime.clock,
                        http=http,
                    ),
                    name=f"forum:poll:{source.name}",
                )

    async def follow(
        self,
        source: FeedSource,
        *,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        http: httpx.AsyncClient,
    ) -> None:
        """Poll `source` for ever: at its interval while it works, after a growing
        wait while it fails. Nothing but a cancellation ends it."""
        failures = 0
        while True:
            try:
                await self.poll(source, sessions=sessions, clock=clock, http=http)
            except FeedUnavailable as error:
                failures += 1
                delay = self.backoff.delay(failures)
                log.warning(
                    "forum source %s: poll failed (%d in a row): %s; cursor kept, "
                    "next try in %.1fs",
                    source.name,
                    failures,
                    error.message,
                    delay.total_seconds(),
                )
                await self._record_failure(
                    source, error.message, sessions=sessions, now=clock.now()
                )
            except Exception as error:
                # The store failed (or something unforeseen): the poll is retried
                # like a failed feed. Only the error's type is logged: a store's
                # message may quote a post's text among its parameters.
                failures += 1
                delay = self.backoff.delay(failures)
                log.error(
                    "forum source %s: poll not completed (%s); next try in %.1fs",
                    source.name,
                    type(error).__name__,
                    delay.total_seconds(),
                )
            else:
                failures = 0
                delay = timedelta(seconds=source.interval_seconds)
            await asyncio.sleep(delay.total_seconds())

    async def poll(
        self,
        source: FeedSource,
        *,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        http: httpx.AsyncClient,
    ) -> int:
        """One round: the pages after the stored cursor, as long as they come
        full of new posts; the number of new posts stored."""
        stored = 0
        asked: set[str | None] = set()
        for _ in range(ROUND_PAGES):
            expected = await self._cursor(source, sessions=sessions)
            after = expected if expected is not None else source.start_after
            asked.add(after)
            page = await self.reader.page(http, source, after=after)
            fresh = await self.store(
                source, page, expected=expected, sessions=sessions, now=clock.now()
            )
            stored += fresh
            if not _more(page, source, asked=asked, fresh=fresh):
                break
        return stored

    async def store(
        self,
        source: FeedSource,
        page: feed.Page,
        *,
        expected: str | None,
        sessions: async_sessionmaker[AsyncSession],
        now: datetime,
    ) -> int:
        """Store the page's new posts and move the cursor past them, both in one
        transaction; the number of posts stored."""
        async with sessions() as session:
            known = await repository.stored_posts(
                session, source.queue, [post.id for post in page.posts]
            )
            position = await queue.last_position(session, ForumItem, source.queue)
            fresh: list[str] = []
            for post in page.posts:
                if post.id in known:
                    continue
                known.add(post.id)
                position += 1
                session.add(_item(source, post, position=position, now=now))
                fresh.append(post.id)
            repeated = len(page.posts) - len(fresh)

            # The cursor moves in the transaction that stores the posts before it:
            # a crash before the commit leaves both as they were and the same page
            # is asked again; after it, both are kept. The move is conditional on
            # the cursor read before the page was asked, so two replicas polling
            # the same source cannot both store a page.
            moved = await repository.advance(
                session,
                source.name,
                expected=expected,
                cursor=page.next if page.next is not None else expected,
                now=now,
                stored=len(fresh),
                repeated=repeated,
                unreadable=len(page.unreadable),
            )
            if not moved:
                await session.rollback()
                log.info(
                    "forum source %s: the cursor moved meanwhile (another replica); "
                    "this page is dropped and asked again",
                    source.name,
                )
                return 0
            try:
                await session.commit()
            except IntegrityError:
                await session.rollback()
                log.info(
                    "forum source %s: another replica stored these posts first; "
                    "asked again",
                    source.name,
                )
                return 0

        for unreadable in page.unreadable:
            _skipped(source, unreadable)
        if fresh:
            self.wake.set()
            log.info(
                "forum source %s: %d posts stored (%s)%s",
                source.name,
                len(fresh),
                ", ".join(fresh),
                f", {repeated} already taken" if repeated else "",
            )
        elif repeated:
            log.info(
                "forum source %s: the feed gave %d posts again; none taken twice",
                source.name,
                repeated,
            )
        return len(fresh)

    async def _cursor(
        self, source: FeedSource, *, sessions: async_sessionmaker[AsyncSession]
    ) -> str | None:
        """The stored cursor of `source`; its row is made on its first poll."""
        async with sessions() as session:
            row = await session.get(FeedCursor, source.name)
            if row is not None:
                return row.cursor
            await repository.add_cursor(session, source.name)
            try:
                await session.commit()
            except IntegrityError:
                # Another replica made the row: it starts without a cursor too.
                await session.rollback()
            return None

    async def _record_failure(
        self,
        source: FeedSource,
        reason: str,
        *,
        sessions: async_sessionmaker[AsyncSession],
        now: datetime,
    ) -> None:
        try:
            async with sessions() as session:
                await repository.record_failure(
                    session, source.name, error=reason, now=now
                )
                await session.commit()
        except Exception as error:
            # The failure is in the log already; the store may be down too.
            log.error(
                "forum source %s: failed poll not recorded (%s)",
                source.name,
                type(error).__name__,
            )


def _more(
    page: feed.Page, source: FeedSource, *, asked: set[str | None], fresh: int
) -> bool:
    """Whether the next page should be asked at once: this one came full, brought
    a post not taken before and leads to a cursor this round has not asked with.

    Posts only given again are no progress: a feed whose cursor cycles (p1, p2,
    p1…) over posts already taken would otherwise be asked again at once for
    ever. A full page of nothing but unreadable posts waits the interval too.
    """
    return (
        page.given >= source.page_size
        and fresh > 0
        and page.next is not None
        and page.next not in asked
    )


def _skipped(source: FeedSource, post: feed.UnreadablePost) -> None:
    """Log a post that cannot be read: where it is wrong, never its values."""
    if post.post_id is not None:
        label = f"post {post.post_id}"
    else:
        label = f"a post without a readable id (number {post.place + 1} of its page)"
    log.warning(
        "forum source %s: %s skipped, it cannot be read (%s); the cursor moves past it",
        source.name,
        label,
        post.faults,
    )


def _item(
    source: FeedSource, post: FeedPost, *, position: int, now: datetime
) -> ForumItem:
    appeal, dropped = feed.appeal_of(post, channel=source.channel, now=now)
    if dropped:
        log.info(
            "forum post %s of source %s: the contact it left is not a usable "
            "telephone number or email, not passed on",
            post.id,
            source.name,
        )
    return ForumItem(
        id=ids.new_id(),
        source=source.queue,
        message_id=post.id,
        row_number=FEED_ROW,
        position=position,
        payload=appeal.model_dump(mode="json"),
        posted_at=as_utc(post.posted_at),
        post_url=post.url,
        due_at=now,
        status="pending",
        attempts=0,
        created_at=now,
    )
