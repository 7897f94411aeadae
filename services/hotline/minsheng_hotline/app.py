"""The hotline adapter's application: the API, its store and the delivery loop."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from minsheng_common.adapters import app as adapter
from minsheng_common.auth.ratelimit import RateLimiter
from minsheng_common.reference import load_reference
from minsheng_common.runtime import ServiceRuntime
from minsheng_hotline import delivery, routes
from minsheng_hotline.models import WebhookReceipt
from minsheng_hotline.service import HotlineContext, Line
from minsheng_hotline.settings import HotlineSettings

MIGRATIONS = "minsheng_hotline:migrations"


def create_app(settings: HotlineSettings | None = None) -> FastAPI:
    settings = settings or HotlineSettings()

    def context(runtime: ServiceRuntime, wake: asyncio.Event) -> HotlineContext:
        return HotlineContext(
            clock=runtime.clock,
            wake=wake,
            reference=load_reference(settings.reference_file),
            lines={
                number: Line(
                    number=number,
                    secrets=tuple(settings.secrets_of(number)),
                    secret_setting=settings.secret_setting(number),
                )
                for number in settings.lines
            },
            recording_types=settings.recording_type_set(),
            max_title_chars=settings.max_title_chars,
            max_content_chars=settings.max_content_chars,
            push_limiter=RateLimiter(per_minute=settings.webhook_per_minute),
        )

    return adapter.create(
        settings=settings,
        script_location=MIGRATIONS,
        delivery=delivery.make,
        receipt=WebhookReceipt,
        context=context,
        title="Minsheng hotline adapter",
        description="Takes the call records the 12345, 12319 and 28339260 call "
        "centres push (来电工单), each signed with its line's secret, and delivers "
        "them to intake as appeals of the line's channel, in order, with retries "
        "and the call id as the idempotency key (Art. 4, 5).",
        routers=[routes.router, routes.items],
    )
