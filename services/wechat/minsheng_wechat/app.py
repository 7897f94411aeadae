"""The WeChat adapter's application: the API, its store and the delivery loop."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from minsheng_common.adapters import app as adapter
from minsheng_common.auth.ratelimit import RateLimiter
from minsheng_common.runtime import ServiceRuntime
from minsheng_wechat import delivery, routes
from minsheng_wechat.courier import WechatCourier
from minsheng_wechat.crypto import MessageCrypt
from minsheng_wechat.delivery import WechatDelivery
from minsheng_wechat.models import Answer, WebhookReceipt
from minsheng_wechat.photos import PhotoFetcher
from minsheng_wechat.service import WechatContext
from minsheng_wechat.settings import WechatSettings

MIGRATIONS = "minsheng_wechat:migrations"


def create_app(settings: WechatSettings | None = None) -> FastAPI:
    settings = settings or WechatSettings()
    # A picture or location joining a pending appeal waits while the delivery loop
    # sends: one lock for both.
    joining = asyncio.Lock()
    aes_key = settings.aes_key()
    app_id = settings.app_id.strip()

    def make_delivery(wake: asyncio.Event) -> WechatDelivery:
        return delivery.make(wake, joining)

    def context(runtime: ServiceRuntime, wake: asyncio.Event) -> WechatContext:
        return WechatContext(
            clock=runtime.clock,
            sessions=runtime.sessions,
            wake=wake,
            joining=joining,
            channel=settings.channel,
            token=settings.token_value(),
            crypt=MessageCrypt(aes_key, app_id) if aes_key and app_id else None,
            fetcher=PhotoFetcher(
                hosts=settings.photo_host_set(),
                max_bytes=settings.photo_max_bytes,
                timeout_seconds=settings.photo_timeout_seconds,
            ),
            photo_base_url=settings.photo_base_url(),
            follow_up_window=settings.follow_up_window(),
            reply_budget_seconds=settings.reply_budget_seconds,
            welcome_text=settings.welcome_text,
            push_limiter=RateLimiter(per_minute=settings.webhook_per_minute),
        )

    def couriers(_runtime: ServiceRuntime) -> dict[str, WechatCourier]:
        return {
            settings.channel: WechatCourier(
                api_url=settings.api_url,
                app_id=app_id,
                app_secret=settings.app_secret.get_secret_value().strip(),
                timeout=settings.api_timeout_seconds,
                channel=settings.channel,
            )
        }

    return adapter.create(
        settings=settings,
        script_location=MIGRATIONS,
        delivery=make_delivery,
        receipt=WebhookReceipt,
        context=context,
        title="Minsheng WeChat adapter",
        description="The server side of the official account's message push "
        "(微信公众号): citizens' text, voice, picture and location messages, plain "
        "or encrypted, become appeals delivered to intake in order with the "
        "message id as the idempotency key; each push gets its passive reply "
        "within WeChat's five seconds, with the tracking code or the instant "
        "answer when intake answers in time (Art. 4, 5). Notify's answers "
        "reach the citizen as customer-service messages.",
        routers=[routes.router, routes.items],
        answers=Answer,
        couriers=couriers,
    )
