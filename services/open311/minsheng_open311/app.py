"""The Open311 server's application: the GeoReport v2 API, its store, the delivery
loop to intake and the consumer of the progress events."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from minsheng_common import web
from minsheng_common.adapters import receipts
from minsheng_common.adapters.answer_routes import answers_router
from minsheng_common.adapters.app import add_answers
from minsheng_common.auth.ratelimit import RateLimiter
from minsheng_common.reference import load_reference
from minsheng_common.rules import load_rule_book
from minsheng_common.runtime import ServiceRuntime
from minsheng_open311 import answering, delivery, progress, routes
from minsheng_open311.catalogue import Catalogue
from minsheng_open311.models import Answer, AnswerReceipt
from minsheng_open311.service import Limits, Open311Context
from minsheng_open311.settings import Open311Settings

MIGRATIONS = "minsheng_open311:migrations"


def create_app(settings: Open311Settings | None = None) -> FastAPI:
    settings = settings or Open311Settings()
    settings.check_production()
    catalogue = Catalogue(
        reference=load_reference(settings.reference_file),
        rule_book=load_rule_book(settings.rules_file),
    )
    wake = asyncio.Event()
    runtime = ServiceRuntime(
        settings=settings,
        script_location=MIGRATIONS,
        background=[
            delivery.make(wake).deliver_due,
            progress.forget_unclaimed,
            receipts.purger(AnswerReceipt),
        ],
    )
    answers = add_answers(
        runtime,
        answers=Answer,
        receipt=AnswerReceipt,
        couriers=lambda run: answering.couriers(run, channel=settings.channel),
    )
    runtime.add_consumer(
        progress.Progress(
            channel=settings.channel, catalogue=catalogue, clock=runtime.clock
        ).spec()
    )
    context = Open311Context(
        clock=runtime.clock,
        channel=settings.channel,
        catalogue=catalogue,
        jurisdictions=catalogue.jurisdiction_ids | set(settings.extra_jurisdictions()),
        limits=Limits(
            max_description_chars=settings.max_description_chars,
            max_title_chars=settings.max_title_chars,
            query_days=settings.query_days,
            max_results=settings.max_results,
            max_ids_per_query=settings.max_ids_per_query,
            post_wait_seconds=settings.post_wait_seconds,
        ),
        public_limiter=RateLimiter(per_minute=settings.public_reads_per_minute),
        wake=wake,
    )
    app = web.create_app(
        title="Minsheng Open311 server",
        description="A GeoReport v2 server (JSON and XML): 311 clients list the "
        "services (the district's categories), file requests with an api_key and "
        "follow them (status, notes, unit responsible, handling deadline, and the "
        "update feed with extended states, where the district's answers to the "
        "citizen appear too). Requests are kept and delivered to "
        "intake in order, with retries and an idempotency key (Art. 4, 5).",
        runtime=runtime,
        routers=[routes.router, routes.operations, answers_router(tag="answers")],
    )
    app.state.context = context
    app.state.answers = answers
    return app
