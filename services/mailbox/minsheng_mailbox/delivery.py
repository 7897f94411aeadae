"""Mails delivered to intake by the loop every adapter shares
(`minsheng_common.adapters.delivery`): in order per folder, exactly once per
Message-ID, with the adapter's own key (MAILBOX_INTAKE_API_KEY)."""

from __future__ import annotations

import asyncio
import logging

from minsheng_common.adapters.delivery import Delivery
from minsheng_mailbox.models import MailboxItem

log = logging.getLogger(__name__)


def describe(item: MailboxItem) -> str:
    """How logs name an item: its id and the message's UID, never the sender."""
    return f"mailbox item {item.id} (uid {item.uid})"


def make(wake: asyncio.Event) -> Delivery:
    """The adapter's delivery, woken by `wake` when a poll stores mail."""
    return Delivery(model=MailboxItem, log=log, describe=describe, wake=wake)
