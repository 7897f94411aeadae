"""An adapter's application: its store and delivery loop run by the service runtime,
its API served by the common app factory."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from fastapi import APIRouter, FastAPI

from minsheng_common import web
from minsheng_common.adapters import receipts
from minsheng_common.adapters.answer_carrier import AnswerDesk
from minsheng_common.adapters.answer_routes import answers_router
from minsheng_common.adapters.answer_store import AnswerRecord
from minsheng_common.adapters.answers import Courier
from minsheng_common.adapters.delivery import Delivery
from minsheng_common.adapters.settings import AdapterSettings
from minsheng_common.runtime import ServiceRuntime


def create(
    *,
    settings: AdapterSettings,
    script_location: str,
    delivery: Callable[[asyncio.Event], Delivery],
    receipt: type[receipts.Receipt],
    context: Callable[[ServiceRuntime, asyncio.Event], Any],
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    answers: type[AnswerRecord] | None = None,
    couriers: Callable[[ServiceRuntime], Mapping[str, Courier]] | None = None,
) -> FastAPI:
    """The adapter's app: `delivery` and `context` are built around one event that
    wakes the loop when an item is stored; the context is `app.state.context`.

    An adapter whose channel can answer gives its `answers` table and its
    `couriers` by channel id: it then takes answers from notify and carries them
    (`app.state.answers`)."""
    settings.check_production()
    wake = asyncio.Event()
    # A channel adapter consumes no topics and stages no events: its runtime runs the
    # store, the delivery loop and the purge of old push signatures.
    runtime = ServiceRuntime(
        settings=settings,
        script_location=script_location,
        background=[delivery(wake).deliver_due, receipts.purger(receipt)],
    )
    desk = None
    if answers is not None and couriers is not None:
        desk = add_answers(runtime, answers=answers, receipt=receipt, couriers=couriers)
        routers = [*routers, answers_router(tag="answers")]
    app = web.create_app(
        title=title, description=description, runtime=runtime, routers=routers
    )
    app.state.context = context(runtime, wake)
    app.state.answers = desk
    return app


def add_answers(
    runtime: ServiceRuntime,
    *,
    answers: type[AnswerRecord],
    receipt: type[receipts.Receipt],
    couriers: Callable[[ServiceRuntime], Mapping[str, Courier]],
) -> AnswerDesk:
    """Let the adapter of `runtime` carry answers: the desk its answers route reads
    (`app.state.answers`), its carrier added to the runtime's loops."""
    settings = cast(AdapterSettings, runtime.settings)
    desk = AnswerDesk(
        model=answers,
        receipt=receipt,
        couriers=couriers(runtime),
        secrets=tuple(settings.answer_secret_list()),
    )
    runtime.background = [*runtime.background, desk.carry_due]
    return desk
