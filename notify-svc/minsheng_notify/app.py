"""Notify's application: the API plus its runtime (store, outbox relay, the consumer
of appeals and work orders, the sending loop and the erasure of expired contacts)."""

from __future__ import annotations

from datetime import time, timedelta

from fastapi import FastAPI

from minsheng_common import pii, web
from minsheng_common.bus.outbox import Outbox
from minsheng_common.clock import Clock
from minsheng_common.reference import load_reference
from minsheng_common.runtime import ServiceRuntime
from minsheng_notify import (
    delivery_routes,
    metrics,
    morning_report,
    oa,
    official_context,
    official_routes,
    retention,
    routes,
    senders,
    sending,
)
from minsheng_notify.consumers import NotifyConsumers
from minsheng_notify.official_consumers import OfficialConsumers
from minsheng_notify.quiet_hours import QuietHours
from minsheng_notify.rendering import NoticeTexts
from minsheng_notify.service import NotifyContext, SendPolicy
from minsheng_notify.settings import NotifySettings

MIGRATIONS = "minsheng_notify:migrations"


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    settings.ensure_pii_keys(settings.environment, settings.data_dir)
    runtime = ServiceRuntime(
        settings=settings,
        script_location=MIGRATIONS,
        background=[
            sending.send_pending,
            retention.erase_expired_contacts,
            *([morning_report.send_daily] if settings.morning_report_enabled else []),
        ],
    )
    metrics.install(runtime)
    context = build_context(settings, outbox=runtime.outbox, clock=runtime.clock)
    official = official_context.build(
        settings, notify=context, reference=load_reference(settings.reference_file)
    )
    oa.register(context.senders, settings)
    runtime.add_consumer(
        NotifyConsumers(context).spec(OfficialConsumers(official).spec())
    )
    runtime.extras[sending.CONTEXT_KEY] = context
    runtime.extras[official_context.OFFICIAL_CONTEXT_KEY] = official
    return web.create_app(
        title="Minsheng notify",
        description="Notices to citizens (受理告知, Art. 28; 办理告知, Art. 29) sent "
        "through pluggable "
        "senders, with the evidence of every attempt (Art. 36).",
        runtime=runtime,
        routers=[
            routes.router,
            delivery_routes.router,
            official_routes.router,
            official_routes.surveys,
        ],
    )


def build_context(
    settings: NotifySettings, *, outbox: Outbox, clock: Clock
) -> NotifyContext:
    """Notify's rules wired to this installation's keys, senders and reference."""
    return NotifyContext(
        vault=pii.PiiVault(settings.pii_key_list()),
        outbox=outbox,
        clock=clock,
        texts=NoticeTexts.from_reference(load_reference(settings.reference_file)),
        senders=senders.build_senders(settings),
        policy=SendPolicy(
            max_attempts=settings.send_max_attempts,
            backoff=timedelta(seconds=settings.send_backoff_seconds),
            backoff_max=timedelta(seconds=settings.send_backoff_max_seconds),
            recipient_wait=settings.recipient_wait,
            batch_size=settings.send_batch_size,
            poll_interval=timedelta(milliseconds=settings.send_poll_ms),
            quiet_hours=QuietHours(
                start=time(settings.quiet_start_hour),
                end=time(settings.quiet_end_hour),
            ),
        ),
    )
