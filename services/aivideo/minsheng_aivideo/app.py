"""The AI + video adapter's application: the API, its store and the delivery loop."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from minsheng_aivideo import delivery, routes
from minsheng_aivideo.models import WebhookReceipt
from minsheng_aivideo.service import VideoContext
from minsheng_aivideo.settings import AivideoSettings
from minsheng_aivideo.snapshots import Fetcher
from minsheng_common.adapters import app as adapter
from minsheng_common.auth.ratelimit import RateLimiter
from minsheng_common.runtime import ServiceRuntime

MIGRATIONS = "minsheng_aivideo:migrations"


def create_app(settings: AivideoSettings | None = None) -> FastAPI:
    settings = settings or AivideoSettings()

    def context(runtime: ServiceRuntime, wake: asyncio.Event) -> VideoContext:
        return VideoContext(
            clock=runtime.clock,
            wake=wake,
            channel=settings.channel,
            webhook_secrets=tuple(settings.webhook_secret_list()),
            fetcher=Fetcher(
                hosts=settings.snapshot_host_set(),
                max_bytes=settings.snapshot_max_bytes,
                timeout_seconds=settings.snapshot_timeout_seconds,
            ),
            snapshot_base_url=settings.snapshot_base_url(),
            contact=settings.contact(),
            min_confidence=settings.min_confidence,
            fold_window=settings.fold_window(),
            push_limiter=RateLimiter(per_minute=settings.webhook_per_minute),
        )

    return adapter.create(
        settings=settings,
        script_location=MIGRATIONS,
        delivery=delivery.make,
        receipt=WebhookReceipt,
        context=context,
        title="Minsheng AI + video adapter",
        description="Takes the detections the video platform pushes (AI+视频: street "
        "vending, overflowing bins…), signed with a shared secret, and delivers them "
        "to intake as complaints with the snapshot attached: one appeal for the "
        "detections of one kind at one camera within a window, low-confidence "
        "detections recorded and ignored (Art. 4, 5).",
        routers=[routes.router, routes.items],
    )
