"""The forum adapter's application: the API, its store and the delivery loop."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from minsheng_common.adapters import app as adapter
from minsheng_common.auth.ratelimit import RateLimiter
from minsheng_common.runtime import ServiceRuntime
from minsheng_forum import delivery, routes, sample
from minsheng_forum.models import WebhookReceipt
from minsheng_forum.service import ForumContext
from minsheng_forum.settings import ForumSettings

MIGRATIONS = "minsheng_forum:migrations"


def create_app(settings: ForumSettings | None = None) -> FastAPI:
    settings = settings or ForumSettings()

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
        )

    return adapter.create(
        settings=settings,
        script_location=MIGRATIONS,
        delivery=delivery.make,
        receipt=WebhookReceipt,
        context=context,
        title="Minsheng forum adapter",
        description="Turns message-board posts (人民网留言板) into canonical appeals "
        "and delivers them to intake in order, with retries and an idempotency key "
        "(Art. 4, 5). Replays the real sample onto the demo clock, and takes "
        "posts the forum pushes, signed with a shared secret.",
        routers=[routes.router, routes.items],
    )
