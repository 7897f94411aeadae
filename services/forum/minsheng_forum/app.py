"""The forum adapter's application: the API, its store, the delivery loop and the
polling of the configured forums."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from minsheng_common.adapters import app as adapter
from minsheng_common.adapters.delivery import Backoff
from minsheng_common.auth.ratelimit import RateLimiter
from minsheng_common.reference import load_reference
from minsheng_common.runtime import ServiceRuntime
from minsheng_forum import courier, delivery, feed, polling, routes, sample
from minsheng_forum.models import Answer, WebhookReceipt
from minsheng_forum.service import ForumContext
from minsheng_forum.settings import ForumSettings

MIGRATIONS = "minsheng_forum:migrations"


def create_app(settings: ForumSettings | None = None) -> FastAPI:
    settings = settings or ForumSettings()
    sources = tuple(settings.sources)
    polling.check_channels(sources, load_reference(settings.reference_file))

    def context(runtime: ServiceRuntime, wake: asyncio.Event) -> ForumContext:
        return ForumContext(
            clock=runtime.clock,
            wake=wake,
            channel=settings.channel,
            source=sample.SAMPLE_NAME,
            sample_path=settings.sample_file or sample.packaged_path(),
            default_compression=settings.replay_compression,
            webhook_secrets=tuple(settings.webhook_secret_list()),
            max_title_chars=settings.max_title_chars,
            max_detail_chars=settings.max_detail_chars,
            push_limiter=RateLimiter(per_minute=settings.webhook_per_minute),
            sources=sources,
        )

    app = adapter.create(
        settings=settings,
        script_location=MIGRATIONS,
        delivery=delivery.make,
        receipt=WebhookReceipt,
        context=context,
        title="Minsheng forum adapter",
        description="Turns message-board posts (人民网留言板, 深圳论坛, 家在坪山) into "
        "canonical appeals and delivers them to intake in order, with retries and "
        "an idempotency key (Art. 4, 5). Replays the real sample onto the demo "
        "clock, takes posts the forum pushes, signed with a shared secret, and "
        "polls the forums of FORUM_SOURCES with a cursor kept in its store. "
        "Answers the citizens of a source with a reply URL by a reply post.",
        routers=[routes.router, routes.items],
        answers=Answer,
        couriers=lambda runtime: courier.couriers(sources, sessions=runtime.sessions),
    )

    # The shared factory runs the delivery and the purge of push signatures; the
    # forum adds its polling, which wakes the same delivery.
    forum: ForumContext = app.state.context
    runtime: ServiceRuntime = app.state.runtime
    poller = polling.Poller(
        sources=sources,
        reader=feed.FeedReader(max_bytes=settings.feed_max_bytes),
        backoff=Backoff(
            settings.poll_retry_base_seconds, settings.poll_retry_cap_seconds
        ),
        wake=forum.wake,
    )
    runtime.background = (*runtime.background, poller.follow_all)
    return app
