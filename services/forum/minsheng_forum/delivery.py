"""Forum items delivered to intake by the loop every adapter shares
(`minsheng_common.adapters.delivery`): in order per source, exactly once per message
id, with the adapter's own key (FORUM_INTAKE_API_KEY)."""

from __future__ import annotations

import asyncio
import logging

from minsheng_common.adapters.delivery import Delivery
from minsheng_forum.models import ForumItem

log = logging.getLogger(__name__)


def describe(item: ForumItem) -> str:
    """How logs name an item: its id and the forum's message id, never the text."""
    return f"forum item {item.id} (message {item.message_id})"


def make(wake: asyncio.Event) -> Delivery:
    """The forum's delivery, woken by `wake` when a replay or a push stores items."""
    return Delivery(model=ForumItem, log=log, describe=describe, wake=wake)
