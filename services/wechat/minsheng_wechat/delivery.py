"""Appeals delivered to intake by the loop every adapter shares
(`minsheng_common.adapters.delivery`): in order per citizen, exactly once per
opening message, with the adapter's own key (WECHAT_INTAKE_API_KEY).

Two things are the WeChat adapter's own. Intake's instant answer is kept on the
item, for the passive reply. And a picture or location may join a pending appeal
(see `service`), which is safe only while that appeal is not on its way: a pass of
the loop holds the lock the joining takes, and a try that may have reached intake
(a timeout, a 5xx, an unreadable answer) marks the appeal, so nothing joins an
appeal intake may already hold in its first form.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common.adapters import queue
from minsheng_common.adapters.delivery import Backoff, Delivery
from minsheng_common.adapters.errors import (
    IntakeCredentialsRejected,
    IntakeUnavailable,
)
from minsheng_common.adapters.intake import Answer, IntakeClient
from minsheng_common.clock import Clock
from minsheng_common.errors import MinshengError
from minsheng_wechat.models import WechatAppeal

log = logging.getLogger(__name__)


def describe(item: WechatAppeal) -> str:
    """How logs name an item: its id, the citizen's pseudonym and the message."""
    return (
        f"wechat appeal {item.id} (citizen {item.source}, "
        f"{item.opened_by} {item.first_message_key})"
    )


@dataclass
class WechatDelivery(Delivery):
    """The shared delivery, holding `joining` while it sends and keeping intake's
    instant answer."""

    joining: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def deliver_ready(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        intake: IntakeClient,
        clock: Clock,
        backoff: Backoff,
    ) -> int:
        # While an item is being sent, nothing may join it: its payload is what
        # intake receives.
        async with self.joining:
            return await super().deliver_ready(
                sessions=sessions, intake=intake, clock=clock, backoff=backoff
            )

    def delivered(
        self, item: queue.QueueItem, answer: Answer, *, attempts: int, now: datetime
    ) -> dict[str, Any]:
        values = super().delivered(item, answer, attempts=attempts, now=now)
        values["instant_answer"] = answer.instant_answer
        return values

    def failed(
        self,
        item: queue.QueueItem,
        error: MinshengError,
        *,
        attempts: int,
        now: datetime,
        backoff: Backoff,
    ) -> dict[str, Any]:
        values = super().failed(
            item, error, attempts=attempts, now=now, backoff=backoff
        )
        if values["status"] == "pending" and not surely_unreceived(error):
            values["may_have_reached_intake"] = True
        return values


def surely_unreceived(error: MinshengError) -> bool:
    """Whether intake certainly did not store the appeal: it refused the key, or
    no connection was made."""
    if isinstance(error, IntakeCredentialsRejected):
        return True
    return isinstance(error, IntakeUnavailable) and isinstance(
        error.__cause__, httpx.ConnectError | httpx.ConnectTimeout
    )


def make(wake: asyncio.Event, joining: asyncio.Lock) -> WechatDelivery:
    """The adapter's delivery, woken by `wake` when a message opens an appeal."""
    return WechatDelivery(
        model=WechatAppeal, log=log, describe=describe, wake=wake, joining=joining
    )
