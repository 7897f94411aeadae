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
import logging
from datetime import datetime
from typing import Any

from minsheng_common.adapters.delivery import Backoff, Delivery
from minsheng_common.adapters.intake import Answer
from minsheng_common.adapters.queue import QueueItem
from minsheng_common.errors import MinshengError
from minsheng_open311.models import ServiceRequest

log = logging.getLogger(__name__)

PERSONAL = ("contact", "second_contact", "name")
"""Payload fields removed once intake has them."""


def describe(item: ServiceRequest) -> str:
    """How logs name a request: its token, never the citizen's words or contact."""
    return f"request {item.id}"


class Open311Delivery(Delivery):
    """The shared delivery, with what this server adds to a settled request."""

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
