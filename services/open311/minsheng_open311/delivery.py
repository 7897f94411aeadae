"""Requests delivered to intake by the loop every adapter shares
(`minsheng_common.adapters.delivery`): one queue, in the order the requests came,
exactly once per token, with the server's own key (OPEN311_INTAKE_API_KEY).

Two things are this server's own. Once intake has a request, the citizen's contact
and name leave the payload (intake keeps them, encrypted). And a decision an event
already told is not replaced by intake's answer, which may be older (a resend
after a lost answer is answered with the appeal as it stands, but an event may
have been read in between)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import Any, cast

import httpx

from minsheng_common.adapters.delivery import Backoff, Delivery
from minsheng_common.adapters.intake import Answer, IntakeClient
from minsheng_common.adapters.queue import QueueItem
from minsheng_common.adapters.settings import AdapterSettings
from minsheng_common.errors import MinshengError
from minsheng_common.runtime import ServiceRuntime
from minsheng_open311.models import ServiceRequest

log = logging.getLogger(__name__)

PERSONAL = ("contact", "second_contact", "name")
"""Payload fields removed once intake has them."""


def describe(item: ServiceRequest) -> str:
    """How logs name a request: its token, never the citizen's words or contact."""
    return f"request {item.id}"


class Open311Delivery(Delivery):
    """The shared delivery, with what this server adds to a settled request."""

    async def deliver_due(self, runtime: ServiceRuntime) -> None:
        """The shared loop, waiting for its wake-up under `asyncio.timeout`.

        The shared loop waits with `asyncio.wait_for`, which on Python 3.11 drops a
        cancellation that arrives as the awaited event is set (a request stored
        just as the service stops): the loop then runs on and the service never
        stops. TODO(issue 9): drop this override once the shared loop waits this
        way too.
        """
        settings = cast(AdapterSettings, runtime.settings)
        backoff = Backoff(settings.retry_base_seconds, settings.retry_cap_seconds)
        async with httpx.AsyncClient(
            base_url=settings.intake_url,
            timeout=settings.intake_timeout_seconds,
            trust_env=False,
        ) as http:
            intake = IntakeClient(http, keys=settings.intake_keys())
            while True:
                self.wake.clear()
                settled = await self.deliver_ready(
                    sessions=runtime.sessions,
                    intake=intake,
                    clock=runtime.clock,
                    backoff=backoff,
                )
                if settled:
                    continue
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(settings.delivery_poll_seconds):
                        await self.wake.wait()

    def delivered(
        self, item: QueueItem, answer: Answer, *, attempts: int, now: datetime
    ) -> dict[str, Any]:
        values = super().delivered(item, answer, attempts=attempts, now=now)
        values["payload"] = {
            key: None if key in PERSONAL else value
            for key, value in item.payload.items()
        }
        if item.decision is not None:
            values.pop("decision", None)
        return values

    def failed(
        self,
        item: QueueItem,
        error: MinshengError,
        *,
        attempts: int,
        now: datetime,
        backoff: Backoff,
    ) -> dict[str, Any]:
        values = super().failed(
            item, error, attempts=attempts, now=now, backoff=backoff
        )
        if values["status"] == "refused":
            # The request answers as closed from now on.
            values["decided_at"] = now
        return values


def make(wake: asyncio.Event) -> Open311Delivery:
    """The server's delivery, woken by `wake` when a request is stored."""
    return Open311Delivery(model=ServiceRequest, log=log, describe=describe, wake=wake)
