"""An adapter's application: its store and delivery loop run by the service runtime,
its API served by the common app factory."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI

from minsheng_common import web
from minsheng_common.adapters import receipts
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
) -> FastAPI:
    """The adapter's app: `delivery` and `context` are built around one event that
    wakes the loop when an item is stored; the context is `app.state.context`."""
    settings.check_production()
    wake = asyncio.Event()
    # A channel adapter consumes no topics and stages no events: its runtime runs the
    # store, the delivery loop and the purge of old push signatures.
    runtime = ServiceRuntime(
        settings=settings,
        script_location=script_location,
        background=[delivery(wake).deliver_due, receipts.purger(receipt)],
    )
    app = web.create_app(
        title=title, description=description, runtime=runtime, routers=routers
    )
    app.state.context = context(runtime, wake)
    return app
